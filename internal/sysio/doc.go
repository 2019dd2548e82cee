// Package sysio is hbd's one door to the kernel: thin, allocation-free
// wrappers around the Linux system calls that the event loop and the media
// need — epoll, eventfd, the monotonic clock, batched UDP I/O with
// recvmmsg/sendmmsg, scheduling and memory locking, and the watchdog
// device's open and timeout.
//
// It is the only package that imports golang.org/x/sys/unix (besides the
// _linux.go files of loop and media); a test in internal/deptest keeps it so.
// Every other package reaches the kernel through these functions, so unsafe
// and raw system calls live in one place.
//
// # Conventions
//
// Errors name the system call (an *os.SyscallError), so errors.Is works with
// syscall.Errno values. The functions used on the hot path (EpollWait,
// EventfdWrite, EventfdRead, Read, Write, Batch.RecvBatch, Batch.SendBatch,
// Monotonic) allocate nothing, not even on their "would block" or
// "interrupted" outcomes: EINTR is retried or reported as "nothing
// happened", and EAGAIN is either a zero count with a nil error or the
// preallocated error that matches ErrWouldBlock, as each function says.
//
// File descriptors are plain ints, created non-blocking and close-on-exec,
// and owned by the caller, who closes them with Close.
//
// # Signals
//
// There is no signalfd here: the Go runtime unblocks SIGHUP, SIGINT, SIGTERM
// and SIGCHLD in every thread it starts, so a process-directed signal reaches
// the runtime's handler, not a signalfd. Package loop takes signals through
// os/signal.
package sysio

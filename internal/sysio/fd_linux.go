package sysio

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Pipe returns the read and write ends of a new non-blocking, close-on-exec
// pipe.
func Pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[0], p[1], nil
}

// Close closes fd.
func Close(fd int) error {
	if err := unix.Close(fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// Read reads from the non-blocking fd into p. It returns an error matching
// ErrWouldBlock when nothing is ready, and 0, nil at end of file. EINTR is
// retried.
func Read(fd int, p []byte) (int, error) {
	return transfer(unix.SYS_READ, "read", fd, p, 0, errReadAgain)
}

// Write writes p to the non-blocking fd. It returns an error matching
// ErrWouldBlock when there is no room. EINTR is retried.
func Write(fd int, p []byte) (int, error) {
	return transfer(unix.SYS_WRITE, "write", fd, p, 0, errWriteAgain)
}

// transfer is read, write and send(to) alike: the call named by trap
// moves p through the non-blocking fd, EINTR is retried, and EAGAIN is
// again, preallocated so that "would block" costs nothing. flags is
// send's fourth argument; read and write have none (their fourth is 0,
// and the fifth and sixth, sendto's absent address, are always 0).
func transfer(trap uintptr, call string, fd int, p []byte, flags uintptr, again error) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.Syscall6(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)), flags, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, again
		}
		return 0, errnoErr(call, e)
	}
}

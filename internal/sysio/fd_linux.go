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
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, errReadAgain
		}
		return 0, errnoErr("read", e)
	}
}

// Write writes p to the non-blocking fd. It returns an error matching
// ErrWouldBlock when there is no room. EINTR is retried.
func Write(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.Syscall(unix.SYS_WRITE, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, errWriteAgain
		}
		return 0, errnoErr("write", e)
	}
}

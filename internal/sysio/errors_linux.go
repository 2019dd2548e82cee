package sysio

import (
	"os"

	"golang.org/x/sys/unix"
)

// ErrWouldBlock matches (with errors.Is) the errors returned when a
// non-blocking descriptor has nothing to read or no room to write.
var ErrWouldBlock error = unix.EAGAIN

// Preallocated so that the common "would block" outcome costs no allocation.
var (
	errReadAgain  = os.NewSyscallError("read", unix.EAGAIN)
	errWriteAgain = os.NewSyscallError("write", unix.EAGAIN)
)

// errnoErr names the failed call; it is only used on real failures, which
// may allocate.
func errnoErr(call string, e unix.Errno) error {
	return os.NewSyscallError(call, e)
}

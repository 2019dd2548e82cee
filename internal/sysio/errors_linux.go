package sysio

import (
	"errors"
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

// Strerror is err as heartbeat and cluster-glue print it (cl_perror,
// strerror): an errno in glibc's words, which are Go's with a capital;
// any other error as it is.
func Strerror(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		if s := errno.Error(); s != "" && s[0] >= 'a' && s[0] <= 'z' {
			return string(s[0]-'a'+'A') + s[1:]
		}
		return errno.Error()
	}
	return err.Error()
}

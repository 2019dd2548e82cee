package sysio

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Eventfd returns a new non-blocking, close-on-exec eventfd with a zero
// counter.
func Eventfd() (int, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("eventfd2", err)
	}
	return fd, nil
}

// EventfdWrite adds one to the eventfd counter, making it readable. A
// saturated counter (EAGAIN) is not an error: the fd is readable already.
func EventfdWrite(fd int) error {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		_, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&one[0])), 8)
		switch e {
		case 0, unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		}
		return errnoErr("eventfd write", e)
	}
}

// EventfdRead reads and resets the eventfd counter. It returns 0, nil when
// the counter was already zero.
func EventfdRead(fd int) (uint64, error) {
	var buf [8]byte
	for {
		_, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), 8)
		switch e {
		case 0:
			return binary.NativeEndian.Uint64(buf[:]), nil
		case unix.EAGAIN:
			return 0, nil
		case unix.EINTR:
			continue
		}
		return 0, errnoErr("eventfd read", e)
	}
}

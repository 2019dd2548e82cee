package sysio

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenWriteOnly opens path write-only, close-on-exec and non-blocking, and
// never as a controlling terminal. Non-blocking matters for a FIFO: with no
// reader the open fails with ENXIO instead of waiting for one. EINTR is
// retried.
func OpenWriteOnly(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// IsCharDevice reports whether fd is a character device. Asking the
// descriptor rather than the path means the answer is about the file that
// was opened, whatever happened to the name since.
func IsCharDevice(fd int) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, os.NewSyscallError("fstat", err)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR, nil
}

// WatchdogSetTimeout asks the watchdog driver behind fd (WDIOC_SETTIMEOUT)
// to fire after secs seconds and returns the timeout the driver chose,
// which it may round to what its hardware can do. A descriptor that is
// not a watchdog fails with ENOTTY.
func WatchdogSetTimeout(fd, secs int) (int, error) {
	v := int32(secs)
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.WDIOC_SETTIMEOUT, uintptr(unsafe.Pointer(&v)))
	if e != 0 {
		return 0, errnoErr("ioctl WDIOC_SETTIMEOUT", e)
	}
	return int(v), nil
}

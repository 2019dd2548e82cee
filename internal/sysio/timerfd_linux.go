package sysio

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Timerfd returns a new non-blocking, close-on-exec, disarmed timerfd on
// the monotonic clock.
func Timerfd() (int, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("timerfd_create", err)
	}
	return fd, nil
}

// TimerfdArm makes fd expire once, d from now; a negative d disarms it,
// and d == 0 is taken as 1 ns (0 would disarm). A raw system call: a
// normal one wakes the runtime's monitor thread when it sleeps
// (entersyscall), and the loop arms the timer before every wait.
func TimerfdArm(fd int, d time.Duration) error {
	var its unix.ItimerSpec
	if d >= 0 {
		its.Value = unix.NsecToTimespec(max(int64(d), 1))
	}
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(&its)), 0, 0, 0)
	if e != 0 {
		return errnoErr("timerfd_settime", e)
	}
	return nil
}

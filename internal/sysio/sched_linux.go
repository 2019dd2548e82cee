package sysio

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SchedPriorityMin returns the lowest SCHED_RR priority.
func SchedPriorityMin() (int, error) {
	return schedPriority(unix.SYS_SCHED_GET_PRIORITY_MIN, "sched_get_priority_min")
}

// SchedPriorityMax returns the highest SCHED_RR priority.
func SchedPriorityMax() (int, error) {
	return schedPriority(unix.SYS_SCHED_GET_PRIORITY_MAX, "sched_get_priority_max")
}

func schedPriority(trap uintptr, call string) (int, error) {
	r, _, e := unix.RawSyscall(trap, unix.SCHED_RR, 0, 0)
	if e != 0 {
		return 0, errnoErr(call, e)
	}
	return int(r), nil
}

// SchedSetRR puts the calling thread (not the process) into the SCHED_RR
// real-time class at prio. Lock the goroutine to its thread first and never
// unlock it afterwards, or the runtime will run other goroutines at
// real-time priority.
func SchedSetRR(prio int) error {
	param := struct{ priority int32 }{int32(prio)}
	_, _, e := unix.RawSyscall(unix.SYS_SCHED_SETSCHEDULER, 0, unix.SCHED_RR, uintptr(unsafe.Pointer(&param)))
	if e != 0 {
		return errnoErr("sched_setscheduler", e)
	}
	return nil
}

// Mlockall locks the process's current and future pages in memory, so that
// a heartbeat is never late because of a page fault.
func Mlockall() error {
	if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE); err != nil {
		return os.NewSyscallError("mlockall", err)
	}
	return nil
}

// Munlockall undoes Mlockall.
func Munlockall() error {
	if err := unix.Munlockall(); err != nil {
		return os.NewSyscallError("munlockall", err)
	}
	return nil
}

// TimerSlack returns the calling thread's timer slack: how much later than
// asked the kernel may end a timed wait, to batch wake-ups.
func TimerSlack() (time.Duration, error) {
	r, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return 0, os.NewSyscallError("prctl get timerslack", err)
	}
	return time.Duration(r), nil
}

// SetTimerSlack sets the calling thread's timer slack; d must be positive
// (the kernel reads zero as "back to the default").
func SetTimerSlack(d time.Duration) error {
	if d <= 0 {
		return errnoErr("prctl set timerslack", unix.EINVAL)
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(d), 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl set timerslack", err)
	}
	return nil
}

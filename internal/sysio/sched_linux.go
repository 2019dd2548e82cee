package sysio

import (
	"bytes"
	"os"
	"strconv"
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

// SchedPin binds the calling thread to one CPU. Lock the goroutine to its
// thread first.
func SchedPin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return os.NewSyscallError("sched_setaffinity", err)
	}
	return nil
}

// Mlockall locks the process in memory, so that a heartbeat is never late
// because of a page fault: the executable's own mappings (code, read-only
// data, initialised data) whole, and every other page, present or future,
// from the moment it is first touched (MCL_ONFAULT).
//
// Plain MCL_CURRENT|MCL_FUTURE, as heartbeat (a C program) asks, would
// make a Go process resident in everything it has mapped: the runtime maps
// a 64 MB heap arena read-write at once and the binary has 32 MB of zeroed
// data it never touches, so hbd grew from 12 MB to 90–140 MB. Kernels
// before 4.4 do not know MCL_ONFAULT; there the plain form is used.
func Mlockall() error {
	err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
	if err == unix.EINVAL {
		err = unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE)
	}
	if err != nil {
		return os.NewSyscallError("mlockall", err)
	}
	return lockExecutable()
}

// lockExecutable locks (and so loads) every file-backed mapping of the
// running executable, as listed in /proc/self/maps; the anonymous zeroed
// data after them is left to fault in.
func lockExecutable() error {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	for line := range bytes.Lines(maps) {
		// start-end perms offset dev inode path
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[5]) != exe {
			continue
		}
		start, end, ok := bytes.Cut(f[0], []byte{'-'})
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(start), 16, 64)
		hi, err2 := strconv.ParseUint(string(end), 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		// Addresses, not Go pointers: mlock only reads them.
		if _, _, e := unix.Syscall(unix.SYS_MLOCK, uintptr(lo), uintptr(hi-lo), 0); e != 0 {
			return os.NewSyscallError("mlock", e)
		}
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

// schedResetOnFork (SCHED_RESET_ON_FORK) makes children, and threads a
// thread creates, start in the normal class: resource agents must never
// run at real-time priority, as heartbeat drops it in its children.
const schedResetOnFork = 0x40000000

// SchedSetRRAll puts every thread of the process under SCHED_RR at prio
// with SCHED_RESET_ON_FORK. In a Go process the loop's thread is not
// enough: after a system call it must get a P back from the runtime, and
// a runtime thread of the normal class starved by a CPU hog can hold one
// (or hold up a garbage-collection stop) for as long as the hog runs.
// Threads the runtime creates later start in the normal class (reset on
// fork); call again when Threads reports more. It returns how many
// threads it changed.
func SchedSetRRAll(prio int) (int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, err
	}
	param := struct{ priority int32 }{int32(prio)}
	n := 0
	for _, e := range ents {
		tid := 0
		for _, c := range e.Name() {
			tid = tid*10 + int(c-'0')
		}
		_, _, errno := unix.RawSyscall(unix.SYS_SCHED_SETSCHEDULER, uintptr(tid), unix.SCHED_RR|schedResetOnFork, uintptr(unsafe.Pointer(&param)))
		switch errno {
		case 0:
			n++
		case unix.ESRCH: // the thread ended meanwhile
		default:
			return n, errnoErr("sched_setscheduler", errno)
		}
	}
	return n, nil
}

// Threads returns the process's thread count (num_threads of
// /proc/self/stat), read into buf without allocating; 0 if unreadable.
func Threads(f *os.File, buf []byte) int {
	k, _ := f.ReadAt(buf[:cap(buf)], 0)
	b := buf[:k]
	// Fields after the command name (which may hold spaces and ')'):
	// num_threads is field 20, the 18th after ") ".
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	field, n := 0, 0
	for _, c := range b[i+1:] {
		if c == ' ' {
			field++
			continue
		}
		if field == 18 {
			n = n*10 + int(c-'0')
		} else if field > 18 {
			break
		}
	}
	return n
}

// ThreadCPUTime is the CPU time the calling thread has used: what a
// handler cost on a locked thread, without the time it was not scheduled.
func ThreadCPUTime() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

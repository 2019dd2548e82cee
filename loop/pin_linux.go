package loop

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinLoopThread binds the calling (locked) thread to the last CPU it may
// use and every other thread of the process to the rest (Options.PinCPU).
// Threads created later inherit their creator's set: the runtime creates
// threads from its own threads, and from the template thread on behalf of
// a locked one such as the loop's, so they stay off the loop's CPU.
// restore puts every thread back on the original set.
func pinLoopThread() (restore func(), err error) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return nil, os.NewSyscallError("sched_getaffinity", err)
	}
	if all.Count() < 2 {
		return nil, errors.New("loop: one CPU, nothing to pin")
	}
	cpu := -1
	for c := range len(all) * 64 {
		if all.IsSet(c) {
			cpu = c
		}
	}
	others, one := all, unix.CPUSet{}
	others.Clear(cpu)
	one.Set(cpu)
	self := unix.Gettid()
	setOthers := func(set *unix.CPUSet) {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		for _, e := range ents {
			// A thread that ended meanwhile (ESRCH) needs nothing.
			if tid, err := strconv.Atoi(e.Name()); err == nil && tid != self {
				unix.SchedSetaffinity(tid, set)
			}
		}
	}
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		return nil, os.NewSyscallError("sched_setaffinity", err)
	}
	setOthers(&others)
	return func() {
		unix.SchedSetaffinity(0, &all)
		setOthers(&all)
	}, nil
}

// affinity lists the CPUs thread tid (0: the calling thread) may run on.
func affinity(tid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for c := range len(set) * 64 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// gettid returns the calling thread's id.
func gettid() int { return unix.Gettid() }

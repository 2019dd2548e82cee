package sysio

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSchedPriorities(t *testing.T) {
	lo, err := SchedPriorityMin()
	if err != nil {
		t.Fatal(err)
	}
	hi, err := SchedPriorityMax()
	if err != nil {
		t.Fatal(err)
	}
	if lo < 1 || hi < lo {
		t.Fatalf("SCHED_RR priorities [%d, %d]", lo, hi)
	}
}

func TestSchedSetRR(t *testing.T) {
	lo, err := SchedPriorityMin()
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		// A real-time thread must not go back to the pool: stay locked, so
		// the runtime discards it when this goroutine returns.
		runtime.LockOSThread()
		if err := SchedSetRR(lo); err != nil {
			errc <- err
			return
		}
		policy, _, e := unix.RawSyscall(unix.SYS_SCHED_GETSCHEDULER, 0, 0, 0)
		if e != 0 || policy != unix.SCHED_RR {
			errc <- errors.New("thread is not SCHED_RR after SchedSetRR")
			return
		}
		errc <- nil
	}()
	err = <-errc
	if errors.Is(err, syscall.EPERM) {
		t.Skip("no permission for SCHED_RR (needs CAP_SYS_NICE or root)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := SchedSetRR(1000); err == nil {
		t.Error("SchedSetRR accepted priority 1000")
	}
}

func TestMlockall(t *testing.T) {
	err := Mlockall()
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOMEM) {
		t.Skipf("mlockall not permitted here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := Munlockall(); err != nil {
		t.Fatal(err)
	}
}

func TestTimerSlack(t *testing.T) {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		old, err := TimerSlack()
		if err != nil {
			errc <- err
			return
		}
		defer SetTimerSlack(old)
		if err := SetTimerSlack(time.Microsecond); err != nil {
			errc <- err
			return
		}
		if got, err := TimerSlack(); err != nil || got != time.Microsecond {
			errc <- errors.New("timer slack not set")
			return
		}
		if SetTimerSlack(0) == nil {
			errc <- errors.New("SetTimerSlack(0) accepted")
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

package clustertest

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// CPUHog keeps every core busy with two shell loops each (normal
// priority, as a runaway job would be) until stop is called or the test
// ends.
func CPUHog(tb testing.TB) (stop func()) {
	tb.Helper()
	var cmds []*exec.Cmd
	var once sync.Once
	stop = func() {
		once.Do(func() {
			for _, c := range cmds {
				c.Process.Kill()
				c.Wait()
			}
		})
	}
	tb.Cleanup(stop)
	for range runtime.NumCPU() * 2 {
		c := exec.Command("/bin/sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			tb.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	return stop
}

// RealtimeStall is the worst lateness, over d, of a SCHED_RR thread that
// sleeps 10 ms at a time: what the machine itself costs a real-time
// daemon under the current load. A VM whose host caps its CPU time
// freezes every thread, whatever its priority, when all its vCPUs are
// busy; no daemon can beat that.
func RealtimeStall(tb testing.TB, d time.Duration) time.Duration {
	tb.Helper()
	type result struct {
		worst time.Duration
		err   error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the runtime retires the real-time thread
		// when the goroutine ends, so nothing else runs on it.
		runtime.LockOSThread()
		if err := sysio.SchedSetRR(50); err != nil {
			done <- result{err: err}
			return
		}
		const period = 10 * time.Millisecond
		ts := syscall.NsecToTimespec(int64(period))
		var worst time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); {
			t0 := time.Now()
			syscall.Nanosleep(&ts, nil)
			worst = max(worst, time.Since(t0)-period)
		}
		done <- result{worst: worst}
	}()
	r := <-done
	if r.err != nil {
		tb.Fatal(r.err)
	}
	return r.worst
}

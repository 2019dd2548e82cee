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

// StallWatch watches, on every CPU, a SCHED_RR thread pinned there that
// sleeps 1 ms at a time: how late it wakes is what the machine itself
// costs a real-time daemon on that CPU. A VM whose host caps its CPU
// time freezes a busy vCPU, every thread on it whatever its priority,
// for tens of milliseconds at a time (100 ms on some machines here), and
// only once the load has lasted a while; no daemon on that vCPU can send
// a heartbeat meanwhile.
type StallWatch struct {
	min  time.Duration
	quit chan struct{}
	done chan probeResult
	err  chan error
	n    int // probes, one per CPU
}

// WatchStalls starts a StallWatch that counts the stalls longer than
// min, until Stop.
func WatchStalls(tb testing.TB, min time.Duration) *StallWatch {
	tb.Helper()
	w := &StallWatch{min: min, quit: make(chan struct{}), n: runtime.NumCPU()}
	w.done = make(chan probeResult, w.n)
	w.err = make(chan error, w.n)
	for cpu := range w.n {
		go w.probe(cpu)
	}
	for range w.n {
		if err := <-w.err; err != nil {
			close(w.quit)
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { w.Stop() })
	return w
}

func (w *StallWatch) probe(cpu int) {
	// Never unlocked: the runtime retires the real-time thread when the
	// goroutine ends, so nothing else runs on it.
	runtime.LockOSThread()
	if err := sysio.SchedPin(cpu); err != nil {
		w.err <- err
		return
	}
	if err := sysio.SchedSetRR(50); err != nil {
		w.err <- err
		return
	}
	w.err <- nil
	const period = time.Millisecond
	ts := syscall.NsecToTimespec(int64(period))
	var r probeResult // no allocation in the loop: it must not stall itself
	for {
		select {
		case <-w.quit:
			w.done <- r
			return
		default:
		}
		t0 := time.Now()
		syscall.Nanosleep(&ts, nil)
		late := time.Since(t0) - period
		r.worst = max(r.worst, late)
		if late > w.min {
			r.over++
		}
	}
}

type probeResult struct {
	worst time.Duration
	over  int // stalls longer than min
}

// Stop ends the watch and returns the worst stall on any CPU and how many
// stalls were longer than min. Later calls return zeros.
func (w *StallWatch) Stop() (worst time.Duration, over int) {
	select {
	case <-w.quit:
		return 0, 0
	default:
	}
	close(w.quit)
	for range w.n {
		r := <-w.done
		worst = max(worst, r.worst)
		over += r.over
	}
	return worst, over
}

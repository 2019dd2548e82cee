package node

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// Exact deadlines for sub-5 ms keepalives only: everyone else keeps the
// tick's minimum wait and its lower idle cost.
func TestFastLoopOnlyBelow5ms(t *testing.T) {
	for _, tc := range []struct {
		keepalive time.Duration
		precise   bool
	}{{2 * time.Millisecond, true}, {4999 * time.Microsecond, true}, {5 * time.Millisecond, false}, {time.Second, false}} {
		var o loop.Options
		fastLoop(&o, tc.keepalive)
		if o.Precise != tc.precise || o.Spin != 0 || o.PinCPU {
			t.Errorf("keepalive %v: %+v, want Precise %v and no spin or pinning", tc.keepalive, o, tc.precise)
		}
	}
}

// Only a realtime node under 5 ms checks its threads more often than once
// a second.
func TestThreadsEvery(t *testing.T) {
	for _, tc := range []struct {
		keepalive time.Duration
		realtime  bool
		want      time.Duration
	}{
		{2 * time.Millisecond, true, fastThreadsEvery},
		{2 * time.Millisecond, false, 0},
		{5 * time.Millisecond, true, 0},
		{time.Second, true, 0},
	} {
		if got := threadsEvery(tc.keepalive, tc.realtime); got != tc.want {
			t.Errorf("threadsEvery(%v, %v) = %v, want %v", tc.keepalive, tc.realtime, got, tc.want)
		}
	}
}

// Under 5 ms a node's threads sit one realtime step above the lowest (the
// loop one more), so the thread that hands the loop back its P after a
// preemption outranks other lowest-priority realtime threads; above it,
// and where it would not leave the loop a step above, nothing changes.
func TestFastRTPrio(t *testing.T) {
	lo, err := sysio.SchedPriorityMin()
	if err != nil {
		t.Skip(err)
	}
	hi, err := sysio.SchedPriorityMax()
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		prio      int
		keepalive time.Duration
		want      int
	}{
		{lo, 2 * time.Millisecond, lo + 1},
		{lo, 4999 * time.Microsecond, lo + 1},
		{lo, 5 * time.Millisecond, lo},
		{lo, time.Second, lo},
		{hi - 2, 2 * time.Millisecond, hi - 1},
		{hi - 1, 2 * time.Millisecond, hi - 1},
		{hi, 2 * time.Millisecond, hi},
	} {
		if got := fastRTPrio(tc.prio, tc.keepalive); got != tc.want {
			t.Errorf("fastRTPrio(%d, %v) = %d, want %d", tc.prio, tc.keepalive, got, tc.want)
		}
	}
}

// The loop thread's line in "loop timing" comes from the kernel's
// schedstat: time on a CPU, time waiting for one, slices.
func TestParseSchedstat(t *testing.T) {
	run, wait, n, ok := parseSchedstat("893864000 376943000 10356\n")
	if !ok || run != 893864*time.Microsecond || wait != 376943*time.Microsecond || n != 10356 {
		t.Errorf("got %v %v %d %v", run, wait, n, ok)
	}
	for _, bad := range []string{"", "1 2", "a 2 3", "1 -2 3", "-1 2 3", "1 2 x"} {
		if _, _, _, ok := parseSchedstat(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	// This thread's own: the parser reads what the kernel writes.
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		t.Skip(err)
	}
	if _, _, n, ok := parseSchedstat(string(b)); !ok || n == 0 {
		t.Errorf("/proc/thread-self/schedstat %q: ok %v, %d slices", b, ok, n)
	}
	if loopThreadStats(0) != "" {
		t.Error("a node without the loop's thread id names one")
	}
	if s := loopThreadStats(syscall.Gettid()); !strings.Contains(s, "waited for one") {
		t.Errorf("loopThreadStats(self) = %q", s)
	}
}

func FuzzParseSchedstat(f *testing.F) {
	f.Add("893864000 376943000 10356\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		run, wait, _, ok := parseSchedstat(s)
		if ok && (run < 0 || wait < 0) {
			t.Errorf("%q: negative %v %v", s, run, wait)
		}
	})
}

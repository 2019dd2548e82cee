package node

import (
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

package node

import (
	"testing"
	"time"

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

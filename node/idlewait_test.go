package node

import (
	"testing"
	"time"
)

func TestLoopWait(t *testing.T) {
	for _, c := range []struct {
		ka             time.Duration
		realtime       bool
		how            string
		parked, unlock bool
	}{
		{2 * time.Millisecond, false, "", false, false},
		{4 * time.Millisecond, true, "", false, false}, // Precise: locked to its thread
		{5 * time.Millisecond, false, "", true, false},
		{5 * time.Millisecond, true, "", true, true},
		{10 * time.Millisecond, true, "", true, true},
		{time.Second, false, "", true, false},
		{time.Second, true, "", true, true},
		{time.Second, true, "raw", false, false},
		{10 * time.Millisecond, true, "runtime", true, false}, // locked and parked, for comparison
		{2 * time.Millisecond, true, "parked", true, true},
		{time.Second, false, "raw", false, false},
		{2 * time.Millisecond, false, "runtime", true, false},
	} {
		if got := runtimeWait(c.ka, c.how); got != c.parked {
			t.Errorf("runtimeWait(%v, %q) = %v, want %v", c.ka, c.how, got, c.parked)
		}
		if got := realtimeParked(c.ka, c.realtime, c.how); got != c.unlock {
			t.Errorf("realtimeParked(%v, realtime %v, %q) = %v, want %v", c.ka, c.realtime, c.how, got, c.unlock)
		}
	}
}

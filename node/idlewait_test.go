package node

import (
	"testing"
	"time"
)

func TestRuntimeWait(t *testing.T) {
	for _, c := range []struct {
		ka       time.Duration
		realtime bool
		how      string
		want     bool
	}{
		{4 * time.Millisecond, false, "", false},
		{5 * time.Millisecond, false, "", true},
		{10 * time.Millisecond, false, "", true},
		{time.Second, false, "", true},
		{10 * time.Millisecond, true, "", false}, // realtime: the hand-off doubles the lateness
		{99 * time.Millisecond, true, "", false},
		{100 * time.Millisecond, true, "", true},
		{time.Second, true, "", true},
		{time.Second, true, "raw", false},
		{10 * time.Millisecond, true, "runtime", true}, // a benchmark's override
		{time.Second, false, "raw", false},
		{10 * time.Millisecond, false, "runtime", true},
	} {
		if got := runtimeWait(c.ka, c.realtime, c.how); got != c.want {
			t.Errorf("runtimeWait(%v, realtime %v, %q) = %v, want %v", c.ka, c.realtime, c.how, got, c.want)
		}
	}
}

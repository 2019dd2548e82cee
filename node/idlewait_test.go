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
		{time.Second, true, "", false}, // realtime locks the loop to its thread
		{time.Second, true, "runtime", false},
		{time.Second, false, "raw", false},
		{10 * time.Millisecond, false, "runtime", true},
	} {
		if got := runtimeWait(c.ka, c.realtime, c.how); got != c.want {
			t.Errorf("runtimeWait(%v, realtime %v, %q) = %v, want %v", c.ka, c.realtime, c.how, got, c.want)
		}
	}
}

package stonith

import (
	"testing"

	"github.com/hbd-ha/hbd/config"
)

// TestResultsAllocs: taking results on the loop allocates nothing once
// the buffers have grown, with or without results pending.
func TestResultsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := New(&config.Stonith{Type: "null", Host: "*", Params: "peer"}, Options{})
	dst := make([]Result, 0, 4)
	res := Result{Node: "peer", Reason: ReasonBad}
	allocs := testing.AllocsPerRun(1000, func() {
		f.mu.Lock()
		f.posted = append(f.posted, res, res)
		f.mu.Unlock()
		if dst = f.Results(dst[:0]); len(dst) != 2 {
			t.Fatalf("%d results, want 2", len(dst))
		}
		if dst = f.Results(dst[:0]); len(dst) != 0 {
			t.Fatalf("%d results, want 0", len(dst))
		}
	})
	if allocs != 0 {
		t.Errorf("Results allocates %v times per call", allocs)
	}
}

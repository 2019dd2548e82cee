package lrm

import (
	"testing"

	"github.com/hbd-ha/hbd/internal/proc"
)

// TestPollBatch: a burst of finished runs is finished in batches, in
// order, with a wake-up for each rest, so the loop serves its other
// events (heartbeats) between them.
func TestPollBatch(t *testing.T) {
	wakes := 0
	l := New(Options{Wake: func() { wakes++ }})
	var got []int
	const n = 2*pollBatch + 5
	for i := range n {
		l.post(completion{fn: func(proc.Result) { got = append(got, i) }})
	}
	if wakes != n {
		t.Fatalf("post woke the loop %d times, want %d", wakes, n)
	}
	wakes = 0
	for _, want := range []int{pollBatch, 2 * pollBatch, n, n} {
		l.Poll()
		if len(got) != want {
			t.Fatalf("after a Poll %d runs finished, want %d", len(got), want)
		}
	}
	if wakes != 2 {
		t.Errorf("Poll woke the loop %d times for its rests, want 2", wakes)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("run %d finished as %d-th: out of order", v, i)
		}
	}
}

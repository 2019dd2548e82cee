package lrm

import (
	"path/filepath"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	// The recurring monitor is cancelled as its fourth run is reported
	// (on the loop, before a fifth can start).
	var gp *rig
	runs := 0
	g := newRig(t, func(o *Options) {
		done := o.Done
		o.Done = func(r *Result) {
			if r.Rsc == "c" && r.Interval > 0 && r.Status == StatusDone {
				if runs++; runs == 4 {
					gp.lrm.Cancel("c", r.CallID)
				}
			}
			done(r)
		}
	})
	gp = g
	state := filepath.Join(g.dir, "count")
	g.add(Resource{ID: "c", Class: ClassOCF, Provider: "test", Type: "naughty",
		Params: []Param{{"mode", "count"}, {"state", state}, {"failafter", "2"}}})
	g.add(Resource{ID: "s", Class: ClassOCF, Provider: "test", Type: "naughty", Params: []Param{{"mode", "sleep"}}})
	g.add(Resource{ID: "h", Class: ClassHeartbeat, Type: "hbtest", Params: []Param{{"1", filepath.Join(g.dir, "hb")}}})

	check(t, g.run(Op{Rsc: "h", Name: "start"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "h", Name: "monitor"}), RCOK, StatusDone) // a probe: not a monitor failure
	check(t, g.run(Op{Rsc: "h", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "h", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "s", Name: "start", Timeout: 100 * time.Millisecond}), RCErrGeneric, StatusTimeout)
	// Runs 1 and 2 succeed, 3 and 4 fail: two monitor failures.
	id := g.perform(Op{Rsc: "c", Name: "monitor", Interval: 20 * time.Millisecond, Timeout: 5 * time.Second})
	// Four runs and the cancellation (reported from inside the fourth's
	// report, so before it).
	cancelled := 0
	for i := 0; i < 5; i++ {
		if g.wait(id, 10*time.Second).Status == StatusCancelled {
			cancelled++
		}
	}
	if cancelled != 1 {
		t.Fatalf("%d cancellations reported, want 1", cancelled)
	}
	var s Stats
	g.do(func() { g.lrm.Stats(&s) })
	want := []OpCount{
		{ClassHeartbeat, "monitor", RCOK, StatusDone, 1},
		{ClassHeartbeat, "monitor", RCNotRunning, StatusDone, 1},
		{ClassHeartbeat, "start", RCOK, StatusDone, 1},
		{ClassHeartbeat, "stop", RCOK, StatusDone, 1},
		{ClassOCF, "monitor", RCOK, StatusDone, 2},
		{ClassOCF, "monitor", RCNotRunning, StatusDone, 2},
		{ClassOCF, "start", RCErrGeneric, StatusTimeout, 1},
	}
	if len(s.Ops) != len(want) {
		t.Fatalf("ops %+v, want %+v", s.Ops, want)
	}
	for i := range want {
		if s.Ops[i] != want[i] {
			t.Errorf("ops[%d] = %+v, want %+v", i, s.Ops[i], want[i])
		}
	}
	if s.MonitorFailures != 2 || s.Timeouts != 1 || s.Cancelled != 1 {
		t.Errorf("monitor failures %d, timeouts %d, cancelled %d; want 2, 1, 1", s.MonitorFailures, s.Timeouts, s.Cancelled)
	}
	if s.Resources != 3 || s.Running != 0 || s.Queued != 0 || s.Recurring != 0 {
		t.Errorf("gauges %+v", s)
	}
	if len(s.Latency) != 2 || s.Latency[0].Class != ClassHeartbeat || s.Latency[1].Class != ClassOCF ||
		s.Latency[0].N != 4 || s.Latency[1].N != 5 {
		t.Fatalf("latency %+v", s.Latency)
	}
	var n uint64
	for _, c := range s.Latency[1].Counts {
		n += c
	}
	// The timed-out start ran at least its 100 ms timeout.
	slow := uint64(0)
	for i, b := range LatencyBounds {
		if b >= 100*time.Millisecond {
			slow += s.Latency[1].Counts[i]
		}
	}
	slow += s.Latency[1].Counts[len(LatencyBounds)]
	if n != 5 || slow < 1 || s.Latency[1].Sum < 100*time.Millisecond {
		t.Errorf("ocf latency %+v", s.Latency[1])
	}
	var allocs float64
	g.do(func() { allocs = testing.AllocsPerRun(20, func() { g.lrm.Stats(&s) }) })
	if allocs != 0 {
		t.Errorf("Stats into a used snapshot: %v allocations", allocs)
	}
}

package te

import (
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/internal/layer"
)

// chain builds a graph of n independent starts and one pseudo-action that
// waits for all of them.
func fanGraph(n int) *pe.Graph {
	g := &pe.Graph{}
	var ins []int
	for i := 0; i < n; i++ {
		id := "r" + string(rune('a'+i))
		g.Actions = append(g.Actions, &pe.GraphAction{ID: i, Kind: pe.ActionRsc, Task: "start", Key: id + "_start_0",
			Rsc: id, HistRsc: id, Node: "n1", NodeID: "n1", TimeoutMS: 20000, Class: "ocf", Provider: "heartbeat", Type: "Dummy"})
		ins = append(ins, i)
	}
	g.Actions = append(g.Actions, &pe.GraphAction{ID: n, Kind: pe.ActionPseudo, Task: "running", Key: "g_running_0", Inputs: ins})
	return g
}

func TestBatchLimit(t *testing.T) {
	e := New(Config{BatchLimit: 2, UUID: "u"}, nil)
	now := layer.Time{Mono: 1, Wall: 100}
	e.Start(fanGraph(5), now)
	rd := e.Ready()
	if len(rd.Run) != 2 {
		t.Fatalf("%d actions started, batch-limit is 2", len(rd.Run))
	}
	first := rd.Run[0]
	e.Advance()
	e.Result(Result{Transition: first.Transition, Action: first.Action.ID, RC: 0, CallID: 7, ExecMS: 3}, now)
	rd = e.Ready()
	if len(rd.Run) != 1 || len(rd.Records) != 1 {
		t.Fatalf("after one result: %d started, %d records; want 1 and 1", len(rd.Run), len(rd.Records))
	}
	rec := rd.Records[0]
	x := string(rec.AppendXML(nil))
	for _, want := range []string{`id="ra_last_0"`, `operation_key="ra_start_0"`, `call-id="7"`, `rc-code="0"`, `op-status="0"`,
		`transition-key="0:1:0:u"`, `transition-magic="0:0;0:1:0:u"`, `last-rc-change="100"`, `exec-time="3"`} {
		if !strings.Contains(x, want) {
			t.Errorf("record %s lacks %s", x, want)
		}
	}
	e.Advance()
}

func TestFailedStartAndStopCounts(t *testing.T) {
	for _, tc := range []struct {
		task  string
		fatal bool
		inf   bool
	}{{"start", true, true}, {"start", false, false}, {"stop", false, true}, {"monitor", true, false}} {
		g := &pe.Graph{Actions: []*pe.GraphAction{{Kind: pe.ActionRsc, Task: tc.task, Key: "r_" + tc.task + "_0", Rsc: "r", HistRsc: "r", Node: "n1", TimeoutMS: 1000}}}
		if tc.task == "monitor" {
			g.Actions[0].IntervalMS = 10000
		}
		e := New(Config{StartFailureIsFatal: tc.fatal}, nil)
		now := layer.Time{Mono: 1}
		e.Start(g, now)
		run := e.Ready().Run[0]
		e.Advance()
		e.Result(Result{Transition: run.Transition, Action: 0, RC: 1}, now)
		rd := e.Ready()
		if len(rd.FailCounts) != 1 || rd.FailCounts[0].Infinity != tc.inf {
			t.Errorf("%s (fatal=%v) failed: fail counts %+v, want one with Infinity=%v", tc.task, tc.fatal, rd.FailCounts, tc.inf)
		}
		if !rd.Replan {
			t.Errorf("%s failed: no re-plan asked", tc.task)
		}
		ids := ""
		for _, r := range rd.Records {
			ids += r.ID + " "
		}
		if !strings.Contains(ids, "r_last_failure_0") {
			t.Errorf("%s failed: records %s lack r_last_failure_0", tc.task, ids)
		}
		e.Advance()
	}
}

// An abort lets in-flight actions finish and starts nothing new; the
// re-plan comes when the last one is back; a late result is ignored.
func TestAbortWaitsForInFlight(t *testing.T) {
	e := New(Config{BatchLimit: 2}, nil)
	now := layer.Time{Mono: 1}
	e.Start(fanGraph(3), now)
	rd := e.Ready()
	a, b := rd.Run[0], rd.Run[1]
	e.Advance()
	e.Abort("cib changed", now)
	e.Result(Result{Transition: a.Transition, Action: a.Action.ID}, now)
	rd = e.Ready()
	if len(rd.Run) != 0 || rd.Replan {
		t.Fatalf("after abort and one result: %d started, replan=%v; want none, false", len(rd.Run), rd.Replan)
	}
	e.Advance()
	e.Result(Result{Transition: b.Transition, Action: b.Action.ID}, now)
	rd = e.Ready()
	if !rd.Replan || rd.ReplanReason != "cib changed" {
		t.Fatalf("last in-flight back: replan=%v (%q), want true", rd.Replan, rd.ReplanReason)
	}
	e.Advance()
	e.Result(Result{Transition: b.Transition, Action: b.Action.ID}, now)
	if rd = e.Ready(); len(rd.Records) != 0 {
		t.Errorf("a duplicate result was recorded")
	}
	e.Advance()
}

// Fencing goes to the cluster layer; a timeout is recorded as one and
// aborts.
func TestFenceAndTimeout(t *testing.T) {
	g := &pe.Graph{Actions: []*pe.GraphAction{
		{ID: 0, Kind: pe.ActionCRM, Task: "stonith", Key: "stonith-n2-reboot", Node: "n2", TimeoutMS: 60000},
		{ID: 1, Kind: pe.ActionRsc, Task: "start", Key: "r_start_0", Rsc: "r", HistRsc: "r", Node: "n1", TimeoutMS: 1000, Inputs: []int{0}},
	}}
	e := New(Config{ClusterDelay: 1e9}, nil)
	now := layer.Time{Mono: 1}
	e.Start(g, now)
	rd := e.Ready()
	if len(rd.Fence) != 1 || len(rd.Run) != 0 {
		t.Fatalf("fence %d, run %d; want the fencing alone", len(rd.Fence), len(rd.Run))
	}
	f := rd.Fence[0]
	e.Advance()
	e.Result(Result{Transition: f.Transition, Action: 0}, now)
	rd = e.Ready()
	if len(rd.Run) != 1 || len(rd.Records) != 0 {
		t.Fatalf("after fencing: run %d, records %d; want the start and no record", len(rd.Run), len(rd.Records))
	}
	e.Advance()
	d, ok := e.Deadline()
	if !ok || d != 1+1000*1e6+1e9 {
		t.Fatalf("deadline %d %v, want timeout + cluster-delay", d, ok)
	}
	e.Tick(layer.Time{Mono: d})
	rd = e.Ready()
	if len(rd.Records) != 2 || rd.Records[0].Status != ExecTimeout || !rd.Replan {
		t.Fatalf("timeout: records %+v replan %v", rd.Records, rd.Replan)
	}
	e.Advance()
}

func TestReadyTwicePanics(t *testing.T) {
	e := New(Config{}, nil)
	e.Ready()
	defer func() {
		if recover() == nil {
			t.Error("a second Ready without Advance did not panic")
		}
	}()
	e.Ready()
}

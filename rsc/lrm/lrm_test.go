package lrm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func check(t *testing.T, r *Result, rc int, st OpStatus) {
	t.Helper()
	if r.RC != rc || r.Status != st {
		t.Fatalf("%s %s: rc %d status %v, want rc %d status %v (exit %d, reason %q, output %.200q)",
			r.Rsc, r.Op, r.RC, r.Status, rc, st, r.ExitCode, r.Reason, r.Output)
	}
}

// Debian's Dummy through every operation it has, with its state file in
// a temporary directory.
func TestDummyOperations(t *testing.T) {
	if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/Dummy"); err != nil {
		t.Skip("resource-agents not installed")
	}
	g := newRig(t, nil)
	state := filepath.Join(g.dir, "dummy.state")
	g.add(Resource{ID: "d1", Class: "ocf", Provider: "heartbeat", Type: "Dummy", Params: []Param{{"state", state}}})
	steps := []struct {
		op string
		rc int
	}{
		{"monitor", RCNotRunning}, // probe
		{"validate-all", RCOK},
		{"start", RCOK},
		{"monitor", RCOK},
		{"start", RCOK},
		{"migrate_to", RCOK},
		{"migrate_from", RCOK},
		{"notify", RCErrUnimplemented},
		{"reload", RCOK},
		{"stop", RCOK},
		{"monitor", RCNotRunning},
		{"stop", RCOK},
		{"promote", RCErrUnimplemented},
		{"meta-data", RCOK},
	}
	for _, s := range steps {
		r := g.run(Op{Rsc: "d1", Name: s.op})
		check(t, r, s.rc, StatusDone)
		if s.op == "meta-data" && !strings.Contains(r.Output, `<resource-agent name="Dummy"`) {
			t.Errorf("meta-data output %.100q", r.Output)
		}
	}
	var h []*Result
	g.do(func() { h = g.lrm.History("d1") })
	keys := []string{}
	for _, r := range h {
		keys = append(keys, r.Key())
	}
	want := "monitor_0 validate-all_0 start_0 migrate_to_0 migrate_from_0 notify_0 reload_0 stop_0 promote_0 meta-data_0"
	if strings.Join(keys, " ") != want {
		t.Errorf("history keys %v, want %s", keys, want)
	}
	for _, r := range h {
		if r.Op == "start" && (r.CallID != 6 || r.Digest == "" || r.Run.IsZero()) {
			t.Errorf("start history: %+v", r)
		}
	}
}

func TestDigestMatchesPacemaker(t *testing.T) {
	// Values from Pacemaker's own CIBs (crm_simulate 2.1.5 output).
	if d := Digest(nil, 0, 20*time.Second); d != "f2317cad3d54cec5d7d7aa7d0bf35cf8" {
		t.Errorf("no parameters: %s", d)
	}
	if d := Digest(nil, 10*time.Second, 20*time.Second); d != "4811cef7f7f94e3a35a70be7916cb2fd" {
		t.Errorf("recurring, no parameters: %s", d)
	}
	// Meta attributes and order do not count.
	a := Digest([]Param{{"b", "2"}, {"a", "1"}, {"CRM_meta_name", "x"}}, 0, 0)
	b := Digest([]Param{{"a", "1"}, {"b", "2"}}, 0, time.Second)
	if a != b {
		t.Errorf("order or meta changed the digest: %s %s", a, b)
	}
	if a == Digest([]Param{{"a", "1"}, {"b", "3"}}, 0, 0) {
		t.Error("a changed value kept the digest")
	}
}

func TestLSBAndHeartbeatClasses(t *testing.T) {
	g := newRig(t, nil)
	g.add(Resource{ID: "l1", Class: "lsb", Type: "lsbtest"})
	hbstate := filepath.Join(g.dir, "hb.state")
	g.add(Resource{ID: "h1", Class: "heartbeat", Type: "hbtest", Params: []Param{{"1", hbstate}}})
	for _, id := range []string{"l1", "h1"} {
		check(t, g.run(Op{Rsc: id, Name: "monitor"}), RCNotRunning, StatusDone)
		check(t, g.run(Op{Rsc: id, Name: "start"}), RCOK, StatusDone)
		check(t, g.run(Op{Rsc: id, Name: "monitor"}), RCOK, StatusDone)
		check(t, g.run(Op{Rsc: id, Name: "stop"}), RCOK, StatusDone)
		check(t, g.run(Op{Rsc: id, Name: "monitor"}), RCNotRunning, StatusDone)
	}
	// An LSB verb the script does not know exits 2: invalid argument.
	check(t, g.run(Op{Rsc: "l1", Name: "promote"}), RCErrArgs, StatusDone)
}

func TestLSBStatusMapping(t *testing.T) {
	for _, c := range []struct{ exit, rc int }{{0, 0}, {1, 7}, {2, 7}, {3, 7}, {4, 1}, {150, 5}, {151, 4}, {9, 1}} {
		if rc := mapRC(ClassLSB, "monitor", c.exit, nil); rc != c.rc {
			t.Errorf("lsb status %d → %d, want %d", c.exit, rc, c.rc)
		}
	}
	for _, c := range []struct{ exit, rc int }{{0, 0}, {3, 3}, {7, 7}, {8, 1}, {150, 1}} {
		if rc := mapRC(ClassLSB, "start", c.exit, nil); rc != c.rc {
			t.Errorf("lsb start %d → %d, want %d", c.exit, rc, c.rc)
		}
	}
}

func TestMisbehavingAgents(t *testing.T) {
	g := newRig(t, nil)
	add := func(id, mode string) {
		g.add(Resource{ID: id, Class: "ocf", Provider: "test", Type: "naughty", Params: []Param{{"mode", mode}}})
	}
	add("sleep", "sleep")
	add("kill", "kill")
	add("segv", "segv")
	add("garbage", "garbage")
	add("rc9", "rc:9")
	add("rc42", "rc:42")
	g.add(Resource{ID: "missing", Class: "ocf", Provider: "test", Type: "nonesuch"})

	start := time.Now()
	r := g.run(Op{Rsc: "sleep", Name: "start", Timeout: 300 * time.Millisecond})
	check(t, r, RCErrGeneric, StatusTimeout)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("timeout took %v", el)
	}
	check(t, g.run(Op{Rsc: "kill", Name: "start"}), RCErrGeneric, StatusError)
	check(t, g.run(Op{Rsc: "segv", Name: "monitor"}), RCErrGeneric, StatusError)
	r = g.run(Op{Rsc: "garbage", Name: "monitor"})
	check(t, r, RCErrGeneric, StatusDone)
	if r.ExitCode != 201 || len(r.Output) > keepOutput {
		t.Errorf("garbage: exit %d, %d bytes kept", r.ExitCode, len(r.Output))
	}
	check(t, g.run(Op{Rsc: "rc9", Name: "monitor"}), RCFailedPromoted, StatusDone)
	check(t, g.run(Op{Rsc: "rc42", Name: "monitor"}), RCErrGeneric, StatusDone)
	check(t, g.run(Op{Rsc: "missing", Name: "start"}), RCErrInstalled, StatusDone)
}

// A recurring monitor runs on the loop's timers, reports a failure when
// the agent starts failing, and stops when cancelled.
func TestRecurringMonitor(t *testing.T) {
	g := newRig(t, nil)
	state := filepath.Join(g.dir, "count")
	g.add(Resource{ID: "c", Class: "ocf", Provider: "test", Type: "naughty",
		Params: []Param{{"mode", "count"}, {"state", state}, {"failafter", "3"}}})
	id := g.perform(Op{Rsc: "c", Name: "monitor", Interval: 50 * time.Millisecond, Timeout: 5 * time.Second})
	var rcs []int
	var first time.Time
	for len(rcs) < 4 {
		r := g.wait(id, 10*time.Second)
		if first.IsZero() {
			first = time.Now()
		}
		rcs = append(rcs, r.RC)
		if !r.Recurring {
			t.Fatalf("run %d not recurring", len(rcs))
		}
	}
	if el := time.Since(first); el < 150*time.Millisecond {
		t.Errorf("4 runs 50 ms apart in %v", el)
	}
	if rcs[0] != 0 || rcs[1] != 0 || rcs[2] != 0 || rcs[3] != RCNotRunning {
		t.Errorf("rcs %v, want 0 0 0 7", rcs)
	}
	var h []*Result
	g.do(func() { h = g.lrm.History("c") })
	if len(h) != 1 || h[0].RC != RCNotRunning || h[0].Key() != "monitor_50" || !h[0].RCChange.After(h[0].Run.Add(-time.Nanosecond)) {
		t.Errorf("history %+v", h[0])
	}
	var err error
	g.do(func() { err = g.lrm.Cancel("c", id) })
	if err != nil && err != ErrBusy {
		t.Fatal(err)
	}
	r := g.wait(id, 5*time.Second)
	if r.Status != StatusCancelled {
		t.Fatalf("after cancel: %+v", r)
	}
	select {
	case r := <-g.res:
		t.Fatalf("a run after the cancel: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
}

// One operation at a time per resource, MaxChildren at once overall.
func TestConcurrencyBounds(t *testing.T) {
	g := newRig(t, func(o *Options) { o.MaxChildren = 2; o.MaxQueue = 3; o.MaxResources = 3 })
	for _, id := range []string{"a", "b", "c"} {
		g.add(Resource{ID: id, Class: "ocf", Provider: "test", Type: "naughty", Params: []Param{{"mode", "sleep"}}})
	}
	var err error
	g.do(func() { err = g.lrm.Add(Resource{ID: "d", Class: "ocf", Type: "x"}) })
	if err == nil || !strings.Contains(err.Error(), "too many resources (3)") {
		t.Errorf("fourth resource: %v", err)
	}
	for _, id := range []string{"a", "a", "b", "c"} {
		g.perform(Op{Rsc: id, Name: "start", Timeout: 400 * time.Millisecond})
	}
	var running int
	var pa []Pending
	g.do(func() { running = g.lrm.Running(); pa, _ = g.lrm.Pending("a") })
	if running != 2 || len(pa) != 2 || !pa[0].Running || pa[1].Running {
		t.Errorf("running %d, a's pending %+v", running, pa)
	}
	g.do(func() {
		g.lrm.Perform(Op{Rsc: "a", Name: "stop"})
		g.lrm.Perform(Op{Rsc: "a", Name: "stop"})
		_, err = g.lrm.Perform(Op{Rsc: "a", Name: "stop"})
	})
	if err == nil || !strings.Contains(err.Error(), "too many operations queued") {
		t.Errorf("fourth queued op: %v", err)
	}
}

// An agent that leaves a child holding its stdout (IPaddr2's background
// send_arp) is done when it exits, as Pacemaker reports it: its result
// does not wait for the child (proc's default would hold it 2 s, and
// the resource's queue with it). What it printed itself is kept.
func TestBackgroundChildHoldsNoResult(t *testing.T) {
	g := newRig(t, nil)
	g.add(Resource{ID: "bg", Class: "ocf", Provider: "test", Type: "naughty", Params: []Param{{"mode", "background"}}})
	r := g.run(Op{Rsc: "bg", Name: "start"})
	check(t, r, RCOK, StatusDone)
	if r.ExecTime >= 2*time.Second || r.Output != "started\n" {
		t.Errorf("start done after %v with output %q; want before the child's 3 s and \"started\\n\"", r.ExecTime, r.Output)
	}
}

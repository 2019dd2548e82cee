package rsc

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestTakeGiveOrder(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a Test::b Test::c\n")
	f.touch("Test:b.on") // already running: not started again
	m.Take(1, []string{"Test::a"})
	if r := f.wait(1); !r.Take || len(r.Failed) != 0 || r.Fenced {
		t.Fatalf("take: %s", fmtResult(r))
	}
	f.equal("take order", f.order(), []string{
		"Test:a_status", "Test:a_start", "Test:b_status", "Test:c_status", "Test:c_start"})
	for _, id := range []string{"a", "b", "c"} {
		if !f.exists("Test:" + id + ".on") {
			t.Errorf("Test::%s not running after take", id)
		}
	}
	m.Give(2, []string{"Test::a"})
	if r := f.wait(2); r.Take || len(r.Failed) != 0 || r.Fenced {
		t.Fatalf("give: %s", fmtResult(r))
	}
	f.equal("give order", f.order(), []string{"Test:c_stop", "Test:b_stop", "Test:a_stop"})
	rd := f.rdir + "/Test"
	f.logged(
		"info: Acquiring resource group: node1 Test::a Test::b Test::c",
		"info: Running "+rd+" a start",
		"info: Running "+rd+" c start",
		"info: Releasing resource group: node1 Test::a Test::b Test::c",
		"info: Running "+rd+" b stop",
	)
	if f.log.has("info: Running " + rd + " b start") {
		t.Error("a running resource was started again")
	}
}

// A script without arguments: ResourceManager's "Running" line has two
// blanks before the verb, and the script is found in init.d.
func TestScriptWithoutArgs(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.idir, "Plain"), testScript)
	m := f.start("node1 Plain\n")
	m.Take(1, []string{"Plain"})
	if r := f.wait(1); len(r.Failed) != 0 {
		t.Fatalf("take: %s", fmtResult(r))
	}
	f.logged("info: Running " + f.idir + "/Plain  start")
	f.equal("order", f.order(), []string{"Plain_status", "Plain_start"})
}

func TestFailedStartStopsWholeGroup(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a Test::b Test::c\nnode1 Test::x\n")
	f.touch("Test:b.failstart")
	m.Take(7, []string{"Test::a", "Test::x"})
	r := f.wait(7)
	if len(r.Failed) != 1 || r.Failed[0] != "Test::a" || r.Fenced {
		t.Fatalf("take: %s, want Test::a failed", fmtResult(r))
	}
	var group []string
	for _, o := range f.order() {
		if !strings.HasPrefix(o, "Test:x") {
			group = append(group, o)
		}
	}
	// Every resource is stopped, right to left, including c, which never
	// started.
	f.equal("order", group, []string{
		"Test:a_status", "Test:a_start", "Test:b_status", "Test:b_start",
		"Test:c_stop", "Test:b_stop", "Test:a_stop"})
	f.logged(
		"ERROR: Return code 1 from "+f.rdir+"/Test",
		"CRIT: Giving up resources due to failure of Test::b",
		"info: Releasing resource group: node1 Test::a Test::b Test::c",
	)
	if f.exists("Test:a.on") {
		t.Error("Test::a still running after the rollback")
	}
	if !f.exists("Test:x.on") {
		t.Error("the other group of the batch did not start")
	}
}

func TestStopRetriesThenNotLSB(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a Test::b\n")
	f.touch("Test:a.on")
	f.touch("Test:b.on")
	f.touch("Test:b.badstop")
	m.Give(3, []string{"Test::a"})
	r := f.wait(3)
	if len(r.Failed) != 0 || r.Fenced {
		t.Fatalf("give: %s, want released", fmtResult(r))
	}
	// StopRetries 2: three attempts, then the ownership test, then the
	// group carries on.
	f.equal("order", f.order(), []string{"Test:b_stop", "Test:b_stop", "Test:b_stop", "Test:b_status", "Test:a_stop"})
	if n := f.log.count("info: Retrying failed stop operation [Test::b]"); n != 2 {
		t.Errorf("%d retry lines, want 2", n)
	}
	f.logged(
		"ERROR: Resource script for Test::b probably not LSB-compliant.",
		"WARN: it (Test::b) MUST succeed on a stop when already stopped",
		"WARN: Machine reboot narrowly avoided!",
	)
	if f.exists("fenced") {
		t.Error("fenced although the resource was stopped")
	}
}

func TestStopFailureFences(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a Test::b\nnode1 Test::z\n")
	f.touch("Test:a.on")
	f.touch("Test:b.on")
	f.touch("Test:b.failstop")
	m.Give(4, []string{"Test::a"})
	r := f.wait(4)
	if !r.Fenced || len(r.Failed) != 1 || r.Failed[0] != "Test::a" {
		t.Fatalf("give: %s, want fenced, Test::a failed", fmtResult(r))
	}
	f.equal("order", f.order(), []string{"Test:b_stop", "Test:b_stop", "Test:b_stop", "Test:b_status"})
	f.logged(
		"CRIT: Resource STOP failure. Reboot required!",
		"CRIT: Killing heartbeat ungracefully!",
	)
	f.equal("fence command", strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(f.dir, "fenced")))), "\n"), []string{"fenced now"})
	// Nothing runs after a fence.
	m.Take(5, []string{"Test::z"})
	if r := f.wait(5); !r.Fenced {
		t.Errorf("batch after the fence: %s, want fenced", fmtResult(r))
	}
	if o := f.order(); len(o) != 0 {
		t.Errorf("agents ran after the fence: %q", o)
	}
}

// A fence command that fails is reported, and the batch still says
// Fenced: heartbeat has killed itself before it tries to reboot.
func TestFenceCommandFails(t *testing.T) {
	f := newFixture(t)
	f.opt.SelfFence = []string{"/bin/false"}
	m := f.start("node1 Test::a\n")
	f.touch("Test:a.on")
	f.touch("Test:a.failstop")
	m.Give(1, []string{"Test::a"})
	if r := f.wait(1); !r.Fenced {
		t.Fatalf("give: %s, want fenced", fmtResult(r))
	}
	f.logged("CRIT: Unable to force reboot.")
}

// A test that forgets Options.SelfFence runs the tests' harmless
// default, never reboot -nf.
func TestForgottenSelfFence(t *testing.T) {
	f := newFixture(t)
	f.opt.SelfFence = nil
	m := f.start("node1 Test::a\n")
	f.touch("Test:a.on")
	f.touch("Test:a.failstop")
	m.Give(1, []string{"Test::a"})
	if r := f.wait(1); !r.Fenced {
		t.Fatalf("give: %s, want fenced", fmtResult(r))
	}
	f.logged("CRIT: /bin/false hbd test: no reboot: exit status 1", "CRIT: Unable to force reboot.")
}

func TestUnknownKey(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a\n")
	m.Take(1, []string{"nosuch", "Test::a", "Test::a"})
	r := f.wait(1)
	if len(r.Failed) != 1 || r.Failed[0] != "nosuch" {
		t.Fatalf("%s, want nosuch failed", fmtResult(r))
	}
	// The duplicate key ran once.
	f.equal("order", f.order(), []string{"Test:a_status", "Test:a_start"})
	if _, err := m.Status(context.Background(), "nosuch"); err == nil {
		t.Error("Status of an unknown key: no error")
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a Test::b\n")
	ctx := context.Background()
	if owned, err := m.Status(ctx, "Test::a"); err != nil || owned {
		t.Fatalf("before take: %v, %v", owned, err)
	}
	// Only the key resource counts.
	f.touch("Test:b.on")
	if owned, _ := m.Status(ctx, "Test::a"); owned {
		t.Error("owned when only a non-key resource runs")
	}
	m.Take(1, []string{"Test::a"})
	f.wait(1)
	if owned, err := m.Status(ctx, "Test::a"); err != nil || !owned {
		t.Fatalf("after take: %v, %v", owned, err)
	}
}

func TestMissingScript(t *testing.T) {
	f := newFixture(t)
	_, err := New(f.groups("node1 Test::a\n# comment\nnode1 Test::b Nope::1\n"), f.opt)
	want := filepath.Join(f.dir, "haresources") + ":3: Cannot locate resource script Nope"
	if err == nil || err.Error() != want {
		t.Fatalf("New: %v, want %q", err, want)
	}
}

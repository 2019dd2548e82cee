package stonith

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newDeviceHarness is newHarness for a device given by type and
// parameters (NewDevice).
func newDeviceHarness(t *testing.T, typ string, params []Param, opt Options) *harness {
	h, opt := newHooked(t, opt)
	h.f = NewDevice(typ, params, opt)
	t.Cleanup(h.f.Close)
	return h
}

// TestDeviceNull: a device given as name=value parameters lists its hosts
// and fences once per FenceOnce, reporting the action and exit code, and
// logs nothing in heartbeat's words.
func TestDeviceNull(t *testing.T) {
	needStonith(t)
	h := newDeviceHarness(t, "null", []Param{{"hostlist", "node1 node2"}}, Options{})
	h.f.List()
	got := h.waitResults(1)
	if want := (Result{List: true, OK: true, Hosts: "node1\nnode2\n"}); got[0] != want {
		t.Errorf("list %+v, want %+v", got[0], want)
	}
	h.f.FenceOnce("Node2", "node2", "off")
	got = h.waitResults(2)
	if want := (Result{Node: "Node2", OK: true, Reason: ReasonOK, Once: true, Action: "off", Code: 0}); got[1] != want {
		t.Errorf("fence %+v, want %+v", got[1], want)
	}
	b, _ := os.ReadFile(filepath.Join(h.dir, "ha-log"))
	if !strings.Contains(string(b), ": node2") { // null logs every action as null-reset
		t.Errorf("the plugin did not fence node2:\n%s", b)
	}
	h.wantLog()
}

// TestDeviceFenceOnce: a failed attempt is reported once, not retried;
// the next FenceOnce runs again; a hung plugin is killed at the timeout.
func TestDeviceFenceOnce(t *testing.T) {
	dir := t.TempDir()
	cmd := externalStonith(t, dir)
	os.WriteFile(filepath.Join(dir, "fail"), []byte("1\n"), 0o644)
	h := newDeviceHarness(t, "external/hbdtest", []Param{{"statedir", dir}}, Options{Command: cmd, Timeout: 2 * time.Second})
	h.f.FenceOnce("peer", "peer", "reset")
	h.f.FenceOnce("peer", "peer", "reset") // under way: no second command
	got := h.waitResults(1)
	if r := got[0]; r.OK || !r.Once || r.Node != "peer" || r.Code <= 0 || r.Reason != ReasonBad {
		t.Errorf("failed attempt %+v", r)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(resets(t, dir)); n != 1 {
		t.Errorf("plugin saw %d resets after one failed FenceOnce, want 1 (no retry)", n)
	}
	h.f.FenceOnce("peer", "peer", "reset")
	if r := h.waitResults(2)[1]; !r.OK || r.Code != 0 {
		t.Errorf("second attempt %+v", r)
	}
	os.WriteFile(filepath.Join(dir, "hang"), nil, 0o644)
	h.f.FenceOnce("peer", "peer", "reset")
	if r := h.waitResults(3)[2]; r.OK || r.Code != -1 {
		t.Errorf("hung attempt %+v", r)
	}
	if l := strings.Join(h.log(), "\n"); !strings.Contains(l, "timed out after 2s") {
		t.Errorf("log:\n%s", l)
	}
	h.f.List()
	if r := h.waitResults(4)[3]; !r.List || !r.OK || r.Hosts != "peer\n" {
		t.Errorf("list %+v", r)
	}
}

// TestDeviceBadParams: a parameter stonith(8) would read as an option is
// refused; every command fails without running.
func TestDeviceBadParams(t *testing.T) {
	for _, p := range []Param{{"", "x"}, {"-T", "reset"}, {"a=b", "c"}} {
		h := newDeviceHarness(t, "null", []Param{{"hostlist", "a"}, p}, Options{Command: "/nonexistent/stonith"})
		h.f.FenceOnce("a", "a", "reset")
		if r := h.waitResults(1)[0]; r.OK || r.Code != -1 {
			t.Errorf("%+v: result %+v", p, r)
		}
		if l := h.log(); len(l) != 1 || !strings.Contains(l[0], "bad STONITH parameter name") {
			t.Errorf("%+v: log %q", p, l)
		}
	}
	h := newDeviceHarness(t, "", nil, Options{Command: "/nonexistent/stonith"})
	h.f.List()
	if r := h.waitResults(1)[0]; r.OK || !r.List {
		t.Errorf("no type: %+v", r)
	}
}

// TestDeviceArgsNameValue: the parameters follow the type as name=value,
// values as they are (spaces included).
func TestDeviceArgsNameValue(t *testing.T) {
	f := NewDevice("external/ssh", []Param{{"hostlist", "node1 node2"}, {"livedangerously", "no"}, {"empty", ""}}, Options{})
	if got, want := strings.Join(f.args, "|"), "-t|external/ssh|hostlist=node1 node2|livedangerously=no|empty="; got != want {
		t.Errorf("args %q, want %q", got, want)
	}
}

package controld

import (
	"strings"
	"testing"
)

// A cleanup on the DC erases the resource's history and fail counts on
// the node, on the node itself too, and the PE probes it again there.
func TestCleanup(t *testing.T) {
	cfg := `<configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
		`<nodes><node id="a" uname="a"/><node id="b" uname="b"/></nodes><resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>`
	h := newHarness(t, cfg, "a", "b")
	h.membership(1, true, Member{Name: "a", Born: 1}, Member{Name: "b", Born: 1})
	h.settle()
	if len(h.truth["a"])+len(h.truth["b"]) != 1 {
		t.Fatalf("d1 runs %v %v, want once", h.truth["a"], h.truth["b"])
	}
	dc := h.cs["a"]
	if !dc.IsDC() {
		dc = h.cs["b"]
	}
	other := "b"
	if dc == h.cs["b"] {
		other = "a"
	}
	if !dc.IsDC() {
		t.Fatal("no DC")
	}
	dc.SetAttr(h.now, Attr{Node: other, Name: "fail-count-d1#monitor_10000", Value: "3"})
	dc.SetAttr(h.now, Attr{Node: other, Name: "fail-count-d10", Value: "1"})
	h.settle()
	if !strings.Contains(string(dc.AppendCIB(nil)), `name="fail-count-d1#monitor_10000"`) {
		t.Fatal("fail count not set")
	}
	if h.cs[other].Attrs()["fail-count-d1#monitor_10000"] != "3" {
		t.Fatal("the node does not hold its fail count")
	}
	dc.SetAttr(h.now, Attr{Node: other, Name: "fail-count-d1#start_0", Value: "1"})
	h.settle()
	calls := h.calls
	if _, ok := h.cs[other].Cleanup(h.now, CleanupScope{Rsc: "d1", Node: other}); ok {
		t.Error("a node that is not the DC cleaned up")
	}
	// --cleanup -n monitor -I 10s: that operation's fail count goes, the
	// start's stays, and a history without a failure is kept (no probe).
	erased, ok := dc.Cleanup(h.now, CleanupScope{Rsc: "d1", Node: other, Operation: "monitor", IntervalMS: 10000})
	if !ok || len(erased) != 0 {
		t.Fatalf("cleanup of monitor_10000: erased the history on %v (DC %v)", erased, ok)
	}
	h.pump()
	cib := string(dc.AppendCIB(nil))
	if strings.Contains(cib, `name="fail-count-d1#monitor_10000"`) || !strings.Contains(cib, `name="fail-count-d1#start_0"`) {
		t.Errorf("after the cleanup of monitor_10000 the fail counts are:\n%s", cib)
	}
	for _, o := range h.held[other] {
		if o.Rsc == "d1" && o.Task == "monitor" && o.IntervalMS == 0 {
			t.Errorf("a cleanup that erased no history re-probed d1: %+v", o)
		}
	}
	h.settle()
	// --refresh erases the history though nothing failed: a re-probe.
	if erased, ok = dc.Cleanup(h.now, CleanupScope{Rsc: "d1", Node: other, Refresh: true}); !ok || len(erased) != 1 || erased[0] != other {
		t.Fatalf("refresh erased the history on %v, want %s", erased, other)
	}
	h.cs[other].ForgetHistory("d1")
	h.pump()
	// The PE asks for a probe of d1 on the cleaned node.
	probed := false
	for _, o := range h.held[other] {
		if o.Rsc == "d1" && o.Task == "monitor" && o.IntervalMS == 0 {
			probed = true
		}
	}
	if !probed {
		t.Errorf("no re-probe of d1 on %s after the cleanup: %+v", other, h.held[other])
	}
	h.settle()
	if h.calls == calls {
		t.Error("nothing ran after the cleanup")
	}
	cib = string(dc.AppendCIB(nil))
	if strings.Contains(cib, `name="fail-count-d1#start_0"`) {
		t.Error("the fail count survived the refresh")
	}
	if !strings.Contains(cib, `name="fail-count-d10"`) {
		t.Error("another resource's fail count (d10) was erased")
	}
	if _, ok := h.cs[other].Attrs()["fail-count-d1#start_0"]; ok {
		t.Error("the node still holds the fail count")
	}
	if len(h.truth["a"])+len(h.truth["b"]) != 1 {
		t.Errorf("d1 runs %v %v, want once", h.truth["a"], h.truth["b"])
	}
}

func TestFailAttr(t *testing.T) {
	for k, want := range map[string]bool{"fail-count-d1": true, "fail-count-d1#start_0": true, "last-failure-d1#monitor_10000": true,
		"fail-count-d1:0#monitor_10000": true, "fail-count-d10": false, "pingd": false, "last-failure-d": false} {
		if got := failAttr(k, "d1"); got != want {
			t.Errorf("failAttr(%q, d1) = %v", k, got)
		}
	}
}

// A history holds a failure when any result, or the given operation's,
// missed its expected code; only such a history is erased by --cleanup.
func TestHistoryFailed(t *testing.T) {
	h := history{}
	h.add(Op{Rsc: "d1", Task: "start", Key: "3:1:0:u"})
	h.add(Op{Rsc: "d1", Task: "monitor", IntervalMS: 10000, Key: "4:1:0:u"})
	h.add(Op{Rsc: "d2", Task: "monitor", Key: "1:1:7:u", RC: 7}) // a probe: not running is no failure
	if h["d1"].failed("", 0) || h["d2"].failed("", 0) {
		t.Fatal("a history of successes counts as failed")
	}
	h.add(Op{Rsc: "d1", Task: "monitor", IntervalMS: 10000, Key: "4:1:0:u", RC: 7})
	for _, c := range []struct {
		task string
		ms   int
		want bool
	}{{"", 0, true}, {"monitor", 10000, true}, {"MONITOR", 10000, true}, {"monitor", 0, false}, {"monitor", 20000, false}, {"start", 0, false}} {
		if got := h["d1"].failed(c.task, c.ms); got != c.want {
			t.Errorf("failed(%q, %d) = %v", c.task, c.ms, got)
		}
	}
	// The recovery's stop ends the recurring entries, not the last
	// failure: a clean-up after the recovery still finds it.
	h.add(Op{Rsc: "d1", Task: "stop", Key: "5:2:0:u"})
	h.add(Op{Rsc: "d1", Task: "start", Key: "6:2:0:u"})
	if !h["d1"].failed("monitor", 10000) {
		t.Errorf("the failed monitor is forgotten after the recovery: %v", sortedKeys(h["d1"].ops))
	}
}

func TestFailAttrOf(t *testing.T) {
	for k, want := range map[string]bool{"fail-count-d1#monitor_10000": true, "last-failure-d1:0#monitor_10000": true,
		"fail-count-d1#monitor_1000": false, "fail-count-d1#start_0": false, "fail-count-d1": false} {
		if got := failAttrOf(k, "monitor", 10000); got != want {
			t.Errorf("failAttrOf(%q, monitor, 10000) = %v", k, got)
		}
	}
}

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
	calls := h.calls
	if h.cs[other].Cleanup(h.now, "d1", other) {
		t.Error("a node that is not the DC cleaned up")
	}
	if !dc.Cleanup(h.now, "d1", other) {
		t.Fatal("the DC refused the cleanup")
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
	cib := string(dc.AppendCIB(nil))
	if strings.Contains(cib, `name="fail-count-d1#monitor_10000"`) {
		t.Error("the fail count survived the cleanup")
	}
	if !strings.Contains(cib, `name="fail-count-d10"`) {
		t.Error("another resource's fail count (d10) was erased")
	}
	if _, ok := h.cs[other].Attrs()["fail-count-d1#monitor_10000"]; ok {
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

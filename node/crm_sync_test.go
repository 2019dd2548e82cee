package node

import (
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

func syncTestCIB(t *testing.T, version, root, prop, status string) *cib.CIB {
	t.Helper()
	c, err := cib.ParseCIB([]byte(`<cib ` + version + ` validate-with="pacemaker-3.9" ` + root + `><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="p" value="` + prop + `"/></cluster_property_set></crm_config>
<nodes/><resources/><constraints/></configuration><status>` + status + `</status></cib>`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A peer's CIB replaces this node's when newer, or at the same version
// when sent for this node's DC; this node keeps its own status,
// have-quorum and dc-uuid (the sender's are its own: a DC that took a
// partition's newer CIB showed that partition's DC as dc-uuid). The same
// configuration only moves the counters on; an older one changes nothing.
func TestTakeCIB(t *testing.T) {
	const ours = `<node_state id="nodea" uname="nodea"/>`
	cur := func() *cib.CIB {
		return syncTestCIB(t, `admin_epoch="0" epoch="3" num_updates="7"`, `have-quorum="1" dc-uuid="nodea"`, "mine", ours)
	}
	newer := syncTestCIB(t, `admin_epoch="0" epoch="5" num_updates="0"`, `have-quorum="0" dc-uuid="nodec"`, "theirs", "")
	next, taken := takeCIB(cur(), newer, "", "nodea")
	if !taken || next.Version() != (cib.Version{Epoch: 5}) {
		t.Fatalf("a newer CIB: taken %v, version %v", taken, next.Version())
	}
	if got := string(next.Root.AppendXML(nil)); !strings.Contains(got, `value="theirs"`) || !strings.Contains(got, ours) ||
		next.Root.Get("dc-uuid") != "nodea" || next.Root.Get("have-quorum") != "1" {
		t.Errorf("a newer CIB taken as:\n%s", got)
	}

	same := func() *cib.CIB {
		return syncTestCIB(t, `admin_epoch="0" epoch="3" num_updates="7"`, `dc-uuid="nodeb"`, "theirs", "")
	}
	if _, taken := takeCIB(cur(), same(), "nodeb", "nodea"); taken {
		t.Error("the same version sent for another DC was taken")
	}
	if _, taken := takeCIB(cur(), same(), "", "nodea"); taken {
		t.Error("the same version sent for no DC was taken")
	}
	if next, taken := takeCIB(cur(), same(), "nodea", "nodea"); !taken || next.Root.Get("dc-uuid") != "nodea" {
		t.Errorf("the same version sent for our DC: taken %v, dc-uuid %q", taken, next.Root.Get("dc-uuid"))
	}

	older := syncTestCIB(t, `admin_epoch="0" epoch="2" num_updates="9"`, "", "theirs", "")
	if next, taken := takeCIB(cur(), older, "nodea", "nodea"); taken || next.Version() != (cib.Version{Epoch: 3, NumUpdates: 7}) {
		t.Errorf("an older CIB: taken %v, version %v", taken, next.Version())
	}

	counters := syncTestCIB(t, `admin_epoch="0" epoch="3" num_updates="40"`, "", "mine", "")
	next, taken = takeCIB(cur(), counters, "", "nodea")
	if taken || next.Version() != (cib.Version{Epoch: 3, NumUpdates: 40}) || !strings.Contains(string(next.Root.AppendXML(nil)), ours) {
		t.Errorf("the same configuration, newer: taken %v, version %v", taken, next.Version())
	}
}

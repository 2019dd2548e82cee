package cib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUpgrade: no document makes Upgrade panic; what it upgrades
// validates, declares pacemaker-1.0 and needs no second upgrade; what it
// refuses or leaves alone is left exactly as it was.
func FuzzUpgrade(f *testing.F) {
	for _, name := range []string{"heartbeat-2.1.4.xml"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "upgrade", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<cib validate-with="pacemaker-0.6" crm_feature_set="2.0"><configuration><crm_config><cluster_property_set id="o"><attributes><nvpair name="stonith_enabled" value="false"/></attributes></cluster_property_set></crm_config><nodes/><resources><master_slave id="ms" notify="true"><instance_attributes><attributes><nvpair name="master_max" value="1"/></attributes></instance_attributes><primitive id="p" class="ocf" provider="heartbeat" type="Stateful"/></master_slave></resources><constraints><rsc_order id="o1" from="a" to="b" type="before" action="stop"/><rsc_colocation id="c1" from="a" to="b" score="infinity"/><rsc_location id="l" rsc="p"><rule/></rsc_location></constraints></configuration><status/></cib>`))
	f.Add([]byte(`<cib crm_feature_set="1.0"><configuration><crm_config/><nodes/><resources><primitive id="x:1" class="lsb" type="y"/></resources><constraints/></configuration></cib>`))
	// Nested wrappers and sets, which 2.x never wrote.
	f.Add([]byte(`<cib validate-with="pacemaker-0.6"><configuration><crm_config/><nodes/><resources><primitive id="p" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="a"><attributes><instance_attributes id="b"><attributes><nvpair id="n" name="x" value="1"><attributes><nvpair name="y"/></attributes></nvpair></attributes></instance_attributes></attributes></instance_attributes></primitive></resources><constraints/></configuration></cib>`))
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := ParseLimited(data, lim)
		if err != nil {
			return
		}
		before := root.Clone()
		rep, err := Upgrade(root)
		if err != nil || !rep.Changed() {
			if rep.Changed() || !root.Equal(before) {
				t.Fatalf("refused or left alone (%v) but changed:\n%s", err, root.Format())
			}
			return
		}
		if verr := Validate(root); verr != nil {
			t.Fatalf("upgraded CIB does not validate: %v\n%s", verr, root.Format())
		}
		if root.Get("validate-with") != UpgradeTarget || !strings.HasPrefix(rep.String(), "upgraded the CIB from heartbeat 2.x") {
			t.Fatalf("report %q, validate-with %q", rep.String(), root.Get("validate-with"))
		}
		after := root.Clone()
		if rep2, err := Upgrade(root); err != nil || rep2.Changed() || !root.Equal(after) {
			t.Fatalf("second upgrade: %+v %v", rep2, err)
		}
		// Deterministic: the same input upgrades to the same CIB.
		again := before.Clone()
		if _, err := Upgrade(again); err != nil || !again.Equal(after) {
			t.Fatalf("a second upgrade of the same input differs: %v", err)
		}
	})
}

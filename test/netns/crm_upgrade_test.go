package netns

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// crm2xCIB is a heartbeat 2.1-era cib.xml: no validate-with,
// crm_feature_set 2.0, options inside <attributes>, the nodes under their
// heartbeat uuids, the cluster-wide stickiness in crm_config and a
// location rule preferring node2.
const crm2xCIB = `<cib generated="true" admin_epoch="0" have_quorum="true" crm_feature_set="2.0" epoch="7" num_updates="3">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <attributes>
          <nvpair id="opt-quorum" name="no-quorum-policy" value="ignore"/>
          <nvpair id="opt-stick" name="default-resource-stickiness" value="0"/>
        </attributes>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="0ee8e4a2-6d3f-4c5e-9d54-3c1e9f0a1b01" uname="node1" type="normal"/>
      <node id="5c2a1f7e-8b44-4e0a-a1d2-7f3b6c9e2d02" uname="node2" type="normal"/>
    </nodes>
    <resources>
      <primitive class="ocf" id="d1" provider="heartbeat" type="Dummy">
        <operations>
          <op id="d1_mon" interval="2s" name="monitor" timeout="20s"/>
        </operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="d1_prefer" rsc="d1">
        <rule id="d1_prefer_rule" score="100">
          <expression id="d1_prefer_expr" attribute="#uname" operation="eq" value="node2"/>
        </rule>
      </rsc_location>
    </constraints>
  </configuration>
  <status/>
</cib>
`

// TestCRMUpgrades2xCIB: nodes whose cib.xml a heartbeat 2.1 cluster wrote
// run it under pacemaker on: each logs the upgrade, and the resource
// starts where the 2.x rule puts it (with stonith-enabled left as 2.x's
// default, off; read as Pacemaker's default, on, nothing would start
// without a fencing device).
func TestCRMUpgrades2xCIB(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "3", Initdead: "5",
		Extra: "pacemaker on\n"}
	ds, rsctmp := crmNodes(t, spec, crm2xCIB, nil)
	state := func(name string) string { return filepath.Join(rsctmp[name], "Dummy-d1.state") }
	start := time.Now()
	for _, d := range ds {
		d.Start()
	}
	for _, d := range ds {
		d.Log.Wait(t, `upgraded the CIB from heartbeat 2.x`, start, 30*time.Second)
	}
	running := func(name string) bool {
		_, err := os.Stat(state(name))
		return err == nil
	}
	deadline := time.Now().Add(40 * time.Second)
	for !running("node2") {
		if running("node1") {
			t.Fatal("d1 started on node1, against the 2.x rule preferring node2")
		}
		if time.Now().After(deadline) {
			t.Fatal("d1 did not start on node2 within 40 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("d1 started on node2 %v after the start", time.Since(start).Round(time.Millisecond))
	// It stays there, alone.
	for range 50 {
		if running("node1") || !running("node2") {
			t.Fatalf("d1 moved: node1 %v, node2 %v", running("node1"), running("node2"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

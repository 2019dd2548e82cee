package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// bigJoinAgent stands in for ocf:heartbeat:Dummy (bound over it inside
// each daemon's mount namespace): the same start/stop/monitor contract
// with a state file per resource, without Dummy's shell library, so that
// 1500 operations take seconds.
const bigJoinAgent = `#!/bin/sh
f="$HA_RSCTMP/big-$OCF_RESOURCE_INSTANCE.state"
case "$1" in
start) : > "$f"; exit 0;;
stop) rm -f "$f"; exit 0;;
monitor|status) [ -e "$f" ] && exit 0; exit 7;;
validate-all) exit 0;;
meta-data) cat <<'EOF'
<?xml version="1.0"?>
<resource-agent name="Dummy" version="1.0"><version>1.0</version>
<parameters/>
<actions><action name="start" timeout="20s"/><action name="stop" timeout="20s"/><action name="monitor" timeout="20s" interval="10s"/><action name="meta-data" timeout="5s"/></actions>
</resource-agent>
EOF
exit 0;;
esac
exit 3
`

// bigJoinCIB has n Dummy primitives and nothing that pins them.
func bigJoinCIB(n int) string {
	var b strings.Builder
	b.WriteString(`<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="ignore"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/><node id="node3" uname="node3"/></nodes>
<resources>`)
	for i := range n {
		fmt.Fprintf(&b, `<primitive id="big%03d" class="ocf" provider="heartbeat" type="Dummy"/>`, i)
	}
	b.WriteString("</resources><constraints/></configuration><status/></cib>\n")
	return b.String()
}

// TestCRMBigJoin: with pacemaker on and 500 resources, a node's
// join_confirm carries its whole resource history (about 400 bytes an
// entry: 200 KB here), more than a UDP datagram, which hbd sent as it
// was and lost. node1 and node2 probe and start the 500 resources; node3
// starting then makes a new join round, in which the member among node1
// and node2 confirms with its whole history: the join completes with the
// three nodes (its message compressed whole, as heartbeat does from
// MAXMSG on), and no node logs a message it could not send.
func TestCRMBigJoin(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	const n = 500
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "3", Initdead: "6",
		Extra: "pacemaker on\n"}
	agent := filepath.Join(t.TempDir(), "Dummy")
	if err := os.WriteFile(agent, []byte(bigJoinAgent), 0o755); err != nil {
		t.Fatal(err)
	}
	cibXML := bigJoinCIB(n)
	ds, rsctmp := crmNodes(t, spec, cibXML, func(d *clustertest.Daemon) {
		d.Binds = append(d.Binds, [2]string{agent, dummyAgent})
	})
	started := func() int {
		c := 0
		for _, dir := range rsctmp {
			f, _ := filepath.Glob(filepath.Join(dir, "big-*.state"))
			c += len(f)
		}
		return c
	}
	start := time.Now()
	ds[0].Start()
	ds[1].Start()
	for deadline := time.Now().Add(40 * time.Second); started() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d resources started within 40 s", started(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d resources probed on 2 nodes and started after %v", n, time.Since(start).Round(time.Millisecond))
	// Let the last results reach the histories.
	time.Sleep(time.Second)
	join := time.Now()
	ds[2].Start()
	deadline := time.Now().Add(40 * time.Second)
	for {
		done := false
		for _, d := range ds[:2] {
			if _, ok := d.Log.Find("complete: 3 nodes", join); ok {
				done = true
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no join of the 3 nodes completed within 40 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("join of 3 nodes complete %v after node3 started", time.Since(join).Round(time.Millisecond))
	for _, d := range ds {
		for _, l := range d.Log.Since(start) {
			if strings.Contains(l.Text, "not sent") || strings.Contains(l.Text, "msg too big") {
				t.Errorf("%s: %s", d.Name, l.Text)
			}
		}
	}
}

package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

const dummyAgent = "/usr/lib/ocf/resource.d/heartbeat/Dummy"

// crmCIB is every node's cib.xml: stonith off, a partition without quorum
// stops its resources, one OCF Dummy monitored.
const crmCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/><node id="node3" uname="node3"/></nodes>
<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="d1-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive></resources>
<constraints/>
</configuration>
<status/>
</cib>
`

// TestCRMFailover: three hbd nodes with pacemaker on and the same CIB
// (node2 has none: it starts first, DC alone, and saves its peers') elect
// one DC and start the Dummy on one node; a monitor failure recovers it
// in place; kill -9 of its holder starts it on a survivor; a graceful stop
// of the next holder stops it there before the daemon exits, and the last
// node, once without quorum, stops it; never on two nodes at once.
func TestCRMFailover(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "5",
		Extra: "pacemaker on\n"}
	net := netnstest.New(t, netnstest.Config{Hosts: spec.Nodes, Links: 1})
	var ds []*clustertest.Daemon
	rsctmp := map[string]string{}
	for i := 1; i <= spec.Nodes; i++ {
		name := fmt.Sprintf("node%d", i)
		d := clustertest.NewHBD(t, net.Host(i), name, func(logfile string) string { return spec.HaCF(net, i, logfile) })
		crm := filepath.Join(d.Dir, "state", "crm")
		if err := os.MkdirAll(crm, 0o750); err != nil {
			t.Fatal(err)
		}
		// node2 has no CIB: it gets its peers' newer one.
		if name != "node2" {
			if err := os.WriteFile(filepath.Join(crm, "cib.xml"), []byte(crmCIB), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// Each node's Dummy keeps its state file in a directory of its own.
		rsctmp[name] = filepath.Join(d.Dir, "rsctmp")
		if err := os.MkdirAll(rsctmp[name], 0o755); err != nil {
			t.Fatal(err)
		}
		d.Env = []string{"HA_RSCTMP=" + rsctmp[name]}
		ds = append(ds, d)
	}
	// node2 starts first and is the DC alone, without a configuration:
	// it plans nothing until its peers' CIB comes.
	start := time.Now()
	ds[1].Start()
	ds[1].Log.Wait(t, `crm: the DC is "node2"`, start, 30*time.Second)
	ds[0].Start()
	ds[2].Start()
	running := func(name string) bool {
		_, err := os.Stat(filepath.Join(rsctmp[name], "Dummy-d1.state"))
		return err == nil
	}
	// holders returns the nodes among alive where the Dummy runs.
	holders := func(alive []*clustertest.Daemon) []string {
		var on []string
		for _, d := range alive {
			if running(d.Name) {
				on = append(on, d.Name)
			}
		}
		return on
	}
	// dcOf is the DC node d last reported ("" none).
	dcOf := func(d *clustertest.Daemon, since time.Time) string {
		dc := ""
		for _, l := range d.Log.Since(since) {
			if _, v, ok := strings.Cut(l.Text, "crm: the DC is "); ok {
				dc = strings.Trim(v, "\"")
			}
		}
		return dc
	}
	// waitOne waits until the Dummy runs on exactly one of alive, failing
	// the test if it ever runs on two.
	waitOne := func(alive []*clustertest.Daemon, timeout time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			on := holders(alive)
			if len(on) > 1 {
				t.Fatalf("d1 runs on %v", on)
			}
			if len(on) == 1 {
				return on[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("d1 started nowhere within %v", timeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	holder := waitOne(ds, 30*time.Second)
	t.Logf("d1 started on %s after %v", holder, time.Since(start).Round(time.Millisecond))
	// It stays on one node while the cluster settles.
	for range 50 {
		if on := holders(ds); len(on) != 1 {
			t.Fatalf("d1 runs on %v", on)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Every node comes to name the same DC.
	for deadline := time.Now().Add(30 * time.Second); ; {
		var names []string
		for _, d := range ds {
			names = append(names, dcOf(d, start))
		}
		if names[0] != "" && names[0] == names[1] && names[1] == names[2] {
			t.Logf("the DC is %s", names[0])
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes name the DCs %v", names)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if on := holders(ds); len(on) != 1 || on[0] != holder {
		t.Fatalf("d1 runs on %v once the cluster formed, not only on %s", on, holder)
	}
	// node2 saved the CIB it received.
	for deadline := time.Now().Add(10 * time.Second); ; {
		b, _ := os.ReadFile(filepath.Join(ds[1].Dir, "state", "crm", "cib.xml"))
		if strings.Contains(string(b), `id="d1"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node2's cib.xml after the join:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A monitor failure: d1's state file goes on its holder; the
	// recurring monitor finds it stopped and d1 is recovered in place
	// (no migration-threshold).
	failed := time.Now()
	if err := os.Remove(filepath.Join(rsctmp[holder], "Dummy-d1.state")); err != nil {
		t.Fatal(err)
	}
	if again := waitOne(ds, 30*time.Second); again != holder {
		t.Fatalf("d1 recovered on %s, not in place on %s", again, holder)
	}
	t.Logf("d1 recovered in place on %s %v after its failure", holder, time.Since(failed).Round(time.Millisecond))

	without := func(ds []*clustertest.Daemon, name string) (rest []*clustertest.Daemon, d *clustertest.Daemon) {
		for _, x := range ds {
			if x.Name == name {
				d = x
			} else {
				rest = append(rest, x)
			}
		}
		return rest, d
	}

	// kill -9 of the holder: a survivor starts d1.
	alive, victim := without(ds, holder)
	// Not within the holder's first 5 s: its statuses advertise deadtime
	// + 2 s until then (heartbeat's start grace), which would add 2 s to
	// the failover time logged below (crm_detect_test.go).
	if up, ok := victim.Log.Find("Local status now set to: 'up'", start); ok {
		time.Sleep(time.Until(up.At.Add(5*time.Second + 300*time.Millisecond)))
	}
	killed := victim.Kill9()
	next := waitOne(alive, 30*time.Second)
	t.Logf("d1 started on %s %v after kill -9 of %s", next, time.Since(killed).Round(time.Millisecond), holder)
	for range 50 {
		if on := holders(alive); len(on) != 1 {
			t.Fatalf("d1 runs on %v after the failover", on)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A graceful stop of the new holder: d1 is stopped there before the
	// daemon exits, and the last node, without quorum, does not keep it.
	last, leaving := without(alive, next)
	stopped := make(chan struct{})
	stopAt := time.Now()
	go func() { leaving.Stop(); close(stopped) }()
	for done := false; !done; {
		select {
		case <-stopped:
			done = true
		case <-time.After(20 * time.Millisecond):
		}
		if on := holders(alive); len(on) > 1 {
			t.Fatalf("d1 runs on %v while %s stops", on, next)
		}
	}
	if running(next) {
		t.Fatalf("%s stopped with d1 still running", next)
	}
	// The DC moved d1 to the last node while it had quorum; losing it,
	// that node stops d1.
	last[0].Log.Wait(t, "quorum false", stopAt, 30*time.Second)
	for deadline := time.Now().Add(30 * time.Second); len(holders(last)) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("d1 still runs on %v without quorum", holders(last))
		}
	}
	for range 50 {
		if on := holders(last); len(on) != 0 {
			t.Fatalf("d1 runs on %v without quorum", on)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

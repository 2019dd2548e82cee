package netns

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// A rolling upgrade of a three-node heartbeat 3.0.6 cluster to hbd, one
// node at a time, then a downgrade of one node back. At every step the
// cluster stays whole: only the node being replaced leaves, nobody is
// declared dead, and no hbd node puts a native packet on the wire while a
// heartbeat node is in the cluster (a quiet fourth host counts them).
// Once the last node runs hbd, they all switch to native; once a
// heartbeat node returns, they switch back, and it joins.
func TestNativeRollingUpgrade(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	const n = 3
	spec := clustertest.Spec{Nodes: n, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "10"}
	net := netnstest.New(t, netnstest.Config{Hosts: n + 1})
	sniff := clustertest.Sniff(t, net.Host(n+1), 694)
	name := func(i int) string { return fmt.Sprintf("node%d", i) }
	// The same ha.cf for both daemons; hbd nodes only add the test's
	// self-fence override (heartbeat refuses hbd_* lines).
	hacf := func(i int, hbd bool) func(string) string {
		return func(log string) string {
			if hbd {
				return spec.HaCF(net, i, log) + "hbd_self_fence /bin/true\n"
			}
			return spec.HaCF(net, i, log)
		}
	}
	nodes := make([]*clustertest.Daemon, n+1)
	for i := 1; i <= n; i++ {
		nodes[i] = clustertest.NewHeartbeat(t, net.Host(i), name(i), hacf(i, false))
		nodes[i].Start()
	}
	// waitJoined waits until every running node sees node i active, and i
	// sees them.
	waitJoined := func(i int, since time.Time) {
		t.Helper()
		for j := 1; j <= n; j++ {
			if j == i {
				continue
			}
			for _, c := range [][2]int{{j, i}, {i, j}} {
				d, peer := nodes[c[0]], name(c[1])
				if d.Heartbeat() {
					d.WaitNodeStatus(peer, "active", 30*time.Second)
				} else {
					d.Log.Wait(t, "Status update for node "+peer+": status active", since, 30*time.Second)
				}
			}
		}
	}
	for i := 2; i <= n; i++ {
		waitJoined(i, time.Now().Add(-time.Minute))
	}
	// noDeaths fails if a node other than the one replaced was declared
	// dead, or anything else went wrong on the wire, since since.
	noDeaths := func(replaced int, since time.Time) {
		t.Helper()
		for j := 1; j <= n; j++ {
			for _, l := range nodes[j].Log.Since(since) {
				for k := 1; k <= n; k++ {
					if k != replaced && strings.Contains(l.Text, "node "+name(k)+": is dead") {
						t.Errorf("%s: %s", nodes[j].Name, l.Text)
					}
				}
				if strings.Contains(l.Text, "Late heartbeat") || strings.Contains(l.Text, "replay") {
					t.Errorf("%s: %s", nodes[j].Name, l.Text)
				}
			}
		}
	}
	replace := func(i int, heartbeat bool) time.Time {
		t.Helper()
		since := time.Now()
		nodes[i].Stop()
		if heartbeat {
			nodes[i] = clustertest.NewHeartbeat(t, net.Host(i), name(i), hacf(i, false))
		} else {
			nodes[i] = clustertest.NewHBD(t, net.Host(i), name(i), hacf(i, true))
		}
		nodes[i].Start()
		waitJoined(i, since)
		time.Sleep(2 * time.Second) // a few rounds of statuses in the new shape
		noDeaths(i, since)
		return since
	}
	for i := 1; i < n; i++ {
		since := replace(i, false)
		if nat, _ := sniff.Count(netip.Addr{}, since); nat != 0 {
			t.Fatalf("step %d: %d native packets on the wire while heartbeat nodes remain", i, nat)
		}
		if _, ok := nodes[i].Log.Find("hbd's native format", since); ok {
			t.Fatalf("step %d: node%d switched format with heartbeat nodes in the cluster", i, i)
		}
	}
	since := replace(n, false)
	var switched time.Time
	for i := 1; i <= n; i++ {
		l := nodes[i].Log.Wait(t, "All nodes read hbd's native format: sending native packets", since, 10*time.Second)
		switched = later(switched, l.At)
	}
	time.Sleep(time.Second)
	check := switched.Add(100 * time.Millisecond)
	for i := 1; i <= n; i++ {
		nat, hb := sniff.Count(net.Host(i).Addr(0), check)
		if nat == 0 || hb != 0 {
			t.Fatalf("all hbd: node%d sent %d native and %d heartbeat packets", i, nat, hb)
		}
	}
	// Downgrade node2: the others switch back on its first status, and it
	// joins without a false death.
	since = replace(2, true)
	for _, i := range []int{1, 3} {
		nodes[i].Log.Wait(t, "Node node2 does not read hbd's native format: sending heartbeat packets", since, 10*time.Second)
	}
	clustertest.CheckHeartbeatLog(t, nodes[2])
	back := time.Now()
	time.Sleep(time.Second)
	for _, i := range []int{1, 3} {
		if nat, hb := sniff.Count(net.Host(i).Addr(0), back); nat != 0 || hb == 0 {
			t.Fatalf("after the downgrade: node%d sent %d native and %d heartbeat packets", i, nat, hb)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

package netns

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func interopSpec(nodes int) clustertest.Spec {
	return clustertest.Spec{Nodes: nodes, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "10"}
}

// interopPair starts heartbeat 3.0.6 as node1 and hbd as node2 and waits
// until each reports the other active.
func interopPair(t *testing.T) (*netnstest.Net, *clustertest.Daemon, *clustertest.Daemon) {
	t.Helper()
	spec := interopSpec(2)
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	hb := clustertest.NewHeartbeat(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
	hd := clustertest.NewHBD(t, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) })
	hb.Start()
	hd.Start()
	hd.Log.Wait(t, "Status update for node node1: status active", time.Now().Add(-time.Minute), 20*time.Second)
	hb.WaitNodeStatus("node2", "active", 20*time.Second)
	return net, hb, hd
}

// One heartbeat 3.0.6 node and one hbd node form a cluster: each reports
// the other active, kill -9 of either makes the other declare it dead, and
// heartbeat has nothing to say against hbd's packets.
func TestHeartbeatInterop(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	for _, victim := range []string{"heartbeat", "hbd"} {
		t.Run("kill "+victim, func(t *testing.T) {
			_, hb, hd := interopPair(t)
			hb.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 5*time.Second)
			time.Sleep(6 * time.Second) // past both nodes' raised start deadtime
			clustertest.CheckHeartbeatLog(t, hb)

			var killed time.Time
			if victim == "heartbeat" {
				killed = hb.Kill9()
				hd.Log.Wait(t, "node node1: is dead", killed, 5*time.Second)
			} else {
				killed = hd.Kill9()
				hb.Log.Wait(t, "node node2: is dead", killed, 5*time.Second)
				hb.WaitNodeStatus("node2", "dead", 2*time.Second)
			}
		})
	}
}

// Two heartbeat nodes and one hbd node: everyone sees everyone active.
func TestHeartbeatInterop2Plus1(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	spec := interopSpec(3)
	net := netnstest.New(t, netnstest.Config{Hosts: 3})
	hbs := []*clustertest.Daemon{
		clustertest.NewHeartbeat(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) }),
		clustertest.NewHeartbeat(t, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) }),
	}
	hd := clustertest.NewHBD(t, net.Host(3), "node3", func(log string) string { return spec.HaCF(net, 3, log) })
	for _, hb := range hbs {
		hb.Start()
	}
	hd.Start()
	start := time.Now().Add(-time.Minute)
	for _, peer := range []string{"node1", "node2"} {
		hd.Log.Wait(t, "Status update for node "+peer+": status active", start, 20*time.Second)
	}
	for _, hb := range hbs {
		hb.WaitNodeStatus("node3", "active", 20*time.Second)
	}
	time.Sleep(3 * time.Second)
	for _, hb := range hbs {
		clustertest.CheckHeartbeatLog(t, hb)
	}
}

// Under 20% random loss in both directions, retransmission works both
// ways: each side asks for what it missed and gets it, and nobody is
// declared dead.
func TestHeartbeatInteropLoss(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	net, hb, hd := interopPair(t)
	lossy := time.Now()
	net.Host(1).SetFaults(0, netnstest.Faults{DropOut: 20, DropIn: 20})
	// Both sides find gaps and recover them: heartbeat logs the loss and
	// hbd's retransmissions fill it (or the reverse).
	hd.Log.Wait(t, "lost packet(s) for [node1]", lossy, 30*time.Second)
	hb.Log.Wait(t, "lost packet(s) for [node2]", lossy, 30*time.Second)
	// "No pkts missing" is logged when retransmissions have filled every
	// gap: heartbeat resent to hbd, and hbd to heartbeat.
	hd.Log.Wait(t, "No pkts missing from node1!", lossy, 30*time.Second)
	hb.Log.Wait(t, "No pkts missing from node2!", lossy, 30*time.Second)
	time.Sleep(10 * time.Second)
	net.Host(1).ClearFaults()
	time.Sleep(2 * time.Second)
	for _, d := range []*clustertest.Daemon{hb, hd} {
		for _, bad := range []string{"is dead", "Irretrievably lost", "lost a lot of packets"} {
			if l, ok := d.Log.Find(bad, lossy); ok {
				t.Errorf("%s: %s", d.Name, l.Text)
			}
		}
	}
	clustertest.CheckHeartbeatLog(t, hb)
	if st, _ := hb.InNamespaces("cl_status", "nodestatus", "node2"); st != "active" {
		t.Errorf("heartbeat sees node2 %q after the loss", st)
	}
}

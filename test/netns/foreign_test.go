package netns

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Two foreign clusters share our bridge and UDP port: an hbd pair and a
// heartbeat 3.0.6 pair, each with keys of its own. Ours (an hbd pair
// holding a resource, at a sub-second deadtime) notices nothing: no state
// change, no false death, the resource stays put, and the auth-failure
// lines are a handful, not one per packet. The filter counts what it
// dropped: the foreign hbd cluster's native packets by cluster id, the
// heartbeat pair's after their sources were denied. With the kernel
// filter and without it (user space makes the same decisions).
func TestForeignClusters(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	for _, mode := range []string{"on", "off"} {
		t.Run("hbd_bpf_filter "+mode, func(t *testing.T) { foreignClusters(t, mode) })
	}
}

func foreignClusters(t *testing.T, mode string) {
	net := netnstest.New(t, netnstest.Config{Hosts: 6})
	ours := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "50ms", Deadtime: "500ms", Initdead: "5",
		Extra: "auto_failback on\nhbd_self_fence /bin/true\nhbd_bpf_filter " + mode + "\n"}
	var us []*clustertest.Daemon
	for i := 1; i <= 2; i++ {
		d := clustertest.NewHBD(t, net.Host(i), "node"+strconv.Itoa(i), func(log string) string { return ours.HaCF(net, i, log) })
		d.WriteFile("haresources", "node1 websvc\n", 0o644)
		websvc(d)
		us = append(us, d)
	}
	// The foreign clusters: same medium and port, other names, other keys.
	renamed := func(spec clustertest.Spec, i int, a, b string) func(string) string {
		return func(log string) string {
			return strings.Replace(spec.HaCF(net, i, log), "node node1\nnode node2\n", "node "+a+"\nnode "+b+"\n", 1)
		}
	}
	fspec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "50ms", Deadtime: "500ms", Initdead: "5", Extra: "hbd_self_fence /bin/true\n"}
	hspec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "5"}
	foreign := []*clustertest.Daemon{
		clustertest.NewHBD(t, net.Host(3), "fa", renamed(fspec, 3, "fa", "fb")),
		clustertest.NewHBD(t, net.Host(4), "fb", renamed(fspec, 4, "fa", "fb")),
		clustertest.NewHeartbeat(t, net.Host(5), "ha", renamed(hspec, 5, "ha", "hb")),
		clustertest.NewHeartbeat(t, net.Host(6), "hb", renamed(hspec, 6, "ha", "hb")),
	}
	for i, d := range foreign {
		d.WriteFile("authkeys", "auth 1\n1 sha1 foreign-secret-"+strconv.Itoa(i/2)+"\n", 0o600)
	}
	start := time.Now().Add(-time.Minute)
	for _, d := range append(us, foreign...) {
		d.Start()
	}
	us[0].Log.Wait(t, "Status update for node node2: status active", start, 20*time.Second)
	us[1].Log.Wait(t, "Status update for node node1: status active", start, 20*time.Second)
	foreign[0].Log.Wait(t, "All nodes read hbd's native format", start, 20*time.Second)
	foreign[2].WaitNodeStatus("hb", "active", 20*time.Second)
	groupHeldFile(t, us[0], true)

	watch := time.Now()
	time.Sleep(10 * time.Second)
	for _, d := range us {
		authLines, denied := 0, 0
		for _, l := range d.Log.Since(start) {
			switch {
			case strings.Contains(l.Text, "failed authentication"):
				authLines++
			case strings.Contains(l.Text, "keeps failing authentication"):
				denied++
			}
		}
		for _, l := range d.Log.Since(watch) {
			for _, bad := range []string{"is dead", "status dead", "Late heartbeat", "Status update", "ERROR", "CRIT", "resource"} {
				if strings.Contains(l.Text, bad) {
					t.Errorf("%s while foreign clusters ran: %s", d.Name, l.Text)
				}
			}
		}
		// One line per foreign source and at most one summary a minute.
		if authLines > 2*len(foreign) {
			t.Errorf("%s: %d auth-failure lines for %d foreign sources: not rate-limited", d.Name, authLines, len(foreign))
		}
		if denied == 0 {
			t.Errorf("%s: no foreign heartbeat source was denied", d.Name)
		}
		t.Logf("%s: %d auth-failure lines, %d sources denied", d.Name, authLines, denied)
	}
	groupHeldFile(t, us[0], true)
	groupHeldFile(t, us[1], false)

	// The counters, through heartbeat's own cl_status.
	out, code := clStatus(t, us[0], "hbparameter", "-p", "hbd_filter")
	if code != 0 {
		t.Fatalf("cl_status hbparameter -p hbd_filter: exit %d", code)
	}
	t.Logf("node1 filter: %s", out)
	counts := map[string]int{}
	for _, kv := range strings.Fields(out) {
		k, v, _ := strings.Cut(kv, "=")
		counts[k], _ = strconv.Atoi(v)
	}
	wantKernel := 0
	if mode == "on" {
		wantKernel = 1
	}
	if counts["kernel"] != wantKernel || counts["foreign_cluster"] == 0 || counts["denied"] == 0 || counts["pass"] == 0 {
		t.Errorf("filter counters %v: want kernel=%d and foreign_cluster, denied and pass counts", counts, wantKernel)
	}
}

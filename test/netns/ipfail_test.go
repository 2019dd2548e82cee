package netns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// ipfailBin is heartbeat 3.0.6's ping arbitration client (Debian).
const ipfailBin = "/usr/libexec/heartbeat/ipfail"

// §10.3 with ipfail (§4.9): the holder stops hearing the ping node (where
// the clients are) but keeps its heartbeat links, so the nodes stay in
// touch; ipfail sees it reach fewer ping nodes than its peer and gives the
// group away; no node dies. ha.cf is heartbeat's own ("ping …",
// "respawn hacluster …/ipfail"); it runs as:
//   - builtin: hbd's in-process ipfail on both nodes (the default);
//   - binary: heartbeat's real ipfail respawned by hbd as an API client
//     (hbd_ipfail respawn);
//   - mixed: the holder runs hbd with its builtin ipfail, the peer runs
//     heartbeat 3.0.6 with the real ipfail: the two arbitrate together.
func TestIpfail(t *testing.T) {
	if _, err := os.Stat(ipfailBin); err != nil {
		t.Skip("heartbeat's ipfail is not installed; CI installs it")
	}
	for _, c := range []struct {
		name      string
		heartbeat []bool
		hbdExtra  string
	}{
		{"builtin", []bool{false, false}, ""},
		{"binary", []bool{false, false}, "hbd_ipfail respawn\n"},
		{"mixed", []bool{false, true}, ""},
	} {
		t.Run(c.name, func(t *testing.T) { testIpfail(t, c.heartbeat, c.hbdExtra, c.name) })
	}
}

func testIpfail(t *testing.T, heartbeat []bool, hbdExtra, mode string) {
	vip := clustertest.VIP().String()
	// Hosts 1, 2: the nodes; host 3: the client, also the ping node.
	rc := startRscCluster(t, rscSpec{heartbeat: heartbeat, keepalive: "100ms", deadtime: "1", initdead: "5",
		failback: "on", links: 2, haresources: "node1 " + vip + "/24/eth0\n",
		extra:    "ping 198.18.0.13\nrespawn hacluster " + ipfailBin + "\n",
		hbdExtra: hbdExtra,
		files: func(d *clustertest.Daemon) {
			if d.Heartbeat() {
				return
			}
			// libhbclient knows one socket path: /run/heartbeat/register.
			sock := filepath.Join(d.Dir, "run", "heartbeat")
			os.MkdirAll(sock, 0o755)
			d.Binds = append(d.Binds, [2]string{sock, "/run/heartbeat"})
		}})
	n1 := rc.node(1)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	for i, d := range rc.nodes {
		switch {
		case heartbeat[i] || hbdExtra != "":
			d.Log.Wait(t, "Starting \""+ipfailBin+"\" as uid", time.Now().Add(-time.Minute), 10*time.Second)
		default:
			d.Log.Wait(t, "hbd: running ipfail in-process", time.Now().Add(-time.Minute), 10*time.Second)
		}
		d.Log.Wait(t, "Status update for node 198.18.0.13: status ping", time.Now().Add(-time.Minute), 10*time.Second)
	}
	time.Sleep(8 * time.Second) // a binary ipfail signs on and learns its partner
	// node1 stops hearing the ping node (its echo replies are dropped),
	// its heartbeat links stay up. Cutting node1's whole public link
	// instead also kills a heartbeat link at the same moment (links die
	// at the last configured node's dead interval: the ping node's), and
	// the two ipfails may then compare equal counts: the peer asks for a
	// foreign giveup as ipfail does, the two standby requests cross and
	// both are cancelled after 10 s (heartbeat's standby protocol does
	// the same), and nothing moves.
	cut := time.Now()
	for _, c := range [][]string{
		{"nft", "add", "table", "inet", "hbdipfail"},
		{"nft", "add", "chain", "inet", "hbdipfail", "in", "{ type filter hook input priority 0 ; }"},
		{"nft", "add", "rule", "inet", "hbdipfail", "in", "icmp", "type", "echo-reply", "drop"},
	} {
		if out, err := n1.Host.Exec(c...); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	n1.Log.Wait(t, "node 198.18.0.13: is dead", cut, 5*time.Second)
	a := rc.vip.WaitFrom(t, "node2", cut, 30*time.Second)
	n1.Log.Wait(t, "wants to go standby [all]", cut, 5*time.Second)
	time.Sleep(time.Second)
	for _, d := range rc.nodes {
		for _, l := range d.Log.Since(cut) {
			if strings.Contains(l.Text, "node node") && strings.Contains(l.Text, "is dead") {
				t.Errorf("%s: %s", d.Name, l.Text)
			}
		}
	}
	waitHolders(t, rc, []string{"node2"}, 10*time.Second)
	failsuite(t, "holder cut from the ping node, heartbeat links up (ipfail "+mode+")",
		"the node seeing fewer ping nodes goes standby after 2×keepalive; resources move; no death",
		"node1 gave the VIP to node2 through ipfail's standby; nobody died", "VIP-answered="+ms(a.At.Sub(cut)))
}

package netns

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// fencePlugin is a cluster-glue external STONITH plugin that powers
// nothing itself: a reset appends "<host> <unix time>" to
// $statedir/resets, fails while $statedir/fail holds a count above 0
// (counting down), and otherwise waits until the test, having powered the
// host off, creates $statedir/off-<host>.
const fencePlugin = `#!/bin/sh
d="$statedir"
case "$1" in
getconfignames) echo statedir ;;
getinfo-devid) echo "hbd test power switch" ;;
getinfo-devname) echo "hbd test power switch" ;;
getinfo-devdescr) echo "the test powers hosts off" ;;
getinfo-devurl) echo "http://example.invalid/" ;;
getinfo-xml) echo '<parameters><parameter name="statedir" unique="0" required="1"><content type="string"/><shortdesc lang="en">state directory</shortdesc></parameter></parameters>' ;;
gethosts) echo node1; echo node2 ;;
status) ;;
reset)
	echo "$2 $(date +%s.%N)" >>"$d/resets"
	n=$(cat "$d/fail" 2>/dev/null || echo 0)
	if [ "$n" -gt 0 ]; then echo $((n - 1)) >"$d/fail"; exit 1; fi
	i=0
	while [ ! -e "$d/off-$2" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$d/off-$2" ] ;;
*) exit 1 ;;
esac
`

// powerSwitch is the test's side of the plugin: it powers off the first
// host a reset names (kill -9 of its daemon's whole PID namespace — its
// agents too — its VIP gone, its link cut) and tells the plugin.
type powerSwitch struct {
	dir  string
	once sync.Once
	off  chan string
}

func fencedCluster(t *testing.T, fails int) (*rscCluster, *powerSwitch) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/stonith"); err != nil {
		t.Skip("cluster-glue's stonith is not installed; CI installs it")
	}
	ps := &powerSwitch{dir: t.TempDir(), off: make(chan string, 1)}
	ext := filepath.Join(ps.dir, "external")
	os.MkdirAll(ext, 0o755)
	if err := os.WriteFile(filepath.Join(ext, "hbdtest"), []byte(fencePlugin), 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(ps.dir, "state")
	os.MkdirAll(state, 0o755)
	if fails > 0 {
		os.WriteFile(filepath.Join(state, "fail"), []byte(strconv.Itoa(fails)+"\n"), 0o644)
	}
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "50ms", deadtime: "300ms", initdead: "3",
		failback: "on", haresources: "node1 " + clustertest.VIP().String() + "/24/eth0 websvc\n",
		hbdExtra: "stonith_host * external/hbdtest " + state + "\n",
		files: func(d *clustertest.Daemon) {
			websvc(d)
			d.Binds = append(d.Binds, [2]string{ext, "/usr/lib/stonith/plugins/external"})
		}})
	ps.dir = state
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	groupHeldFile(t, rc.node(1), true)
	time.Sleep(6 * time.Second)
	go ps.watch(t, rc)
	return rc, ps
}

func (ps *powerSwitch) watch(t *testing.T, rc *rscCluster) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(ps.dir, "resets"))
		for _, line := range strings.Split(string(b), "\n") {
			host, _, _ := strings.Cut(line, " ")
			if host != "node1" && host != "node2" {
				continue
			}
			// Only a reset that is about to succeed powers off (failing
			// attempts are counted down by the plugin first).
			if n, _ := os.ReadFile(filepath.Join(ps.dir, "fail")); strings.TrimSpace(string(n)) != "" && strings.TrimSpace(string(n)) != "0" {
				continue
			}
			ps.once.Do(func() {
				d := rc.node(int(host[4] - '0'))
				d.Host.Exec("ip", "addr", "del", clustertest.VIP().String()+"/24", "dev", "eth0")
				d.PowerOff()
				os.WriteFile(filepath.Join(ps.dir, "off-"+host), nil, 0o644)
				ps.off <- host
			})
		}
	}
}

// §10.2 with STONITH: kill -9 of the holder's daemon. The peer resets it
// before taking anything over, so the VIP is never answered from both.
func TestStonithKill9(t *testing.T) {
	rc, ps := fencedCluster(t, 0)
	n1, n2 := rc.node(1), rc.node(2)
	killed := n1.Kill9()
	dead := n2.Log.Wait(t, "node node1: is dead", killed, 5*time.Second)
	n2.Log.Wait(t, "Resetting node node1 with [", killed, 10*time.Second)
	var host string
	select {
	case host = <-ps.off:
	case <-time.After(20 * time.Second):
		t.Fatal("no reset reached the power switch")
	}
	offAt := time.Now()
	if host != "node1" {
		t.Fatalf("reset %s, want node1", host)
	}
	n2.Log.Wait(t, "node node1 now reset.", killed, 10*time.Second)
	a := rc.vip.WaitFrom(t, "node2", killed, 15*time.Second)
	if a.At.Before(offAt.Add(-50 * time.Millisecond)) {
		t.Errorf("node2 answered for the VIP at %v, before node1 was powered off at %v", a.At, offAt)
	}
	if l, ok := n2.Log.Find("No STONITH device configured", killed); ok {
		t.Errorf("%s", l.Text)
	}
	waitHolders(t, rc, []string{"node2"}, 10*time.Second)
	failsuite(t, "kill -9 of the holder's daemon, STONITH",
		"peer resets the holder, then takes over (no duplicate)",
		"node2 reset node1 through the device, then took the VIP; never answered from both",
		"detect="+ms(dead.At.Sub(killed))+" reset-done="+ms(offAt.Sub(killed))+" VIP-answered="+ms(a.At.Sub(killed)))
}

// §9.2: a reset that fails is retried every 5 s, and nothing is taken
// over until one succeeds.
func TestStonithRetries(t *testing.T) {
	rc, ps := fencedCluster(t, 2)
	n1, n2 := rc.node(1), rc.node(2)
	off := n1.Kill9()
	n1.Host.Exec("ip", "addr", "del", clustertest.VIP().String()+"/24", "dev", "eth0")
	first := n2.Log.Wait(t, "STONITH of node1 failed.  Retrying...", off, 10*time.Second)
	second := n2.Log.Wait(t, "STONITH of node1 failed.  Retrying...", first.At.Add(time.Millisecond), 10*time.Second)
	if gap := second.At.Sub(first.At); gap < 4500*time.Millisecond {
		t.Errorf("retry after %v, heartbeat waits 5 s", gap)
	}
	if a, ok := rc.vip.First("node2", off); ok {
		t.Errorf("node2 took the VIP at %v, while its resets were failing", a.At)
	}
	select {
	case <-ps.off:
	case <-time.After(20 * time.Second):
		t.Fatal("no successful reset")
	}
	a := rc.vip.WaitFrom(t, "node2", off, 15*time.Second)
	failsuite(t, "power loss of the holder, STONITH failing twice",
		"reset retried every 5 s for ever; no takeover before a reset succeeds",
		"two failures 5 s apart, no takeover meanwhile; takeover after the third attempt",
		"retry-gap="+ms(second.At.Sub(first.At))+" VIP-answered="+ms(a.At.Sub(off)))
}

// Split brain with fencing: the link between the nodes is cut, each
// declares the other dead and resets it; the first reset to complete
// powers its target off, and the survivor alone holds the group.
func TestStonithSplitBrain(t *testing.T) {
	rc, ps := fencedCluster(t, 0)
	cut := time.Now()
	rc.node(1).Host.Block(0)
	var victim string
	select {
	case victim = <-ps.off:
	case <-time.After(20 * time.Second):
		t.Fatal("no reset after the partition")
	}
	survivor := rc.node(1)
	if victim == "node1" {
		survivor = rc.node(2)
	}
	rc.node(1).Host.Unblock(0) // the network is back; the victim stays off
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		h := rc.holders(t, clustertest.VIP())
		if len(h) == 1 && h[0] == survivor.Name && fileExists(filepath.Join(survivor.Dir, "rscstate", "websvc")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s was fenced, VIP held by %v", victim, h)
		}
	}
	failsuite(t, "split brain with fencing",
		"both try to reset each other; one survives and takes all",
		victim+" was powered off by the other's reset; "+survivor.Name+" alone holds the group",
		"reset-after="+ms(time.Since(cut)))
}

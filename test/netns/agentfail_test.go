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

// §3.5 and §10.8: an agent that crashes during its start (killed by a
// signal, as a segfault or the OOM killer would) is a failed start: the
// whole group is stopped again, in reverse order, including the VIP that
// had started; the daemon keeps sending heartbeats; the peer neither dies
// nor takes the group.
func TestResourceCrashingAgent(t *testing.T) {
	for _, sig := range []string{"SEGV", "KILL"} {
		t.Run(sig, func(t *testing.T) {
			vip := clustertest.VIP()
			rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
				failback: "on", haresources: "node1 " + vip.String() + "/24/eth0 crashy\n",
				files: func(d *clustertest.Daemon) {
					log := filepath.Join(d.Dir, "crashy.log")
					d.WriteFile("resource.d/crashy", fmt.Sprintf(`#!/bin/sh
echo "$1" >> %s
case "$1" in
start) sleep 1; kill -%s $$; sleep 5;;
status) echo stopped;;
esac
exit 0
`, log, sig), 0o755)
				}})
			n1, n2 := rc.node(1), rc.node(2)
			since := time.Now().Add(-time.Minute)
			arrivals := listenHeartbeats(t, rc.client, rc.net.Host(1).Addr(0))
			listening := time.Now()
			crit := n1.Log.Wait(t, "Giving up resources due to failure of crashy", since, 40*time.Second)
			// The crash is seconds after the start: measure from when the
			// listener runs (and a first heartbeat came in).
			from := listening.Add(300 * time.Millisecond)
			if w := crit.At.Add(-2 * time.Second); w.After(from) {
				from = w
			}
			// The group's stop runs on every resource, the VIP included.
			n1.Log.Wait(t, "Releasing resource group: node1", since, 10*time.Second)
			time.Sleep(2 * time.Second)
			if hs := rc.holders(t, vip); len(hs) != 0 {
				t.Errorf("after the failed start the VIP is held by %v", hs)
			}
			calls := strings.Fields(readFile(t, filepath.Join(n1.Dir, "crashy.log")))
			if !containsSeq(calls, "start", "stop") {
				t.Errorf("crashy was called %v: want a start, then a stop", calls)
			}
			t.Logf("crash logged %v after the listener started", crit.At.Sub(listening).Round(time.Millisecond))
			if gap := arrivals.maxGap(from, time.Now()); gap > 150*time.Millisecond {
				t.Errorf("heartbeats from node1 stopped for %v around the crash", gap)
			}
			for _, d := range []*clustertest.Daemon{n1, n2} {
				for _, l := range d.Log.Since(since) {
					if strings.Contains(l.Text, "is dead") && strings.Contains(l.Text, "node node") {
						t.Errorf("%s: %s", d.Name, l.Text)
					}
				}
			}
			failsuite(t, "agent killed by SIG"+sig+" during start",
				"failed start: the whole group stopped again (reverse order), no death, heartbeats unbroken",
				fmt.Sprintf("group stopped (VIP down, crashy called %v); nobody died", calls),
				"max-heartbeat-gap="+ms(arrivals.maxGap(from, time.Now())))
		})
	}
}

// §3.5 and §10.9: a resource that cannot be stopped. After the retries
// (env STOPRETRYMAX=2: a second apart) the node logs heartbeat's CRIT
// lines, runs the self-fence (here a command that records it; heartbeat
// runs reboot -nf) and kills itself without releasing anything; the peer
// declares it dead and takes the group over.
func TestResourceStopFailureFences(t *testing.T) {
	vip := clustertest.VIP()
	// The self-fence records which node ran it ($HA_CURHOST), instead
	// of rebooting.
	fenceDir := t.TempDir()
	fence := filepath.Join(fenceDir, "fence")
	if err := os.WriteFile(fence, []byte("#!/bin/sh\ntouch "+fenceDir+"/fenced-$HA_CURHOST\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
		failback: "on", haresources: "node1 " + vip.String() + "/24/eth0 stuck\n",
		extra:    "env STOPRETRYMAX=2\n",
		hbdExtra: "hbd_self_fence " + fence + "\n",
		files: func(d *clustertest.Daemon) {
			d.WriteFile("resource.d/stuck", "#!/bin/sh\ncase \"$1\" in\nstop) exit 1;;\nstatus) echo running;;\nesac\nexit 0\n", 0o755)
		}})
	n1, n2 := rc.node(1), rc.node(2)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 40*time.Second)
	time.Sleep(6 * time.Second)
	asked := time.Now()
	runTool(t, n1, "hb_standby", "all")
	n1.Log.Wait(t, "Retrying failed stop operation [stuck]", asked, 10*time.Second)
	n1.Log.Wait(t, "Resource STOP failure. Reboot required!", asked, 10*time.Second)
	kill := n1.Log.Wait(t, "Killing heartbeat ungracefully!", asked, 10*time.Second)
	for deadline := time.Now().Add(5 * time.Second); !fileExists(filepath.Join(fenceDir, "fenced-node1")); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node1 never ran its self-fence")
		}
	}
	if fileExists(filepath.Join(fenceDir, "fenced-node2")) {
		t.Error("node2 fenced itself")
	}
	// The daemon ended itself (heartbeat: pkill -9), releasing nothing.
	for deadline := time.Now().Add(5 * time.Second); n1.Running(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node1's daemon still runs after its self-fence")
		}
	}
	if !clustertest.HasAddr(t, n1.Host, vip) {
		t.Error("node1 released the VIP before fencing: a fenced node releases nothing")
	}
	// The machine reboots: what it held is gone. The peer, which never
	// got a shutdown notice, declares it dead and takes over.
	n1.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0")
	dead := n2.Log.Wait(t, "node node1: is dead", kill.At, 5*time.Second)
	a := rc.vip.WaitFrom(t, "node2", kill.At, 20*time.Second)
	failsuite(t, "resource stop failure (after HA_STOPRETRYMAX retries)",
		"CRIT lines, self-fence (reboot -nf; here a recording command), daemon killed; peer declares it dead and takes over",
		"node1 fenced itself and died holding the group; node2 took the VIP",
		"dead-after="+ms(dead.At.Sub(kill.At))+" VIP-answered="+ms(a.At.Sub(kill.At)))
}

func containsSeq(s []string, seq ...string) bool {
	i := 0
	for _, v := range s {
		if i < len(seq) && v == seq[i] {
			i++
		}
	}
	return i == len(seq)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

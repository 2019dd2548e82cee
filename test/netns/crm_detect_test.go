package netns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// TestCRMKillAfterRestartDetected: a holder killed (kill -9) within
// milliseconds of a restart in place (monitor failure, stop, start of an
// OCF Dummy through the LRM) is declared dead by both peers after deadtime
// and at most a keepalive or so, like any other node: the restart in place
// holds nothing open and delays no heartbeat. The +2 s once seen after
// such a kill was heartbeat's start grace: a node advertises deadtime +
// 2 s for its first 5 s (hb_add_deadtime(2000)), and the holder had
// started less than 5 s before. The second half pins that grace: a node
// killed 1.5 s after its start is declared dead after deadtime + 2 s.
func TestCRMKillAfterRestartDetected(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	const deadtime, keepalive, grace = time.Second, 100 * time.Millisecond, 2 * time.Second
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "5",
		Extra: "pacemaker on\n"}
	cib := strings.Replace(crmCIB, `interval="2s"`, `interval="1s"`, 1)
	ds, rsctmp := crmNodes(t, spec, cib, nil)
	start := time.Now()
	for _, d := range ds {
		d.Start()
	}
	stateFile := func(name string) string { return filepath.Join(rsctmp[name], "Dummy-d1.state") }
	var holder *clustertest.Daemon
	for deadline := time.Now().Add(30 * time.Second); holder == nil; time.Sleep(20 * time.Millisecond) {
		var on []*clustertest.Daemon
		for _, d := range ds {
			if _, err := os.Stat(stateFile(d.Name)); err == nil {
				on = append(on, d)
			}
		}
		if len(on) > 1 {
			t.Fatalf("d1 runs on %d nodes", len(on))
		}
		if len(on) == 1 {
			holder = on[0]
		} else if time.Now().After(deadline) {
			t.Fatal("d1 started nowhere within 30s")
		}
	}
	var peers []*clustertest.Daemon
	for _, d := range ds {
		if d != holder {
			peers = append(peers, d)
		}
	}
	// deadAfter is how long after killed each peer declared name dead.
	deadAfter := func(name string, killed time.Time) []time.Duration {
		t.Helper()
		var out []time.Duration
		for _, d := range peers {
			l := d.Log.Wait(t, "node "+name+": is dead", killed, 30*time.Second)
			out = append(out, l.At.Sub(killed))
		}
		return out
	}

	// Past the holder's start grace, a monitor failure, and kill -9 as
	// soon as the restart's start runs.
	up := holder.Log.Wait(t, "Local status now set to: 'up'", start, 10*time.Second)
	time.Sleep(time.Until(up.At.Add(5*time.Second + 3*keepalive)))
	failed := time.Now()
	if err := os.Remove(stateFile(holder.Name)); err != nil {
		t.Fatal(err)
	}
	op := holder.Log.Wait(t, "rsc:d1 start[", failed, 30*time.Second)
	killed := holder.Kill9()
	t.Logf("%s killed %v after its restart's start was logged", holder.Name, killed.Sub(op.At).Round(time.Microsecond))
	for i, after := range deadAfter(holder.Name, killed) {
		// The last status went out within a keepalive before the kill.
		if after < deadtime-keepalive-50*time.Millisecond || after > deadtime+time.Second {
			t.Errorf("%s declared %s dead %v after kill -9, want deadtime %v and a keepalive", peers[i].Name, holder.Name, after.Round(time.Millisecond), deadtime)
		} else {
			t.Logf("%s declared %s dead %v after kill -9", peers[i].Name, holder.Name, after.Round(time.Millisecond))
		}
	}

	// Restarted and killed again 1.5 s after its start: its statuses
	// advertise deadtime + 2 s, which the peers apply.
	restarted := time.Now()
	holder.Start()
	up = holder.Log.Wait(t, "Local status now set to: 'up'", restarted, 10*time.Second)
	time.Sleep(time.Until(up.At.Add(1500 * time.Millisecond)))
	killed = holder.Kill9()
	for i, after := range deadAfter(holder.Name, killed) {
		if after < deadtime+grace-5*keepalive || after > deadtime+grace+time.Second {
			t.Errorf("%s declared %s, killed 1.5 s after its start, dead %v after kill -9, want deadtime + %v", peers[i].Name, holder.Name, after.Round(time.Millisecond), grace)
		} else {
			t.Logf("%s declared %s, killed 1.5 s after its start, dead %v after kill -9", peers[i].Name, holder.Name, after.Round(time.Millisecond))
		}
	}
}

package netns

import (
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// A daemon that was not scheduled for three deadtimes (SIGSTOP, as a VM
// freeze or CPU starvation would do) does not blame its peers when it
// runs again: no death, no takeover. The peer, which kept hearing nothing
// from it, declares it dead, as it must.
func TestOwnPauseNoFalseDeath(t *testing.T) {
	_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "10"})
	n1 := ds[0]
	n1.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 15*time.Second)
	time.Sleep(6 * time.Second)
	pid := n1.Pid()
	stopped := time.Now()
	syscall.Kill(pid, syscall.SIGSTOP)
	time.Sleep(3 * time.Second)
	syscall.Kill(pid, syscall.SIGCONT)
	n1.Log.Wait(t, "not counting it against peers", stopped, 5*time.Second)
	time.Sleep(2 * time.Second)
	if l, ok := n1.Log.Find("node node2: is dead", stopped); ok {
		t.Errorf("node1 blamed node2 for its own pause: %s", l.Text)
	}
	ds[1].Log.Wait(t, "node node1: is dead", stopped, 5*time.Second)
}

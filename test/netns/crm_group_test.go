package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// crmGroupVIP is the group's address, on the test network's link 0
// (198.18.0.(10+i) are the hosts').
const crmGroupVIP = "198.18.0.200"

// crmGroupCIB: a group g of a heartbeat-class IPaddr2 (hbd's built-in IP
// agent), an OCF Dummy and an LSB script, each monitored;
// migration-threshold=2 for every resource.
var crmGroupCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/><node id="node3" uname="node3"/></nodes>
<resources><group id="g">
<primitive id="vip" class="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia"><nvpair id="vip-1" name="1" value="` + crmGroupVIP + `/24/eth0"/></instance_attributes><operations><op id="vip-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive>
<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="d1-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive>
<primitive id="svc" class="lsb" type="hbdtestsvc"><operations><op id="svc-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive>
</group></resources>
<rsc_defaults><meta_attributes id="rsc-opts"><nvpair id="rsc-opts-mt" name="migration-threshold" value="2"/></meta_attributes></rsc_defaults>
<constraints/>
</configuration>
<status/>
</cib>
`

// lsbScript is the group's LSB member, /etc/init.d/hbdtestsvc in a
// node's mount namespace: its state is a file in the node's HA_RSCTMP.
const lsbScript = `#!/bin/sh
f=%s/hbdtestsvc.state
case "$1" in
start) touch "$f" ;;
stop) rm -f "$f" ;;
status) [ -e "$f" ] || exit 3 ;;
*) exit 3 ;;
esac
exit 0
`

// vipOn returns the nodes among ds whose eth0 holds crmGroupVIP.
func vipOn(t *testing.T, ds []*clustertest.Daemon) []string {
	var on []string
	for _, d := range ds {
		out, err := exec.Command("ip", "-n", d.Host.Name(), "-o", "-4", "addr", "show", "dev", "eth0").Output()
		if err != nil {
			t.Logf("%s: ip addr: %v", d.Name, err)
			continue
		}
		if strings.Contains(string(out), " "+crmGroupVIP+"/") {
			on = append(on, d.Name)
		}
	}
	return on
}

// TestCRMGroup: a group of the built-in IP agent's VIP, an OCF Dummy and
// an LSB script starts on one node (the address on its eth0, the Dummy's
// and the script's state files there); a first monitor failure of the Dummy restarts it in place; a
// second reaches migration-threshold=2 and the whole group moves to
// another node (the VIP gone from the old one); kill -9 of the new holder
// moves the group to the third node. No member is ever active on two
// connected nodes.
func TestCRMGroup(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	// Each node's /etc/init.d is a directory of its own holding the LSB
	// script (bound over the real one in its mount namespace).
	s := newCRMScene(t, crmGroupCIB, func(d *clustertest.Daemon) []string {
		initd := filepath.Join(d.Dir, "init.d")
		if err := os.MkdirAll(initd, 0o755); err != nil {
			t.Fatal(err)
		}
		rsctmp := filepath.Join(d.Dir, "rsctmp")
		if err := os.WriteFile(filepath.Join(initd, "hbdtestsvc"), []byte(fmt.Sprintf(lsbScript, rsctmp)), 0o755); err != nil {
			t.Fatal(err)
		}
		d.Binds = append(d.Binds, [2]string{initd, "/etc/init.d"})
		return nil
	})
	const d1, svc = "Dummy-d1.state", "hbdtestsvc.state"
	w := s.watch(d1, "")
	ws := s.watch(svc, "")
	// The VIP's own watch: at most one connected node holds it.
	var vipBad atomic.Value
	vipStop, vipDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(vipDone)
		for {
			select {
			case <-vipStop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var live []*clustertest.Daemon
			for _, d := range s.ds {
				if _, gone := w.down.Load(d.Name); !gone {
					live = append(live, d)
				}
			}
			if on := vipOn(t, live); len(on) > 1 && vipBad.Load() == nil {
				vipBad.Store(fmt.Sprintf("VIP on %v at %s", on, time.Now().Format("15:04:05.000")))
			}
		}
	}()
	stopVIPWatch := func() {
		select {
		case <-vipStop:
		default:
			close(vipStop)
		}
		<-vipDone
		if v := vipBad.Load(); v != nil {
			t.Errorf("active on two connected nodes: %s", v)
		}
	}
	t.Cleanup(stopVIPWatch)
	// waitGroup waits until both members run on exactly want (any one
	// node if want is "") among ds and nowhere else there.
	waitGroup := func(ds []*clustertest.Daemon, want string, timeout time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			dummy, vip, lsb := s.active(ds, d1, ""), vipOn(t, ds), s.active(ds, svc, "")
			if len(dummy) == 1 && len(vip) == 1 && len(lsb) == 1 && dummy[0] == vip[0] && lsb[0] == vip[0] && (want == "" || want == dummy[0]) {
				return dummy[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v: Dummy on %v, VIP on %v, LSB service on %v; want all on one node %s", timeout, dummy, vip, lsb, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// (1) The group starts on one node.
	holder := waitGroup(s.ds, "", 30*time.Second)
	s.waitDC(s.ds, s.start, 30*time.Second)
	t.Logf("g started on %s %v after the start", holder, time.Since(s.start).Round(time.Millisecond))
	for range 10 {
		waitGroup(s.ds, holder, 0)
		time.Sleep(50 * time.Millisecond)
	}

	// (2) A first monitor failure of the Dummy: restarted in place.
	hd := s.node(holder)
	failed := time.Now()
	if err := os.Remove(filepath.Join(s.rsctmp[holder], d1)); err != nil {
		t.Fatal(err)
	}
	hd.Log.Wait(t, "lrmd: rsc:d1 start", failed, 30*time.Second)
	waitGroup(s.ds, holder, 30*time.Second)
	t.Logf("d1 restarted in place on %s %v after its first failure", holder, time.Since(failed).Round(time.Millisecond))

	// (3) A second failure: migration-threshold reached, the group moves.
	// Not before the restart's monitor runs: a removal it never sees
	// would not count.
	time.Sleep(500 * time.Millisecond)
	failed = time.Now()
	if err := os.Remove(filepath.Join(s.rsctmp[holder], d1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var next string
	for {
		dummy, vip, lsb := s.active(s.ds, d1, ""), vipOn(t, s.ds), s.active(s.ds, svc, "")
		if len(dummy) == 1 && len(vip) == 1 && len(lsb) == 1 && dummy[0] == vip[0] && lsb[0] == vip[0] && dummy[0] != holder {
			next = dummy[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the second failure: Dummy on %v, VIP on %v, LSB service on %v; want all on a node other than %s", dummy, vip, lsb, holder)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("g moved from %s to %s %v after the second failure", holder, next, time.Since(failed).Round(time.Millisecond))
	for range 20 {
		waitGroup(s.ds, next, 0)
		time.Sleep(50 * time.Millisecond)
	}

	// (4) kill -9 of the new holder: the group on the third node. The
	// first holder's Dummy failed twice there and may not return.
	var third string
	for _, d := range s.ds {
		if d.Name != holder && d.Name != next {
			third = d.Name
		}
	}
	victim := s.node(next)
	w.down.Store(next, true)
	ws.down.Store(next, true)
	killed := victim.Kill9()
	alive := s.others(next)
	waitGroup(alive, third, 30*time.Second)
	t.Logf("g started on %s %v after kill -9 of %s", third, time.Since(killed).Round(time.Millisecond), next)
	for range 20 {
		waitGroup(alive, third, 0)
		time.Sleep(50 * time.Millisecond)
	}
	stopVIPWatch()
	w.check(t)
}

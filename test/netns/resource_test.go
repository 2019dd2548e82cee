package netns

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// rscCluster is a resource test's cluster: nodes on hosts 1..n of net and
// a client on host n+1 that probes the VIP.
type rscCluster struct {
	net    *netnstest.Net
	nodes  []*clustertest.Daemon
	client *netnstest.Host
	vip    *clustertest.Prober
}

// rscSpec describes a resource test's cluster.
type rscSpec struct {
	heartbeat   []bool // per node: real heartbeat 3.0.6 instead of hbd
	keepalive   string
	deadtime    string
	failback    string // auto_failback
	haresources string
	hbdExtra    string                      // more ha.cf lines for hbd nodes
	extra       string                      // more ha.cf lines for every node
	files       func(d *clustertest.Daemon) // writes per-node files before start
	links       int                         // heartbeat links (bcast eth0…); default 1
	initdead    string                      // default 10
	realtime    bool
}

func startRscCluster(t *testing.T, s rscSpec) *rscCluster {
	t.Helper()
	n := len(s.heartbeat)
	for _, hb := range s.heartbeat {
		if hb {
			clustertest.RequireHeartbeat(t)
		}
	}
	c := &rscCluster{net: netnstest.New(t, netnstest.Config{Hosts: n + 1, Links: max(s.links, 1)})}
	c.client = c.net.Host(n + 1)
	spec := clustertest.Spec{Nodes: n, Links: s.links, Media: "bcast", Keepalive: s.keepalive, Deadtime: s.deadtime,
		Initdead: cmp.Or(s.initdead, "10"), Realtime: s.realtime, Extra: "auto_failback " + s.failback + "\n" + s.extra}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("node%d", i)
		var d *clustertest.Daemon
		if s.heartbeat[i-1] {
			d = clustertest.NewHeartbeat(t, c.net.Host(i), name, func(log string) string { return spec.HaCF(c.net, i, log) })
		} else {
			hs := spec
			hs.Extra += "hbd_self_fence /bin/true\n" + s.hbdExtra
			d = clustertest.NewHBD(t, c.net.Host(i), name, func(log string) string { return hs.HaCF(c.net, i, log) })
		}
		d.WriteFile("haresources", s.haresources, 0o644)
		if s.files != nil {
			s.files(d)
		}
		clustertest.Serve(t, c.net.Host(i), name)
		c.nodes = append(c.nodes, d)
	}
	c.vip = clustertest.Probe(t, c.client, clustertest.VIP())
	for _, d := range c.nodes {
		d.Start()
	}
	return c
}

// node returns node i (1-based).
func (c *rscCluster) node(i int) *clustertest.Daemon { return c.nodes[i-1] }

// holders returns the names of the nodes whose host has addr.
func (c *rscCluster) holders(t *testing.T, addr netip.Addr) []string {
	t.Helper()
	var out []string
	for _, d := range c.nodes {
		if clustertest.HasAddr(t, d.Host, addr) {
			out = append(out, d.Name)
		}
	}
	return out
}

// reboot stands for the machine of a killed node coming back: what its
// resources left behind (the VIP, agents' state) is gone, then the daemon
// starts again.
func (c *rscCluster) reboot(t *testing.T, d *clustertest.Daemon) time.Time {
	t.Helper()
	d.Host.Exec("ip", "addr", "del", clustertest.VIP().String()+"/24", "dev", "eth0")
	os.RemoveAll(filepath.Join(d.Dir, "rscstate"))
	os.MkdirAll(filepath.Join(d.Dir, "rscstate"), 0o755)
	at := time.Now()
	d.Start()
	return at
}

// runTool runs the real hb_standby or hb_takeover against a daemon's
// FIFO, as an operator would.
func runTool(t *testing.T, d *clustertest.Daemon, tool string, args ...string) {
	t.Helper()
	cmd := exec.Command("/usr/share/heartbeat/"+tool, args...)
	cmd.Env = append(os.Environ(), "HA_FIFO="+d.FIFO(), "HA_LOGFILE="+filepath.Join(d.Dir, "log"), "HA_LOGFACILITY=none", "HA_DEBUGLOG=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// websvc is a heartbeat-style resource script: start/stop/status with the
// status verb's text deciding ownership, state kept in the node's
// rscstate directory (per node: the hosts share the machine's /run).
func websvc(d *clustertest.Daemon) {
	state := filepath.Join(d.Dir, "rscstate")
	os.MkdirAll(state, 0o755)
	d.WriteFile("resource.d/websvc", `#!/bin/sh
state=`+state+`/websvc
case "$1" in
start)  touch $state;;
stop)   rm -f $state;;
status) if [ -f $state ]; then echo "websvc is running"; else echo "websvc is stopped"; fi;;
esac
exit 0
`, 0o755)
	// OCF::Dummy::d1 parameters: the state file must be per node.
	d.WriteFile("conf/OCF/Dummy/d1", "OCF_RESKEY_state="+state+"/dummy-d1.state\n", 0o644)
}

// The VIP follows the cluster through the scenarios users rely on, with
// each kind of agent: hbd's built-in IP agent, the real IPaddr2 OCF agent
// through resource.d, and a group of the built-in IP, a real OCF agent
// (Dummy) and a heartbeat-style script.
//
//	kill -9 of the holder       → the survivor answers for the VIP
//	the holder returns, failback on → the VIP moves back
//	hbd -k on the holder        → hand-off without waiting out deadtime
//	hb_standby / hb_takeover    → the VIP moves, and back
func TestResourceFailover(t *testing.T) {
	vip := clustertest.VIP().String()
	for _, c := range []struct{ name, haresources, extra string }{
		{"builtin", "node1 " + vip + "/24/eth0\n", ""},
		{"IPaddr2", "node1 IPaddr2::" + vip + "/24/eth0\n", "hbd_ip_agent script\n"},
		{"group", "node1 IPaddr2::" + vip + "/24/eth0 OCF::Dummy::d1 websvc\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
				failback: "on", haresources: c.haresources, hbdExtra: c.extra, files: websvc})
			n1, n2 := rc.node(1), rc.node(2)
			start := time.Now()
			rc.vip.WaitFrom(t, "node1", start, 30*time.Second)
			groupHeld(t, c.name, n1, true)

			// kill -9 of the holder.
			time.Sleep(6 * time.Second) // past the raised start deadtime
			killed := n1.Kill9()
			a := rc.vip.WaitFrom(t, "node2", killed, 10*time.Second)
			t.Logf("kill -9: VIP answered from node2 %v after the kill", a.At.Sub(killed).Round(time.Millisecond))
			groupHeld(t, c.name, n2, true)

			// The holder returns; auto_failback on gives it the group back.
			back := rc.reboot(t, n1)
			a = rc.vip.WaitFrom(t, "node1", back, 40*time.Second)
			t.Logf("failback: VIP answered from node1 %v after its restart", a.At.Sub(back).Round(time.Millisecond))
			waitHolders(t, rc, []string{"node1"}, 10*time.Second)
			groupHeld(t, c.name, n2, false)

			// hbd -k on the holder: the peer takes over at once.
			time.Sleep(6 * time.Second)
			stopped := time.Now()
			if out, err := n1.InNamespaces(append([]string{clustertest.HBD(), "-k"}, n1.Args()...)...); err != nil && err.Error() != "signal: killed" {
				t.Fatalf("hbd -k: %v\n%s", err, out)
			}
			a = rc.vip.WaitFrom(t, "node2", stopped, 10*time.Second)
			gap := rc.vip.Gap(stopped, a.At)
			t.Logf("hbd -k: VIP answered from node2 %v after the stop, longest gap %v", a.At.Sub(stopped).Round(time.Millisecond), gap.Round(time.Millisecond))
			// The hand-off must not wait out deadtime: the peer hears the
			// shutdown notice (sent once node1 has released the group,
			// however long its agents took), declares nobody dead, and
			// serves the VIP sooner than deadtime after the notice. The
			// total depends on both sides' agents: IPaddr2's stop and
			// start together took over a second on a cold machine.
			notice := n2.Log.Wait(t, "Received shutdown notice from 'node1'.", stopped, 5*time.Second)
			if l, ok := n2.Log.Find("node node1: is dead", stopped); ok {
				t.Errorf("clean stop waited for deadtime: %s", l.Text)
			}
			if took := a.At.Sub(notice.At); took >= time.Second {
				t.Errorf("node2 answered %v after the shutdown notice: not faster than deadtime (1 s)", took)
			}
			if l, ok := n2.Log.Find("No STONITH device configured", stopped); ok {
				t.Errorf("clean stop needed STONITH: %s", l.Text)
			}

			back = rc.reboot(t, n1)
			rc.vip.WaitFrom(t, "node1", back, 40*time.Second)

			// hb_standby on the holder, then hb_takeover there.
			time.Sleep(2 * time.Second)
			asked := time.Now()
			runTool(t, n1, "hb_standby")
			rc.vip.WaitFrom(t, "node2", asked, 15*time.Second)
			n1.Log.Wait(t, "Going standby [all].", asked, 5*time.Second)
			waitHolders(t, rc, []string{"node2"}, 10*time.Second)
			time.Sleep(2 * time.Second)
			asked = time.Now()
			runTool(t, n1, "hb_takeover")
			rc.vip.WaitFrom(t, "node1", asked, 15*time.Second)
			waitHolders(t, rc, []string{"node1"}, 10*time.Second)
			if !clustertest.Ping(rc.client, clustertest.VIP()) {
				t.Errorf("VIP does not answer ICMP echo")
			}
		})
	}
}

// groupHeld checks the non-IP members of the "group" case: the Dummy
// agent's and the script's state files exist exactly on the holder.
func groupHeld(t *testing.T, name string, d *clustertest.Daemon, want bool) {
	t.Helper()
	if name != "group" {
		return
	}
	for _, f := range []string{"websvc", "dummy-d1.state"} {
		var got bool
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got = fileExists(filepath.Join(d.Dir, "rscstate", f))
			if got == want || time.Now().After(deadline) {
				break
			}
		}
		if got != want {
			t.Errorf("%s: %s present = %v, want %v", d.Name, f, got, want)
		}
	}
}

// waitHolders waits until exactly the named nodes have the VIP.
func waitHolders(t *testing.T, rc *rscCluster, want []string, timeout time.Duration) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = rc.holders(t, clustertest.VIP())
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
	}
	t.Fatalf("VIP held by %v, want %v", got, want)
}

// auto_failback off: the returning node gets nothing back.
func TestResourceNoFailback(t *testing.T) {
	vip := clustertest.VIP().String()
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
		failback: "off", haresources: "node1 " + vip + "/24/eth0\n"})
	n1 := rc.node(1)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	time.Sleep(6 * time.Second)
	killed := n1.Kill9()
	rc.vip.WaitFrom(t, "node2", killed, 10*time.Second)
	back := rc.reboot(t, n1)
	rc.node(2).Log.Wait(t, "Status update for node node1: status active", back, 20*time.Second)
	n1.Log.Wait(t, "Initial resource acquisition complete", back, 30*time.Second)
	time.Sleep(3 * time.Second)
	if h := rc.holders(t, clustertest.VIP()); strings.Join(h, ",") != "node2" {
		t.Errorf("auto_failback off: VIP held by %v after node1 returned, want node2 only", h)
	}
	if a, ok := rc.vip.Last(); !ok || a.From != "node2" {
		t.Errorf("auto_failback off: VIP answered by %v after node1 returned", a)
	}
}

// A mixed cluster of heartbeat 3.0.6 and hbd: each node prefers one group;
// each node's death moves its group to the other, and its return brings
// the group back (auto_failback on), in both directions.
func TestResourceMixedCluster(t *testing.T) {
	vip1, vip2 := clustertest.VIP(), netip.AddrFrom4([4]byte{198, 18, 0, 101})
	for _, hbFirst := range []bool{true, false} {
		name := "heartbeat-node1"
		if !hbFirst {
			name = "hbd-node1"
		}
		t.Run(name, func(t *testing.T) {
			rc := startRscCluster(t, rscSpec{heartbeat: []bool{hbFirst, !hbFirst}, keepalive: "100ms", deadtime: "1",
				failback: "on", haresources: "node1 IPaddr2::" + vip1.String() + "/24/eth0\nnode2 IPaddr2::" + vip2.String() + "/24/eth0\n"})
			vip2p := clustertest.Probe(t, rc.client, vip2)
			start := time.Now()
			rc.vip.WaitFrom(t, "node1", start, 40*time.Second)
			vip2p.WaitFrom(t, "node2", start, 40*time.Second)
			for _, victim := range []int{1, 2} {
				v, s := rc.node(victim), rc.node(3-victim)
				p := rc.vip
				addr := vip1
				if victim == 2 {
					p, addr = vip2p, vip2
				}
				time.Sleep(6 * time.Second)
				killed := v.Kill9()
				a := p.WaitFrom(t, s.Name, killed, 15*time.Second)
				t.Logf("%s killed: %s answers %v later", v.Name, s.Name, a.At.Sub(killed).Round(time.Millisecond))
				v.Host.Exec("ip", "addr", "del", addr.String()+"/24", "dev", "eth0")
				back := time.Now()
				v.Start()
				a = p.WaitFrom(t, v.Name, back, 60*time.Second)
				t.Logf("%s back: its VIP answers from it %v after restart", v.Name, a.At.Sub(back).Round(time.Millisecond))
				for deadline := time.Now().Add(10 * time.Second); clustertest.HasAddr(t, s.Host, addr); time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%s still has %s after failback", s.Name, addr)
					}
				}
			}
			for _, d := range rc.nodes {
				if d.Heartbeat() {
					clustertest.CheckHeartbeatLog(t, d)
				}
			}
		})
	}
}

// Three hbd nodes: after each death exactly one survivor holds the group.
func TestResourceThreeNodes(t *testing.T) {
	vip := clustertest.VIP()
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false, false}, keepalive: "100ms", deadtime: "1",
		failback: "off", haresources: "node1 " + vip.String() + "/24/eth0\n"})
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	waitHolders(t, rc, []string{"node1"}, 5*time.Second)
	alive := map[string]bool{"node1": true, "node2": true, "node3": true}
	holder := "node1"
	for range 2 {
		time.Sleep(6 * time.Second)
		var d *clustertest.Daemon
		for _, n := range rc.nodes {
			if n.Name == holder {
				d = n
			}
		}
		killed := d.Kill9()
		d.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0")
		delete(alive, holder)
		// Wait until a survivor answers, then watch for a while: never
		// two holders among the survivors.
		var first clustertest.Answer
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			a, ok := rc.vip.Last()
			if ok && a.At.After(killed) && alive[a.From] {
				first = a
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no survivor answers for the VIP after %s died", holder)
			}
		}
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			var hs []string
			for _, h := range rc.holders(t, vip) {
				if alive[h] {
					hs = append(hs, h)
				}
			}
			if len(hs) != 1 {
				t.Fatalf("after %s died the VIP is held by %v", holder, hs)
			}
		}
		t.Logf("%s died: %s took the VIP, %v after the kill", holder, first.From, first.At.Sub(killed).Round(time.Millisecond))
		holder = first.From
	}
}

// A hung start agent neither stops the heartbeats (no gap over 1.5 ×
// keepalive, seen by a listener on the link) nor survives its timeout:
// its whole process group is killed.
func TestResourceHungAgent(t *testing.T) {
	const keepalive = 100 * time.Millisecond
	// Two nodes: a cluster of one never acquires anything, in heartbeat
	// as in hbd (no peer ever answers its "starting").
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
		failback: "on", haresources: "node1 hang\n", hbdExtra: "hbd_action_timeout 3\n",
		files: func(d *clustertest.Daemon) {
			d.WriteFile("resource.d/hang", "#!/bin/sh\ncase \"$1\" in\nstart) touch "+filepath.Join(d.Dir, "hung")+"; sleep 1001 & sleep 1002;;\nstatus) echo stopped;;\nesac\nexit 0\n", 0o755)
		}})
	n1 := rc.node(1)
	arrivals := listenHeartbeats(t, rc.client, rc.net.Host(1).Addr(0))
	defer func() {
		if t.Failed() {
			t.Logf("heartbeats from node1 seen by the client: %d", arrivals.count())
		}
	}()
	var started time.Time
	for deadline := time.Now().Add(40 * time.Second); !fileExists(filepath.Join(n1.Dir, "hung")); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hanging agent was never started")
		}
	}
	started = time.Now()
	time.Sleep(2 * time.Second)
	if gap := arrivals.maxGap(started, time.Now()); gap > keepalive*3/2 {
		t.Errorf("while an agent hangs, heartbeats stopped for %v (keepalive %v)", gap, keepalive)
	}
	// The timeout kills the agent and its child.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, _ := n1.InNamespaces("ps", "-eo", "args")
		if !strings.Contains(out, "sleep 100") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hung agent's process group outlived its timeout:\n%s", out)
		}
	}
	n1.Log.Wait(t, "timed out after 3s: killing process group", started, 5*time.Second)
	// A failed start rolls the group back, and its status stays "stopped".
	n1.Log.Wait(t, "Giving up resources due to failure of hang", started, 15*time.Second)
	if gap := arrivals.maxGap(started, time.Now()); gap > keepalive*3/2 {
		t.Errorf("heartbeats stopped for %v around the agent's timeout (keepalive %v)", gap, keepalive)
	}
}

// heartbeatArrivals records when datagrams from one source arrive on
// heartbeat's UDP port.
type heartbeatArrivals struct {
	mu sync.Mutex
	at []time.Time
}

func listenHeartbeats(t *testing.T, h *netnstest.Host, from netip.Addr) *heartbeatArrivals {
	t.Helper()
	var conn *net.UDPConn
	var err error
	h.Run(func() { conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: 694}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	a := &heartbeatArrivals{}
	go func() {
		buf := make([]byte, 65536)
		for {
			_, src, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if src.Addr() == from {
				a.mu.Lock()
				a.at = append(a.at, time.Now())
				a.mu.Unlock()
			}
		}
	}()
	return a
}

func (a *heartbeatArrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

// maxGap is the longest silence between from and to.
func (a *heartbeatArrivals) maxGap(from, to time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	prev := from
	var gap time.Duration
	for _, at := range a.at {
		if at.Before(from) {
			continue
		}
		if at.After(to) {
			break
		}
		gap = max(gap, at.Sub(prev))
		prev = at
	}
	return max(gap, to.Sub(prev))
}

// Three hbd nodes with auto_failback on: the holder dies, one survivor
// takes the group; when the node comes back, the group returns to it
// (hbd's direct failback: heartbeat's two-party standby exchange does not
// apply with three nodes), and never runs on two nodes at once.
func TestResourceThreeNodesFailback(t *testing.T) {
	vip := clustertest.VIP()
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false, false}, keepalive: "100ms", deadtime: "1",
		failback: "on", haresources: "node1 " + vip.String() + "/24/eth0\n"})
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	time.Sleep(6 * time.Second)
	n1 := rc.node(1)
	killed := n1.Kill9()
	n1.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0")
	var a clustertest.Answer
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if l, ok := rc.vip.Last(); ok && l.At.After(killed) && l.From != "node1" {
			a = l
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no survivor answers for the VIP after node1 died")
		}
	}
	taker := a.From
	time.Sleep(2 * time.Second)
	back := rc.reboot(t, n1)
	stop := make(chan struct{})
	done := make(chan []string)
	go func() {
		// Never two holders while the group moves back.
		var bad []string
		for {
			select {
			case <-stop:
				done <- bad
				return
			case <-time.After(50 * time.Millisecond):
			}
			if hs := rc.holders(t, vip); len(hs) > 1 {
				bad = hs
			}
		}
	}()
	r := rc.vip.WaitFrom(t, "node1", back, 40*time.Second)
	n1.Log.Wait(t, "hbd: auto_failback: taking", back, 5*time.Second)
	time.Sleep(2 * time.Second)
	close(stop)
	if bad := <-done; bad != nil {
		t.Errorf("during failback the VIP was held by %v", bad)
	}
	waitHolders(t, rc, []string{"node1"}, 5*time.Second)
	t.Logf("node1 died: %s took the VIP %v after the kill; node1 back: VIP on node1 %v after its restart",
		taker, a.At.Sub(killed).Round(time.Millisecond), r.At.Sub(back).Round(time.Millisecond))
}

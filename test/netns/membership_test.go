package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Three hbd nodes see each other active, over each UDP medium.
func TestJoin(t *testing.T) {
	for _, media := range []string{"bcast", "mcast", "ucast"} {
		t.Run(media, func(t *testing.T) {
			_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 3, Media: media, Keepalive: "100ms", Deadtime: "1", Initdead: "10"})
			start := time.Now().Add(-time.Minute)
			for _, d := range ds {
				d.Log.Wait(t, "Comm_now_up(): updating status to active", start, 15*time.Second)
				for _, p := range ds {
					if p != d {
						d.Log.Wait(t, fmt.Sprintf("Status update for node %s: status active", p.Name), start, 15*time.Second)
					}
				}
			}
			for _, d := range ds {
				if l, ok := d.Log.Find("is dead", start); ok {
					t.Errorf("%s: %s", d.Name, l.Text)
				}
			}
		})
	}
}

// kill -9 of one node: the others declare it dead no earlier than deadtime
// after its last heartbeat and no later than deadtime + 100 ms. Its last
// heartbeat went out at most one keepalive before the kill.
func TestKillDetected(t *testing.T) {
	const keepalive, deadtime = 50 * time.Millisecond, 300 * time.Millisecond
	_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "50ms", Deadtime: "300ms", Initdead: "10"})
	start := time.Now().Add(-time.Minute)
	for _, d := range ds[:2] {
		d.Log.Wait(t, "Status update for node node3: status active", start, 15*time.Second)
	}
	// For its first 5 s a node asks its peers for deadtime + 2 s, as
	// heartbeat does; measure after that.
	time.Sleep(6 * time.Second)
	killed := ds[2].Kill9()
	for _, d := range ds[:2] {
		l := d.Log.Wait(t, "node node3: is dead", killed, 5*time.Second)
		after := l.At.Sub(killed)
		t.Logf("%s declared node3 dead %v after kill -9", d.Name, after.Round(time.Millisecond))
		if after < deadtime-keepalive {
			t.Errorf("%s declared node3 dead %v after the kill: earlier than deadtime after its last heartbeat", d.Name, after)
		}
		if after > deadtime+100*time.Millisecond {
			t.Errorf("%s declared node3 dead %v after the kill: later than deadtime + 100 ms", d.Name, after)
		}
		d.Log.Wait(t, "Link node3:eth0 dead.", killed, time.Second)
	}
	for _, d := range ds[:2] {
		if l, ok := d.Log.Find("node node1: is dead", start); ok {
			t.Errorf("%s: false death: %s", d.Name, l.Text)
		}
		if l, ok := d.Log.Find("node node2: is dead", start); ok {
			t.Errorf("%s: false death: %s", d.Name, l.Text)
		}
	}
}

// Taking down one of two Media: "Link … dead" is logged and the node
// stays up.
func TestLinkLoss(t *testing.T) {
	net, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 2, Links: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "500ms", Initdead: "10"})
	start := time.Now().Add(-time.Minute)
	for _, d := range ds {
		d.Log.Wait(t, "Comm_now_up()", start, 15*time.Second)
		d.Log.Wait(t, "Link node1:eth1 up.", start, 5*time.Second)
		d.Log.Wait(t, "Link node2:eth1 up.", start, 5*time.Second)
	}
	down := time.Now()
	net.Host(2).LinkDown(1)
	ds[0].Log.Wait(t, "Link node2:eth1 dead.", down, 5*time.Second)
	time.Sleep(time.Second)
	for _, d := range ds {
		if l, ok := d.Log.Find("is dead", down); ok {
			t.Errorf("%s: a node died with one link left: %s", d.Name, l.Text)
		}
	}
	if _, ok := ds[0].Log.Find("Link node2:eth0 dead.", down); ok {
		t.Error("the link that stayed up was declared dead")
	}
}

// A restarted node rejoins with a new generation.
func TestRestartNewGeneration(t *testing.T) {
	_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "500ms", Initdead: "10"})
	start := time.Now().Add(-time.Minute)
	ds[0].Log.Wait(t, "Status update for node node2: status active", start, 15*time.Second)
	first := ds[1].Log.Wait(t, "Heartbeat generation: ", start, time.Second)
	ds[1].Stop()
	ds[0].Log.Wait(t, "node node2: is dead", start, 5*time.Second)
	restarted := time.Now()
	ds[1].Start()
	second := ds[1].Log.Wait(t, "Heartbeat generation: ", restarted, 5*time.Second)
	var g1, g2 uint64
	fmt.Sscanf(first.Text[len(first.Text)-20:], "%*s %d", &g1)
	if _, err := fmt.Sscanf(afterLast(first.Text, "generation: "), "%d", &g1); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscanf(afterLast(second.Text, "generation: "), "%d", &g2); err != nil {
		t.Fatal(err)
	}
	if g2 != g1+1 {
		t.Errorf("generation %d after %d", g2, g1)
	}
	ds[0].Log.Wait(t, "Heartbeat restart on node node2", restarted, 10*time.Second)
	ds[0].Log.Wait(t, "Status update for node node2: status active", restarted, 15*time.Second)
}

func afterLast(s, sep string) string {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[i+len(sep):]
		}
	}
	return ""
}

// heartbeat's control flags against a running daemon: -s reports it, -r
// validates and signals it, -k stops it and waits.
func TestControlFlags(t *testing.T) {
	_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 1, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "2"})
	d := ds[0]
	d.Log.Wait(t, "Local status now set to: 'up'", time.Now().Add(-time.Minute), 10*time.Second)
	hbd := func(flag string) (string, error) {
		return d.InNamespaces(append([]string{clustertest.HBD(), flag}, d.Args()...)...)
	}
	out, err := hbd("-s")
	if err != nil || !strings.Contains(out, "heartbeat OK [pid 1 et al] is running on") || !strings.Contains(out, "[node1]...") {
		t.Errorf("-s: %q, %v", out, err)
	}
	signalled := time.Now()
	if out, err := hbd("-r"); err != nil || !strings.Contains(out, "Signalling heartbeat pid 1 to reread config files") {
		t.Errorf("-r: %q, %v", out, err)
	}
	d.Log.Wait(t, "Configuration unchanged.", signalled, 5*time.Second)
	// hbd -k runs inside the daemon's PID namespace, whose init the daemon
	// is: when the daemon exits, the kernel kills -k too.
	if out, err := hbd("-k"); err != nil && err.Error() != "signal: killed" {
		t.Errorf("-k: %q, %v", out, err)
	}
	d.Log.Wait(t, "node1 Heartbeat shutdown complete.", signalled, 5*time.Second)
}

// Status changes run the rc.d hooks through harc, as heartbeat does: the
// real /etc/ha.d/harc runs our rc.d/status with the message's fields in
// HA_* variables.
func TestRcStatusHook(t *testing.T) {
	clustertest.RequireHeartbeat(t) // for /etc/ha.d/harc and shellfuncs
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "500ms", Initdead: "10"}
	n1 := clustertest.NewHBD(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
	n2 := clustertest.NewHBD(t, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) })
	etc := filepath.Join(n1.Dir, "etc")
	record := filepath.Join(n1.Dir, "hooks")
	for _, f := range []string{"harc", "shellfuncs"} {
		if out, err := exec.Command("cp", "/etc/ha.d/"+f, filepath.Join(etc, f)).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	os.MkdirAll(filepath.Join(etc, "rc.d"), 0o755)
	hook := "#!/bin/sh\necho \"$1 $HA_src $HA_st $HA_CURHOST\" >> " + record + "\n"
	if err := os.WriteFile(filepath.Join(etc, "rc.d", "status"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	n1.Start()
	n2.Start()
	n1.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 15*time.Second)
	time.Sleep(6 * time.Second)
	killed := n2.Kill9()
	n1.Log.Wait(t, "node node2: is dead", killed, 5*time.Second)
	want := "status node2 dead node1"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(record); strings.Contains(string(b), want) {
			// harc logs itself (ha_log) into the logfile.
			n1.Log.Wait(t, "Running "+etc+"/rc.d/status status", killed, 5*time.Second)
			return
		}
	}
	b, _ := os.ReadFile(record)
	t.Fatalf("rc.d/status did not record %q; it recorded:\n%s", want, b)
}

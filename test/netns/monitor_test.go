package netns

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// Monitoring of haresources groups (hbd_monitor): a failed resource is
// restarted in place; one that keeps failing gives its group to the peer,
// heartbeat 3.0.6 peers included; and the daemon's LRM answers lrmadmin.

// flaky is a heartbeat-style resource script whose status says "stopped"
// while the node's rscstate/broken exists, whatever start and stop do: a
// service that cannot be kept running on that node.
func flaky(d *clustertest.Daemon) {
	state := filepath.Join(d.Dir, "rscstate")
	os.MkdirAll(state, 0o755)
	d.WriteFile("resource.d/flaky", `#!/bin/sh
state=`+state+`
case "$1" in
start)  touch $state/flaky;;
stop)   rm -f $state/flaky;;
status) if [ -f $state/flaky ] && [ ! -f $state/broken ]; then echo "flaky is running"; else echo "flaky is stopped"; fi;;
esac
exit 0
`, 0o755)
}

// monitorMetrics is the metrics endpoint of the monitoring tests' node1.
const monitorMetrics = "127.0.0.1:9695"

// The VIP removed by hand on its holder comes back on that node, through
// the built-in IP agent's monitor and a restart in place; the group does
// not move.
func TestMonitorVIPRestoredInPlace(t *testing.T) {
	vip := clustertest.VIP()
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1", failback: "off",
		haresources: "node1 " + vip.String() + "/24/eth0\n", hbdExtra: "hbd_monitor 1s\nhbd_metrics_listen " + monitorMetrics + "\n"})
	n1 := rc.node(1)
	n1.Host.Exec("ip", "link", "set", "lo", "up")
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	n1.Log.Wait(t, "hbd: monitoring 1 haresources group(s)", time.Now().Add(-time.Minute), 5*time.Second)
	time.Sleep(2 * time.Second) // a monitor or two pass
	removed := time.Now()
	if out, err := n1.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0"); err != nil {
		t.Fatalf("ip addr del: %v\n%s", err, out)
	}
	var back time.Time
	for deadline := removed.Add(15 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if clustertest.HasAddr(t, n1.Host, vip) {
			back = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("VIP not restored on node1 within 15 s of its removal")
		}
	}
	l := n1.Log.Wait(t, "restarted in place", removed, 5*time.Second)
	tok := vip.String() + "/24/eth0"
	n1.Log.Wait(t, "hbd: monitor of resource "+tok+" (group "+tok+") failed: rc=7", removed, time.Second)
	t.Logf("VIP restored on node1 %v after its removal (1 s monitor); %s", back.Sub(removed).Round(time.Millisecond), l.Text)
	a := rc.vip.WaitFrom(t, "node1", back, 10*time.Second)
	t.Logf("VIP answered again from node1 %v after its removal", a.At.Sub(removed).Round(time.Millisecond))
	if h := rc.holders(t, vip); strings.Join(h, ",") != "node1" {
		t.Errorf("VIP held by %v after the restart in place, want node1 only", h)
	}
	if _, ok := rc.node(2).Log.Find("standby", removed); ok {
		t.Errorf("a restart in place involved the peer")
	}
	group := `{group="` + tok + `"}`
	waitMetric(t, n1.Host, monitorMetrics, "hbd_monitor_failures_total"+group+" 1", 5*time.Second)
	page := waitMetric(t, n1.Host, monitorMetrics, "hbd_monitor_restarts_total"+group+" 1", 5*time.Second)
	if !strings.Contains(page, "hbd_monitor_giveups_total"+group+" 0") {
		t.Errorf("give-ups counted for a restart in place:\n%s", grepLines(page, "hbd_monitor"))
	}
	// The LRM's own series: the failed monitor (rc 7) and its run time.
	page = waitMetric(t, n1.Host, monitorMetrics, `hbd_lrm_operations_total{class="heartbeat",op="monitor",rc="7",`, 5*time.Second)
	if !strings.Contains(page, `hbd_lrm_operation_seconds_count{class="heartbeat"}`) {
		t.Errorf("no run-time histogram for the heartbeat class:\n%s", grepLines(page, "hbd_lrm"))
	}

	// After a quick restart (a changed ha.cf: hbd -r), the new process
	// holds the group without taking it, and watches it all the same.
	haCF := filepath.Join(n1.Etc(), "ha.cf")
	cf, err := os.ReadFile(haCF)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := os.WriteFile(haCF, []byte(strings.Replace(string(cf), "hbd_monitor 1s", "hbd_monitor 500ms", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := n1.InNamespaces(append([]string{clustertest.HBD(), "-r"}, n1.Args()...)...); err != nil {
		t.Fatalf("hbd -r: %v\n%s", err, out)
	}
	n1.Log.Wait(t, "Performing heartbeat restart exec.", begin, 5*time.Second)
	n1.Log.Wait(t, "hbd: monitoring 1 haresources group(s)", begin, 10*time.Second)
	n1.Log.Wait(t, "Local status now set to: 'active'", begin, 10*time.Second)
	time.Sleep(time.Second)
	removed = time.Now()
	if out, err := n1.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0"); err != nil {
		t.Fatalf("ip addr del: %v\n%s", err, out)
	}
	l = n1.Log.Wait(t, "restarted in place", removed, 10*time.Second)
	t.Logf("after the quick restart: %s", l.Text)
	waitHolders(t, rc, []string{"node1"}, 5*time.Second)
}

// The same with hbd_ip_agent script: IPaddr2 through resource.d's
// wrapper and the OCF agent (status, stop and start forked).
func TestMonitorVIPRestoredScript(t *testing.T) {
	vip := clustertest.VIP()
	tok := "IPaddr2::" + vip.String() + "/24/eth0"
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1", failback: "off",
		haresources: "node1 " + tok + "\n", hbdExtra: "hbd_ip_agent script\nhbd_monitor 1s\n"})
	n1 := rc.node(1)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	time.Sleep(2 * time.Second)
	removed := time.Now()
	if out, err := n1.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0"); err != nil {
		t.Fatalf("ip addr del: %v\n%s", err, out)
	}
	fail := n1.Log.Wait(t, "hbd: monitor of resource "+tok+" (group "+tok+") failed: rc=7", removed, 15*time.Second)
	l := n1.Log.Wait(t, "restarted in place", removed, 15*time.Second)
	a := rc.vip.WaitFrom(t, "node1", fail.At, 10*time.Second)
	t.Logf("IPaddr2 script: failure seen %v after the removal, VIP answered again %v after it; %s",
		fail.At.Sub(removed).Round(time.Millisecond), a.At.Sub(removed).Round(time.Millisecond), l.Text)
	waitHolders(t, rc, []string{"node1"}, 5*time.Second)
}

// A resource whose monitor keeps failing: restarted hbd_monitor_restarts
// times, then its group (with the VIP) is given up to the peer, an hbd
// node or heartbeat 3.0.6.
func TestMonitorGivesGroupUp(t *testing.T) { testMonitorGivesGroupUp(t, false) }

// The same with a heartbeat 3.0.6 peer.
func TestMonitorGivesGroupUpMixed(t *testing.T) { testMonitorGivesGroupUp(t, true) }

func testMonitorGivesGroupUp(t *testing.T, hb bool) {
	vip := clustertest.VIP()
	// deadtime 4: a loaded machine holds heartbeat 3.0.6's loop up
	// for a second at times (it then declares node1 dead, which
	// is not what this test is about).
	// With hbd peers the group ends with the real OCF Dummy agent (its
	// parameters from conf/OCF/Dummy/d1), which the restart of flaky
	// stops and starts through the LRM; heartbeat 3.0.6's resource.d/OCF
	// wrapper cannot run it.
	haresources := "node1 IPaddr2::" + vip.String() + "/24/eth0 flaky OCF::Dummy::d1\n"
	if hb {
		haresources = "node1 IPaddr2::" + vip.String() + "/24/eth0 flaky\n"
	}
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, hb}, keepalive: "100ms", deadtime: "4", failback: "off",
		haresources: haresources, hbdExtra: "hbd_monitor 500ms\nhbd_monitor_restarts 1\n",
		files: func(d *clustertest.Daemon) { websvc(d); flaky(d) }})
	n1, n2 := rc.node(1), rc.node(2)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 40*time.Second)
	n1.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 20*time.Second)
	time.Sleep(2 * time.Second) // both sides stable: standby needs it
	broken := time.Now()
	if err := os.WriteFile(filepath.Join(n1.Dir, "rscstate", "broken"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	n1.Log.Wait(t, `hbd: monitor of resource flaky (group IPaddr2::`+vip.String()+`/24/eth0) failed: rc=7 exit code 0, output: "flaky is stopped"`, broken, 10*time.Second)
	n1.Log.Wait(t, "hbd: restarting resource flaky of group", broken, 5*time.Second)
	if !hb {
		// Dummy was monitored with its instance's parameters (else its
		// first monitor fails), and restarted after flaky.
		if l, ok := n1.Log.Find("hbd: monitor of resource OCF::Dummy::d1", time.Now().Add(-time.Minute)); ok {
			t.Errorf("Dummy's monitor failed: %s", l.Text)
		}
		n1.Log.Wait(t, "lrmd: operation stop", broken, 5*time.Second)
		n1.Log.Wait(t, "on d1: pid", broken, 5*time.Second)
	}
	gave := n1.Log.Wait(t, "hbd: giving up group IPaddr2::"+vip.String()+"/24/eth0 (1 restart(s) within 10m0s did not keep it running): hb_standby local", broken, 10*time.Second)
	a := rc.vip.WaitFrom(t, "node2", broken, 30*time.Second)
	t.Logf("broken → given up after %v, VIP answered from node2 %v after the break",
		gave.At.Sub(broken).Round(time.Millisecond), a.At.Sub(broken).Round(time.Millisecond))
	waitHolders(t, rc, []string{"node2"}, 10*time.Second)
	// The group's members after the IP start a little later.
	waitFile(t, filepath.Join(n2.Dir, "rscstate", "flaky"), true, 10*time.Second)
	waitFile(t, filepath.Join(n1.Dir, "rscstate", "flaky"), false, 10*time.Second)
	if !hb {
		waitFile(t, filepath.Join(n2.Dir, "rscstate", "dummy-d1.state"), true, 10*time.Second)
		waitFile(t, filepath.Join(n1.Dir, "rscstate", "dummy-d1.state"), false, 10*time.Second)
	}
	// node1 stops monitoring what it no longer holds.
	time.Sleep(2 * time.Second)
	if l, ok := n1.Log.Find("hbd: monitor of resource", a.At.Add(time.Second)); ok {
		t.Errorf("node1 monitors a group it gave up: %s", l.Text)
	}
	if hb {
		clustertest.CheckHeartbeatLog(t, n2)
	}
}

// lrmadmin, Debian's, as separate commands against a running hbd with
// hbd_lrm on: add, list, start, monitor, stop, delete; the table lives
// across the sessions.
func TestMonitorLrmadmin(t *testing.T) {
	for _, p := range []string{"/usr/sbin/lrmadmin", "/usr/bin/unshare", "/usr/lib/ocf/resource.d/heartbeat/Dummy"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s", p)
		}
	}
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false}, keepalive: "100ms", deadtime: "1", failback: "off",
		haresources: "", hbdExtra: "hbd_lrm on\n"})
	n1 := rc.node(1)
	n1.Log.Wait(t, "hbd: lrmd's sockets served in", time.Now().Add(-time.Minute), 10*time.Second)
	n1.Log.Wait(t, "Local status now set to: 'active'", time.Now().Add(-time.Minute), 10*time.Second)
	if l, ok := n1.Log.Find("socket directory", time.Now().Add(-time.Minute)); ok {
		t.Errorf("the API's socket directory made too wide by lrmd's server: %s", l.Text)
	}
	sock := filepath.Join(n1.Dir, "run", "heartbeat")
	state := filepath.Join(t.TempDir(), "d1.state")
	run := func(args ...string) string {
		t.Helper()
		script := `set -e; mount -t tmpfs none /run; mkdir -p /run/heartbeat /run/resource-agents; mount --bind "$0" /run/heartbeat; set +e; lrmadmin "$@"; echo "rc=$?"`
		cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, sock}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lrmadmin %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	expect := func(out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("lrmadmin output lacks %q:\n%s", w, out)
			}
		}
	}
	expect(run("-A", "d1", "ocf", "Dummy", "heartbeat", "state="+state), "Succeeded in adding this resource.", "rc=0")
	expect(run("-L"), "d1", "rc=0")
	expect(run("-E", "d1", "start", "20000", "0", "EVERYTIME"), "rc=0")
	if !fileExists(state) {
		t.Errorf("Dummy's state file missing after start")
	}
	expect(run("-E", "d1", "monitor", "20000", "0", "EVERYTIME"), "type:monitor", "return code: 0", "rc=0")
	expect(run("-E", "d1", "stop", "20000", "0", "EVERYTIME"), "rc=0")
	expect(run("-E", "d1", "monitor", "20000", "0", "EVERYTIME"), "type:monitor", "return code: 7", "rc=7")
	if fileExists(state) {
		t.Errorf("Dummy's state file left after stop")
	}
	expect(run("-D", "d1"), "rc=0")
	if out := run("-L"); strings.Contains(out, "d1") {
		t.Errorf("d1 listed after -D:\n%s", out)
	}
}

// waitFile waits until path exists (or not).
func waitFile(t *testing.T, path string, want bool, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); fileExists(path) != want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: present = %v after %v, want %v", path, !want, timeout, want)
		}
	}
}

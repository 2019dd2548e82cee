package netns

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// Reload as heartbeat does it (SIGHUP, hbd -r): a broken ha.cf is
// refused and the node keeps its configuration and its VIP; new authkeys
// are read in place; a valid changed ha.cf restarts the daemon without
// releasing anything, and the peer takes nothing over.
func TestReload(t *testing.T) {
	vip := clustertest.VIP().String()
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
		failback: "on", haresources: "node1 " + vip + "/24/eth0\n"})
	n1, n2 := rc.node(1), rc.node(2)
	rc.vip.WaitFrom(t, "node1", time.Now().Add(-time.Minute), 30*time.Second)
	time.Sleep(6 * time.Second)
	haCF := filepath.Join(n1.Etc(), "ha.cf")
	good, err := os.ReadFile(haCF)
	if err != nil {
		t.Fatal(err)
	}
	orig := statTime(t, haCF)
	hbd := func(args ...string) (string, error) {
		return n1.InNamespaces(append(append([]string{clustertest.HBD()}, args...), n1.Args()...)...)
	}

	// A broken ha.cf: hbd -r refuses to signal; SIGHUP keeps everything.
	begin := time.Now()
	if err := os.WriteFile(haCF, append(append([]byte{}, good...), "no_such_directive yes\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := hbd("-r"); err == nil || !strings.Contains(out, "NOT restarted") {
		t.Errorf("hbd -r with a broken ha.cf: %v\n%s", err, out)
	}
	syscall.Kill(n1.Pid(), syscall.SIGHUP)
	n1.Log.Wait(t, "Config errors: Heartbeat NOT restarted", begin, 5*time.Second)
	n1.Log.Wait(t, "ha.cf:", begin, time.Second)
	time.Sleep(2 * time.Second)
	if gap := rc.vip.Gap(begin, time.Now()); gap > 200*time.Millisecond {
		t.Errorf("VIP silent for %v after a broken reload", gap)
	}
	if a, _ := rc.vip.Last(); a.From != "node1" {
		t.Errorf("VIP answered by %q after a broken reload", a.From)
	}

	// New authkeys (a second slot) are read in place; ha.cf is back as
	// it was, to the second, so it counts as unchanged.
	if err := os.WriteFile(haCF, good, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(haCF, orig, orig)
	begin = time.Now()
	ak := filepath.Join(n1.Etc(), "authkeys")
	if err := os.WriteFile(ak, []byte("auth 1\n1 sha1 netns-test-secret\n2 md5 spare\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(n1.Pid(), syscall.SIGHUP)
	n1.Log.Wait(t, "Authentication keys reread.", begin, 5*time.Second)
	if l, ok := n1.Log.Find("restart", begin); ok {
		t.Errorf("new authkeys restarted the daemon: %s", l.Text)
	}

	// A valid change to ha.cf: quick restart, resources kept.
	begin = time.Now()
	if err := os.WriteFile(haCF, append(append([]byte{}, good...), "# reloaded\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := hbd("-r"); err != nil {
		t.Fatalf("hbd -r: %v\n%s", err, out)
	}
	n1.Log.Wait(t, "Performing heartbeat restart exec.", begin, 5*time.Second)
	n2.Log.Wait(t, "Heartbeat restart on node node1", begin, 10*time.Second)
	time.Sleep(3 * time.Second)
	for _, d := range rc.nodes {
		for _, bad := range []string{"is dead", "Releasing resource group", "Acquiring resource group", "Taking over"} {
			if l, ok := d.Log.Find(bad, begin); ok {
				t.Errorf("%s during a quick restart: %s", d.Name, l.Text)
			}
		}
	}
	if gap := rc.vip.Gap(begin, time.Now()); gap > 200*time.Millisecond {
		t.Errorf("VIP silent for %v during a quick restart", gap)
	}
	waitHolders(t, rc, []string{"node1"}, time.Second)
	out, _ := clStatus(t, n1, "rscstatus")
	if out != "local" && out != "all" {
		t.Errorf("after the quick restart node1 holds %q", out)
	}
}

func statTime(t *testing.T, p string) time.Time {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

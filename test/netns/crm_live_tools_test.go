package netns

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/internal/clustertest"
)

// liveToolsCIB is crmCIB with d1 preferring node2, so that a restart
// brings it back where it ran.
var liveToolsCIB = strings.Replace(crmCIB, "<constraints/>",
	`<constraints><rsc_location id="d1-prefers-node2" rsc="d1" node="node2" score="100"/></constraints>`, 1)

// TestCRMLiveTools: Pacemaker's tools on the running cluster, the issue
// #19 pieces: crm_resource --restart stops the resource and starts it
// again where it ran, exiting 0 only once it runs again; crm_verify -L
// verifies the live CIB (clean, then with an error written into it);
// crm_resource --cleanup -n monitor -I 2s erases that operation's fail
// count and leaves another operation's, and -n start with no failed start
// in the history keeps the history; the CIB socket admits a non-root
// member of haclient and refuses another user, with Pacemaker's
// "Permission denied" and a log line naming the uid.
func TestCRMLiveTools(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	hbctlBin(t)
	s := newCRMScene(t, liveToolsCIB, nil)
	dc := s.waitDC(s.ds, s.start, 30*time.Second)
	w := s.watch("Dummy-d1.state", "")
	s.waitActive(s.ds, "Dummy-d1.state", "", 1, "node2", 30*time.Second)
	other := s.node("node1")
	if dc == "node1" {
		other = s.node("node3")
	}
	t.Logf("the DC is %s; tools run on %s", dc, other.Name)
	must := func(t *testing.T, d *clustertest.Daemon, tool string, args ...string) string {
		t.Helper()
		out, errs, rc := liveTool(t, d, tool, args...)
		if rc != 0 {
			t.Fatalf("%s: %s %v: exit %d\n%s%s", d.Name, tool, args, rc, out, errs)
		}
		return out
	}
	// A transition left from the start may still be running: --wait
	// returns once the live CIB schedules nothing.
	must(t, other, "crm_resource", "--wait", "--timeout", "60s")

	t.Run("restart", func(t *testing.T) {
		state := filepath.Join(s.rsctmp["node2"], "Dummy-d1.state")
		var sawStopped atomic.Bool
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				if _, err := os.Stat(state); os.IsNotExist(err) {
					sawStopped.Store(true)
				}
			}
		}()
		t0 := time.Now()
		out, errs, rc := liveTool(t, other, "crm_resource", "--restart", "-r", "d1")
		close(stop)
		<-done
		if rc != 0 {
			t.Fatalf("crm_resource --restart: exit %d\n%s%s", rc, out, errs)
		}
		t.Logf("crm_resource --restart -r d1: %v\n%s", time.Since(t0).Round(time.Millisecond), out)
		if !sawStopped.Load() {
			t.Error("d1 never stopped during the restart")
		}
		if _, err := os.Stat(state); err != nil {
			t.Errorf("d1 does not run on node2 when --restart exits: %v", err)
		}
		for _, want := range []string{"Waiting for 1 resources to stop:\n * d1\n", "Waiting for 1 resources to start again:\n * d1\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("--restart did not print %q", want)
			}
		}
		if cfg := must(t, other, "cibadmin", "-Q", "-o", "resources"); strings.Contains(cfg, "target-role") {
			t.Errorf("target-role left behind:\n%s", cfg)
		}
		if on := s.active(s.ds, "Dummy-d1.state", ""); len(on) != 1 || on[0] != "node2" {
			t.Errorf("d1 runs on %v after the restart", on)
		}
	})

	t.Run("verify", func(t *testing.T) {
		out, errs, rc := liveTool(t, other, "crm_verify", "-L")
		if rc != 0 || out != "" || errs != "" {
			t.Fatalf("crm_verify -L on a clean cluster: exit %d %q %q", rc, out, errs)
		}
		// An operation repeated (same name and interval) on a stopped
		// primitive: an error Pacemaker's unpacking reports.
		must(t, other, "cibadmin", "-C", "-o", "resources", "-X",
			`<primitive id="d2" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="d2-meta"><nvpair id="d2-tr" name="target-role" value="Stopped"/></meta_attributes>`+
				`<operations><op id="d2-mon-a" name="monitor" interval="10s"/><op id="d2-mon-b" name="monitor" interval="10000ms"/></operations></primitive>`)
		out, errs, rc = liveTool(t, s.node(dc), "crm_verify", "-L", "-V")
		if rc != 78 || !strings.Contains(errs, "Operation d2-mon-b is duplicate of d2-mon-a") || !strings.Contains(errs, "Errors found during check: config not valid") {
			t.Errorf("crm_verify -L -V with a duplicate op: exit %d\n%s%s", rc, out, errs)
		}
		must(t, other, "cibadmin", "-D", "-o", "resources", "-X", `<primitive id="d2"/>`)
	})

	t.Run("cleanup-scope", func(t *testing.T) {
		h := "node2"
		status := func() string { return must(t, s.node(dc), "cibadmin", "-Q", "-o", "status") }
		// A monitor failure: fail-count-d1#monitor_2000 on h; and a start
		// fail count set by hand.
		if err := os.Remove(filepath.Join(s.rsctmp[h], "Dummy-d1.state")); err != nil {
			t.Fatal(err)
		}
		must(t, other, "crm_attribute", "-l", "reboot", "-N", h, "-n", "fail-count-d1#start_0", "-v", "1")
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st := status()
			if strings.Contains(st, `name="fail-count-d1#monitor_2000"`) && strings.Contains(st, `name="fail-count-d1#start_0"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no monitor and start fail counts:\n%s", st)
			}
		}
		s.waitActive(s.ds, "Dummy-d1.state", "", 1, h, 20*time.Second)
		must(t, other, "crm_resource", "--wait", "--timeout", "60s")
		// -n start: no failed start in the history, which stays (the
		// same last operation, no re-probe); the start's fail count goes.
		lastRE := regexp.MustCompile(`id="d1_last_0"[^>]*call-id="(\d+)"`)
		before := lastRE.FindStringSubmatch(status())
		out := must(t, other, "crm_resource", "--cleanup", "-r", "d1", "-N", h, "-n", "start")
		if strings.Contains(out, "Waiting for") {
			t.Errorf("--cleanup -n start deleted a history:\n%s", out)
		}
		for deadline := time.Now().Add(10 * time.Second); strings.Contains(status(), `name="fail-count-d1#start_0"`); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("fail-count-d1#start_0 survived --cleanup -n start")
			}
		}
		st := status()
		if after := lastRE.FindStringSubmatch(st); before == nil || after == nil || after[1] != before[1] {
			t.Errorf("the history changed with --cleanup -n start: %v then %v", before, after)
		}
		if !strings.Contains(st, `name="fail-count-d1#monitor_2000"`) {
			t.Fatal("--cleanup -n start erased the monitor's fail count")
		}
		// -n monitor -I 2s: the failed monitor's count and the history go
		// (the controller deletes it: one reply), and d1 is probed again.
		must(t, other, "crm_attribute", "-l", "reboot", "-N", h, "-n", "fail-count-d1#start_0", "-v", "1")
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(status(), `name="fail-count-d1#start_0"`); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the start fail count did not come back")
			}
		}
		out = must(t, other, "crm_resource", "--cleanup", "-r", "d1", "-N", h, "-n", "monitor", "-I", "2s")
		if !strings.Contains(out, "Cleaned up d1 on "+h) || !strings.Contains(out, "Waiting for 1 reply from the controller") {
			t.Errorf("--cleanup -n monitor -I 2s printed %q", out)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st := status()
			if !strings.Contains(st, `name="fail-count-d1#monitor_2000"`) {
				if !strings.Contains(st, `name="fail-count-d1#start_0"`) {
					t.Fatal("--cleanup -n monitor -I 2s erased the start's fail count")
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("fail-count-d1#monitor_2000 survived --cleanup -n monitor -I 2s")
			}
		}
		s.waitActive(s.ds, "Dummy-d1.state", "", 1, h, 20*time.Second)
	})

	t.Run("access", func(t *testing.T) {
		sock := filepath.Join(other.Dir, "run", "heartbeat", cibipc.SocketName)
		fi, err := os.Stat(sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o660 {
			t.Errorf("the CIB socket's mode is %04o, want 0660", fi.Mode().Perm())
		}
		if _, err := exec.LookPath("setpriv"); err != nil {
			t.Skip("setpriv (util-linux) not installed")
		}
		haclient := lookupGroup(t, "haclient")
		// Another user must reach the socket: the test's directories
		// become traversable, and hbctl's.
		for dir := filepath.Dir(sock); dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
			if fi, err := os.Stat(dir); err == nil {
				os.Chmod(dir, fi.Mode().Perm()|0o011)
			}
		}
		os.Chmod(filepath.Dir(hbctlBin(t)), 0o755)
		// The client runs in the daemon's PID and mount namespaces, as a
		// client on a real node: the daemon reads its supplementary
		// groups from its /proc.
		as := func(groups string, args ...string) (string, string, int) {
			cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(other.Pid()), "-m", "-n", "-p", "--",
				"setpriv", "--reuid=4242", "--regid=4242", "--groups=" + groups, "--", hbctlBin(t)}, args...)...)
			cmd.Env = append(os.Environ(), "HBD_LRM_DIR="+filepath.Dir(sock), "CIB_file=", "TZ=UTC", "HOME=/")
			return runCmd(t, cmd)
		}
		if out, errs, rc := as(haclient, "cibadmin", "-Q", "-o", "resources"); rc != 0 || !strings.Contains(out, `id="d1"`) {
			t.Errorf("a haclient member's cibadmin -Q: exit %d\n%s%s", rc, out, errs)
		}
		if out, errs, rc := as(haclient, "crm_resource", "--locate", "-r", "d1"); rc != 0 || !strings.Contains(out, "is running on: node2") {
			t.Errorf("a haclient member's crm_resource --locate: exit %d\n%s%s", rc, out, errs)
		}
		// Not in haclient: the socket's mode refuses it.
		refused := "Could not connect to the CIB: Permission denied\nInit failed, could not perform requested operations\n"
		if out, errs, rc := as("4242", "cibadmin", "-Q"); rc != 4 || errs != refused || out != "" {
			t.Errorf("another user's cibadmin -Q: exit %d\n%s%s", rc, out, errs)
		}
		// With the socket opened wide by hand, the node's own check
		// refuses it, and logs the uid.
		since := time.Now()
		if err := os.Chmod(sock, 0o666); err != nil {
			t.Fatal(err)
		}
		if out, errs, rc := as("4242", "cibadmin", "-Q"); rc != 4 || errs != refused || out != "" {
			t.Errorf("another user's cibadmin -Q on a 0666 socket: exit %d\n%s%s", rc, out, errs)
		}
		out, errs, rc := as("4242", "crm_resource", "--output-as=xml", "--locate", "-r", "d1")
		if rc != 4 || !strings.Contains(out, `<status code="4" message="Insufficient privileges">`) ||
			!strings.Contains(out, "<error>crm_resource: Could not connect to the CIB: Permission denied\nError performing operation: Insufficient privileges</error>") {
			t.Errorf("another user's crm_resource --output-as=xml: exit %d\n%s%s", rc, out, errs)
		}
		logged := false
		for deadline := time.Now().Add(5 * time.Second); !logged && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, l := range other.Log.Since(since) {
				logged = logged || strings.Contains(l.Text, "CIB socket refused to uid 4242")
			}
		}
		if !logged {
			t.Error("no log line names the refused uid 4242")
		}
	})
	w.check(t)
}

// lookupGroup is a group's id from /etc/group.
func lookupGroup(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) >= 3 && f[0] == name {
			return f[2]
		}
	}
	t.Skipf("no group %s", name)
	return ""
}

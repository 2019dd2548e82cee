package netns

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// clStatus runs Debian's real cl_status against a daemon's API socket:
// inside the daemon's PID namespace (the server checks the client's pid
// against SO_PEERCRED) and a private mount namespace where the daemon's
// socket directory is bound over /run/heartbeat, the only place
// libhbclient looks.
func clStatus(t *testing.T, d *clustertest.Daemon, args ...string) (string, int) {
	t.Helper()
	sock := filepath.Join(d.Dir, "run", "heartbeat")
	script := `mount --bind "$0" /run/heartbeat && exec cl_status "$@"`
	cmd := exec.Command("nsenter", append([]string{"-t", fmt.Sprint(d.Pid()), "-p", "--",
		"unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, sock}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cl_status %v: %v", args, err)
	}
	if errb.Len() > 0 {
		t.Logf("cl_status %v stderr: %s", args, errb.String())
	}
	return strings.TrimSpace(out.String()), code
}

// Heartbeat's own cl_status reads an hbd node's state through the API:
// nodes, links, parameters and resource holdings, before and after a peer
// dies and its group is taken over.
func TestAPIClStatus(t *testing.T) {
	if _, err := exec.LookPath("cl_status"); err != nil {
		t.Skip("cl_status (Debian package heartbeat) is not installed; CI installs it")
	}
	rc := startRscCluster(t, rscSpec{heartbeat: []bool{false, false}, keepalive: "100ms", deadtime: "1",
		failback: "on", haresources: "node1 websvc\n", files: websvc})
	n1, n2 := rc.node(1), rc.node(2)
	n1.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 20*time.Second)
	groupHeldFile(t, n1, true)

	want := func(args []string, wantOut string, wantCode int) {
		t.Helper()
		var out string
		var code int
		// Holdings settle after the resource messages; allow a moment.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, code = clStatus(t, n1, args...)
			if (out == wantOut && code == wantCode) || time.Now().After(deadline) {
				break
			}
		}
		if out != wantOut || code != wantCode {
			t.Errorf("cl_status %s = %q (exit %d), want %q (exit %d)", strings.Join(args, " "), out, code, wantOut, wantCode)
		}
	}
	want([]string{"hbstatus"}, "Heartbeat is running on this machine.", 0)
	out, _ := clStatus(t, n1, "listnodes")
	nodes := strings.Fields(out)
	slices.Sort(nodes)
	if strings.Join(nodes, " ") != "node1 node2" {
		t.Errorf("cl_status listnodes = %q", out)
	}
	want([]string{"nodestatus", "node2"}, "active", 0)
	want([]string{"nodetype", "node2"}, "normal", 0)
	want([]string{"hblinkstatus", "node2", "eth0"}, "up", 0)
	want([]string{"hbparameter", "-p", "keepalive"}, "100ms", 0)
	want([]string{"hbparameter", "-p", "auto_failback"}, "on", 0)
	want([]string{"rscstatus"}, "local", 0)

	time.Sleep(6 * time.Second)
	killed := n2.Kill9()
	n1.Log.Wait(t, "node node2: is dead", killed, 5*time.Second)
	want([]string{"nodestatus", "node2"}, "dead", 1)
	want([]string{"hblinkstatus", "node2", "eth0"}, "dead", 1)
	want([]string{"rscstatus"}, "all", 0)
	if out, code := clStatus(t, n1, "nodestatus", "nosuchnode"); code != 11 {
		t.Errorf("cl_status nodestatus nosuchnode = %q, exit %d; want exit 11", out, code)
	}
}

// groupHeldFile waits until the websvc script's state file exists (or
// not) on d.
func groupHeldFile(t *testing.T, d *clustertest.Daemon, want bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if fileExists(filepath.Join(d.Dir, "rscstate", "websvc")) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: websvc running = %v, want %v", d.Name, !want, want)
		}
	}
}

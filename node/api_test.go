package node

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
)

// TestClientStatusOfPeer is issue 14's defect 8b on two real daemons:
// "cl_status clientstatus <peer> <client>" asks the peer, which must
// answer as heartbeat does, "offline" for a client it never heard of
// (hbd's peer did not answer, and the asker timed out), "online" for one
// signed on there.
func TestClientStatusOfPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two hbd daemons")
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	hbd := buildHbd(t)
	port := freeUDPPort(t)
	root := t.TempDir()
	auth := "apiauth anon uid=" + me.Username
	for i := 1; i <= 2; i++ {
		startHbd(t, hbd, root, i, port, auth)
	}
	waitLog(t, filepath.Join(root, "node1", "log"), "Status update for node node2: status active", 20*time.Second)
	waitLog(t, filepath.Join(root, "node2", "log"), "Status update for node node1: status active", 20*time.Second)
	sock := func(i int) string { return filepath.Join(root, "node"+strconv.Itoa(i), "run", "heartbeat", "register") }
	signOn := func(i int) *api.Client {
		t.Helper()
		var c *api.Client
		var err error
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if c, err = api.Dial(sock(i)); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := c.SignOn(""); err != nil {
			t.Fatalf("sign-on on node%d: %v", i, err)
		}
		c.SetDeadline(time.Time{})
		return c
	}
	on1 := signOn(1)
	signOn(2) // casual: its id is this process's pid
	for _, c := range []struct{ client, want string }{
		{"nosuchclient", "offline"},
		{strconv.Itoa(os.Getpid()), "online"},
	} {
		st, err := on1.ClientStatus("node2", c.client, 5*time.Second)
		if err != nil || st != c.want {
			t.Errorf("clientstatus node2 %s asked on node1: %q, %v; want %q", c.client, st, err, c.want)
		}
	}
	// Debian's cl_status, as an operator runs it, when there is one and
	// we may give it /run/heartbeat in a mount namespace of its own.
	if _, err := os.Stat("/usr/bin/cl_status"); err != nil || os.Geteuid() != 0 {
		return
	}
	script := `mount --bind "$0" /run/heartbeat && exec /usr/bin/cl_status clientstatus node2 nosuchclient`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, filepath.Dir(sock(1)))
	out, err := cmd.CombinedOutput()
	t.Logf("cl_status clientstatus node2 nosuchclient: %q, %v", out, err)
	var ee *exec.ExitError
	if code := 0; errors.As(err, &ee) {
		code = ee.ExitCode()
		if code != 1 || strings.TrimSpace(string(out)) != "offline" {
			t.Errorf("cl_status clientstatus node2 nosuchclient on node1: exit %d, %q; heartbeat prints offline, exit 1", code, out)
		}
	} else {
		t.Errorf("cl_status clientstatus node2 nosuchclient on node1: %v, %q; heartbeat prints offline, exit 1", err, out)
	}
}

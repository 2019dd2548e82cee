package netns

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// A respawn client starts at comm-up, is started again when it dies, and
// goes with the daemon at shutdown.
func TestRespawnClient(t *testing.T) {
	net := netnstest.New(t, netnstest.Config{Hosts: 1})
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	client := filepath.Join(dir, "client.sh")
	if err := os.WriteFile(client, []byte("#!/bin/sh\necho $$ >> "+pids+"\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := clustertest.Spec{Nodes: 1, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "2",
		Extra: "respawn root " + client + "\n"}
	d := clustertest.NewHBD(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
	d.Start()
	start := time.Now().Add(-time.Minute)
	d.Log.Wait(t, `Starting child client "`+client+`" (0,0)`, start, 10*time.Second)
	first := waitPids(t, pids, 1)
	// Its pid is in the daemon's PID namespace: kill it from there.
	if out, err := d.InNamespaces("kill", "-9", strconv.Itoa(first[0])); err != nil {
		t.Fatalf("kill client: %v %s", err, out)
	}
	d.Log.Wait(t, "killed by signal 9", start, 5*time.Second)
	second := waitPids(t, pids, 2)
	if second[1] == first[0] {
		t.Fatalf("client not restarted: pids %v", second)
	}
	stopped := time.Now()
	syscall.Kill(d.Pid(), syscall.SIGTERM)
	d.Log.Wait(t, "killing "+client+" process group", stopped, 10*time.Second)
	d.Log.Wait(t, "node1 Heartbeat shutdown complete.", stopped, 10*time.Second)
}

// waitPids waits until the file lists n pids (as seen in the daemon's PID
// namespace) and returns them.
func waitPids(t *testing.T, path string, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		f := strings.Fields(string(b))
		if len(f) >= n {
			var out []int
			for _, s := range f {
				p, _ := strconv.Atoi(s)
				out = append(out, p)
			}
			return out
		}
	}
	t.Fatalf("%s: fewer than %d client starts", path, n)
	return nil
}

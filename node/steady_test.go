package node

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// An idle node at keepalive 100 ms allocates nothing per heartbeat in
// steady state: two nodes run in this process (their sockets in two
// network namespaces), and the runtime's own count of heap allocations
// barely moves while they exchange a few hundred packets.
func TestSteadyStateAllocations(t *testing.T) {
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	logs := make([]string, 2)
	var nodes []*Node
	for i := 1; i <= 2; i++ {
		dir := t.TempDir()
		logs[i-1] = filepath.Join(dir, "log")
		files := map[string]string{
			"ha.cf": fmt.Sprintf("logfile %s\nlogfacility none\nuse_logd no\nrealtime off\nkeepalive 100ms\ndeadtime 1\ninitdead 10\nbcast eth0\nnode node1\nnode node2\n",
				logs[i-1]),
			"authkeys":    "auth 1\n1 sha1 steady\n",
			"nodeinfo":    fmt.Sprintf("node%d\n", i),
			"haresources": "",
		}
		for f, c := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		net.Host(i).Run(func() {
			cfg, _, err := config.Load(dir, config.SystemEnv(dir))
			if err != nil {
				t.Fatal(err)
			}
			lg, err := hblog.New(hblog.Options{Entity: "hbd", LogFile: cfg.LogFile, SyslogMsgFmt: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { lg.Close() })
			n, err := New(Options{Config: cfg, StateDir: filepath.Join(dir, "state"), Log: lg})
			if err != nil {
				t.Fatal(err)
			}
			nodes = append(nodes, n)
		})
	}
	done := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() { done <- n.Run() }()
	}
	defer func() {
		for _, n := range nodes {
			n.Stop()
		}
		for range nodes {
			<-done
		}
	}()
	waitLog(t, logs[0], "Status update for node node2: status active", 15*time.Second)
	waitLog(t, logs[1], "Status update for node node1: status active", 15*time.Second)
	time.Sleep(6 * time.Second) // past the raised start deadtime and the first ACK rounds

	// The runtime counts allocations per P and publishes them at GC. The
	// first metrics.Read allocates its tables: warm it up, then measure a
	// back-to-back reading as the cost of measuring.
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	read := func() uint64 {
		runtime.GC()
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	lines0 := logLines(logs) // before measuring: reading files allocates
	read()
	a := read()
	b := read()
	sent0 := nodes[0].Received() + nodes[1].Received()
	time.Sleep(5 * time.Second)
	c := read()
	// A log line costs a few allocations (formatting); on a loaded machine
	// the loop may log a stall. Those are not per heartbeat.
	logged := logLines(logs) - lines0
	overhead := b - a
	allocs := int64(c-b) - int64(overhead)
	received := nodes[0].Received() + nodes[1].Received() - sent0
	t.Logf("%d heap allocations (beyond the %d of measuring) while the two nodes received %d packets and logged %d lines",
		allocs, overhead, received, logged)
	if received < 150 {
		t.Fatalf("only %d packets exchanged in 5 s at keepalive 100 ms", received)
	}
	// One allocation per heartbeat would be hundreds here. The process
	// also hosts the runtime and the test, which now and then allocate a
	// few objects of their own, so the bound is one per ten packets; the
	// exact zero is proven per operation by the AllocsPerRun tests of
	// wire, master, media and loop.
	// The nodes send native beacons, read from the beacon sockets.
	for i, n := range nodes {
		if n.beacon.read.Load() == 0 {
			t.Errorf("node%d read no beacon from its beacon socket", i+1)
		}
	}
	if allocs-10*int64(logged) > int64(received)/10 {
		t.Errorf("%d allocations for %d packets: the steady state allocates", allocs, received)
	}
}

func logLines(paths []string) int {
	n := 0
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		n += strings.Count(string(b), "\n")
	}
	return n
}

func waitLog(t *testing.T, path, want string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s: no %q within %v:\n%s", path, want, timeout, b)
}

package node

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/sysio"
)

func TestFIFOFramer(t *testing.T) {
	var f fifoFramer
	var got []string
	var bad []string
	feed := func(s string) {
		f.feed([]byte(s), func(m []byte) { got = append(got, string(m)) }, func(r string) { bad = append(bad, r) })
	}
	feed("junk line\n>>>\nt=ask_resources\nrsc_hold=all\n")
	if len(got) != 0 {
		t.Fatalf("incomplete message delivered: %q", got)
	}
	feed("info=me\n<<<\n>>>\nt=x\n<<<\n###\n7:(0)t=y,\n%%%\n")
	want := []string{
		">>>\nt=ask_resources\nrsc_hold=all\ninfo=me\n<<<\n",
		">>>\nt=x\n<<<\n",
		"###\n7:(0)t=y,\n%%%\n",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("messages:\n%q\nwant\n%q", got, want)
	}
	if len(f.buf) != 0 || len(bad) != 0 {
		t.Fatalf("left %q, bad %q", f.buf, bad)
	}
	// A runaway writer is cut off, not buffered forever.
	feed(">>>\n" + strings.Repeat("x=y\n", maxFIFOMessage/4+10))
	if len(bad) != 1 || len(f.buf) != 0 {
		t.Fatalf("runaway message: bad %q, %d bytes kept", bad, len(f.buf))
	}
	feed(">>>\nt=z\n<<<\n")
	if got[len(got)-1] != ">>>\nt=z\n<<<\n" {
		t.Fatalf("after a runaway: %q", got[len(got)-1])
	}
}

func TestFIFOTrusted(t *testing.T) {
	const path = "/var/lib/heartbeat/fifo"
	for _, c := range []struct {
		own  sysio.FileOwner
		euid uint32
		want string // "" for trusted
	}{
		{sysio.FileOwner{UID: 0, Mode: 0o600, IsFIFO: true}, 0, ""},
		{sysio.FileOwner{UID: 0, Mode: 0o644, IsFIFO: true}, 0, ""},
		{sysio.FileOwner{UID: 0, Mode: 0o600, IsFIFO: true}, 1000, ""}, // root's FIFO, unprivileged daemon
		{sysio.FileOwner{UID: 1000, Mode: 0o600, IsFIFO: true}, 1000, ""},
		{sysio.FileOwner{UID: 1000, Mode: 0o600, IsFIFO: true}, 0, "FIFO /var/lib/heartbeat/fifo is owned by uid 1000 (mode 0600), not by root or uid 0: refusing it"},
		{sysio.FileOwner{UID: 1000, Mode: 0o600, IsFIFO: true}, 1001, "owned by uid 1000"},
		{sysio.FileOwner{UID: 0, Mode: 0o620, IsFIFO: true}, 0, "FIFO /var/lib/heartbeat/fifo (owner uid 0) has mode 0620, writable by group or others: refusing it"},
		{sysio.FileOwner{UID: 0, Mode: 0o602, IsFIFO: true}, 0, "has mode 0602"},
		{sysio.FileOwner{UID: 0, Mode: 0o600}, 0, "is not a FIFO"},
	} {
		err := fifoTrusted(path, c.own, c.euid)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v as uid %d: %v, want trusted", c.own, c.euid, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v as uid %d: %v, want %q", c.own, c.euid, err, c.want)
		}
	}
}

// TestOpenFIFORefuses: an existing FIFO that others may write is not
// used, and the log says which file and why.
func TestOpenFIFORefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	lg, err := hblog.New(hblog.Options{Entity: "hbd", Stderr: &syncWriter{w: &logged}})
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{opt: Options{StateDir: dir}, log: lg}
	err = n.openFIFO()
	lg.Close()
	if err == nil {
		n.fifo.Close()
		t.Fatal("a FIFO of mode 0666 was used")
	}
	if want := fmt.Sprintf("FIFO %s (owner uid %d) has mode 0666", path, os.Geteuid()); !strings.Contains(err.Error(), want) || !strings.Contains(logged.String(), want) {
		t.Fatalf("error %q, log %q: want them to say %q", err, logged.String(), want)
	}
	lg, err = hblog.New(hblog.Options{Entity: "hbd", Stderr: &syncWriter{w: new(bytes.Buffer)}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	// A fresh state directory gets a FIFO of its own, which is used.
	n = &Node{opt: Options{StateDir: filepath.Join(dir, "new")}, log: lg}
	if err := n.openFIFO(); err != nil {
		t.Fatal(err)
	}
	n.fifo.Close()
	if os.Geteuid() != 0 {
		return
	}
	// Root's daemon refuses another user's FIFO, however private.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	n = &Node{opt: Options{StateDir: dir}, log: lg}
	if err := n.openFIFO(); err == nil || !strings.Contains(err.Error(), "owned by uid 4321") {
		t.Fatalf("FIFO owned by uid 4321: %v", err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestFIFOFullBufferKeepsHeartbeats is issue 14's defect 1 on real
// daemons: exactly one read buffer's worth (4096 bytes) written into
// node1's FIFO in one write made node1 read again and block in that read,
// so it stopped heartbeating, node2 declared it dead, and SIGTERM no
// longer stopped it. Two hbd nodes (the binary built from this tree) on
// loopback ucast, unprivileged.
func TestFIFOFullBufferKeepsHeartbeats(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two hbd daemons")
	}
	hbd := buildHbd(t)
	port := freeUDPPort(t)
	root := t.TempDir()
	const deadtime = 600 * time.Millisecond
	var nodes [2]*exec.Cmd
	for i := range nodes {
		nodes[i] = startHbd(t, hbd, root, i+1, port)
	}
	log2 := filepath.Join(root, "node2", "log")
	waitLog(t, log2, "Status update for node node1: status active", 20*time.Second)
	waitLog(t, filepath.Join(root, "node1", "log"), "Status update for node node2: status active", 20*time.Second)

	// One write of exactly len(fifoBuf) bytes: lines no message starts with.
	junk := bytes.Repeat([]byte("junk line\n"), 4096/10+1)[:4095]
	junk = append(junk, '\n')
	f, err := os.OpenFile(filepath.Join(root, "node1", "state", "fifo"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := f.Write(junk); err != nil || k != 4096 {
		t.Fatalf("write FIFO: %d, %v", k, err)
	}
	f.Close()

	// Several deadtimes: node2 must keep hearing node1.
	time.Sleep(5 * deadtime)
	if l := readLog(t, log2); strings.Contains(l, "node node1: is dead") {
		t.Fatalf("node2 declared node1 dead after 4096 bytes were written into node1's FIFO:\n%s", l)
	}
	start := time.Now()
	if err := nodes[0].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !waitExit(nodes[0], 10*time.Second) {
		t.Fatalf("node1 still runs 10 s after SIGTERM:\n%s", readLog(t, filepath.Join(root, "node1", "log")))
	}
	t.Logf("node1 stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// buildHbd builds cmd/hbd from this tree into a temporary directory.
func buildHbd(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build hbd with")
		}
	}
	out := filepath.Join(t.TempDir(), "hbd")
	cmd := exec.Command(goTool, "build", "-o", out, "github.com/hbd-ha/hbd/cmd/hbd")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/hbd: %v\n%s", err, b)
	}
	return out
}

// freeUDPPort returns a UDP port that was free on 127.0.0.1 just now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startHbd starts node<i> of a two-node cluster on 127.0.0.<i> and stops
// it (and what it started) when the test ends.
func startHbd(t *testing.T, hbd, root string, i, port int, extra ...string) *exec.Cmd {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprintf("node%d", i))
	files := map[string]string{
		"etc/ha.cf": fmt.Sprintf(`logfile %[1]s/log
logfacility none
use_logd no
udpport %[2]d
keepalive 100ms
deadtime 600ms
warntime 400ms
initdead 2
ucast lo 127.0.0.1
ucast lo 127.0.0.2
auto_failback off
node node1 node2
hbd_ucast_bind 127.0.0.%[3]d
`, dir, port, i) + strings.Join(extra, "\n") + "\n",
		"etc/authkeys":    "auth 1\n1 sha1 fifo-test\n",
		"etc/haresources": "",
		"etc/nodeinfo":    fmt.Sprintf("node%d\n", i),
	}
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(hbd, "-f", "--confdir", filepath.Join(dir, "etc"),
		"--statedir", filepath.Join(dir, "state"), "--rundir", filepath.Join(dir, "run"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	exited[cmd] = done
	t.Cleanup(func() {
		select {
		case <-done:
			return
		default:
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	return cmd
}

// exited holds each started daemon's "has exited" channel; tests that
// start daemons do not run in parallel.
var exited = map[*exec.Cmd]chan struct{}{}

func waitExit(cmd *exec.Cmd, timeout time.Duration) bool {
	select {
	case <-exited[cmd]:
		return true
	case <-time.After(timeout):
		return false
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

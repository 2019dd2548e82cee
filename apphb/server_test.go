package apphb_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// logged is one line the service wrote, stamped with the loop's time.
type logged struct {
	at   int64
	prio prio.Level
	text string
}

// glue is what node and cmd/hbd do: the pure layer plus a Flush that
// writes its lines and hands out its events.
type glue struct {
	*core.Layer
	l      *loop.Loop
	mu     sync.Mutex
	lines  []logged
	events []core.Event
}

func (g *glue) Flush() {
	rd := g.Ready()
	g.mu.Lock()
	for _, ln := range rd.Log.Lines {
		g.lines = append(g.lines, logged{g.l.Now(), ln.Prio, string(ln.Text)})
	}
	g.events = append(g.events, rd.Events...)
	g.mu.Unlock()
	g.Advance()
}

func (g *glue) find(substr string) (logged, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ln := range g.lines {
		if strings.Contains(ln.text, substr) {
			return ln, true
		}
	}
	return logged{}, false
}

func (g *glue) text() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	for _, ln := range g.lines {
		fmt.Fprintf(&b, "%s: %s\n", ln.prio, ln.text)
	}
	return b.String()
}

type service struct {
	*glue
	post   chan *loop.Timer // timers to schedule now, from other goroutines
	srv    *apphb.Server
	sock   string
	l      *loop.Loop
	maxStl time.Duration
	mu     sync.Mutex
}

func (s *service) stall() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxStl
}

// start runs the service in dir on a loop of its own.
func start(t *testing.T, dir string, cfg core.Config, opt apphb.Options) *service {
	t.Helper()
	s := &service{post: make(chan *loop.Timer, 4)}
	var l *loop.Loop
	l, err := loop.New(loop.Options{WakeHandler: func() {
		for {
			select {
			case tm := <-s.post:
				l.Schedule(tm, l.Now())
			default:
				return
			}
		}
	},
		// Every stall counts: the timing bounds are "10 ms plus the
		// loop's stall", and the default threshold would hide stalls
		// just under 10 ms.
		StallThreshold: time.Millisecond,
		StallHandler: func(d time.Duration) {
			s.mu.Lock()
			s.maxStl = max(s.maxStl, d)
			s.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.l = l
	s.glue = &glue{Layer: core.New(cfg), l: l}
	if opt.Socket == "" {
		opt.Socket = filepath.Join(dir, "apphb.comm")
	}
	s.sock = opt.Socket
	if s.srv, err = apphb.Listen(l, s.glue, opt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		l.Stop()
		<-done
		l.Close()
	})
	return s
}

// client is a Go libapphb.
type client struct {
	t *testing.T
	c net.Conn
}

func netDial(sock string) (net.Conn, error) { return net.Dial("unix", sock) }

func dial(t *testing.T, sock string) *client {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t, c}
}

func (c *client) send(body []byte) error {
	f := binary.NativeEndian.AppendUint32(nil, uint32(len(body)))
	f = binary.NativeEndian.AppendUint32(f, 0xabcd)
	_, err := c.c.Write(append(f, body...))
	return err
}

func (c *client) rc() (int32, error) {
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [12]byte
	if _, err := readFull(c.c, b[:]); err != nil {
		return -1, err
	}
	if binary.NativeEndian.Uint32(b[:]) != 4 || binary.NativeEndian.Uint32(b[4:]) != 0xabcd {
		return -1, fmt.Errorf("bad reply header %x", b[:8])
	}
	return int32(binary.NativeEndian.Uint32(b[8:])), nil
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *client) call(body []byte) int32 {
	c.t.Helper()
	if err := c.send(body); err != nil {
		c.t.Fatal(err)
	}
	rc, err := c.rc()
	if err != nil {
		c.t.Fatal(err)
	}
	return rc
}

func (c *client) reg(name, inst string) int32 {
	return c.call(core.AppendReg(nil, name, inst, "/", int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid())))
}

func (c *client) hb() {
	c.t.Helper()
	if err := c.send(core.AppendBare(nil, core.KindHB)); err != nil {
		c.t.Fatal(err)
	}
}

func mono() int64 { return sysio.Monotonic() }

func waitLine(t *testing.T, g *glue, substr string, within time.Duration) logged {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(time.Millisecond) {
		if ln, ok := g.find(substr); ok {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v; log:\n%s", substr, within, g.text())
		}
	}
}

// The four log lines of apphbd at the right times, with a Go client.
func TestFourLines(t *testing.T) {
	s := start(t, t.TempDir(), core.Config{}, apphb.Options{})
	c := dial(t, s.sock)
	if rc := c.call(core.AppendInt(nil, core.KindSetInt, 100)); rc != core.ESRCH {
		t.Errorf("setint before reg: rc %d, want ESRCH", rc)
	}
	if rc := c.reg("demo", "four-lines"); rc != 0 {
		t.Fatalf("reg: rc %d", rc)
	}
	if rc := c.reg("demo", "again"); rc != core.EEXIST {
		t.Errorf("second reg: rc %d, want EEXIST", rc)
	}
	if rc := c.call(core.AppendInt(nil, core.KindSetWarn, 60)); rc != 0 {
		t.Fatalf("setwarn: rc %d", rc)
	}
	if rc := c.call(core.AppendInt(nil, core.KindSetInt, 150)); rc != 0 {
		t.Fatalf("setint: rc %d", rc)
	}
	sent := mono() // before the send: the service may read it at once
	c.hb()
	failed := waitLine(t, s.glue, "'demo' / 'four-lines' (pid "+fmt.Sprint(os.Getpid())+") failed to heartbeat", 2*time.Second)
	if failed.prio != prio.Warn {
		t.Errorf("failed line at %v", failed.prio)
	}
	// The timer runs from the service's receipt of hb, after our send:
	// never early; reported within 10 ms (plus the loop's stall) of it.
	s.glue.mu.Lock()
	due := s.glue.events[0].Due
	s.glue.mu.Unlock()
	if d := time.Duration(due - sent); d < 150*time.Millisecond {
		t.Errorf("deadline %v after the last hb, want at least 150 ms", d)
	}
	if d := time.Duration(failed.at - due); d < 0 || d > 10*time.Millisecond+s.stall() {
		t.Errorf("failed to heartbeat reported %v after its deadline (stall %v)", d, s.stall())
	}
	time.Sleep(50 * time.Millisecond)
	c.hb()
	waitLine(t, s.glue, "four-lines' (pid "+fmt.Sprint(os.Getpid())+") resumed heartbeats", time.Second)
	late := waitLine(t, s.glue, "late heartbeat: ", time.Second)
	var ms int
	fmt.Sscanf(late.text[strings.Index(late.text, "late heartbeat: ")+len("late heartbeat: "):], "%d", &ms)
	// 150 ms to the failure, our 50 ms, and however long we took to see
	// the failure line.
	if ms < 200 || ms > 2000 {
		t.Errorf("late heartbeat of %d ms, want 200 and a little: %s", ms, late.text)
	}
	c.c.Close()
	hang := waitLine(t, s.glue, "four-lines' (pid "+fmt.Sprint(os.Getpid())+") hangup", time.Second)
	if hang.prio != prio.Warn {
		t.Errorf("hangup at %v", hang.prio)
	}
	waitLine(t, s.glue, "apphb_client_remove: client: "+fmt.Sprint(os.Getpid()), time.Second)

	// The service still answers after a client left.
	c2 := dial(t, s.sock)
	if rc := c2.reg("demo", "after"); rc != 0 {
		t.Fatalf("reg after a hangup: rc %d", rc)
	}
	if rc := c2.call(core.AppendBare(nil, core.KindUnreg)); rc != 0 {
		t.Fatalf("unreg: rc %d", rc)
	}
	c2.c.Close()
	time.Sleep(20 * time.Millisecond)
	if strings.Contains(s.text(), "'after' (pid") && strings.Contains(s.text(), "after' (pid "+fmt.Sprint(os.Getpid())+") hangup") {
		t.Errorf("hangup logged after unreg:\n%s", s.text())
	}
	var kinds []string
	s.glue.mu.Lock()
	for _, e := range s.glue.events {
		kinds = append(kinds, e.Instance+":"+e.Kind.String())
	}
	s.glue.mu.Unlock()
	if got := strings.Join(kinds, " "); got != "four-lines:failed four-lines:resumed four-lines:late four-lines:hangup after:unreg" {
		t.Errorf("events %s", got)
	}
}

// Registration checks: pid and credentials must be the peer's.
func TestRegisterChecks(t *testing.T) {
	s := start(t, t.TempDir(), core.Config{PrivUIDs: []int32{12345}}, apphb.Options{})
	pid, uid, gid := int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid())
	for _, c := range []struct {
		name string
		body []byte
		want int32
	}{
		{"other pid", core.AppendReg(nil, "a", "b", "/", pid+1, uid, gid), core.EINVAL},
		{"pid 1", core.AppendReg(nil, "a", "b", "/", 1, uid, gid), core.EINVAL},
		{"other uid", core.AppendReg(nil, "a", "b", "/", pid, uid+1, gid), core.EINVAL},
		{"empty name", core.AppendReg(nil, "", "b", "/", pid, uid, gid), core.EINVAL},
		{"short reg", core.AppendReg(nil, "a", "b", "/", pid, uid, gid)[:700], core.EINVAL},
		{"unknown type", []byte("bogus\x00\x00\x00"), core.EINVAL},
		{"hb before reg then unreg", core.AppendBare(nil, core.KindUnreg), core.ESRCH},
	} {
		cl := dial(t, s.sock)
		if got := cl.call(c.body); got != c.want {
			t.Errorf("%s: rc %d, want %d", c.name, got, c.want)
		}
		cl.c.Close()
	}
	cl := dial(t, s.sock)
	if rc := cl.reg("a", "b"); rc != 0 {
		t.Fatal(rc)
	}
	if os.Getuid() != 12345 {
		if rc := cl.call(core.AppendInt(nil, core.KindSetBoot, 1)); rc != core.EPERM {
			t.Errorf("setboot 1 from an unprivileged uid: rc %d, want EPERM", rc)
		}
	}
	if rc := cl.call(core.AppendInt(nil, core.KindSetBoot, 0)); rc != 0 {
		t.Errorf("setboot 0: rc %d", rc)
	}
}

// setboot 1 is accepted from a privileged client and logged; its failure
// never reboots unless the layer allows it.
func TestSetbootNeverRebootsByDefault(t *testing.T) {
	for _, allow := range []bool{false, true} {
		s := start(t, t.TempDir(), core.Config{PrivUIDs: []int32{int32(os.Getuid())}, AllowReboot: allow}, apphb.Options{})
		c := dial(t, s.sock)
		c.reg("crit", "x")
		if rc := c.call(core.AppendInt(nil, core.KindSetBoot, 1)); rc != 0 {
			t.Fatalf("setboot 1: rc %d", rc)
		}
		c.call(core.AppendInt(nil, core.KindSetInt, 20))
		ln := waitLine(t, s.glue, "Critical apphb client 'crit'", time.Second)
		if rebooting := !strings.Contains(ln.text, "not rebooting"); rebooting != allow {
			t.Errorf("allow=%v: %s", allow, ln.text)
		}
		c.c.Close()
	}
}

// needRoot skips without root or the Debian binary.
func needReal(t *testing.T, bin string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: apphbtest runs in a private mount namespace")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not installed (Debian's heartbeat)", bin)
	}
}

const apphbtest = "/usr/libexec/heartbeat/apphbtest"

// runApphbtest runs Debian's apphbtest with args in a mount namespace
// whose /run/heartbeat is dir (the socket's fixed directory).
func runApphbtest(t *testing.T, dir string, args ...string) string {
	t.Helper()
	// An empty /run of our own, so that /run/heartbeat need not exist on
	// the machine and nothing there is touched.
	script := "mount --make-rprivate / && mount -t tmpfs none /run && mkdir /run/heartbeat && mount --bind " + dir +
		" /run/heartbeat && exec " + apphbtest + " " + strings.Join(args, " ")
	cmd := exec.Command("unshare", "-m", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("apphbtest %v hung:\n%s", args, out)
	}
	if err != nil {
		t.Fatalf("apphbtest %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Debian's apphbtest, normal mode and its failure cases, against hbd's
// apphbd: every client registers, and the service outlives them all (the
// real apphbd loses its socket after its first client).
func TestDebianApphbtest(t *testing.T) {
	needReal(t, apphbtest)
	dir := t.TempDir()
	s := start(t, dir, core.Config{}, apphb.Options{})
	out := runApphbtest(t, dir, "-n", "3", "-p", "2", "-i", "200")
	if strings.Contains(out, "ERROR") || strings.Count(out, " registering") != 2 || strings.Count(out, "unregistering") != 2 {
		t.Errorf("normal mode:\n%s", out)
	}
	out = runApphbtest(t, dir, "-p", "1", "-i", "200", "-F")
	if strings.Contains(out, "ERROR") || !strings.Contains(out, "HANGUP!") {
		t.Errorf("failure mode:\n%s", out)
	}
	for _, want := range []string{"' (pid %d) late heartbeat: ", "' (pid %d) failed to heartbeat", "' (pid %d) resumed heartbeats", "'HANGUP' (pid %d) hangup"} {
		var pid int
		fmt.Sscanf(out[strings.Index(out, "Client failtest_")+len("Client failtest_"):], "%d", &pid)
		if !strings.Contains(s.text(), fmt.Sprintf(want, pid)) {
			t.Errorf("no %q for apphbtest's fail test", fmt.Sprintf(want, pid))
		}
	}
	t.Logf("apphbtest -F:\n%s\nservice log:\n%s", out, s.text())
	c := dial(t, s.sock)
	if rc := c.reg("still", "there"); rc != 0 {
		t.Errorf("reg after apphbtest: rc %d", rc)
	}
}

package recovery_test

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/recovery"
)

func TestParseConf(t *testing.T) {
	c, err := recovery.ParseConf("r.conf", []byte(`# comment
timeout 5s
backoff 100ms 2s
killgrace 50ms
app myapp event failed,hangup user root timeout 1s signal TERM run /bin/echo  hi   there
app web/worker1 event failed run true
app db event failed systemd postgresql.service
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 5*time.Second || c.BackoffMin != 100*time.Millisecond || c.BackoffMax != 2*time.Second || c.KillGrace != 50*time.Millisecond || len(c.Rules) != 3 {
		t.Fatalf("%+v", c)
	}
	r := c.Rules[0]
	if r.App != "myapp" || r.Instance != "" || !reflect.DeepEqual(r.Events, []core.EventKind{core.EventFailed, core.EventHangup}) ||
		r.Timeout != time.Second || r.Signal != syscall.SIGTERM || !reflect.DeepEqual(r.Args, []string{"/bin/sh", "-c", "/bin/echo hi there"}) || r.Line != "r.conf:5" {
		t.Errorf("rule 0: %+v", r)
	}
	if r := c.Rules[1]; r.App != "web" || r.Instance != "worker1" || r.Timeout != 5*time.Second || r.User != "root" {
		t.Errorf("rule 1: %+v", r)
	}
	// A systemd rule restarts the unit.
	if r := c.Rules[2]; !reflect.DeepEqual(r.Args, []string{"systemctl", "restart", "--", "postgresql.service"}) {
		t.Errorf("systemd rule: %q", r.Args)
	}
	for bad, want := range map[string]string{
		"bogus 1":                                 "unknown directive",
		"timeout soon":                            "not a positive duration",
		"backoff 2s 1s":                           "below its first wait",
		"app a event failed":                      "without run or systemd",
		"app a run true":                          "without event",
		"app a event resumed run true":            `event "resumed"`,
		"app a event failed signal FOO run true":  `unknown signal "FOO"`,
		"app a event failed systemd u extra":      "systemd takes one unit",
		"app a event failed color red run true":   `unknown rule keyword "color"`,
		"app a event failed timeout -1s run true": "not a positive duration",
		"event failed run true":                   "unknown directive",
	} {
		_, err := recovery.ParseConf("r.conf", []byte("timeout 1s\n"+bad+"\n"))
		if err == nil || !strings.HasPrefix(err.Error(), "r.conf:2: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want r.conf:2: …%s", bad, err, want)
		}
	}
}

// harness runs a loop with a manager and, optionally, apphbd.
type harness struct {
	l     *loop.Loop
	m     *recovery.Manager
	mu    sync.Mutex
	lines []stamped
	calls chan func()
}

type stamped struct {
	at   time.Time
	text string
}

func (h *harness) log(p prio.Level, text string) {
	h.mu.Lock()
	h.lines = append(h.lines, stamped{time.Now(), p.String() + ": " + text})
	h.mu.Unlock()
}

// on runs f on the loop goroutine.
func (h *harness) on(f func()) {
	h.calls <- f
	h.l.Wake()
}

func (h *harness) wait(t *testing.T, substr string, n int, within time.Duration) []stamped {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(time.Millisecond) {
		var got []stamped
		h.mu.Lock()
		for _, ln := range h.lines {
			if strings.Contains(ln.text, substr) {
				got = append(got, ln)
			}
		}
		all := len(h.lines)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			h.mu.Lock()
			defer h.mu.Unlock()
			var b strings.Builder
			for _, ln := range h.lines[:all] {
				b.WriteString(ln.text + "\n")
			}
			t.Fatalf("%d of %d %q within %v; log:\n%s", len(got), n, substr, within, b.String())
		}
	}
}

func newHarness(t *testing.T, conf string) *harness {
	t.Helper()
	c, err := recovery.ParseConf("recovery.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{calls: make(chan func(), 16)}
	h.l, err = loop.New(loop.Options{WakeHandler: func() {
		h.m.Poll()
		for {
			select {
			case f := <-h.calls:
				f()
			default:
				return
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.m = recovery.New(h.l, c, recovery.Options{Log: h.log})
	done := make(chan error, 1)
	go func() { done <- h.l.Run() }()
	t.Cleanup(func() {
		h.on(h.m.Close)
		time.Sleep(10 * time.Millisecond)
		h.l.Stop()
		<-done
		h.l.Close()
	})
	return h
}

// A command that hangs is killed at its timeout.
func TestHangingCommandKilledAtTimeout(t *testing.T) {
	h := newHarness(t, "killgrace 100ms\napp hang event failed timeout 300ms run sleep 30\n")
	start := time.Now()
	h.on(func() { h.m.Event(core.Event{Kind: core.EventFailed, App: "hang", Instance: "i", PID: 0}) })
	ln := h.wait(t, "timed out after 300ms and was killed", 1, 5*time.Second)[0]
	if d := ln.at.Sub(start); d < 300*time.Millisecond || d > 300*time.Millisecond+100*time.Millisecond+300*time.Millisecond {
		t.Errorf("killed %v after the start, want 300 ms (+ grace 100 ms)", d)
	}
	h.wait(t, "killing process group", 1, time.Second)
}

// A command that keeps failing backs off: 100, 200, 400, 400 ms between
// runs, and a success resets it.
func TestFailingCommandBacksOff(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "ok")
	h := newHarness(t, "backoff 100ms 400ms\napp flaky event failed run test -e "+flag+"\n")
	ev := core.Event{Kind: core.EventFailed, App: "flaky", Instance: "i"}
	for i := 1; i <= 5; i++ {
		h.on(func() { h.m.Event(ev) })
		h.wait(t, "command failed", i, 5*time.Second)
	}
	runs := h.wait(t, "running ", 5, time.Second)
	want := []time.Duration{100, 200, 400, 400}
	for i, w := range want {
		w *= time.Millisecond
		d := runs[i+1].at.Sub(runs[i].at)
		if d < w-2*time.Millisecond || d > w+150*time.Millisecond {
			t.Errorf("run %d came %v after run %d, want %v", i+2, d, i+1, w)
		}
	}
	h.wait(t, "recovery backing off", 1, time.Second)
	os.WriteFile(flag, nil, 0o644)
	h.on(func() { h.m.Event(ev) })
	h.wait(t, "command succeeded", 1, 2*time.Second)
	n := len(h.wait(t, "running ", 6, time.Second))
	h.on(func() { h.m.Event(ev) }) // no back-off after a success
	h.wait(t, "running ", n+1, 200*time.Millisecond)
	h.wait(t, "command succeeded", 2, 2*time.Second)
	tracked := make(chan int)
	h.on(func() { tracked <- h.m.Tracked() })
	if n := <-tracked; n != 0 {
		t.Errorf("%d clients remembered after their recovery succeeded", n)
	}
}

// A registered process that stops heartbeating is restarted by its
// recovery command within its interval + 50 ms.
func TestSilentClientRestarted(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "restarted")
	conf := "app victim event failed,hangup run date +%s%N > " + marker + "; echo $APPHB_EVENT $APPHB_INSTANCE >> " + marker + "\n"
	h := newHarness(t, conf)
	layer := core.New(core.Config{})
	var srv *apphb.Server
	ready := make(chan error, 1)
	sock := filepath.Join(dir, "apphb.comm")
	h.on(func() {
		var err error
		srv, err = apphb.Listen(h.l, &glue{layer, h}, apphb.Options{Socket: sock})
		ready <- err
	})
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	defer h.on(func() { srv.Close() })
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(body []byte) {
		f := binary.NativeEndian.AppendUint32(nil, uint32(len(body)))
		f = binary.NativeEndian.AppendUint32(f, 0xabcd)
		if _, err := c.Write(append(f, body...)); err != nil {
			t.Fatal(err)
		}
		if string(body[:2]) == "hb" {
			return
		}
		var rc [12]byte
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(rc[:]); err != nil || binary.NativeEndian.Uint32(rc[8:]) != 0 {
			t.Fatalf("reply %x %v", rc, err)
		}
	}
	call(core.AppendReg(nil, "victim", "one", "/", int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid())))
	const interval = 200 * time.Millisecond
	call(core.AppendInt(nil, core.KindSetInt, uint64(interval/time.Millisecond)))
	for range 3 {
		time.Sleep(interval / 3)
		call(core.AppendBare(nil, core.KindHB))
	}
	last := time.Now()
	var text string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		b, _ := os.ReadFile(marker)
		if text = string(b); strings.Count(text, "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restart; marker %q", text)
		}
	}
	ns, _ := strconv.ParseInt(strings.SplitN(text, "\n", 2)[0], 10, 64)
	d := time.Unix(0, ns).Sub(last)
	t.Logf("restarted %v after the last heartbeat (interval %v)", d, interval)
	if d < interval || d > interval+50*time.Millisecond {
		t.Errorf("restart ran %v after the last heartbeat, want within %v + 50 ms", d, interval)
	}
	if !strings.Contains(text, "failed one") {
		t.Errorf("command's environment: %q", text)
	}
}

// glue is the driver's part: the layer's lines to the log, its events to
// the recovery manager.
type glue struct {
	*core.Layer
	h *harness
}

func (g *glue) Flush() {
	rd := g.Ready()
	for _, ln := range rd.Log.Lines {
		g.h.log(ln.Prio, string(ln.Text))
	}
	evs := append([]core.Event(nil), rd.Events...)
	g.Advance()
	for _, ev := range evs {
		g.h.m.Event(ev)
	}
}

// The documented example parses, and doc.go shows the same rules.
func TestDocumentedExample(t *testing.T) {
	data, err := os.ReadFile("testdata/recovery.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, err := recovery.ParseConf("testdata/recovery.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 3 || c.BackoffMax != 5*time.Minute || c.Rules[2].Args[1] != "restart" {
		t.Errorf("%+v", c)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "app ") && !strings.Contains(string(doc), "//\t"+line+"\n") {
			t.Errorf("doc.go lacks the example rule %q", line)
		}
	}
}

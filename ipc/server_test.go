package ipc_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
)

// echo is a Handler: a frame "signon" signs the connection on, "close"
// closes it, anything else is sent back.
type echo struct{ closed []string }

func (e *echo) Opened(c *ipc.Conn) {}
func (e *echo) Frame(c *ipc.Conn, body []byte) {
	switch string(body) {
	case "signon":
		c.SignedOn()
	case "close":
		c.Close("asked")
		return
	}
	c.Send(ipc.AppendRawFrame(nil, int32(len(body)), ipc.Magic, body))
}
func (e *echo) Closed(c *ipc.Conn, reason string) { e.closed = append(e.closed, reason) }

// server is an ipc.Server on a loop of its own.
type server struct {
	*ipc.Server
	h    *echo
	l    *loop.Loop
	path string
	mu   sync.Mutex
	logs []string
	wake chan func()
}

func start(t *testing.T, opt ipc.Options) *server {
	t.Helper()
	s := &server{h: &echo{}, path: filepath.Join(t.TempDir(), "run", "sock"), wake: make(chan func(), 16)}
	opt.Name = "test"
	opt.Logf = func(f string, args ...any) {
		s.mu.Lock()
		s.logs = append(s.logs, fmt.Sprintf(f, args...))
		s.mu.Unlock()
	}
	l, err := loop.New(loop.Options{WakeHandler: func() {
		for {
			select {
			case f := <-s.wake:
				f()
			default:
				return
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.l = l
	if s.Server, err = ipc.Listen(l, s.path, s.h, opt); err != nil {
		l.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		s.do(func() { s.Server.Close() })
		l.Stop()
		<-done
		l.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log())
		}
	})
	return s
}

// do runs f on the loop goroutine and waits for it.
func (s *server) do(f func()) {
	done := make(chan struct{})
	s.wake <- func() { f(); close(done) }
	s.l.Wake()
	<-done
}

// log returns the lines logged so far (call it from the test goroutine
// while the loop runs, or after it stopped).
func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.logs, "\n")
}

func (s *server) stats() (st ipc.Stats, conns, unsigned int) {
	s.do(func() { st, conns, unsigned = s.Stats(), s.Conns(), s.Unsigned() })
	return
}

func dial(t *testing.T, s *server) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", s.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func frame(body string) []byte {
	return ipc.AppendRawFrame(nil, int32(len(body)), ipc.Magic, []byte(body))
}

// roundTrip sends body and expects it back.
func roundTrip(t *testing.T, c net.Conn, body string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(frame(body)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, ipc.HeaderLen+len(body))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("no echo of %q: %v", body, err)
	}
	if !bytes.Equal(got, frame(body)) {
		t.Fatalf("echo %q, want %q", got, frame(body))
	}
}

// refused says whether the server closed c without answering.
func refused(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(frame("hello"))
	n, err := c.Read(make([]byte, 64))
	return n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err))
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

func TestFraming(t *testing.T) {
	s := start(t, ipc.Options{})
	c := dial(t, s)
	roundTrip(t, c, "signon")
	// Two frames in one write, then one split across three writes.
	c.Write(append(frame("one"), frame("two")...))
	whole := frame("split frame")
	c.Write(whole[:3])
	time.Sleep(10 * time.Millisecond)
	c.Write(whole[3:10])
	time.Sleep(10 * time.Millisecond)
	c.Write(whole[10:])
	want := string(frame("one")) + string(frame("two")) + string(whole)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("echo %q (%v), want %q", got, err, want)
	}
	// A broken header closes the connection, with a line naming the fault.
	c.Write(ipc.AppendRawFrame(nil, 3, 0xdead, []byte("abc")))
	if n, err := c.Read(make([]byte, 8)); n != 0 || err == nil {
		t.Fatal("a frame with a bad magic left the connection open")
	}
	if l := s.log(); !strings.Contains(l, "IPC frame at byte 0: magic 0xdead, want 0xabcd: closing") {
		t.Errorf("log: %s", l)
	}
}

// TestMaxConns: a connection over the cap is closed at once, with a log
// line saying why; signed-on clients are unaffected, and once one leaves
// a new client is served.
func TestMaxConns(t *testing.T) {
	s := start(t, ipc.Options{MaxConns: 3})
	var cs []net.Conn
	for range 3 {
		c := dial(t, s)
		roundTrip(t, c, "signon")
		cs = append(cs, c)
	}
	if !refused(dial(t, s)) {
		t.Fatal("a 4th connection was served with MaxConns 3")
	}
	if l := s.log(); !strings.Contains(l, "test: refusing connection from pid ") || !strings.Contains(l, "3 connections open (the cap)") {
		t.Errorf("log: %s", l)
	}
	roundTrip(t, cs[0], "still served")
	cs[1].Close()
	waitFor(t, func() bool { _, n, _ := s.stats(); return n == 2 })
	roundTrip(t, dial(t, s), "signon")
	if st, _, _ := s.stats(); st.Refused != 1 {
		t.Errorf("Refused %d, want 1", st.Refused)
	}
}

// TestMaxUnsigned: clients that never sign on cannot fill the server;
// a signed-on client frees its unsigned slot.
func TestMaxUnsigned(t *testing.T) {
	s := start(t, ipc.Options{MaxUnsigned: 2})
	a, b := dial(t, s), dial(t, s)
	roundTrip(t, a, "hello")
	roundTrip(t, b, "hello")
	if !refused(dial(t, s)) {
		t.Fatal("a 3rd unsigned connection was served with MaxUnsigned 2")
	}
	if l := s.log(); !strings.Contains(l, "2 connections not signed on (the cap)") {
		t.Errorf("log: %s", l)
	}
	roundTrip(t, a, "signon")
	c := dial(t, s)
	roundTrip(t, c, "hello")
	if _, n, u := s.stats(); n != 3 || u != 2 {
		t.Errorf("%d connections, %d unsigned; want 3, 2", n, u)
	}
}

// TestUnsignedTimeout: a connection that does not sign on in time is
// closed; a signed-on one stays.
func TestUnsignedTimeout(t *testing.T) {
	const limit = 200 * time.Millisecond
	s := start(t, ipc.Options{UnsignedTimeout: limit})
	idle, signed := dial(t, s), dial(t, s)
	roundTrip(t, signed, "signon")
	begin := time.Now()
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle.Read(make([]byte, 8)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("unsigned connection: read %d, %v; want EOF", n, err)
	}
	if d := time.Since(begin); d < limit-20*time.Millisecond || d > limit+2*time.Second {
		t.Errorf("closed after %v, want about %v", d, limit)
	}
	if l := s.log(); !strings.Contains(l, "did not sign on within 200ms: closing") {
		t.Errorf("log: %s", l)
	}
	time.Sleep(limit)
	roundTrip(t, signed, "still served")
	s.do(func() {})
	if got := strings.Join(s.h.closedReasons(s), ","); got != "unsigned timeout" {
		t.Errorf("closed: %q", got)
	}
}

func (e *echo) closedReasons(s *server) (r []string) {
	s.do(func() { r = append(r, e.closed...) })
	return r
}

// TestReservation: a header announcing a large frame does not make the
// server reserve it; memory grows with what arrives, and the frame, once
// complete, is handled whole. Over the cap, the frame is refused.
func TestReservation(t *testing.T) {
	s := start(t, ipc.Options{})
	c := dial(t, s)
	roundTrip(t, c, "signon")
	body := bytes.Repeat([]byte("0123456789abcdef"), ipc.MaxFrame/16)
	whole := ipc.AppendRawFrame(nil, int32(len(body)), ipc.Magic, body)
	c.Write(whole[:100])
	waitFor(t, func() bool { _, n, _ := s.stats(); return n == 1 })
	time.Sleep(20 * time.Millisecond)
	if st, _, _ := s.stats(); st.Reserved > 8<<10 {
		t.Fatalf("%d bytes reserved after a 100-byte piece of a 256 KiB frame", st.Reserved)
	}
	c.Write(whole[100 : 64<<10])
	time.Sleep(20 * time.Millisecond)
	if st, _, _ := s.stats(); st.Reserved > 2*(64<<10) {
		t.Fatalf("%d bytes reserved after 64 KiB of a 256 KiB frame", st.Reserved)
	}
	go c.Write(whole[64<<10:])
	got := make([]byte, len(whole))
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, whole) {
		t.Fatalf("a frame of MaxFrame bytes did not come back whole: %v", err)
	}
	if st, _, _ := s.stats(); st.Reserved > 64<<10 {
		t.Errorf("%d bytes still reserved after the large frame", st.Reserved)
	}
	// One byte over the cap: refused from its header alone.
	c.Write(ipc.AppendRawFrame(nil, ipc.MaxFrame+1, ipc.Magic, nil))
	if n, err := c.Read(make([]byte, 8)); n != 0 || err == nil {
		t.Fatal("an oversized frame left the connection open")
	}
	if l := s.log(); !strings.Contains(l, fmt.Sprintf("body length %d outside [0, %d]", ipc.MaxFrame+1, ipc.MaxFrame)) {
		t.Errorf("log: %s", l)
	}
}

// TestDirModeLogged: an existing socket directory that others may write
// to is reported.
func TestDirModeLogged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var logs []string
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := ipc.Listen(l, filepath.Join(dir, "sock"), &echo{}, ipc.Options{Name: "api", Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if want := "api: socket directory " + dir + " has mode 0777, wider than 0750"; len(logs) != 1 || !strings.HasPrefix(logs[0], want) {
		t.Errorf("logs %q, want %q", logs, want)
	}
	// A directory Listen creates gets heartbeat's mode, and no line.
	logs = nil
	s, err = ipc.Listen(l, filepath.Join(dir, "new", "sock"), &echo{}, ipc.Options{Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(filepath.Join(dir, "new")); err != nil || fi.Mode().Perm()&0o027 != 0 || len(logs) != 0 {
		t.Errorf("created directory: %v %v, logs %q", fi.Mode(), err, logs)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}

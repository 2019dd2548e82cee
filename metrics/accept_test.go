package metrics

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// failingListener fails its first n Accepts as the kernel does when the
// process is out of descriptors, then accepts for real.
type failingListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.n > 0
	if fail {
		l.n--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// serveOn serves m on ln (instead of a listener of its own) until the
// test ends.
func serveOn(t *testing.T, m *Metrics, ln net.Listener) {
	t.Helper()
	m.mu.Lock()
	s := m.startLocked(ln)
	m.mu.Unlock()
	t.Cleanup(func() { m.stop(s) })
}

// logLines collects the endpoint's log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) log(msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
}

func (l *logLines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Out of descriptors for a while (EMFILE on accept), the endpoint keeps
// serving once they are back, and says so in two lines, not one per
// failed accept. It used to end its accept loop silently on the first
// such error.
func TestAcceptErrorsDoNotEndServing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const fails = 6
	fl := &failingListener{Listener: ln, n: fails}
	var logs logLines
	m := New("node1", testNodes, testLinks)
	m.SetLog(logs.log)
	serveOn(t, m, fl)
	if line := get(t, m.Addr()); !strings.HasPrefix(line, "HTTP/1.1 200 ") {
		t.Fatalf("after %d failed accepts: %q, want 200", fails, line)
	}
	got := logs.get()
	if len(got) != 2 || !strings.Contains(got[0], "too many open files") || !strings.Contains(got[0], "retrying") ||
		!strings.Contains(got[1], "accepting again after 6 failed accepts") {
		t.Errorf("log lines %q: want one for the EMFILE and one for the recovery after %d", got, fails)
	}
}

// The back-off does not hold up stop.
func TestStopDuringAcceptBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := New("node1", testNodes, testLinks)
	m.mu.Lock()
	s := m.startLocked(&failingListener{Listener: ln, n: 1 << 30})
	m.mu.Unlock()
	time.Sleep(3 * maxBackoff / 2) // well into the longest waits
	start := time.Now()
	m.stop(s)
	if d := time.Since(start); d > maxBackoff/2 {
		t.Errorf("stop took %v during the accept back-off", d)
	}
}

// At most maxConns connections are served at once: with that many idle
// ones open (each held until its read timeout), the next is closed at
// once, unanswered, and no goroutine is started for it; when one closes,
// scrapes are served again. Before the cap, every connection got a
// goroutine and the next one waited like the others.
func TestConnectionCap(t *testing.T) {
	m := newTest(t)
	var idle []net.Conn
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	for range maxConns {
		c, err := net.DialTimeout("tcp", m.Addr(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	over, err := net.DialTimeout("tcp", m.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	over.SetReadDeadline(time.Now().Add(readTimeout / 2))
	start := time.Now()
	n, err := over.Read(make([]byte, 1))
	if n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection %d: read %d, %v after %v: want it closed at once", maxConns+1, n, err, time.Since(start))
	}
	m.server.mu.Lock()
	open := len(m.server.open)
	m.server.mu.Unlock()
	if open != maxConns {
		t.Errorf("%d connections being served, want the cap %d", open, maxConns)
	}
	// A slot freed is a slot used: the next scrape is answered.
	idle[0].Close()
	deadline := time.Now().Add(readTimeout / 2)
	for {
		line := get(t, m.Addr())
		if strings.HasPrefix(line, "HTTP/1.1 200 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer with a slot freed: %q", line)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// get asks for / and returns the status line ("" when none came within
// a few seconds).
func get(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

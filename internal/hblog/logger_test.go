package hblog

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var when = time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)

func TestFormats(t *testing.T) {
	got := string(appendFileLine(nil, true, when, "node1", "heartbeat", 42, Warn, "node node2: is dead"))
	if got != "Mar 04 05:06:07 node1 heartbeat: [42]: WARN: node node2: is dead\n" {
		t.Errorf("syslog-style file line %q", got)
	}
	got = string(appendFileLine(nil, false, when, "node1", "heartbeat", 42, Info, "Link node2:eth0 up."))
	if got != "heartbeat[42]: 2026/03/04_05:06:07 info: Link node2:eth0 up.\n" {
		t.Errorf("plain file line %q", got)
	}
	f, _ := Facility("local0")
	got = string(appendSyslog(nil, f, when, "heartbeat", 42, Crit, "x"))
	if got != "<130>Mar  4 05:06:07 heartbeat: [42]: CRIT: x" {
		t.Errorf("syslog datagram %q", got)
	}
	if _, ok := Facility("none"); ok {
		t.Error("facility none enabled syslog")
	}
	long := strings.Repeat("x", 6000)
	if n := len(appendFileLine(nil, true, when, "h", "e", 1, Info, long)); n > maxLine+60 {
		t.Errorf("line not truncated: %d bytes", n)
	}
}

// Lines reach the logfile (not debug), the debugfile (everything), syslog
// and stderr, in order.
func TestDestinations(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var stderr syncBuffer
	l, err := New(Options{
		Entity: "heartbeat", Host: "node1", Pid: 7, SyslogMsgFmt: true,
		LogFile: filepath.Join(dir, "ha-log"), DebugFile: filepath.Join(dir, "ha-debug"),
		Facility: "daemon", SyslogSocket: sock, Stderr: &stderr, Debug: 1,
		Now: func() time.Time { return when },
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(Info, "first")
	l.Log(Debug, "detail")
	l.Detach()
	l.Log(Error, "after detach")
	l.SetDebug(0)
	l.Log(Debug, "hidden")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	logf, _ := os.ReadFile(filepath.Join(dir, "ha-log"))
	dbgf, _ := os.ReadFile(filepath.Join(dir, "ha-debug"))
	if strings.Count(string(logf), "\n") != 2 || strings.Contains(string(logf), "detail") {
		t.Errorf("logfile:\n%s", logf)
	}
	if strings.Count(string(dbgf), "\n") != 3 || !strings.Contains(string(dbgf), "heartbeat: [7]: debug: detail") {
		t.Errorf("debugfile:\n%s", dbgf)
	}
	if strings.Contains(stderr.String(), "after detach") || !strings.Contains(stderr.String(), "info: first") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	buf := make([]byte, 512)
	pc.SetReadDeadline(time.Now().Add(time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "<30>Mar  4 05:06:07 heartbeat: [7]: info: first" {
		t.Errorf("syslog got %q, %v", buf[:n], err)
	}
}

// A full queue drops lines instead of blocking, counts them, and says so.
func TestQueueFull(t *testing.T) {
	dir := t.TempDir()
	stuck := &blockingWriter{release: make(chan struct{})}
	l, err := New(Options{Entity: "hbd", LogFile: filepath.Join(dir, "log"), QueueLen: 4, Stderr: stuck})
	if err != nil {
		t.Fatal(err)
	}
	// The writer blocks on the first stderr line; the queue then fills.
	start := time.Now()
	for range 100 {
		l.Log(Info, "x")
	}
	if time.Since(start) > time.Second {
		t.Error("Log blocked on a stuck writer")
	}
	if l.Dropped() < 90 {
		t.Errorf("dropped %d of 100 lines with a queue of 4", l.Dropped())
	}
	l.Detach()
	close(stuck.release)
	for deadline := time.Now().Add(5 * time.Second); len(l.queue) > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	l.Log(Info, "after")
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !bytes.Contains(b, []byte("log lines dropped (log queue full)")) || !bytes.Contains(b, []byte("info: after")) {
		t.Errorf("drops not reported:\n%s", b)
	}
}

type blockingWriter struct{ release chan struct{} }

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// Rotation (the file renamed away) is noticed and a new file opened.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ha-log")
	now := when
	l, err := New(Options{Entity: "hbd", LogFile: path, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(Info, "before")
	time.Sleep(50 * time.Millisecond)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	l.Log(Info, "after")
	l.Close()
	b, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if !strings.Contains(string(b), "after") || !strings.Contains(string(old), "before") {
		t.Errorf("new file %q, rotated %q", b, old)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

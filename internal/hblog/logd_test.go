package hblog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLogd accepts lines while up.
type fakeLogd struct {
	mu    sync.Mutex
	up    bool
	tries int
	got   []string
}

func (f *fakeLogd) Forward(t time.Time, l Level, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if !f.up {
		return errors.New("connection refused")
	}
	f.got = append(f.got, msg)
	return nil
}

// With use_logd, lines go to the logd; while it is away they go to the
// files, the logd is tried once per LogdRetry (not per line), and its
// return is said through it.
func TestLogdFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ha-log")
	var mu sync.Mutex
	now := time.Unix(1e9, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := &fakeLogd{up: true}
	l, err := New(Options{Entity: "hbd", LogFile: path, Now: clock, Logd: f, LogdRetry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sync := func() { // the writer drains in order: wait for a marker line
		for i := 0; i < 500 && len(l.queue) > 0; i++ {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.Log(Info, "a")
	sync()
	f.mu.Lock()
	f.up = false
	f.mu.Unlock()
	l.Log(Info, "b")
	l.Log(Info, "c")
	sync()
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	f.mu.Lock()
	f.up = true
	f.mu.Unlock()
	l.Log(Info, "d")
	l.Close()

	if strings.Join(f.got, "|") != "a|logd is back: 2 lines were written directly meanwhile|d" {
		t.Errorf("logd got %q", f.got)
	}
	if f.tries != 4 { // a, b (fails), d and the "back" line; c waits for the retry
		t.Errorf("%d tries, want 4", f.tries)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"WARN: logd is not reachable (connection refused): logging to files directly, retrying every 1m0s", "info: b\n", "info: c\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("file lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "info: a\n") || strings.Contains(s, "info: d\n") {
		t.Errorf("lines the logd took are in the file too:\n%s", s)
	}
}

// A logd that was never there at start is said at info, not warned
// about, and the line still reaches the file.
func TestLogdAbsentAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ha-log")
	l, err := New(Options{Entity: "hbd", LogFile: path, Logd: &fakeLogd{}, LogdRetry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(Info, "first")
	l.Close()
	b, _ := os.ReadFile(path)
	if s := string(b); !strings.Contains(s, "info: logd is not reachable (connection refused)") || strings.Contains(s, "WARN") || !strings.Contains(s, "info: first\n") {
		t.Errorf("file:\n%s", s)
	}
}

package apphb_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/loop"
)

// use_apphbd: the daemon registers itself as heartbeat does, heartbeats
// without blocking, says when apphbd went away and registers again once
// it is back, after Retry.
func TestClientRegistersAndReregisters(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, core.Config{}, apphb.Options{Socket: filepath.Join(dir, "apphb.comm")})
	var lines []string
	c := &apphb.Client{Socket: s.sock, App: "heartbeat", Instance: "master_control_process",
		Interval: 200 * time.Millisecond, Warn: 100 * time.Millisecond, Retry: 150 * time.Millisecond,
		Log: func(p prio.Level, text string) {
			s.glue.mu.Lock()
			lines = append(lines, p.String()+": "+text)
			s.glue.mu.Unlock()
		}}
	var tm loop.Timer
	tm.Init(func(now int64) { s.l.Schedule(&tm, c.Poll(now)) })
	onLoop(t, s, func() { s.l.Schedule(&tm, s.l.Now()) })
	waitLine(t, s.glue, "apphb_client_register: client: [heartbeat]/[master_control_process]", time.Second)
	time.Sleep(500 * time.Millisecond) // more than twice the interval: heartbeats keep it alive
	if strings.Contains(s.text(), "failed to heartbeat") {
		t.Fatalf("the daemon's own registration failed:\n%s", s.text())
	}
	onLoop(t, s, func() { s.srv.Close() })
	time.Sleep(100 * time.Millisecond)
	// apphbd is back: a new server on the same socket.
	onLoop(t, s, func() {
		srv, err := apphb.Listen(s.l, s.glue, apphb.Options{Socket: s.sock})
		if err != nil {
			t.Error(err)
			return
		}
		s.srv = srv
	})
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.glue.mu.Lock()
		got := strings.Join(lines, "\n")
		s.glue.mu.Unlock()
		if strings.Count(got, "info: Registered with apphbd as heartbeat/master_control_process.") == 2 {
			// The errno depends on when the client notices the closed
			// server: EBADF once its connection is dropped, ECONNRESET
			// when a heartbeat meets the reset (CI saw both).
			if !strings.Contains(got, "ERROR: apphb_hb() failed.: ") {
				t.Errorf("no failure line:\n%s", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no second registration:\n%s", got)
		}
	}
	onLoop(t, s, func() { s.l.StopTimer(&tm); c.Close() })
}

// onLoop runs f on s's loop goroutine and waits for it.
func onLoop(t *testing.T, s *service, f func()) {
	t.Helper()
	done := make(chan struct{})
	var tm loop.Timer
	tm.Init(func(int64) { f(); close(done) })
	s.post <- &tm
	s.l.Wake()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("loop did not run the call")
	}
}

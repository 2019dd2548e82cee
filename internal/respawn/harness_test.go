package respawn

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// harness runs a Supervisor on a goroutine of its own, as the daemon's
// loop does: every call and every Reap happen there.
type harness struct {
	t    *testing.T
	s    *Supervisor
	dir  string
	wake chan struct{}
	fns  chan func()
	quit chan struct{}

	mu      sync.Mutex
	lines   []string
	reboots []string
}

// newHarness builds a Supervisor for clients with a test Reboot and a
// recording Log; opt's hooks are filled in.
func newHarness(t *testing.T, clients []config.Client, opt Options) *harness {
	h := &harness{t: t, wake: make(chan struct{}, 1), fns: make(chan func()), quit: make(chan struct{})}
	h.dir = sharedDir(t)
	opt.Log = func(l prio.Level, msg string) {
		h.mu.Lock()
		h.lines = append(h.lines, l.String()+": "+msg)
		h.mu.Unlock()
	}
	opt.Wake = func() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	opt.Reboot = func(reason string) {
		h.mu.Lock()
		h.reboots = append(h.reboots, reason)
		h.mu.Unlock()
	}
	h.s = New(clients, opt)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-h.wake:
				h.s.Reap()
			case f := <-h.fns:
				f()
			case <-h.quit:
				return
			}
		}
	}()
	t.Cleanup(func() {
		// Leave no client behind, whatever the test did.
		stopped := make(chan struct{})
		h.do(func() { h.s.opt.KillAfter = 100 * time.Millisecond; h.s.Stop(func() { close(stopped) }) })
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("clients still running at cleanup")
		}
		close(h.quit)
		<-done
	})
	return h
}

// do runs f on the harness's loop goroutine and waits for it.
func (h *harness) do(f func()) {
	ran := make(chan struct{})
	h.fns <- func() { f(); close(ran) }
	<-ran
}

// sharedDir is a temporary directory every user can use (t.TempDir's
// parent is private to root).
func sharedDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "hbd-respawn-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// script writes an executable shell script and returns a client running
// it as the test runs: root in CI, and the same user without root (a
// switch to root would fail then; TestUserSwitch covers switching).
func (h *harness) script(name, body string) config.Client {
	path := filepath.Join(h.dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		h.t.Fatal(err)
	}
	c := config.Client{User: "root", Command: path, Path: path, UID: os.Geteuid(), GID: os.Getegid()}
	if u, err := user.LookupId(strconv.Itoa(c.UID)); err == nil {
		c.User = u.Username
	}
	return c
}

// text returns the log so far.
func (h *harness) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.lines, "\n")
}

// waitLog waits until a logged line contains s, n times in all.
func (h *harness) waitLog(s string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(h.text(), s) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("no %d× %q in the log:\n%s", n, s, h.text())
}

// waitFile waits until path exists and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			time.Sleep(20 * time.Millisecond) // let the writer finish
			b, _ = os.ReadFile(path)
			return string(b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

// pidOf waits for the live pid of command.
func (h *harness) pidOf(command string) int {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if pid, ok := h.s.Pids()[command]; ok {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("%s never ran", command)
	return 0
}

// groupAlive reports whether any process is in process group pgid.
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || err == syscall.EPERM
}

// stat returns fields of /proc/pid/stat after the command name.
func stat(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
}

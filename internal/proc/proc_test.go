package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sh is a Spec running script with /bin/sh, stdout captured.
func sh(script string) *Spec {
	return &Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, CaptureStdout: true}
}

// alive reports whether pid runs (a zombie waiting for its reaper counts
// as gone).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// waitGone waits until pid has gone.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !alive(pid) {
			return
		}
	}
	t.Errorf("process %d still alive", pid)
	syscall.Kill(pid, syscall.SIGKILL) // ours: the test started it
}

// readPid waits for a pid written to path.
func readPid(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			t.Cleanup(func() {
				if alive(n) {
					syscall.Kill(n, syscall.SIGKILL)
				}
			})
			return n
		}
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

func TestExitCodeOutputAndGroup(t *testing.T) {
	// The child prints its own process group: its pid.
	r := Run(nil, sh(`echo "$$ $(cut -d' ' -f5 /proc/$$/stat)"; exit 3`))
	if r.Err != nil || !r.Exited() || r.ExitCode() != 3 || r.ShellStatus() != 3 || r.Signal() != 0 {
		t.Fatalf("exit 3: %+v", r)
	}
	f := strings.Fields(string(r.Stdout))
	if len(f) != 2 || f[0] != strconv.Itoa(r.Pid) || f[1] != f[0] {
		t.Errorf("child printed %q, want its pid %d twice (its own process group)", r.Stdout, r.Pid)
	}
}

func TestKilledBySignal(t *testing.T) {
	r := Run(nil, sh(`kill -SEGV $$`))
	if r.Err != nil || r.Exited() || r.Signal() != syscall.SIGSEGV || r.ShellStatus() != 139 || r.ExitCode() != -1 {
		t.Errorf("killed by SIGSEGV: err %v exited %v signal %v $? %d code %d", r.Err, r.Exited(), r.Signal(), r.ShellStatus(), r.ExitCode())
	}
}

func TestEnvironmentAndDir(t *testing.T) {
	r := Run(nil, &Spec{Path: "/usr/bin/env", Env: []string{"A=1", "B=two words", "A=2"}, CaptureStdout: true})
	lines := strings.Split(strings.TrimSuffix(string(r.Stdout), "\n"), "\n")
	slices.Sort(lines)
	// os/exec keeps the last of duplicate names.
	if r.Err != nil || !slices.Equal(lines, []string{"A=2", "B=two words"}) {
		t.Errorf("env printed %q (err %v), want exactly the environment given, the last A", r.Stdout, r.Err)
	}
	r = Run(nil, &Spec{Path: "pwd", Dir: "/", CaptureStdout: true})
	if string(r.Stdout) != "/\n" {
		t.Errorf("pwd in Dir /: %q, %v", r.Stdout, r.Err)
	}
}

func TestOutputFileAppended(t *testing.T) {
	out := filepath.Join(t.TempDir(), "debug")
	if err := os.WriteFile(out, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Spec{Path: "/bin/sh", Args: []string{"sh", "-c", "echo out; echo err >&2"}, Output: out}
	if r := Run(nil, s); r.Err != nil || r.ExitCode() != 0 {
		t.Fatal(r.Err)
	}
	// Status capture: stdout kept, stderr still to the file.
	s.Args[2] = "echo kept; echo err2 >&2"
	s.CaptureStdout = true
	r := Run(nil, s)
	if string(r.Stdout) != "kept\n" {
		t.Errorf("captured %q", r.Stdout)
	}
	if b, _ := os.ReadFile(out); string(b) != "before\nout\nerr\nerr2\n" {
		t.Errorf("output file %q, want both streams appended", b)
	}
	// An output file that cannot be opened loses the output; the child
	// still runs.
	r = Run(nil, &Spec{Path: "/bin/true", Output: filepath.Join(out, "not-a-dir", "x")})
	if r.Err != nil || r.ExitCode() != 0 {
		t.Errorf("unopenable output: %+v", r)
	}
}

func TestOutputCap(t *testing.T) {
	r := Run(nil, &Spec{Path: "/bin/sh", Args: []string{"sh", "-c", "head -c 300000 /dev/zero; head -c 5000 /dev/zero >&2"},
		CaptureStdout: true, CaptureStderr: true, Cap: 1000})
	// The writer kept reading: no SIGPIPE, no blocked child.
	if r.Err != nil || r.ExitCode() != 0 || len(r.Stdout) != 1000 || len(r.Stderr) != 1000 {
		t.Errorf("err %v code %d, kept %d and %d bytes; want exit 0 and 1000 each", r.Err, r.ExitCode(), len(r.Stdout), len(r.Stderr))
	}
	r = Run(nil, &Spec{Path: "/bin/sh", Args: []string{"sh", "-c", "head -c 100000 /dev/zero"}, CaptureStdout: true})
	if len(r.Stdout) != DefaultCap {
		t.Errorf("kept %d bytes, want the default cap %d", len(r.Stdout), DefaultCap)
	}
}

// A grandchild that keeps stdout open does not hold the Result for ever.
func TestPipeHeld(t *testing.T) {
	dir := t.TempDir()
	s := sh(fmt.Sprintf("sleep 1000 & echo $! >%s/gc; echo hi", dir))
	s.PipeWait = 100 * time.Millisecond
	start := time.Now()
	r := Run(nil, s)
	gc := readPid(t, filepath.Join(dir, "gc"))
	if r.Err != nil || !r.PipeHeld || r.ExitCode() != 0 || string(r.Stdout) != "hi\n" || time.Since(start) > 5*time.Second {
		t.Errorf("%+v after %v; want exit 0, PipeHeld, output kept", r, time.Since(start))
	}
	syscall.Kill(gc, syscall.SIGKILL)
}

func TestStartFailure(t *testing.T) {
	called := false
	p, err := Start(nil, &Spec{Path: "/nonexistent/hbd-proc"}, func(Result) { called = true })
	if p != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("start of a missing program: %v, %v; want ErrNotExist", p, err)
	}
	if r := Run(nil, &Spec{Path: "hbd-no-such-command"}); r.Err == nil || r.Pid != 0 || r.Reaped() {
		t.Errorf("missing command looked up in PATH: %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := Run(ctx, &Spec{Path: "/bin/true"}); r.Err != ErrCancelled || r.Pid != 0 {
		t.Errorf("cancelled before start: %+v", r)
	}
	time.Sleep(10 * time.Millisecond)
	if called {
		t.Error("done called for a child that never started")
	}
}

// hangScript leaves a grandchild that ignores SIGTERM, records its pid,
// and hangs; with trap set the leader ignores SIGTERM too.
func hangScript(dir string, trap bool) *Spec {
	t := ""
	if trap {
		t = "trap 'echo term >>" + dir + "/leader' TERM; "
	}
	return sh(fmt.Sprintf("(trap '' TERM; exec sleep 1000) & echo $! >%s/gc; %swhile :; do sleep 0.01; done", dir, t))
}

// A timeout kills the whole group: the leader on SIGTERM, the grandchild
// that ignores it by the SIGKILL that follows at once.
func TestTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	s := hangScript(dir, false)
	s.Timeout, s.KillGrace = 200*time.Millisecond, 5*time.Second
	var why error
	var pgid int
	s.Killing = func(w error, g int) { why, pgid = w, g }
	start := time.Now()
	r := Run(nil, s)
	took := time.Since(start)
	gc := readPid(t, filepath.Join(dir, "gc"))
	if r.Err != ErrTimeout || r.Signal() != syscall.SIGTERM || why != ErrTimeout || pgid != r.Pid {
		t.Errorf("err %v signal %v, Killing(%v, %d) for pid %d; want a timeout by SIGTERM, Killing told first", r.Err, r.Signal(), why, pgid, r.Pid)
	}
	// Not the grace, nor the 2 s a grandchild may hold the pipe: the
	// leader's death is seen at once, and SIGKILL follows it.
	if took < 200*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("took %v: want the timeout, not the grace (the leader died on SIGTERM)", took)
	}
	waitGone(t, gc)
}

// A leader that ignores SIGTERM gets SIGKILL after the grace, its group
// with it.
func TestKillGrace(t *testing.T) {
	dir := t.TempDir()
	s := hangScript(dir, true)
	s.Timeout, s.KillGrace = 100*time.Millisecond, 400*time.Millisecond
	start := time.Now()
	r := Run(nil, s)
	took := time.Since(start)
	gc := readPid(t, filepath.Join(dir, "gc"))
	if r.Err != ErrTimeout || r.Signal() != syscall.SIGKILL || r.ShellStatus() != 137 {
		t.Errorf("err %v signal %v; want timeout, SIGKILL", r.Err, r.Signal())
	}
	if took < 500*time.Millisecond {
		t.Errorf("killed after %v, before timeout + grace", took)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "leader")); !strings.Contains(string(b), "term") {
		t.Error("the leader never saw SIGTERM")
	}
	waitGone(t, gc)
	// No grace: SIGKILL at once.
	s = hangScript(t.TempDir(), true)
	s.Timeout = 100 * time.Millisecond
	if r := Run(nil, s); r.Signal() != syscall.SIGKILL || r.Err != ErrTimeout {
		t.Errorf("no grace: %v %v, want SIGKILL", r.Err, r.Signal())
	}
}

func TestCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s := hangScript(dir, false)
	s.KillGrace = time.Second
	ch := make(chan Result, 1)
	p, err := Start(ctx, s, func(r Result) { ch <- r })
	if err != nil {
		t.Fatal(err)
	}
	gc := readPid(t, filepath.Join(dir, "gc"))
	cancel()
	r := <-ch
	if r.Err != ErrCancelled || r.Pid != p.Pid {
		t.Errorf("%+v, want cancelled", r)
	}
	waitGone(t, gc)
}

// Start returns at once; done comes later, from elsewhere; Signal
// reaches the whole group.
func TestStartNeverWaits(t *testing.T) {
	dir := t.TempDir()
	s := hangScript(dir, false)
	s.CaptureStdout = false
	ch := make(chan Result, 1)
	start := time.Now()
	p, err := Start(nil, s, func(r Result) { ch <- r })
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Start took %v", d)
	}
	gc := readPid(t, filepath.Join(dir, "gc"))
	select {
	case r := <-ch:
		t.Fatalf("done before the child ended: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := <-ch; r.Err != nil || r.Signal() != syscall.SIGKILL {
		t.Errorf("%+v, want killed by our SIGKILL, no runner error", r)
	}
	waitGone(t, gc)
}

func TestCredential(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	s := sh("id -u; id -g")
	s.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	if r := Run(nil, s); string(r.Stdout) != nobody.Uid+"\n"+nobody.Gid+"\n" {
		t.Errorf("ran as %q (%v), want nobody", r.Stdout, r.Err)
	}
}

// Many children at once, some killed: every one is reported once, and
// no descriptor or goroutine is left behind.
func TestManyChildrenNoLeak(t *testing.T) {
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	// Warm up: the runtime opens what it keeps (pidfd probe, /dev/null).
	Run(nil, sh("true"))
	runtime.GC()
	fd0, g0 := fds(), runtime.NumGoroutine()
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range n {
		s := sh(fmt.Sprintf("echo %d; exit %d", i, i%7))
		switch i % 4 {
		case 1:
			s.CaptureStderr = true
		case 2:
			s.Timeout = time.Minute
		case 3:
			s = sh("exec sleep 1000")
			s.Timeout, s.KillGrace = 50*time.Millisecond, 50*time.Millisecond
		}
		wg.Add(1)
		_, err := Start(nil, s, func(r Result) {
			mu.Lock()
			switch {
			case i%4 == 3 && r.Err == ErrTimeout && r.Signal() == syscall.SIGTERM:
				codes[i] = -1
			case r.Err == nil && string(r.Stdout) == fmt.Sprintf("%d\n", i):
				codes[i] = r.ExitCode()
			}
			mu.Unlock()
			wg.Done()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := range n {
		want := i % 7
		if i%4 == 3 {
			want = -1
		}
		if got, ok := codes[i]; !ok || got != want {
			t.Errorf("child %d: %v %v, want %d", i, got, ok, want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (fds() != fd0 || runtime.NumGoroutine() > g0) {
		time.Sleep(10 * time.Millisecond)
	}
	if fds() != fd0 || runtime.NumGoroutine() > g0 {
		t.Errorf("after %d children: %d descriptors (was %d), %d goroutines (was %d)", n, fds(), fd0, runtime.NumGoroutine(), g0)
	}
}

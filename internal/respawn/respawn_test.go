package respawn

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hbd-ha/hbd/config"
)

func TestStartInOrderWithEnvAndProcessSetup(t *testing.T) {
	h := newHarness(t, nil, Options{Env: []string{"HA_TEST=hello", "PATH=/usr/bin:/bin"}})
	var cs []config.Client
	for _, n := range []string{"a", "b", "c"} {
		cs = append(cs, h.script(n, fmt.Sprintf("(echo \"$HA_TEST\" > %s/%s.env)\nexec sleep 1000", h.dir, n)))
	}
	h.s = New(cs, h.s.opt)
	h.do(h.s.Start)
	var at []int
	for _, c := range cs {
		env := waitFile(t, filepath.Join(h.dir, filepath.Base(c.Command)+".env"))
		if env != "hello\n" {
			t.Errorf("%s: HA_TEST = %q, want the environment passed", c.Command, env)
		}
		pid := h.pidOf(c.Command)
		h.waitLog(fmt.Sprintf("info: Starting %q as uid %d  gid %d (pid %d)", c.Command, c.UID, c.GID, pid), 1)
		at = append(at, strings.Index(h.text(), fmt.Sprintf("info: Starting child client %q (%d,%d)", c.Command, c.UID, c.GID)))
		// exec: the shell became the command.
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); string(comm) != "sleep\n" {
			t.Errorf("%s runs %q, want sleep exec'ed by sh", c.Command, comm)
		}
		if st := stat(t, pid); st[2] != strconv.Itoa(pid) {
			t.Errorf("%s: process group %s, want its own (%d)", c.Command, st[2], pid)
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		var got []string
		for _, fd := range fds {
			target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			got = append(got, fd.Name()+"="+target)
		}
		if want := []string{"0=/dev/null", "1=/dev/null", "2=/dev/null"}; !slices.Equal(got, want) {
			t.Errorf("%s: fds %v, want %v", c.Command, got, want)
		}
	}
	if !slices.IsSorted(at) || at[0] < 0 {
		t.Errorf("start lines at %v, want config order:\n%s", at, h.text())
	}
}

func TestUserSwitch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	h := newHarness(t, nil, Options{})
	c := h.script("id", fmt.Sprintf("{ id -u; id -g; id -G; } > %s/id.tmp; mv %s/id.tmp %s/id.out; exec sleep 1000", h.dir, h.dir, h.dir))
	c.User = "nobody"
	c.UID, _ = strconv.Atoi(nobody.Uid)
	c.GID, _ = strconv.Atoi(nobody.Gid)
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	out := waitFile(t, filepath.Join(h.dir, "id.out"))
	groups, _ := nobody.GroupIds()
	groups = append(groups, nobody.Gid)
	slices.Sort(groups)
	groups = slices.Compact(groups)
	f := strings.Split(strings.TrimSpace(out), "\n")
	got := strings.Fields(f[2])
	slices.Sort(got)
	if f[0] != nobody.Uid || f[1] != nobody.Gid || !slices.Equal(got, groups) {
		t.Errorf("child ran as uid %s gid %s groups %v, want %s %s %v", f[0], f[1], got, nobody.Uid, nobody.Gid, groups)
	}
	h.waitLog(fmt.Sprintf("Starting child client %q (%s,%s)", c.Command, nobody.Uid, nobody.Gid), 1)
}

func TestCredential(t *testing.T) {
	// Without root: our own uid and gid need no switch (setgroups would
	// fail with EPERM); any other is left for the kernel to refuse.
	if c, err := credential(1000, 1000, 1000, 1000); c != nil || err != nil {
		t.Errorf("same uid without root: %+v, %v; want no switch", c, err)
	}
	if c, err := credential(0, 0, 1000, 1000); err != nil || c == nil || c.Uid != 0 || !c.NoSetGroups {
		t.Errorf("other uid without root: %+v, %v; want a switch without setgroups", c, err)
	}
	if c, err := credential(0, 0, 0, 0); err != nil || c == nil || c.NoSetGroups || !slices.Contains(c.Groups, 0) {
		t.Errorf("root: %+v, %v; want uid 0 with root's groups", c, err)
	}
	if _, err := credential(1<<30, 1, 0, 0); err == nil {
		t.Error("a uid without passwd entry was accepted")
	}
}

func TestNonRootSameUser(t *testing.T) {
	// What hbd does when it runs as an ordinary user, shown by this
	// process's own ids: the child runs as we do.
	h := newHarness(t, nil, Options{})
	c := h.script("me", fmt.Sprintf("id -u > %s/me.tmp; mv %s/me.tmp %s/me.out; exec sleep 1000", h.dir, h.dir, h.dir))
	c.UID, c.GID = os.Geteuid(), os.Getegid()
	spec, err := h.s.command(c.Command, c.UID, c.GID, false)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 && spec.Credential != nil {
		t.Errorf("credential %+v for our own uid", spec.Credential)
	}
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	if got := strings.TrimSpace(waitFile(t, filepath.Join(h.dir, "me.out"))); got != strconv.Itoa(os.Geteuid()) {
		t.Errorf("child uid %s, want ours", got)
	}
}

func TestExit100NotRespawned(t *testing.T) {
	h := newHarness(t, nil, Options{})
	c := h.script("x100", "exit 100")
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	h.waitLog(fmt.Sprintf("WARN: Managed %s process", c.Command), 1)
	// The respawn decision was made in the Reap that logged the exit.
	log := h.text()
	if !strings.Contains(log, "exited with return code 100.") || strings.Contains(log, "Respawning") || strings.Count(log, "Starting child client") != 1 {
		t.Errorf("exit 100 respawned:\n%s", log)
	}
}

func TestCrashRespawnedAfterDelay(t *testing.T) {
	h := newHarness(t, nil, Options{})
	c := h.script("crash", fmt.Sprintf(`d=%s
date +%%s.%%N >> $d/starts
if [ ! -f $d/crashed ]; then touch $d/crashed; date +%%s.%%N > $d/died; exit 3; fi
exec sleep 1000`, h.dir))
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	h.waitLog("exited with return code 3.", 1)
	h.waitLog(fmt.Sprintf("ERROR: Respawning client %q:", c.Command), 1)
	h.waitLog("Starting child client", 2)
	starts := strings.Fields(waitFileLines(t, filepath.Join(h.dir, "starts"), 2))
	died, _ := strconv.ParseFloat(strings.TrimSpace(waitFile(t, filepath.Join(h.dir, "died"))), 64)
	again, _ := strconv.ParseFloat(starts[1], 64)
	// A death within 30 s of the start is fast: the child sleeps 1 s
	// before exec.
	if again-died < 1 {
		t.Errorf("respawned %.3f s after a fast death, want at least 1 s", again-died)
	}
}

// waitFileLines waits until path has n lines.
func waitFileLines(t *testing.T, path string, n int) string {
	t.Helper()
	for range 2000 {
		if b, err := os.ReadFile(path); err == nil && strings.Count(string(b), "\n") >= n {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: fewer than %d lines", path, n)
	return ""
}

func TestKilledClientRespawned(t *testing.T) {
	h := newHarness(t, nil, Options{delay: 10 * time.Millisecond})
	c := h.script("victim", "exec sleep 1000")
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	pid := h.pidOf(c.Command)
	syscall.Kill(pid, syscall.SIGTERM)
	h.waitLog(fmt.Sprintf("WARN: Managed %s process %d killed by signal 15 [SIGTERM - Termination (ANSI)].", c.Command, pid), 1)
	h.waitLog(fmt.Sprintf("Respawning client %q:", c.Command), 1)
	if again := h.pidOf(c.Command); again == pid {
		for again == pid {
			time.Sleep(5 * time.Millisecond)
			again = h.pidOf(c.Command)
		}
	}
}

func TestRespawningTooFast(t *testing.T) {
	h := newHarness(t, nil, Options{delay: 10 * time.Millisecond})
	c := h.script("flap", "exit 1")
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	h.waitLog(fmt.Sprintf("ERROR: Client %s \"respawning too fast\"", c.Command), 1)
	log := h.text()
	// More than 10 consecutive fast deaths: 11 runs, 10 respawns.
	if n, r := strings.Count(log, "exited with return code 1."), strings.Count(log, "Respawning client"); n != 11 || r != 10 {
		t.Errorf("%d deaths and %d respawns before giving up, want 11 and 10:\n%s", n, r, log)
	}
	var dead bool
	h.do(func() { dead = h.s.clients[0].dead && !h.s.clients[0].starting })
	if !dead || len(h.s.Pids()) != 0 {
		t.Errorf("client still scheduled after respawning too fast")
	}
}

func TestSlowDeathsKeepRespawning(t *testing.T) {
	// A clock that moves 31 s at every reading: every death is slow.
	var ticks atomic.Int64
	base := time.Now()
	now := func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * 31 * time.Second) }
	h := newHarness(t, nil, Options{now: now, delay: time.Hour})
	c := h.script("slow", "exit 1")
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	// With an hour's fast-respawn sleep, 15 runs prove none was fast.
	h.waitLog("exited with return code 1.", 15)
	if strings.Contains(h.text(), "too fast") {
		t.Errorf("slow deaths throttled:\n%s", h.text())
	}
}

func TestCannotExec(t *testing.T) {
	h := newHarness(t, nil, Options{})
	c := config.Client{Command: filepath.Join(h.dir, "missing") + " -x", Path: filepath.Join(h.dir, "missing")}
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	want := fmt.Sprintf("ERROR: Cannot exec %s: No such file or directory", c.Command)
	if log := h.text(); !strings.Contains(log, want) || len(h.s.Pids()) != 0 {
		t.Errorf("log:\n%s\nwant %q and nothing started", log, want)
	}
}

func TestStopReverseOrderOneAtATime(t *testing.T) {
	h := newHarness(t, nil, Options{})
	var cs []config.Client
	for _, n := range []string{"a", "b", "c"} {
		cs = append(cs, h.script(n, fmt.Sprintf(`trap 'echo term %s >> %s/order; sleep 0.2; echo done %s >> %s/order; exit 0' TERM
echo > %s/%s.ready
while :; do sleep 0.05 & wait $!; done`, n, h.dir, n, h.dir, h.dir, n)))
	}
	gone := h.script("gone", "exit 100")
	cs = slices.Insert(cs, 1, gone)
	h.s = New(cs, h.s.opt)
	h.do(h.s.Start)
	pids := map[string]int{}
	for _, c := range cs {
		if c != gone {
			pids[c.Command] = h.pidOf(c.Command)
			waitFile(t, c.Command+".ready") // its trap is set
		}
	}
	h.waitLog("exited with return code 100.", 1)
	var calls atomic.Int32
	stopped := make(chan struct{})
	h.do(func() {
		h.s.Stop(func() {
			if calls.Add(1) == 1 {
				close(stopped)
			}
		})
	})
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatalf("Stop never finished:\n%s", h.text())
	}
	order, _ := os.ReadFile(filepath.Join(h.dir, "order"))
	if want := "term c\ndone c\nterm b\ndone b\nterm a\ndone a\n"; string(order) != want {
		t.Errorf("clients stopped as\n%s\nwant one at a time in reverse order:\n%s", order, want)
	}
	var at []int
	for _, c := range slices.Backward(cs) {
		line := fmt.Sprintf("info: killing %s process group %d with signal 15", c.Command, pids[c.Command])
		if c == gone {
			line = fmt.Sprintf("info: client [%s] is not running.", c.Command)
		}
		at = append(at, strings.Index(h.text(), line))
	}
	if !slices.IsSorted(at) || at[0] < 0 {
		t.Errorf("shutdown lines at %v, want reverse config order:\n%s", at, h.text())
	}
	for cmd, pid := range pids {
		if groupAlive(pid) {
			t.Errorf("%s: process group %d still alive after Stop", cmd, pid)
		}
	}
	if strings.Contains(h.text(), "killed by signal") || strings.Count(h.text(), "Starting child client") != 4 {
		t.Errorf("Stop's kills were logged as deaths or respawned:\n%s", h.text())
	}
	time.Sleep(50 * time.Millisecond)
	if calls.Load() != 1 {
		t.Errorf("done called %d times", calls.Load())
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	h := newHarness(t, nil, Options{KillAfter: 200 * time.Millisecond})
	c := h.script("stubborn", "trap '' TERM\necho > "+h.dir+"/ready\nexec sleep 1000")
	h.s = New([]config.Client{c}, h.s.opt)
	h.do(h.s.Start)
	pid := h.pidOf(c.Command)
	waitFile(t, filepath.Join(h.dir, "ready"))
	stopped := make(chan struct{})
	h.do(func() { h.s.Stop(func() { close(stopped) }) })
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatalf("Stop never finished:\n%s", h.text())
	}
	h.waitLog(fmt.Sprintf("killing %s process group %d with signal 15", c.Command, pid), 1)
	h.waitLog(fmt.Sprintf("killing %s process group %d with signal 9", c.Command, pid), 1)
	if groupAlive(pid) {
		t.Errorf("process group %d alive after Stop", pid)
	}
}

func TestFailfastReboots(t *testing.T) {
	h := newHarness(t, nil, Options{delay: time.Hour})
	fail := h.script("ff-exit", "exit 2")
	fail.Failfast = true
	clean := h.script("ff-clean", "exit 100") // exit code, but not 0: reboots
	clean.Failfast = true
	zero := h.script("ff-zero", "if [ -f "+h.dir+"/z ]; then exec sleep 1000; fi; touch "+h.dir+"/z; exit 0")
	zero.Failfast = true
	sig := h.script("ff-sig", "exec sleep 1000")
	sig.Failfast = true
	stop := h.script("ff-stop", "exec sleep 1000")
	stop.Failfast = true
	h.s = New([]config.Client{fail, clean, zero, sig, stop}, h.s.opt)
	h.do(h.s.Start)
	syscall.Kill(h.pidOf(sig.Command), syscall.SIGKILL)
	h.waitLog(fmt.Sprintf("Managed %s process", sig.Command), 1)
	h.waitLog(fmt.Sprintf("Managed %s process", zero.Command), 1)
	h.waitLog(fmt.Sprintf("Managed %s process", fail.Command), 1)
	h.waitLog(fmt.Sprintf("Managed %s process", clean.Command), 1)
	stopped := make(chan struct{})
	h.do(func() { h.s.Stop(func() { close(stopped) }) })
	<-stopped
	h.mu.Lock()
	got := slices.Clone(h.reboots)
	h.mu.Unlock()
	slices.Sort(got)
	want := []string{fail.Command, clean.Command, sig.Command}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("rebooted for %q, want %q (not for exit 0, nor for our own shutdown kill)", got, want)
	}
}

func TestReapNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, nil, Options{spawnHook: func() { <-release }})
	c := h.script("later", "exec sleep 1000")
	h.s = New([]config.Client{c}, h.s.opt)
	// Start and Reap return while the fork is held up elsewhere.
	h.do(func() { h.s.Start(); h.s.Reap() })
	if len(h.s.Pids()) != 0 {
		t.Fatal("started before the fork was allowed")
	}
	close(release)
	h.pidOf(c.Command)
	if testing.Short() || raceEnabled {
		return
	}
	var allocs float64
	h.do(func() { allocs = testing.AllocsPerRun(1000, h.s.Reap) })
	if allocs != 0 {
		t.Errorf("an idle Reap allocates %.0f times", allocs)
	}
}

func TestChildrenLeaveRealtime(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SCHED_RR needs root")
	}
	h := newHarness(t, nil, Options{})
	c := h.script("rt", "exec sleep 1000")
	h.s = New([]config.Client{c}, h.s.opt)
	// The harness's loop goroutine becomes a SCHED_RR thread, as hbd's
	// loop; the thread dies with it (never unlocked).
	h.do(func() {
		runtime.LockOSThread()
		param := struct{ prio int32 }{1}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, 2, uintptr(unsafe.Pointer(&param))); e != 0 {
			t.Skipf("sched_setscheduler: %v", e)
		}
	})
	// The control: a child forked from this thread is realtime.
	var direct *exec.Cmd
	h.do(func() {
		direct = exec.Command("sleep", "1000")
		direct.Start()
	})
	defer func() { direct.Process.Kill(); direct.Wait() }()
	if p := stat(t, direct.Process.Pid)[38]; p != "2" {
		t.Fatalf("control child's policy %s, want SCHED_RR (2)", p)
	}
	h.do(h.s.Start)
	if p := stat(t, h.pidOf(c.Command))[38]; p != "0" {
		t.Errorf("client's scheduling policy %s, want SCHED_OTHER (0)", p)
	}
}

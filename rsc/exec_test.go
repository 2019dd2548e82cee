package rsc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hangScript starts a child that outlives nothing, records its pid, and
// hangs.
const hangScript = `#!/bin/sh
eval verb=\${$#}
[ "$verb" = start ] || exit 0
sleep 1000 &
echo $! >"$TEST_DIR/grandchild"
sleep 1000
`

// gone reports whether pid has exited (a zombie waiting for its new
// parent counts).
func gone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && i+2 < len(data) && data[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if gone(pid) {
			return
		}
	}
	t.Errorf("process %d still alive", pid)
}

func grandchild(t *testing.T, f *fixture) int {
	t.Helper()
	return pidFromFile(t, filepath.Join(f.dir, "grandchild"))
}

// pidFromFile reads a pid a test's agent wrote, and makes sure the
// process is gone when the test ends.
func pidFromFile(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(string(readFile(t, path))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !gone(pid) {
			// Only our own test's process, by pid.
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	})
	return pid
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.rdir, "Hang"), hangScript)
	f.opt.Timeout = 300 * time.Millisecond
	f.opt.KillGrace = 100 * time.Millisecond
	m := f.start("node1 Hang::x\n")
	m.Take(1, []string{"Hang::x"})
	r := f.wait(1)
	if len(r.Failed) != 1 {
		t.Fatalf("take of a hung agent: %s, want failed", fmtResult(r))
	}
	waitGone(t, grandchild(t, f))
	f.logged("CRIT: Giving up resources due to failure of Hang::x")
	// The line ends with the process group's id.
	if !f.log.hasPrefix(fmt.Sprintf("ERROR: %s/Hang x start timed out after 300ms: killing process group ", f.rdir)) {
		t.Errorf("no timeout line; log:\n%s", strings.Join(f.log.all(), "\n"))
	}
}

// Close gives running agents CloseGrace, then kills their process
// groups.
func TestCloseKillsRunningAgent(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.rdir, "Hang"), hangScript)
	f.opt.CloseGrace = 100 * time.Millisecond
	f.opt.KillGrace = 100 * time.Millisecond
	m := f.start("node1 Hang::x\nnode1 Test::a\n")
	m.Take(1, []string{"Hang::x"})
	m.Take(2, []string{"Test::a"})
	// Wait until the agent runs.
	for !f.exists("grandchild") {
		time.Sleep(10 * time.Millisecond)
	}
	pid := grandchild(t, f)
	m.Close()
	waitGone(t, pid)
	// The queued batch never ran, and nothing runs after Close.
	m.Take(3, []string{"Test::a"})
	for _, o := range f.order() {
		if strings.HasPrefix(o, "Test:a") {
			t.Errorf("ran after Close: %s", o)
		}
	}
	if f.log.count("CRIT: Giving up resources due to failure of Hang::x") != 0 {
		t.Error("a start cut short by Close was treated as a failure")
	}
}

// Batches run one after another, in submission order; Take and Give
// return at once while an earlier batch is still running.
func TestBatchesSerialised(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a\nnode1 Test::b\n")
	f.touch("Test:a.gate")
	m.Take(1, []string{"Test::a"})
	// Batch 1 is held at its gate: these must not block, and batch 2
	// must not start before batch 1 ends.
	m.Take(2, []string{"Test::b"})
	m.Give(3, []string{"Test::a"})
	for !strings.Contains(string(readFileOK(filepath.Join(f.dir, "order"))), "Test:a start") {
		time.Sleep(5 * time.Millisecond)
	}
	// Give a batch that does not wait its turn the time to show itself.
	time.Sleep(50 * time.Millisecond)
	if got := m.Results(nil); len(got) != 0 {
		t.Fatalf("results before the gate opened: %v", got)
	}
	f.touch("Test:a.gate.open")
	var ids []uint64
	for len(ids) < 3 {
		<-f.wake
		for _, r := range m.Results(nil) {
			ids = append(ids, r.ID)
		}
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("results in order %v, want [1 2 3]", ids)
	}
	f.equal("order", f.order(), []string{"Test:a_status", "Test:a_start", "Test:a_passed-gate", "Test:b_status", "Test:b_start", "Test:a_stop"})
}

func readFileOK(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// meetScript's start waits (up to a second) for its partner's start:
// two groups only both start if they run at the same time.
const meetScript = `#!/bin/sh
eval verb=\${$#}
[ "$verb" = start ] || exit 0
touch "$TEST_DIR/$1.here"
n=0
while [ ! -e "$TEST_DIR/$2.here" ]; do
	n=$((n+1))
	[ $n -gt 100 ] && exit 1
	sleep 0.01
done
`

// Groups of one batch run concurrently, at most Workers at once.
func TestWorkers(t *testing.T) {
	for _, c := range []struct {
		workers int
		failed  int
	}{{2, 0}, {1, 1}} {
		t.Run(fmt.Sprint("workers=", c.workers), func(t *testing.T) {
			f := newFixture(t)
			f.write(filepath.Join(f.rdir, "Meet"), meetScript)
			f.opt.Workers = c.workers
			m := f.start("node1 Meet::a::b\nnode1 Meet::b::a\n")
			m.Take(1, []string{"Meet::a::b", "Meet::b::a"})
			// With one worker, a waits for b in vain and fails; b then
			// finds a.
			if r := f.wait(1); len(r.Failed) != c.failed {
				t.Errorf("%s, want %d failed", fmtResult(r), c.failed)
			}
		})
	}
}

func TestResultsAllocs(t *testing.T) {
	f := newFixture(t)
	m := f.start("node1 Test::a\n")
	dst := make([]Result, 0, 4)
	if n := testing.AllocsPerRun(100, func() { dst = m.Results(dst[:0]) }); n != 0 {
		t.Errorf("Results allocates %v times", n)
	}
}

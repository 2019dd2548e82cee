package ipc_test

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/ipc"
)

// TestAcceptEMFILE: with the descriptor table full, connections wait in
// the listener's queue and accept fails with EMFILE for as long as the
// table stays full; the listener stays readable. The server must pause
// instead of spinning (issue 14 measured ~320 000 accept calls and
// ~680 000 log lines in 300 ms), log one line, and serve the waiting
// clients once descriptors are free again. It runs in a child process,
// whose descriptor limit it lowers.
func TestAcceptEMFILE(t *testing.T) {
	if os.Getenv("IPC_EMFILE_CHILD") == "1" {
		emfileChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptEMFILE$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "IPC_EMFILE_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestAcceptEMFILE") {
		t.Fatal("the child did not run the test")
	}
}

func emfileChild(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	const pause = 100 * time.Millisecond
	s := start(t, ipc.Options{AcceptPause: pause})
	// Three client sockets, then a full table, then the clients connect:
	// connect completes in the listener's queue, accept cannot take them.
	var clients []int
	defer func() {
		for _, fd := range clients {
			syscall.Close(fd)
		}
	}()
	for range 3 {
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, fd)
	}
	// The runtime makes its poller on first use; with a full table it
	// could not: use it now.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	time.Sleep(time.Millisecond)
	var fill []int
	defer func() {
		for _, fd := range fill {
			syscall.Close(fd)
		}
	}()
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			if err != syscall.EMFILE {
				t.Fatal(err)
			}
			break
		}
		fill = append(fill, fd)
	}
	for _, fd := range clients {
		if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: s.path}); err != nil {
			t.Fatal(err)
		}
	}
	before, _, _ := s.stats()
	time.Sleep(300 * time.Millisecond)
	st, conns, _ := s.stats()
	lines := strings.Count(s.log(), "\n") + 1
	accepts := st.Accepts - before.Accepts
	t.Logf("300 ms with the descriptor table full: %d accept calls, %d pauses, %d log lines, %d connections", accepts, st.Pauses, lines, conns)
	if accepts > 10 {
		t.Errorf("%d accept calls in 300 ms with a %v pause: the accept loop spins", accepts, pause)
	}
	if lines != 1 || !strings.Contains(s.log(), "test: accept: Too many open files: not accepting connections for 100ms") {
		t.Errorf("log (%d lines), want one line about EMFILE:\n%s", lines, s.log())
	}
	if conns != 0 {
		t.Errorf("%d connections accepted without descriptors", conns)
	}
	for _, fd := range fill {
		syscall.Close(fd)
	}
	fill = nil
	waitFor(t, func() bool { _, n, _ := s.stats(); return n == 3 })
}

package sysio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSchedPriorities(t *testing.T) {
	lo, err := SchedPriorityMin()
	if err != nil {
		t.Fatal(err)
	}
	hi, err := SchedPriorityMax()
	if err != nil {
		t.Fatal(err)
	}
	if lo < 1 || hi < lo {
		t.Fatalf("SCHED_RR priorities [%d, %d]", lo, hi)
	}
}

func TestSchedSetRR(t *testing.T) {
	lo, err := SchedPriorityMin()
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		// A real-time thread must not go back to the pool: stay locked, so
		// the runtime discards it when this goroutine returns.
		runtime.LockOSThread()
		if err := SchedSetRR(lo); err != nil {
			errc <- err
			return
		}
		policy, _, e := unix.RawSyscall(unix.SYS_SCHED_GETSCHEDULER, 0, 0, 0)
		if e != 0 || policy != unix.SCHED_RR {
			errc <- errors.New("thread is not SCHED_RR after SchedSetRR")
			return
		}
		errc <- nil
	}()
	err = <-errc
	if errors.Is(err, syscall.EPERM) {
		t.Skip("no permission for SCHED_RR (needs CAP_SYS_NICE or root)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := SchedSetRR(1000); err == nil {
		t.Error("SchedSetRR accepted priority 1000")
	}
}

// TestMlockall locks a child copy of the test binary (locking is for the
// whole process) and reads its memory figures: the executable's code must
// be locked, and the process must not have become resident in everything
// it maps (a Go process maps a 64 MB heap arena and megabytes of zeroed
// data; plain MCL_CURRENT|MCL_FUTURE made hbd 90–140 MB).
func TestMlockall(t *testing.T) {
	if os.Getenv("SYSIO_MLOCK_CHILD") == "1" {
		err := Mlockall()
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOMEM) {
			fmt.Println("SKIP", err)
			return
		}
		if err != nil {
			fmt.Println("ERROR", err)
			return
		}
		st, _ := os.ReadFile("/proc/self/status")
		os.Stdout.Write(st)
		// The executable's mappings: size, resident kB, and whether
		// each is locked (smaps' Locked field is proportional: the
		// parent maps the same file).
		exe, _ := os.Readlink("/proc/self/exe")
		sm, _ := os.ReadFile("/proc/self/smaps")
		size, rss, unlocked, in := 0, 0, 0, false
		for _, l := range strings.Split(string(sm), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
				in = len(f) >= 6 && f[5] == exe
			case in && len(f) == 3 && f[0] == "Size:":
				n, _ := strconv.Atoi(f[1])
				size += n
			case in && len(f) == 3 && f[0] == "Rss:":
				n, _ := strconv.Atoi(f[1])
				rss += n
			case in && len(f) > 0 && f[0] == "VmFlags:" && !slices.Contains(f, "lo"):
				unlocked++
			}
		}
		fmt.Printf("ExeSize: %d kB\nExeRss: %d kB\nExeUnlocked: %d\n", size, rss, unlocked)
		if err := Munlockall(); err != nil {
			fmt.Println("ERROR", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMlockall$")
	cmd.Env = append(os.Environ(), "SYSIO_MLOCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if i := bytes.Index(out, []byte("SKIP ")); i >= 0 {
		t.Skipf("mlockall not permitted here: %s", out[i:])
	}
	if i := bytes.Index(out, []byte("ERROR ")); i >= 0 {
		t.Fatalf("%s", out[i:])
	}
	kB := func(field string) int {
		t.Helper()
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, field+":"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				if err == nil {
					return n
				}
			}
		}
		t.Fatalf("no %s in the child's status:\n%s", field, out)
		return 0
	}
	size, exeRSS, unlocked, rss := kB("ExeSize"), kB("ExeRss"), kB("ExeUnlocked"), kB("VmRSS")
	t.Logf("executable: %d of %d kB resident; process resident %d kB", exeRSS, size, rss)
	if size == 0 || exeRSS < size*9/10 || unlocked > 0 {
		t.Errorf("executable not locked in: %d of %d kB resident, %d of its mappings unlocked", exeRSS, size, unlocked)
	}
	if rss > 48*1024 {
		t.Errorf("resident %d kB after Mlockall: it populated what the process maps but never touched", rss)
	}
}

func TestTimerSlack(t *testing.T) {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		old, err := TimerSlack()
		if err != nil {
			errc <- err
			return
		}
		defer SetTimerSlack(old)
		if err := SetTimerSlack(time.Microsecond); err != nil {
			errc <- err
			return
		}
		if got, err := TimerSlack(); err != nil || got != time.Microsecond {
			errc <- errors.New("timer slack not set")
			return
		}
		if SetTimerSlack(0) == nil {
			errc <- errors.New("SetTimerSlack(0) accepted")
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

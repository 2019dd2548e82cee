package sysio

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// Every thread of the process ends up SCHED_RR, and a child it starts
// runs in the normal class (reset on fork): resource agents never run at
// real-time priority. The check runs in a child test process, so this
// test binary's other tests keep their normal class.
func TestSchedSetRRAll(t *testing.T) {
	if os.Getenv("HBD_SCHED_ALL") == "1" {
		lo, _ := SchedPriorityMin()
		if _, err := SchedSetRRAll(lo); err != nil {
			if errors.Is(err, syscall.EPERM) {
				os.Exit(3)
			}
			t.Fatal(err)
		}
		ents, _ := os.ReadDir("/proc/self/task")
		for _, e := range ents {
			stat, err := os.ReadFile("/proc/self/task/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
			if f[38] != "2" { // policy (field 41): 2 is SCHED_RR
				t.Fatalf("thread %s has policy %s after SchedSetRRAll", e.Name(), f[38])
			}
		}
		out, err := exec.Command("/bin/sh", "-c", "awk '{print $41}' /proc/$$/stat").Output()
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(out)) != "0" {
			t.Fatalf("a child runs with policy %s, want 0 (SCHED_OTHER)", out)
		}
		var buf [1024]byte
		f, _ := os.Open("/proc/self/stat")
		if n := Threads(f, buf[:]); n < len(ents)-2 || n > len(ents)+2 { // the runtime may add a thread meanwhile
			t.Fatalf("Threads = %d, /proc/self/task has %d", n, len(ents))
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSchedSetRRAll$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HBD_SCHED_ALL=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		t.Skip("no permission for SCHED_RR (needs CAP_SYS_NICE or root)")
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

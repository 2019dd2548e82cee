package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// realtime on puts every thread of the daemon under SCHED_RR; under 5 ms
// keepalive its loop, locked to its thread, one step higher, and the whole
// layout one more step up (from 5 ms the loop is parked, not locked, and
// every thread at the lowest priority), so that the runtime thread that hands the loop its P back after a
// preemption is never queued behind another process's lowest-priority
// realtime threads (issue #21's loop stalls the freeze probe never saw).
func TestRealtimePriorities(t *testing.T) {
	lo, err := sysio.SchedPriorityMin()
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		keepalive, deadtime string
		threads             int // every thread but the loop's
		loops               int // threads one step higher
	}{{"2ms", "6ms", lo + 1, 1}, {"10ms", "50ms", lo, 0}} {
		t.Run(tc.keepalive, func(t *testing.T) {
			_, ds := clustertest.StartCluster(t, clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: tc.keepalive, Deadtime: tc.deadtime, Initdead: "10", Realtime: true})
			ds[0].Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 15*time.Second)
			// A thread the runtime just started is in the normal class
			// until the next thread check (every 10 ms at 2 ms, once a
			// second otherwise), and a restarted daemon starts over: the
			// layout must show within a few checks, not at one instant.
			var prios map[int]int
			var bad []string
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				var err error
				if prios, err = rrPriorities(ds[0].Pid()); err != nil {
					t.Fatal(err)
				}
				if bad = badLayout(prios, tc.threads, tc.loops); len(bad) == 0 || time.Now().After(deadline) {
					break
				}
			}
			for _, e := range bad {
				t.Error(e)
			}
			if tc.threads == lo {
				return
			}
			// Under 5 ms the loop's timing, logged at shutdown, names
			// its thread's time waiting for a CPU (stalls with no such
			// wait were sleeps, not the machine).
			stopped := time.Now()
			ds[0].Stop()
			ds[0].Log.Wait(t, "loop thread: on a CPU", stopped, 10*time.Second)
		})
	}
}

// badLayout lists what is wrong with a daemon's thread priorities: every
// thread at SCHED_RR threads, except loops threads (the loop's, locked to
// it) one step above.
func badLayout(prios map[int]int, threads, loops int) []string {
	var bad []string
	loop := 0
	for tid, p := range prios {
		switch p {
		case threads:
		case threads + 1:
			loop++
		default:
			bad = append(bad, fmt.Sprintf("thread %d: %s, want SCHED_RR %d (or %d for the loop)", tid, fmtPrio(p), threads, threads+1))
		}
	}
	if loop != loops {
		bad = append(bad, fmt.Sprintf("%d threads at the loop's priority %d, want %d (%v)", loop, threads+1, loops, prios))
	}
	return bad
}

// rrPriorities returns each thread's SCHED_RR priority from
// /proc/PID/task/TID/stat (-1: another policy).
func rrPriorities(pid int) (map[int]int, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// Fields after the command's closing parenthesis: state is
		// field 3, rt_priority 40, policy 41.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 39 {
			return nil, fmt.Errorf("short %s/stat: %q", e.Name(), s)
		}
		prio, _ := strconv.Atoi(f[37])
		policy, _ := strconv.Atoi(f[38])
		if policy != 2 { // SCHED_RR
			prio = -1
		}
		out[tid] = prio
	}
	return out, nil
}

func fmtPrio(p int) string {
	if p < 0 {
		return "not SCHED_RR"
	}
	return "SCHED_RR " + strconv.Itoa(p)
}

package node

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// fastKeepalive is the keepalive below which the loop trades a little
// idle CPU for timing: above it a tick of lateness is noise against the
// deadtime, below it a third of the margin.
const fastKeepalive = 5 * time.Millisecond

// fastLoop sets the loop's timing options for a keepalive under
// fastKeepalive (see loop.Options): timers at their exact deadline, not
// up to a tick later. Others keep the defaults, so their idle cost does
// not rise. Measured at 2 ms / 6 ms (BENCH=Cluster/fast): with the tick's
// minimum wait a status left 0.5 ms late at the median and 1.9 ms at
// p99, against 0.03 and 0.2 ms without it. Spin and PinCPU moved no
// figure beyond the machine's own noise there, so they stay off.
func fastLoop(o *loop.Options, keepalive time.Duration) {
	if keepalive >= fastKeepalive {
		return
	}
	o.Precise = true
}

// fastThreadsEvery is how often a realtime node under fastKeepalive looks
// for threads the runtime started in the normal class (realtimeThreads;
// others look once a second). Such a thread can hold a P the loop needs
// back after its wait, and a loaded machine starves it: measured at 2 ms /
// 6 ms, a node that had just started (and forked its IP agent's helpers)
// stalled its loop 16–96 ms within its first second, and its peer
// declared it dead.
const fastThreadsEvery = 10 * time.Millisecond

// threadsEvery is the thread check's period for a node (0: once a second
// with the load, as before).
func threadsEvery(keepalive time.Duration, realtime bool) time.Duration {
	if keepalive >= fastKeepalive || !realtime {
		return 0
	}
	return fastThreadsEvery
}

// watchThreads starts the frequent thread check where threadsEvery asks
// for one. Call it before the loop runs.
func (n *Node) watchThreads() {
	every := threadsEvery(n.cfg.Keepalive, n.opt.Realtime)
	if every == 0 {
		return
	}
	t := new(loop.Timer)
	t.Init(func(int64) {
		n.realtimeThreads()
		n.loop.After(t, every)
	})
	n.loop.After(t, every)
}

// logLoopTiming writes the loop's lateness and stall histograms, for a
// node running under fastKeepalive, where they say how much of the
// deadtime's margin the machine took.
func (n *Node) logLoopTiming() {
	if n.cfg.Keepalive >= fastKeepalive {
		return
	}
	s := n.loop.Stats()
	n.log.Logf(hblog.Info, "hbd: loop timing: late %s; stalls %s; late wakes polled again %d, found input %d%s",
		s.Late.String(), s.Stall.String(), s.Repolls, s.RepollsFound, loopThreadStats(n.loopTid))
}

// loopThreadStats describes the loop thread's scheduling from the kernel's
// /proc/self/task/TID/schedstat: its time on a CPU and its time runnable
// but waiting for one. Against the stall histogram it tells a loop kept
// off the CPU by the machine or a higher priority (waiting) from one
// asleep where it should not be (a stall with no wait: the runtime's
// handoff after a preemption, a lock). "" when tid is 0 or unreadable.
func loopThreadStats(tid int) string {
	if tid == 0 {
		return ""
	}
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		return ""
	}
	run, wait, slices, ok := parseSchedstat(string(b))
	if !ok {
		return ""
	}
	return fmt.Sprintf("; loop thread: on a CPU %v, waited for one %v in %d slices",
		run.Round(time.Millisecond), wait.Round(time.Millisecond), slices)
}

// parseSchedstat reads schedstat's three fields: time on a CPU (ns), time
// waiting on a run queue (ns), and timeslices run.
func parseSchedstat(s string) (run, wait time.Duration, slices uint64, ok bool) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return 0, 0, 0, false
	}
	r, err1 := strconv.ParseInt(f[0], 10, 64)
	w, err2 := strconv.ParseInt(f[1], 10, 64)
	n, err3 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || r < 0 || w < 0 {
		return 0, 0, 0, false
	}
	return time.Duration(r), time.Duration(w), n, true
}

// fastRTPrio is the realtime priority of a node's threads under
// fastKeepalive when ha.cf sets no rtprio: one step above the lowest, so
// the loop (one step higher still, see realtimeThreads) sits two above
// it. The runtime preempts the loop's goroutine every 10 ms or so (sysmon:
// its P's schedule tick never moves while it only waits and sends), and a
// goroutine locked to its thread comes back only after another of the
// runtime's threads has run the scheduler and handed it its P. At the
// lowest priority that helper queues behind every other realtime thread of
// the lowest priority on its CPU (another daemon's, an observer's) for up
// to their round-robin slice, with the loop asleep in between: measured
// at 2 ms / 6 ms (perf sched), loop sleeps in futex of 3–53 ms that the
// machine-freeze probe never saw, in stoplockedm after such a preemption.
func fastRTPrio(prio int, keepalive time.Duration) int {
	if keepalive >= fastKeepalive {
		return prio
	}
	if max, err := sysio.SchedPriorityMax(); err == nil && prio+2 > max {
		return prio
	}
	return prio + 1
}

package node

import "time"

// runtimeWaitKeepalive is the keepalive from which the loop waits
// through the Go runtime's poller (loop.Options.RuntimeWait) rather than
// in a raw epoll wait on its own thread. A raw wait keeps the process's
// P busy, so the runtime's monitor thread wakes every 10 ms and preempts
// it every 20: a cost per second (measured, 2 idle nodes on a loaded
// 2-vCPU VM: 290 wake-ups/s and 0.9 % of a core whatever the keepalive).
// A parked wait leaves the monitor asleep but costs about 14 wake-ups
// per keepalive (the runtime's poller thread, its hand-off to the loop's,
// its millisecond rounding and the monitor's wake at each deadline): at
// 100 ms, 140/s and 0.45 %; at 10 ms, 650/s and 3.0 % against the raw
// wait's 420/s and 2.5 %. They cross near 50 ms.
//
// GOMAXPROCS stays the runtime's: with one P (no idle P, so no second
// thread woken to spin) the parked wait costs 95 wake-ups/s against 140
// at 100 ms and 420 against the raw wait's 470 at 10 ms, at about the
// same CPU (bench/idle_test.go, "runtime:1", one run), and a raw wait
// with one P is a blocking system call, 1150/s. Too little for an
// off-loop goroutine (an agent's, the garbage collector's) to share the
// loop's only P; the parked wait's cost is the runtime's timer path (see
// above), not the number of Ps.
const runtimeWaitKeepalive = 50 * time.Millisecond

// runtimeWait reports whether the loop should wait through the runtime's
// poller: not when realtime locks it to its thread, and not under
// runtimeWaitKeepalive. how ("runtime", "raw") overrides the keepalive,
// for benchmarks that put the two side by side.
func runtimeWait(keepalive time.Duration, realtime bool, how string) bool {
	switch {
	case realtime || how == "raw":
		return false
	case how == "runtime":
		return true
	}
	return keepalive >= runtimeWaitKeepalive
}

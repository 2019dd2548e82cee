package node

import "time"

// runtimeWaitKeepalive is the keepalive from which the loop waits
// through the Go runtime's poller (loop.Options.RuntimeWait) rather than
// in a raw epoll wait on its own thread. A raw wait keeps the process's
// P busy, so the runtime's monitor thread wakes every 10 ms and preempts
// it: 280 wake-ups/s whatever the keepalive. A parked wait, its deadline
// a timerfd in the loop's set, costs one wake-up per deadline or packet
// and leaves the monitor asleep (2 idle nodes, one run, load 4: 24
// wake-ups/s against 281 at 100 ms, 208 against 460 at 10 ms, 420
// against 575 at 5 ms). Under fastKeepalive the loop is Precise, which
// ignores RuntimeWait.
//
// GOMAXPROCS stays the runtime's: with one P the parked wait costs the
// same (24/s, 208/s), and an off-loop goroutine (an agent's, the garbage
// collector's) would share the loop's only P.
const runtimeWaitKeepalive = fastKeepalive

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

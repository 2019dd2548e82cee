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

// runtimeWaitRealtimeKeepalive is the same threshold for a realtime node,
// whose loop is locked to its thread. Its other wait blocks in a plain
// epoll_wait: the runtime's monitor takes the P back from every wait
// longer than 10 ms, and each time polls at 20 µs for a while (strace:
// nanosleep and futex): 1 140 wake-ups/s at 100 ms, 2 790 at 10 ms, 65–88
// at 1 s. Parked, 67, 617 and 15: the runtime's poller wakes on another
// thread, which hands the goroutine back to its own. That second thread
// on the path made the loop's lateness past 2 ms twice as common at 10 ms
// in one loaded run (100 against 36–48 of 3 300 turns), alike in a
// quieter one (20–28 against 17); at 100 ms alike in both. Below this
// keepalive a realtime node keeps the blocking wait.
const runtimeWaitRealtimeKeepalive = 100 * time.Millisecond

// runtimeWait reports whether the loop should wait through the runtime's
// poller: from runtimeWaitKeepalive up, or runtimeWaitRealtimeKeepalive
// when realtime locks the loop to its thread. how ("runtime", "raw")
// overrides both, for benchmarks that put the waits side by side.
func runtimeWait(keepalive time.Duration, realtime bool, how string) bool {
	switch {
	case how == "raw":
		return false
	case how == "runtime":
		return true
	case realtime:
		return keepalive >= runtimeWaitRealtimeKeepalive
	}
	return keepalive >= runtimeWaitKeepalive
}

package node

import "time"

// How the loop waits, by keepalive (measured with BenchmarkIdle, two idle
// nodes a pair, every pair and keepalived side by side in one run,
// wake-ups per second per node, which repeat from run to run where CPU
// figures on this shared VM do not):
//
//   - A raw epoll wait on the loop's own thread keeps the process's P
//     busy, so the runtime's monitor wakes every 10 ms and preempts it:
//     about 280 a second whatever the keepalive (realtime off).
//   - A realtime node's loop, locked to its thread, blocked in a plain
//     epoll_wait: the monitor takes the P back from every wait over 10 ms
//     and then polls at 20 µs for a while: 2 580–3 330 a second at 10 ms,
//     680–1 145 at 100 ms.
//   - Parked in the runtime's poller (loop.Options.RuntimeWait), its
//     deadline a timerfd in the loop's set: one wake-up per deadline or
//     packet, the monitor asleep: 208 at 10 ms, 24 at 100 ms, realtime or
//     not (keepalived's master: 99 and 10). A realtime loop parks unlocked
//     (realtimeParked): locked, the runtime's poller wakes another thread
//     that must hand the goroutine back to its own (600 at 10 ms, 67 at
//     100 ms, and the late tail doubled in one of two runs).
//
// Under fastKeepalive the loop is Precise and locked (realtime) or raw:
// at 2 ms / 6 ms, two-minute idle runs alternating locked and parked
// realtime loops on the loaded VM left 4 and 1 false deaths no freeze
// probe explained with the lock, 8 and 7 parked.
//
// GOMAXPROCS stays the runtime's: with one P the parked wait costs the
// same, and an off-loop goroutine (an agent's, the garbage collector's)
// would share the loop's only P.

// runtimeWait reports whether the loop should wait through the runtime's
// poller: from fastKeepalive up. how ("runtime", "raw", "parked")
// overrides it, for benchmarks that put the waits side by side.
func runtimeWait(keepalive time.Duration, how string) bool {
	switch how {
	case "raw":
		return false
	case "runtime", "parked":
		return true
	}
	return keepalive >= fastKeepalive
}

// realtimeParked reports whether a realtime node's loop waits parked and
// not locked to a thread: where it waits through the runtime's poller,
// unless how is "runtime" (locked and parked, for comparison). A locked
// goroutine that parks, or that the runtime preempts (sysmon, every 10 ms
// of a loop that never reschedules), sleeps until another runtime thread
// hands it its P back, which real-time neighbours can delay by
// milliseconds (see fastRTPrio); an unlocked one is picked up by the
// thread that woke. Every thread is then at one real-time priority
// (realtimeThreads), so whichever runs the loop is raised.
func realtimeParked(keepalive time.Duration, realtime bool, how string) bool {
	return realtime && how != "runtime" && runtimeWait(keepalive, how)
}

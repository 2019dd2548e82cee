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

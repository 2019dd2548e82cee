package master

// Timing maths as small pure functions. All times are monotonic
// nanoseconds; intervals are nanoseconds.

// deadline is when something last heard at last is due to be declared
// dead with interval dead. It saturates instead of overflowing.
func deadline(last, dead int64) int64 {
	if dead > 0 && last > maxTime-dead {
		return maxTime
	}
	return last + dead
}

const maxTime = int64(^uint64(0) >> 1)

// nodeDeadInterval is the dead interval heartbeat applies to a node:
// initdead until the links are up (every node heard from or dead), then
// the node's own (its advertised dt, or deadtime/deadping).
func nodeDeadInterval(linksUp bool, initdead, own int64) int64 {
	if !linksUp {
		return initdead
	}
	return own
}

// lateness classifies the interval between two status messages from a
// node: heartbeat warns above warntime, and above deadtime (the local one,
// not the node's dt) logs it as critical and declares the node dead.
type lateness uint8

const (
	onTime  lateness = iota
	late             // > warntime: WARN "Late heartbeat"
	tooLate          // > deadtime: CRIT "... (> deadtime)", node declared dead
)

func classifyInterval(interval, warntime, deadtime int64) lateness {
	switch {
	case interval > deadtime:
		return tooLate
	case interval > warntime:
		return late
	}
	return onTime
}

// nextPeriod returns the first start + k*period after now (k ≥ 1): a
// periodic send that missed periods skips them instead of bursting.
func nextPeriod(start, period, now int64) int64 {
	if now < start {
		return start + period
	}
	return start + ((now-start)/period+1)*period
}

// advertisedDeadtime is the dt a node sends: its deadtime, raised by 2 s
// for the first 5 s after start so peers do not give up on a node still
// setting up (heartbeat's hb_add_deadtime/hb_pop_deadtime).
func advertisedDeadtime(deadtime int64, starting bool) int64 {
	if starting {
		return deadtime + startDeadtimeAdd
	}
	return deadtime
}

// rexmitFirstDelay is the delay before the first retransmission request
// for a missing seq: uniform in [50, max] ms, or [0, max] ms when max is
// below 100 ms (the 50 ms leaves room for packets merely reordered). r is
// a random number; whole milliseconds, as heartbeat's timers are.
func rexmitFirstDelay(max int64, r uint64) int64 {
	lo := int64(rexmitMinDelay)
	if max < rexmitMinCutoff {
		lo = 0
	}
	loMs, hiMs := lo/msec, max/msec
	if hiMs <= loMs {
		return hiMs * msec
	}
	span := uint64(hiMs - loMs + 1)
	return (loMs + int64(r%span)) * msec
}

// ackAfterGap is the seq heartbeat ACKs when a gap closes: the highest
// seq ≤ upto whose remainder mod 10 is trigger. It reproduces heartbeat's
// unsigned arithmetic, which wraps around when there is none; the caller
// sends it only if it is not below the gap's first seq.
func ackAfterGap(upto, trigger uint64) uint64 {
	if upto%ackDiv >= trigger {
		return upto/ackDiv*ackDiv + trigger
	}
	return (upto/ackDiv-1)*ackDiv + trigger
}

// durationMs is an interval in whole milliseconds, as heartbeat logs it.
func durationMs(d int64) int64 { return d / msec }

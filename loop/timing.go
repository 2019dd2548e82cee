package loop

import (
	"math"
	"time"
)

// waitTimeout returns how long the loop may sleep at now: until the next
// deadline, but (unless precise) at least one tick so that a deadline a few
// microseconds away costs one wake-up instead of a spin; 0 when a deadline
// has passed; -1 (forever) when there is none.
func waitTimeout(next int64, ok bool, now int64, tick time.Duration, precise bool) time.Duration {
	if !ok {
		return -1
	}
	d := next - now
	switch {
	case d <= 0:
		return 0
	case d < int64(tick) && !precise:
		return tick
	}
	return time.Duration(d)
}

// planWait returns the wait to ask the kernel for, given the time to the
// next deadline: spin earlier (Options.Spin), so that the loop then polls
// the rest of the way; 0 (poll) inside the spin window.
func planWait(timeout, spin time.Duration) time.Duration {
	if spin <= 0 || timeout <= 0 {
		return timeout
	}
	return max(timeout-spin, 0)
}

// stallOf returns how much longer than planned the loop was away between
// two wake-ups gap apart, having asked to wait at most timeout: handler time
// plus oversleep. A wait without timeout (no timers) has no plan to miss.
func stallOf(gap, timeout time.Duration) time.Duration {
	if timeout < 0 || gap <= timeout {
		return 0
	}
	return gap - timeout
}

// addSat returns now+d without wrapping past the ends of int64.
func addSat(now int64, d time.Duration) int64 {
	s := now + int64(d)
	switch {
	case d > 0 && s < now:
		return math.MaxInt64
	case d < 0 && s > now:
		return math.MinInt64
	}
	return s
}

package lrm

import (
	"cmp"
	"slices"
	"time"
)

// LatencyBounds are the upper bounds of the operation latency histogram's
// buckets (an operation's ExecTime); one more bucket counts the rest.
var LatencyBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second,
}

// OpCount is how many runs of an operation on one class ended with one
// rc and status.
type OpCount struct {
	Class, Op string
	RC        int
	Status    OpStatus
	N         uint64
}

// Latency is a histogram of operation run times for one class: Counts[i]
// runs took at most LatencyBounds[i] (and more than the bound before);
// Counts[len(LatencyBounds)] took longer. Sum is their total time.
type Latency struct {
	Class  string
	Counts [len(LatencyBounds) + 1]uint64
	N      uint64
	Sum    time.Duration
}

// Stats is a snapshot of the LRM's counters (cumulative since New) and
// gauges, in plain values for the daemon's metrics and hbctl.
type Stats struct {
	// Ops counts finished runs by class, operation, rc and status,
	// sorted by class, operation, rc, status. Runs cancelled before they
	// started are in Cancelled, not here.
	Ops []OpCount
	// Latency has one histogram per class that ran something, by class.
	Latency []Latency
	// MonitorFailures counts recurring monitor runs that did not find
	// the resource running (rc other than 0 and 8, a timeout or an
	// error): what the haresources monitor and the CRM act on.
	MonitorFailures uint64
	// Timeouts counts runs ended by their timeout; Cancelled, operations
	// cancelled before or while running.
	Timeouts, Cancelled uint64
	// Resources, Running (agents now), Queued (operations waiting for
	// their resource or a child slot) and Recurring (monitors between
	// runs) are gauges.
	Resources, Running, Queued, Recurring int
}

type opCountKey struct {
	class, op string
	rc        int
	status    OpStatus
}

// counters are the LRM's cumulative counts, kept on the loop.
type counters struct {
	ops             map[opCountKey]uint64
	lat             map[string]*Latency
	monitorFailures uint64
	timeouts        uint64
	cancelled       uint64
}

// count records one finished run; it allocates only for a class, op,
// rc and status never seen before.
func (c *counters) count(class string, res *Result) {
	if c.ops == nil {
		c.ops = make(map[opCountKey]uint64)
		c.lat = make(map[string]*Latency)
	}
	c.ops[opCountKey{class, res.Op, res.RC, res.Status}]++
	h := c.lat[class]
	if h == nil {
		h = &Latency{Class: class}
		c.lat[class] = h
	}
	i := 0
	for i < len(LatencyBounds) && res.ExecTime > LatencyBounds[i] {
		i++
	}
	h.Counts[i]++
	h.N++
	h.Sum += res.ExecTime
	switch res.Status {
	case StatusTimeout:
		c.timeouts++
	case StatusCancelled:
		c.cancelled++
	}
	if res.Op == "monitor" && res.Interval > 0 && res.Status != StatusCancelled &&
		(res.Status != StatusDone || (res.RC != RCOK && res.RC != RCRunningPromoted)) {
		c.monitorFailures++
	}
}

// Stats fills s with a snapshot, reusing its slices: once the set of
// counted operations stops growing it allocates nothing.
func (l *LRM) Stats(s *Stats) {
	c := &l.stats
	s.Ops = s.Ops[:0]
	for k, n := range c.ops {
		s.Ops = append(s.Ops, OpCount{Class: k.class, Op: k.op, RC: k.rc, Status: k.status, N: n})
	}
	slices.SortFunc(s.Ops, func(a, b OpCount) int {
		return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Op, b.Op), cmp.Compare(a.RC, b.RC), cmp.Compare(a.Status, b.Status))
	})
	s.Latency = s.Latency[:0]
	for _, h := range c.lat {
		s.Latency = append(s.Latency, *h)
	}
	slices.SortFunc(s.Latency, func(a, b Latency) int { return cmp.Compare(a.Class, b.Class) })
	s.MonitorFailures, s.Timeouts, s.Cancelled = c.monitorFailures, c.timeouts, c.cancelled
	s.Resources, s.Running = len(l.rscs), l.children
	s.Queued, s.Recurring = 0, 0
	for _, r := range l.rscs {
		s.Queued += len(r.queue)
		s.Recurring += len(r.waiting)
	}
}

package sim

import (
	"fmt"

	"github.com/hbd-ha/hbd/master"
)

// Checker checks membership invariants while a simulation runs:
//
//   - no false death: a node is never declared dead while statuses it sent
//     kept reaching the observer within its dead interval;
//   - no false death caused by a local freeze: a node that was frozen
//     (Sim.Freeze) declares a peer dead only if the peer was silent for
//     the dead interval not counting the time the node was late by more
//     than a keepalive (which its master does not count against peers);
//   - crash detection: a crashed node is declared dead by every peer that
//     had communications up, no earlier than its last status + the dead
//     interval and no later than that + one wake-up granule, plus, for an
//     observer that was frozen meanwhile, the time it was late (the
//     documented bound of master's pause handling);
//   - after the network heals (Settled): every running node sees every
//     running node active with its current generation, nothing missing,
//     and every crashed node dead.
type Checker struct {
	Violations []string
	views      [][]view // [observer][node]
	rsc        bool
	freezes    [][]freeze // [node]
}

// freeze is a time a node was not scheduled: from when it had planned to
// wake until it ran again.
type freeze struct{ wake, end int64 }

type view struct {
	newest     int64 // delivery time of the newest status (by gen, seq)
	gen, seq   uint64
	dt         int64
	heard      bool
	lastAny    int64 // delivery time of the last status of any seq
	crashWatch bool  // the node crashed while the observer had comm up
	detected   bool
}

// NewChecker returns a checker for s and attaches it.
func NewChecker(s *Sim) *Checker {
	c := &Checker{views: make([][]view, len(s.Nodes)), freezes: make([][]freeze, len(s.Nodes))}
	for i := range c.views {
		c.views[i] = make([]view, len(s.Nodes))
	}
	s.Check = c
	return c
}

func (c *Checker) failf(s *Sim, format string, args ...any) {
	c.Violations = append(c.Violations, fmt.Sprintf("t=%s: ", ms(s.Now))+fmt.Sprintf(format, args...))
}

func ms(ns int64) string { return fmt.Sprintf("%d.%03dms", ns/1e6, ns%1e6/1e3) }

// started: observer i starts with a fresh view; it has "heard" nobody
// since now.
func (c *Checker) started(s *Sim, i int) {
	for b := range c.views[i] {
		c.views[i][b] = view{newest: s.Now, lastAny: s.Now}
	}
}

func (c *Checker) crashed(s *Sim, b int) {
	for a, n := range s.Nodes {
		if a != b && n.Running() && n.M.CommUp() {
			v := &c.views[a][b]
			v.crashWatch, v.detected = true, false
		}
	}
}

func (c *Checker) delivered(s *Sim, d delivery) {
	if !d.info.status {
		return
	}
	b := d.info.src
	if b < 0 || b == d.to {
		return
	}
	v := &c.views[d.to][b]
	v.lastAny = s.Now
	if !v.heard || d.info.gen > v.gen || (d.info.gen == v.gen && d.info.seq > v.seq) {
		if d.info.gen > v.gen {
			v.crashWatch = false // a new incarnation
		}
		v.heard, v.newest, v.gen, v.seq = true, s.Now, d.info.gen, d.info.seq
		v.dt = int64(d.info.dt) * 1e6
	}
}

func (c *Checker) events(s *Sim, a int, evs []master.Event) {
	for _, e := range evs {
		if e.Kind != master.EventNodeStatus || e.New != master.StatusDead || e.Node == a {
			continue
		}
		b := e.Node
		v := &c.views[a][b]
		// The shortest interval the observer could legitimately use.
		d := int64(s.opt.Deadtime)
		if v.heard && v.dt > 0 && v.dt < d {
			d = v.dt
		}
		if s.Now-v.newest < d {
			c.failf(s, "false death: %s declared %s dead %s after its newest status (dead interval ≥ %s)",
				s.Nodes[a].Name, s.Nodes[b].Name, ms(s.Now-v.newest), ms(d))
		} else if f := c.forgiven(s, a, v.newest, s.Now); s.Now-v.newest-f < d {
			c.failf(s, "false death after a local freeze: %s declared %s dead %s after its newest status, %s of it frozen (dead interval ≥ %s)",
				s.Nodes[a].Name, s.Nodes[b].Name, ms(s.Now-v.newest), ms(f), ms(d))
		}
		if v.crashWatch {
			limit := v.lastAny + s.Nodes[a].M.DeadInterval(b) + s.granule() + c.pauseSlack(s, a, v.lastAny)
			if s.Now > limit {
				c.failf(s, "late detection: %s declared crashed %s dead %s after the deadline", s.Nodes[a].Name, s.Nodes[b].Name, ms(s.Now-limit+s.granule()))
			}
			v.crashWatch, v.detected = false, true
		}
	}
}

func (s *Sim) granule() int64 {
	if s.opt.Granularity < 0 {
		return 0
	}
	return int64(s.opt.Granularity)
}

// tick looks for crashed nodes that should have been declared dead.
func (c *Checker) tick(s *Sim) {
	for a, n := range s.Nodes {
		if !n.Running() {
			continue
		}
		for b := range s.Nodes {
			v := &c.views[a][b]
			if !v.crashWatch || s.Nodes[b].Running() {
				continue
			}
			if n.M.NodeStatus(b) == master.StatusDead {
				v.crashWatch = false
				continue
			}
			if s.Now > v.lastAny+n.M.DeadInterval(b)+s.granule()+c.pauseSlack(s, a, v.lastAny) {
				c.failf(s, "missed death: %s still sees crashed %s as %s", n.Name, s.Nodes[b].Name, n.M.NodeStatus(b))
				v.crashWatch = false
			}
		}
	}
}

// Settled checks the state a healed, quiet cluster must reach.
func (c *Checker) Settled(s *Sim) {
	for a, n := range s.Nodes {
		if !n.Running() {
			continue
		}
		if !n.M.CommUp() {
			c.failf(s, "settled: %s has no communications up", n.Name)
		}
		for b, o := range s.Nodes {
			if a == b {
				continue
			}
			st := n.M.NodeStatus(b)
			switch {
			case !o.Running():
				if st != master.StatusDead {
					c.failf(s, "settled: %s sees crashed %s as %s", n.Name, o.Name, st)
				}
			case o.M.CommUp() && st != master.StatusActive:
				c.failf(s, "settled: %s sees %s as %s, not active", n.Name, o.Name, st)
			case n.M.Generation(b) != o.Gen:
				c.failf(s, "settled: %s knows %s's generation %d, not %d", n.Name, o.Name, n.M.Generation(b), o.Gen)
			case n.M.Missing(b) != 0:
				c.failf(s, "settled: %s still misses %d messages from %s", n.Name, n.M.Missing(b), o.Name)
			}
		}
	}
}

// froze records that node i, which had planned to wake at wake, is frozen
// until end (a longer freeze of a frozen node extends the last record).
func (c *Checker) froze(s *Sim, i int, wake, end int64) {
	f := c.freezes[i]
	if k := len(f) - 1; k >= 0 && f[k].wake == wake && f[k].end >= s.Now {
		f[k].end = end
		return
	}
	c.freezes[i] = append(f, freeze{wake, end})
}

// forgiven is how much of from..to observer a was frozen and late by more
// than a keepalive: time its master must not count against a peer.
func (c *Checker) forgiven(s *Sim, a int, from, to int64) int64 {
	var sum int64
	for _, f := range c.freezes[a] {
		if f.end-f.wake <= int64(s.opt.Keepalive) {
			continue
		}
		if lo, hi := max(f.wake, from), min(f.end, to); hi > lo {
			sum += hi - lo
		}
	}
	return sum
}

// pauseSlack is how much later than lastAny + the dead interval observer
// a may detect a crash because it was frozen since: each freeze that
// ended after lastAny can move the deadline by the time a was late (one
// granule more, for its deadline's rounding), and never past its end.
func (c *Checker) pauseSlack(s *Sim, a int, lastAny int64) int64 {
	var sum int64
	for _, f := range c.freezes[a] {
		if late := f.end - max(f.wake, lastAny); late > 0 {
			sum += late + s.granule()
		}
	}
	return sum
}

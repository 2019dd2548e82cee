package sim

import (
	"time"
)

// Freeze stops node i's daemon from being scheduled for d from now, as a
// VM freeze, CPU starvation or SIGSTOP would: it neither ticks nor
// receives, and what its peers send waits, in order, as in a socket
// buffer. When it runs again it first, if report is set, tells its master
// how late it woke (Master.Paused, as the daemon's loop stall handler
// does), then hands over every datagram that waited, then ticks. A
// freeze of a frozen node extends it.
func (s *Sim) Freeze(i int, d time.Duration, report bool) {
	n := s.Nodes[i]
	if !n.Running() || d <= 0 {
		return
	}
	end := s.Now + int64(d)
	if n.frozen >= 0 {
		n.frozen = max(n.frozen, end)
		n.report = n.report || report
	} else {
		// Where the loop planned to wake: its lateness is measured from
		// there (the node always has a deadline while it runs).
		n.frozen, n.frozeWake, n.report = end, n.wake, report
		if n.owake >= 0 && (n.frozeWake < 0 || n.owake < n.frozeWake) {
			n.frozeWake = n.owake
		}
		if n.frozeWake < 0 {
			n.frozeWake = s.Now
		}
	}
	if s.Check != nil {
		s.Check.froze(s, i, n.frozeWake, n.frozen)
	}
}

// Frozen reports whether node i is frozen now.
func (s *Sim) Frozen(i int) bool { return s.Nodes[i].frozen >= 0 }

// thaw lets node n run again: the pause report, then the datagrams that
// waited, each as the daemon drains its sockets before its timers.
func (s *Sim) thaw(n *Node) {
	n.frozen = -1
	if !n.Running() {
		s.unfreeze(n)
		return
	}
	if n.report && s.Now > n.frozeWake {
		n.M.Paused(s.Time(), time.Duration(s.Now-n.frozeWake))
		s.drain(n)
	}
	held := n.held
	n.held = n.held[:0]
	for _, d := range held {
		s.deliver(n, d)
	}
}

// unfreeze forgets a freeze of a node whose daemon is gone (crash, exec):
// what waited for it is lost with its sockets.
func (s *Sim) unfreeze(n *Node) {
	n.frozen = -1
	for _, d := range n.held {
		s.recycle(d)
	}
	n.held = n.held[:0]
}

package sim

import (
	"fmt"
	"time"

	"github.com/hbd-ha/hbd/master/own"
)

// QuickRestart describes heartbeat's quick restart of one node (SIGHUP
// with a changed ha.cf).
type QuickRestart struct {
	// Linger is how long the old process keeps running after
	// PrepareRestart before it execs (membership only).
	Linger time.Duration
	// Window is how long the exec takes: from the old process's last
	// packet to the new process's start.
	Window time.Duration
	// Failback, when set, is the new ha.cf's auto_failback.
	Failback *own.FailbackMode
}

// QuickRestart restarts node i as heartbeat's "heartbeat -R -C": the old
// master prepares (PrepareRestart), lingers, stops sending, and a new one
// with the next generation starts Window later holding what the old one
// held. The groups keep running throughout.
func (s *Sim) QuickRestart(i int, q QuickRestart) error {
	n := s.Nodes[i]
	if !n.Running() {
		return fmt.Errorf("%s is not running", n.Name)
	}
	var rs own.Restart
	var err error
	if n.O != nil {
		rs, err = n.O.PrepareRestart(s.Time())
	} else {
		err = n.M.PrepareRestart(s.Time())
	}
	s.drain(n)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.quick = &rs
	if q.Failback != nil {
		f := *q.Failback
		n.failback = &f
	}
	n.window = int64(q.Window)
	n.execAt = s.Now + int64(q.Linger)
	if q.Linger <= 0 {
		s.exec(n)
	}
	return nil
}

// exec ends a quick restart's old process: from now on it sends nothing;
// the new process starts Window later.
func (s *Sim) exec(n *Node) {
	n.execAt = -1
	if !n.Running() {
		return
	}
	n.M, n.O, n.wake, n.owake = nil, nil, -1, -1
	s.unfreeze(n)
	if s.Check != nil {
		// To its peers this is a node going quiet, like a crash.
		s.Check.crashed(s, n.Index)
	}
	n.restart = s.Now + n.window
}

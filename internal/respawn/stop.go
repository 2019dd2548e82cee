package respawn

import (
	"fmt"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// stopState is Stop's progress.
type stopState struct {
	cur   int    // the client being stopped; -1 when done
	done  func() // called once, when every client is gone
	timer *time.Timer
}

// Stop is heartbeat's shutdown phase 0: SIGTERM each client's process
// group in reverse config order, one at a time, waiting for each to exit
// (SIGKILL after Options.KillAfter), then call done on the loop. Clients
// are not respawned any more. A second Stop replaces done, which is
// called at once if the first has finished.
func (s *Supervisor) Stop(done func()) {
	s.shutdown = true
	if s.stop != nil {
		s.stop.done = done
		if s.stop.cur < 0 {
			s.stopNext() // already finished: done at once
		}
		return
	}
	s.stop = &stopState{cur: len(s.clients), done: done}
	s.stop.cur--
	s.stopNext()
}

// stopNext signals the current client, or moves past clients that do not
// run; at the end it calls done. A client still being forked is waited
// for: its start event brings Stop back here.
func (s *Supervisor) stopNext() {
	st := s.stop
	for st.cur >= 0 {
		c := &s.clients[st.cur]
		c.dead = true
		switch {
		case c.pid != 0:
			s.kill(c, syscall.SIGTERM)
			idx, pid := st.cur, c.pid
			if st.timer != nil {
				st.timer.Stop()
			}
			st.timer = time.AfterFunc(s.opt.KillAfter, func() { s.post(event{kind: evGrace, idx: idx, pid: pid}) })
			return
		case c.starting:
			return
		}
		s.opt.Log(prio.Info, fmt.Sprintf("client [%s] is not running.", c.cfg.Command))
		st.cur--
	}
	if st.timer != nil {
		st.timer.Stop()
		st.timer = nil
	}
	if st.done != nil {
		done := st.done
		st.done = nil
		done()
	}
}

// kill signals c's process group with heartbeat's line.
func (s *Supervisor) kill(c *client, sig syscall.Signal) {
	s.opt.Log(prio.Info, fmt.Sprintf("killing %s process group %d with signal %d", c.cfg.Command, c.pid, int(sig)))
	c.killed = true
	c.proc.Signal(sig)
}

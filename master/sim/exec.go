package sim

import (
	"fmt"
	"strings"

	"github.com/hbd-ha/hbd/master/own"
)

// executor is a node's simulated resource executor: it runs the ownership
// layer's
// actions one at a time, each taking Options.ActionTime, and keeps what
// is really running on the host (which survives a crash of the daemon,
// as resources do when heartbeat is killed).
type executor struct {
	queue    []own.Action
	due      int64 // when the head action finishes; -1 when idle
	running  map[string]bool
	failNext map[string]bool // the next start of these keys fails
}

func (e *executor) init() {
	e.due = -1
	if e.running == nil {
		e.running = map[string]bool{}
		e.failNext = map[string]bool{}
	}
}

// Holds reports whether group key runs on node n.
func (n *Node) Holds(key string) bool { return n.exec.running[key] }

// FailStart makes the next start of group key on node n fail.
func (n *Node) FailStart(key string) { n.exec.failNext[key] = true }

// SetHolds marks group key as running on node n or not (a group left
// running, or stopped by hand).
func (n *Node) SetHolds(key string, on bool) { n.exec.running[key] = on }

// Pending returns how many actions node n has not finished.
func (n *Node) Pending() int { return len(n.exec.queue) }

// queueActions copies a Ready's actions into node n's executor.
func (s *Sim) queueActions(n *Node, acts []own.Action) {
	for _, a := range acts {
		a.Keys = append([]string(nil), a.Keys...)
		n.exec.queue = append(n.exec.queue, a)
		if s.opt.Trace {
			s.Trace = append(s.Trace, Entry{At: s.Now, Node: n.Index, Kind: TraceAction, Text: fmt.Sprintf("%s %s [%s]", a.Kind, a.Why, strings.Join(a.Keys, " "))})
		}
	}
	if n.exec.due < 0 && len(n.exec.queue) > 0 {
		n.exec.due = s.Now + int64(s.opt.ActionTime)
	}
}

// finishAction completes node n's head action now.
func (s *Sim) finishAction(n *Node) {
	e := &n.exec
	a := e.queue[0]
	e.queue = e.queue[1:]
	e.due = -1
	var failed []string
	for _, key := range a.Keys {
		switch {
		case a.Kind == own.ActionGive:
			e.running[key] = false
		case e.failNext[key]:
			delete(e.failNext, key)
			e.running[key] = false
			failed = append(failed, key)
		default:
			if s.Check != nil && s.Check.rsc {
				s.Check.starting(s, n.Index, key)
			}
			e.running[key] = true
		}
	}
	if s.opt.Trace {
		text := fmt.Sprintf("done %s %s [%s]", a.Kind, a.Why, strings.Join(a.Keys, " "))
		if len(failed) > 0 {
			text += " failed [" + strings.Join(failed, " ") + "]"
		}
		s.Trace = append(s.Trace, Entry{At: s.Now, Node: n.Index, Kind: TraceAction, Text: text})
	}
	if n.Running() && n.O != nil {
		n.O.ActionDone(s.Time(), a.ID, failed)
		s.drain(n)
	}
	if len(e.queue) > 0 {
		e.due = s.Now + int64(s.opt.ActionTime)
	}
}

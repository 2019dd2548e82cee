package sim

import (
	"time"

	"github.com/hbd-ha/hbd/master/own"
)

// The simulated STONITH device (Options.Stonith): a node asked to fence a
// peer (own.Ready.Fences) "powers it off" — crashes it — FenceTime later,
// after FenceFailures failed attempts 5 s apart (heartbeat's retry), and
// reports each attempt to its ownership layer. A node that crashes takes its own
// pending resets with it, so two nodes fencing each other leave one
// survivor, as two real power switches would.

// fence is one reset under way.
type fence struct {
	target int
	due    int64
	fails  int // failed attempts still to come
}

const fenceRetry = 5 * time.Second

func (s *Sim) fenceRequests(n *Node, fs []own.Fence) {
	for _, e := range fs {
		switch {
		case !e.Cancel:
			for _, f := range n.fences {
				if f.target == e.Node {
					return
				}
			}
			n.fences = append(n.fences, fence{target: e.Node, due: s.Now + int64(s.opt.FenceTime), fails: s.opt.FenceFailures})
		default:
			for k, f := range n.fences {
				if f.target == e.Node {
					n.fences = append(n.fences[:k], n.fences[k+1:]...)
					break
				}
			}
		}
	}
}

// nextFence is when n's earliest reset attempt ends, or -1.
func (n *Node) nextFence() int64 {
	next := int64(-1)
	for _, f := range n.fences {
		if next < 0 || f.due < next {
			next = f.due
		}
	}
	return next
}

// runFences ends n's attempts that are due.
func (s *Sim) runFences(n *Node) {
	for k := 0; k < len(n.fences); k++ {
		f := &n.fences[k]
		if !n.Running() || f.due > s.Now {
			continue
		}
		name := s.opt.Nodes[f.target]
		if f.fails > 0 {
			f.fails--
			f.due = s.Now + int64(fenceRetry) + int64(s.opt.FenceTime)
			s.Fences = append(s.Fences, FenceRecord{At: s.Now, By: n.Index, Target: f.target, OK: false})
			n.O.FenceResult(s.Time(), name, false, "bad")
			s.drain(n)
			continue
		}
		target := f.target
		n.fences = append(n.fences[:k], n.fences[k+1:]...)
		k--
		s.Crash(target)
		s.Fences = append(s.Fences, FenceRecord{At: s.Now, By: n.Index, Target: target, OK: true})
		n.O.FenceResult(s.Time(), name, true, "OK")
		s.drain(n)
	}
}

// FenceRecord is one reset attempt the simulated device made.
type FenceRecord struct {
	At         int64
	By, Target int
	OK         bool
}

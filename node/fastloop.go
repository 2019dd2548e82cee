package node

import (
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/loop"
)

// fastKeepalive is the keepalive below which the loop trades a little
// idle CPU for timing: above it a tick of lateness is noise against the
// deadtime, below it a third of the margin.
const fastKeepalive = 5 * time.Millisecond

// fastLoop sets the loop's timing options for a keepalive under
// fastKeepalive (see loop.Options): timers at their exact deadline, not
// up to a tick later. Others keep the defaults, so their idle cost does
// not rise. Measured at 2 ms / 6 ms (BENCH=Cluster/fast): with the tick's
// minimum wait a status left 0.5 ms late at the median and 1.9 ms at
// p99, against 0.03 and 0.2 ms without it. Spin and PinCPU moved no
// figure beyond the machine's own noise there, so they stay off.
func fastLoop(o *loop.Options, keepalive time.Duration) {
	if keepalive >= fastKeepalive {
		return
	}
	o.Precise = true
}

// logLoopTiming writes the loop's lateness and stall histograms, for a
// node running under fastKeepalive, where they say how much of the
// deadtime's margin the machine took.
func (n *Node) logLoopTiming() {
	if n.cfg.Keepalive >= fastKeepalive {
		return
	}
	s := n.loop.Stats()
	n.log.Logf(hblog.Info, "hbd: loop timing: late %s; stalls %s", s.Late.String(), s.Stall.String())
}

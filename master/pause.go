package master

import (
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Pauses of our own.
//
// If the daemon itself is not scheduled for a while (VM freeze, CPU
// starvation, SIGSTOP), every peer's last heartbeat looks old when it runs
// again, although the peers kept sending: their statuses are waiting in
// the socket buffers. Heartbeat counts that gap against them: the first
// buffered status is a "Late heartbeat (> deadtime)" and the peer is
// declared dead, a failover caused by us. Its only guard is for itself:
// when its own looped-back status is older than deadtime it logs "No
// local heartbeat. Forcing restart." and restarts (hbd does not).
//
// hbd notices the gap on its own clock instead. Every input says when it
// happens, and the master always has a deadline pending (the status send,
// at most a keepalive away), at which the caller promised to call Tick.
// An input that comes more than a keepalive after both that deadline and
// the previous input proves that we were away in between; so does the
// daemon's own measure, given through Paused. That time is then not
// counted against anyone: every peer that is not dead, and every link that
// is up, has its "last heard" moved later by the length of the pause
// (never past its end), so its deadline moves by as much, and the
// lateness of its next status excludes the pause.
//
// The bound: a peer is declared dead once it has been silent for its dead
// interval of time during which we were running; pauses of a keepalive or
// less count in full, as before. A peer that dies during (or before) a
// pause of ours is therefore declared dead no later than its dead
// interval after the pause ends, and never later than without the pause
// by more than the pause's length (each further pause of ours before that
// adds its own length). A peer that kept sending is heard again as soon as
// its buffered statuses are handed over, which the daemon does before
// ticking.

// pauseThreshold is the smallest lateness taken as a pause of ours: a
// keepalive. Below it the timing noise of a busy machine would be
// forgiven and logged, and a shorter pause cannot cost a peer its life
// while its statuses wait in the socket buffer.
func pauseThreshold(keepalive int64) int64 { return keepalive }

// pauseStart is where the time we were away begins, seen at an input at
// now: the deadline we expected to be called at (due, if ok) or the moment
// stall (the daemon's own measure, 0 if none) before now, whichever is
// earlier, but never before the previous input at prev, when we were
// demonstrably running.
func pauseStart(now, prev, due int64, ok bool, stall int64) int64 {
	from := now
	if ok {
		from = min(from, due)
	}
	if stall > 0 {
		from = min(from, now-stall)
	}
	return max(from, prev)
}

// Paused tells the master that the daemon was not running for d before t,
// as the event loop measured it (how much later than planned it woke). Call
// it before handing over the datagrams that arrived meanwhile: the loop's
// stall handler runs first in its iteration. A pause of more than a
// keepalive is not counted against peers (see pause.go); the master
// notices one from the inputs' times too, so Paused only makes the
// measure more exact.
func (m *Master) Paused(t Time, d time.Duration) {
	if !m.phase.running() {
		return
	}
	m.enterAfter(t, int64(d))
	m.pump()
}

// notePause runs as an input at now arrives, before the clock moves.
func (m *Master) notePause(now, stall int64) {
	_, due, ok := m.tq.Next()
	from := pauseStart(now, m.now, due, ok, stall)
	if now-from <= pauseThreshold(m.keepalive) {
		return
	}
	m.forgive(from, now)
}

// forgive moves every live peer's and live link's last-heard time later by
// the pause from..to, so the pause is not counted against them.
func (m *Master) forgive(from, to int64) {
	d := to - from
	m.stats.Pauses++
	m.out.logf(prio.Warn, "Local scheduling pause of %d ms: not counting it against peers", durationMs(d))
	for i := range m.nodes {
		n := &m.nodes[i]
		if i == m.self {
			continue
		}
		if n.status != StatusDead {
			n.lastStatus = min(n.lastStatus+d, to)
		}
		for j := range n.links {
			if l := &n.links[j]; l.up {
				l.last = min(l.last+d, to)
			}
		}
	}
	// A timer left at the earlier deadline re-arms itself for the later
	// one when it fires (checkNode, checkLink).
}

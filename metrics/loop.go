package metrics

import (
	"time"

	"github.com/hbd-ha/hbd/master"
)

// The loop-side methods: each stores numbers in series made by New and
// allocates nothing.

// NodeStatus records node's new status word (as in master's
// EventNodeStatus); a word hbd does not know counts as "other".
func (m *Metrics) NodeStatus(node int, status string) {
	if node < 0 || node >= len(m.nodeStatus) {
		return
	}
	s := statusOther
	for i, st := range statuses[:statusOther] {
		if st == status {
			s = i
			break
		}
	}
	// The new series first: a scrape in between sees both, never none.
	m.nodeStatus[node][s].Set(1)
	if old := m.curStatus[node]; old != s {
		m.nodeStatus[node][old].Set(0)
		m.curStatus[node] = s
	}
}

// LinkStatus records whether link (an index into New's links[node]) of
// node is up.
func (m *Metrics) LinkStatus(node, link int, up bool) {
	if node < 0 || node >= len(m.linkUp) || link < 0 || link >= len(m.linkUp[node]) {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.linkUp[node][link].Set(v)
}

// Heartbeat records an accepted status of node: the interval since its
// previous one and the margin that was left before its deadline (the
// dead interval minus the interval; master's Config.OnHeartbeat gives
// both parts).
func (m *Metrics) Heartbeat(node int, interval, margin time.Duration) {
	if node < 0 || node >= len(m.interval) {
		return
	}
	m.interval[node].Observe(interval.Seconds())
	m.margin[node].Set(margin.Seconds())
	m.marginHist[node].Observe(margin.Seconds())
}

// Stats records the master's cumulative counts: each counter grows by the
// difference from the previous call. A count lower than before (a new
// master) starts over from zero.
func (m *Metrics) Stats(s master.Stats) {
	l := &m.last
	add(m.received, s.Received, l.Received)
	add(m.authFailed, s.AuthFailed, l.AuthFailed)
	add(m.dropped[0], s.Malformed, l.Malformed)
	add(m.dropped[1], s.UnknownSender, l.UnknownSender)
	add(m.dropped[2], s.Replays, l.Replays)
	add(m.dropped[3], s.Duplicates, l.Duplicates)
	add(m.dropped[4], s.NotForUs, l.NotForUs)
	add(m.retransmitted, s.Retransmitted, l.Retransmitted)
	add(m.rexmitAsked, s.RexmitAsked, l.RexmitAsked)
	m.last = s
}

// add grows c by the difference of two cumulative counts (a count that went
// back, as after a restart of its source, counts from zero).
func add(c *counter, now, before uint64) {
	if now < before {
		before = 0
	}
	if now > before {
		c.Add(float64(now - before))
	}
}

// Action records a finished resource action: take or give, the master's
// Action.Why, how long it ran (rsc's Result.Elapsed) and how many groups
// failed (len(Result.Failed)).
func (m *Metrics) Action(take bool, why string, d time.Duration, failedGroups int) {
	k := kindGive
	if take {
		k = kindTake
	}
	r := reasonOther
	for i, w := range reasons[:reasonOther] {
		if w == why {
			r = i
			break
		}
	}
	res := resultOK
	if failedGroups > 0 {
		res = resultBad
	}
	m.actionSeconds[k].Observe(d.Seconds())
	m.actions[k][r][res].Inc()
}

// Holding records what this node holds (master's Holding: none, local,
// foreign, all, transition); an unknown word is ignored.
func (m *Metrics) Holding(h string) {
	for i, w := range holdings {
		if w == h {
			m.held[i].Set(1) // first, as in NodeStatus
			if i != m.curHold {
				m.held[m.curHold].Set(0)
				m.curHold = i
			}
			return
		}
	}
}

// LogDropped records the logger's cumulative count of dropped lines
// (hblog's Logger.Dropped); the counter grows by the difference.
func (m *Metrics) LogDropped(n uint64) {
	add(m.logDropped, n, m.lastLogDrops)
	m.lastLogDrops = n
}

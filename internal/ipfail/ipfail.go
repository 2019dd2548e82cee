// Package ipfail is heartbeat's ping-node arbitration (the ipfail client,
// behaviour spec §4.9) as a state machine that runs inside hbd.
//
// A node that loses sight of its ping nodes while its partner still sees
// them gives its resources to the partner (hb_standby). Both sides count
// the ping nodes whose status is "ping" and compare their counts with
// num_ping_nodes messages; the side that sees fewer asks to go standby
// after two keepalives, unless an abort_giveup arrives first. It speaks
// ipfail's cluster messages, so an hbd node running it arbitrates with a
// heartbeat 3.0.6 node running the real binary.
//
// The Machine does no I/O: the daemon feeds it node, link and message
// events and the time, and it answers through Config's callbacks. Its
// log lines are ipfail's.
package ipfail

import (
	"fmt"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Message types ipfail sends and reads.
const (
	TypeNumPing  = "num_ping_nodes" // num_ping=<count>, to the partner
	TypeYouDead  = "you_are_dead"   // "you see fewer ping nodes", to the partner
	TypeAbort    = "abort_giveup"   // "counts are equal", to the partner
	TypeStandby  = "ask_resources"  // rsc_hold=<set> info=me, to the cluster (hb_standby)
	FieldNumPing = "num_ping"
	ClientID     = "ipfail" // its API client id (from_id, to_id)
	standbyRetry = 10 * time.Second
	setAll       = "all"
	setForeign   = "foreign"
	statusDead   = "dead"
	statusPing   = "ping"
)

// Send is a message the machine wants sent. To is the partner for
// node-addressed messages, empty for a cluster message (the standby
// request); Rsc is the standby set.
type Send struct {
	Type    string
	To      string
	NumPing int
	Rsc     string
}

// Config is what the machine needs to know about its node.
type Config struct {
	Self, Partner string        // node names; Partner is the last normal node not Self
	Keepalive     time.Duration // the giveup waits 2×keepalive
	AutoFailback  bool          // auto_failback on: give foreign groups back when balanced
	// PingCount returns how many ping nodes have status "ping" now.
	PingCount func() int
	// Stable reports whether the local resources are stable (the API's
	// get_resources is not "transition").
	Stable func() bool
	// Send sends a message; Log logs a line.
	Send func(Send)
	Log  func(prio.Level, string)
}

// Machine is one node's ipfail.
type Machine struct {
	cfg         Config
	giveupAt    int64  // pending delayed giveup, 0 = none
	giveupSet   string // its set
	recheckAt   int64  // 10 s after the partner became stable with a standby pending
	needStandby bool   // the giveup fired while our resources were in transition
	timerTag    uint32 // ipfail logs its glib timer tag; hbd numbers its timers
}

// New returns a machine; nothing is sent until an input arrives.
func New(cfg Config) *Machine { return &Machine{cfg: cfg} }

// Partner returns the node ipfail arbitrates with ("" if none).
func (m *Machine) Partner() string { return m.cfg.Partner }

func (m *Machine) logf(l prio.Level, format string, args ...any) {
	m.cfg.Log(l, fmt.Sprintf(format, args...))
}

// askPingNodes sends our count to the partner.
func (m *Machine) askPingNodes(n int) {
	m.logf(prio.Info, "Asking other side for ping node count.")
	m.cfg.Send(Send{Type: TypeNumPing, To: m.cfg.Partner, NumPing: n})
}

// NodeStatus is the node-status callback: a ping node coming back
// triggers a comparison; a death is only logged (with our own count).
func (m *Machine) NodeStatus(now int64, node, status string) {
	m.logf(prio.Info, "Status update: Node %s now has status %s", node, status)
	switch status {
	case statusDead:
		if m.cfg.PingCount() > 0 {
			m.logf(prio.Info, "NS: We are still alive!")
		} else {
			m.logf(prio.Info, "NS: We are dead. :<")
		}
	case statusPing:
		m.logf(prio.Info, "A ping node just came up.")
		m.askPingNodes(m.cfg.PingCount())
	}
}

// LinkStatus is the link-status callback: any link going dead (ours or
// the partner's, ping node links included) triggers a comparison.
func (m *Machine) LinkStatus(now int64, node, link, status string) {
	m.logf(prio.Info, "Link Status update: Link %s/%s now has status %s", node, link, status)
	if status != statusDead {
		return
	}
	n := m.cfg.PingCount()
	if n > 0 {
		m.askPingNodes(n)
		m.logf(prio.Info, "Checking remote count of ping nodes.")
	} else {
		m.logf(prio.Info, "We are dead. :<")
		m.askPingNodes(n)
	}
}

// PeerJoined is another node's ipfail signing on (its hbapi-clstat
// join): compare counts with it.
func (m *Machine) PeerJoined(now int64, node string) {
	if node == m.cfg.Self {
		return
	}
	m.logf(prio.Debug, "Got join message from another ipfail client. (%s)", node)
	m.askPingNodes(m.cfg.PingCount())
}

// Resources is a resource message from node: once the partner is stable
// (a message with isstable=1 and no info field), a standby that had to
// wait is re-examined 10 s later.
func (m *Machine) Resources(now int64, node, isstable string, hasInfo bool) {
	if node != m.cfg.Partner || isstable == "" {
		return
	}
	if isstable == "1" && !hasInfo && m.needStandby {
		// ipfail sleeps 10 s here (its resource scripts may still be
		// sending gratuitous ARPs), then counts again.
		m.recheckAt = now + int64(standbyRetry)
		m.needStandby = false
	}
}

// NumPing is the partner's count.
func (m *Machine) NumPing(now int64, theirs int) {
	mine := m.cfg.PingCount()
	switch {
	case mine > theirs:
		m.logf(prio.Info, "Telling other node that we have more visible ping nodes.")
		m.cfg.Send(Send{Type: TypeYouDead, To: m.cfg.Partner})
	case mine < theirs:
		m.logf(prio.Info, "Giving up because we have less visible ping nodes.")
		m.delayGiveup(now, setAll)
	default:
		m.logf(prio.Info, "Ping node count is balanced.")
		m.cfg.Send(Send{Type: TypeAbort, To: m.cfg.Partner})
		if m.giveupAt != 0 {
			m.abortGiveup()
		} else if m.cfg.AutoFailback && m.cfg.Stable() {
			m.logf(prio.Info, "Giving up foreign resources (auto_failback).")
			m.delayGiveup(now, setForeign)
		}
	}
}

// YouAreDead is the partner saying it sees more ping nodes.
func (m *Machine) YouAreDead(now int64) {
	m.logf(prio.Info, "Giving up because we were told that we have less ping nodes.")
	m.delayGiveup(now, setAll)
}

// AbortGiveup is the partner saying the counts are equal.
func (m *Machine) AbortGiveup(now int64) { m.abortGiveup() }

func (m *Machine) delayGiveup(now int64, set string) {
	d := 2 * m.cfg.Keepalive
	m.logf(prio.Info, "Delayed giveup in %d seconds.", d/time.Second)
	m.timerTag++
	m.giveupAt, m.giveupSet = now+int64(d), set
}

func (m *Machine) abortGiveup() {
	if m.giveupAt == 0 {
		m.logf(prio.Info, "No giveup timer to abort.")
		return
	}
	m.logf(prio.Info, "Aborted delayed giveup (%d)", m.timerTag)
	m.giveupAt = 0
}

// Deadline returns when Tick must run next (0: no timer).
func (m *Machine) Deadline() int64 {
	switch {
	case m.giveupAt == 0:
		return m.recheckAt
	case m.recheckAt == 0:
		return m.giveupAt
	}
	return min(m.giveupAt, m.recheckAt)
}

// Tick runs the timers due at now.
func (m *Machine) Tick(now int64) {
	if m.giveupAt != 0 && now >= m.giveupAt {
		m.giveupAt = 0
		m.logf(prio.Info, "giveup() called (timeout worked)")
		if m.cfg.Stable() {
			m.cfg.Send(Send{Type: TypeStandby, Rsc: m.giveupSet})
			m.needStandby = false
		} else {
			m.needStandby = true
		}
	}
	if m.recheckAt != 0 && now >= m.recheckAt {
		m.recheckAt = 0
		m.askPingNodes(m.cfg.PingCount())
	}
}

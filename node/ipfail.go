package node

import (
	"path/filepath"
	"strconv"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/ipfail"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// ipfailState runs internal/ipfail in place of a respawned ipfail
// binary (hbd_ipfail builtin, the default).
//
// It is one of the node's driven layers: the membership's status changes
// and the message types it owns come to it through the driver's tables,
// copied into inputs the driver feeds at the next turn (the machine
// answers by sending, which must not happen in the middle of a flush),
// and its deadline has a loop timer of its own.
type ipfailState struct {
	line    *config.Client // the respawn line it replaces; nil: not configured
	m       *ipfail.Machine
	msg     wire.Message
	gen     int
	managed bool
}

// ipfailTypes are the message types the machine owns (besides status and
// link changes): what the binary registers API callbacks for.
var ipfailTypes = []string{ipfail.TypeNumPing, ipfail.TypeYouDead, ipfail.TypeAbort, api.TypeClientState, "resource"}

// registerIPFail puts the machine's consumers in the driver's tables.
func (n *Node) registerIPFail() {
	n.drv.onEvent(n.ipfailStatus, master.EventNodeStatus, master.EventLinkStatus)
	n.drv.onMessage(n.ipfailMessage, ipfailTypes...)
}

// takeIPFail removes a respawn line running ipfail from the clients
// unless hbd_ipfail respawn asks for the binary; the line is kept to be
// replaced by the in-process machine at comm-up.
func (n *Node) takeIPFail(clients []config.Client) []config.Client {
	if n.cfg.IPFail == "respawn" {
		return clients
	}
	out := make([]config.Client, 0, len(clients))
	for i := range clients {
		if filepath.Base(clients[i].Path) == "ipfail" && !clients[i].Failfast && n.ipf.line == nil {
			n.ipf.line = &clients[i]
			continue
		}
		out = append(out, clients[i])
	}
	return out
}

// startIPFail is the binary's start-up checks, then its sign-on (a join
// notice the partner's ipfail answers by comparing counts).
func (n *Node) startIPFail() {
	f := &n.ipf
	if f.line == nil || f.m != nil {
		return
	}
	n.log.Logf(hblog.Info, "hbd: running ipfail in-process instead of %q (hbd_ipfail builtin)", f.line.Command)
	if !f.managed {
		n.log.Log(hblog.Error, "ipfail: No managed resources")
		return
	}
	if !n.cfg.AutoFailback.Nice() {
		n.log.Log(hblog.Error, "ipfail: auto_failback set to incompatible legacy option.")
		return
	}
	partner := ""
	for _, nd := range n.cfg.Nodes {
		if nd.Type == config.NormalNode && nd.Name != n.cfg.LocalNode {
			partner = nd.Name
		}
	}
	f.m = ipfail.New(ipfail.Config{
		Self: n.cfg.LocalNode, Partner: partner, Keepalive: n.cfg.Keepalive,
		AutoFailback: n.cfg.AutoFailback == config.FailbackOn,
		PingCount:    n.pingCount,
		Stable:       func() bool { return n.holding() != "transition" },
		Send:         n.ipfailSend,
		Log:          func(l prio.Level, msg string) { n.log.Log(l, "ipfail: "+msg) },
	})
	f.gen++
	n.addLayer("ipfail", f.m.Deadline, func(t master.Time) { f.m.Tick(t.Mono) })
	// Sent once the node's current output is handled.
	n.later(func() {
		n.ipfailSendRaw(api.TypeClientState, func(m *wire.Message) {
			m.AddString(api.FieldStatus, api.StatusJoin)
		}, "")
	})
}

// pingCount counts the ping nodes whose status is "ping".
func (n *Node) pingCount() int {
	c := 0
	for i := range n.master.NumNodes() {
		if n.master.NodeStatus(i) == master.StatusPing {
			c++
		}
	}
	return c
}

func (n *Node) ipfailSend(s ipfail.Send) {
	switch s.Type {
	case ipfail.TypeNumPing:
		n.ipfailSendRaw(s.Type, func(m *wire.Message) {
			m.AddString(ipfail.FieldNumPing, strconv.Itoa(s.NumPing))
		}, s.To)
	case ipfail.TypeStandby:
		n.ipfailSendRaw(s.Type, func(m *wire.Message) {
			m.AddString("rsc_hold", s.Rsc)
			m.AddString(wire.FieldInfo, "me")
		}, "")
	default:
		n.ipfailSendRaw(s.Type, nil, s.To)
	}
}

// ipfailSendRaw sends what the binary sends through the API: its fields,
// dest for a node message, and the ids the API server adds to a client's
// message, so a heartbeat node's ipfail (to_id=ipfail) receives it.
func (n *Node) ipfailSendRaw(typ string, fields func(*wire.Message), dest string) {
	m := &n.ipf.msg
	m.Reset()
	m.AddString(wire.FieldType, typ)
	m.AddString(api.FieldSrc, n.cfg.LocalNode)
	if fields != nil {
		fields(m)
	}
	if dest != "" {
		m.AddString(api.FieldDest, dest)
	}
	m.AddString(api.FieldFromID, ipfail.ClientID)
	m.AddString(api.FieldToID, ipfail.ClientID)
	m.AddString(api.FieldClientGen, strconv.Itoa(n.ipf.gen))
	if err := n.master.Send(n.now(), m); err != nil {
		n.log.Logf(hblog.Error, "ipfail: cannot send %s: %v", typ, err)
	}
}

// ipfailStatus queues what the binary's status and link callbacks would
// get.
func (n *Node) ipfailStatus(e *master.Event) {
	m := n.ipf.m
	if m == nil {
		return
	}
	switch e.Kind {
	case master.EventNodeStatus:
		if e.Node == n.self {
			return
		}
		node, st := e.NodeName, string(e.New)
		n.later(func() { m.NodeStatus(n.loop.Now(), node, st) })
	case master.EventLinkStatus:
		node, link, st := e.NodeName, e.Link, "dead"
		if e.LinkUp {
			st = "up"
		}
		n.later(func() { m.LinkStatus(n.loop.Now(), node, link, st) })
	}
}

// ipfailMessage queues a message of a type the machine owns, as the
// binary's message callbacks would get it.
func (n *Node) ipfailMessage(e *master.Event, msg *wire.Message) {
	m := n.ipf.m
	if m == nil {
		return
	}
	src := string(msg.Value(api.FieldSrc))
	if to := msg.Value(api.FieldToID); to != nil && string(to) != ipfail.ClientID {
		return
	}
	if d := msg.Value(api.FieldDest); d != nil && string(d) != n.cfg.LocalNode {
		return
	}
	own := src == n.cfg.LocalNode
	switch string(msg.Type()) {
	case ipfail.TypeNumPing:
		c, err := strconv.Atoi(string(msg.Value(ipfail.FieldNumPing)))
		if own || err != nil {
			return
		}
		n.later(func() { m.NumPing(n.loop.Now(), c) })
	case ipfail.TypeYouDead:
		if !own {
			n.later(func() { m.YouAreDead(n.loop.Now()) })
		}
	case ipfail.TypeAbort:
		if !own {
			n.later(func() { m.AbortGiveup(n.loop.Now()) })
		}
	case api.TypeClientState:
		if string(msg.Value(api.FieldStatus)) == api.StatusJoin && string(msg.Value(api.FieldFromID)) == ipfail.ClientID {
			n.later(func() { m.PeerJoined(n.loop.Now(), src) })
		}
	case "resource":
		_, info := msg.Get(wire.FieldInfo)
		stable := string(msg.Value("isstable"))
		n.later(func() { m.Resources(n.loop.Now(), src, stable, info) })
	}
}

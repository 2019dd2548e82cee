package node

import (
	"path/filepath"
	"strconv"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/ipfail"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// ipfailState runs internal/ipfail in place of a respawned ipfail
// binary (hbd_ipfail builtin, the default).
type ipfailState struct {
	line    *config.Client // the respawn line it replaces; nil: not configured
	m       *ipfail.Machine
	timer   loop.Timer // the machine's deadline, and inputs waiting
	pending []ipfailInput
	msg     wire.Message
	gen     int
	managed bool
	join    bool // the sign-on notice is due
}

// ipfailInput is an event for the machine, copied out of the master's
// output: the machine sends messages, which the master may not take
// while the node is still handling its last output (flush).
type ipfailInput struct {
	kind              byte // 'n' node status, 'l' link status, 'p' num_ping, 'd' you_are_dead, 'a' abort, 'j' join, 'r' resource
	node, link, value string
	count             int
	info              bool
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
	f.timer.Init(n.ipfailRun)
	f.gen++
	// Sent once the node's current output is handled.
	f.join = true
	n.loop.Schedule(&f.timer, n.loop.Now())
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

// ipfailEvent queues for the machine what the binary's API callbacks
// would get: node and link status changes and the cluster messages it
// registered for.
func (n *Node) ipfailEvent(e *master.Event) {
	f := &n.ipf
	if f.m == nil {
		return
	}
	in := ipfailInput{}
	switch e.Kind {
	case master.EventNodeStatus:
		if e.Node == n.self {
			return
		}
		in = ipfailInput{kind: 'n', node: e.NodeName, value: string(e.New)}
	case master.EventLinkStatus:
		in = ipfailInput{kind: 'l', node: e.NodeName, link: e.Link, value: "dead"}
		if e.LinkUp {
			in.value = "up"
		}
	case master.EventMessage:
		msg := n.eventMessage(e)
		if msg == nil {
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
			in = ipfailInput{kind: 'p', node: src, count: c}
		case ipfail.TypeYouDead:
			if own {
				return
			}
			in = ipfailInput{kind: 'd', node: src}
		case ipfail.TypeAbort:
			if own {
				return
			}
			in = ipfailInput{kind: 'a', node: src}
		case api.TypeClientState:
			if string(msg.Value(api.FieldStatus)) != api.StatusJoin || string(msg.Value(api.FieldFromID)) != ipfail.ClientID {
				return
			}
			in = ipfailInput{kind: 'j', node: src}
		case "resource":
			_, info := msg.Get(wire.FieldInfo)
			in = ipfailInput{kind: 'r', node: src, value: string(msg.Value("isstable")), info: info}
		default:
			return
		}
	default:
		return
	}
	f.pending = append(f.pending, in)
	n.loop.Schedule(&f.timer, n.loop.Now())
}

// ipfailRun feeds the queued inputs to the machine, then its due timers.
func (n *Node) ipfailRun(now int64) {
	f := &n.ipf
	if f.join {
		f.join = false
		n.ipfailSendRaw(api.TypeClientState, func(m *wire.Message) {
			m.AddString(api.FieldStatus, api.StatusJoin)
		}, "")
	}
	for _, in := range f.pending {
		switch in.kind {
		case 'n':
			f.m.NodeStatus(now, in.node, in.value)
		case 'l':
			f.m.LinkStatus(now, in.node, in.link, in.value)
		case 'p':
			f.m.NumPing(now, in.count)
		case 'd':
			f.m.YouAreDead(now)
		case 'a':
			f.m.AbortGiveup(now)
		case 'j':
			f.m.PeerJoined(now, in.node)
		case 'r':
			f.m.Resources(now, in.node, in.value, in.info)
		}
	}
	f.pending = f.pending[:0]
	f.m.Tick(now)
	n.ipfailArm()
	n.flush()
}

func (n *Node) ipfailArm() {
	f := &n.ipf
	if d := f.m.Deadline(); d > 0 {
		n.loop.Schedule(&f.timer, d)
	} else {
		n.loop.StopTimer(&f.timer)
	}
}

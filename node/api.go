package node

import (
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// DefaultAPISocket is heartbeat's API socket (libhbclient's path).
const DefaultAPISocket = "/var/run/heartbeat/register"

// This file serves heartbeat's client API (package api) from the node's
// state. As in heartbeat, the socket appears when communications come up.

// apiState is the node's API server and its scratch space.
type apiState struct {
	srv    *api.Server
	nodes  []api.NodeInfo
	msg    wire.Message // status and ifstat notices built for clients
	answer wire.Message // a respond-cstatus to a peer
	flush  loop.Timer   // a client's message went to the master: flush soon
}

// startAPI opens the API socket; a failure is logged, not fatal, as in
// heartbeat, whose clients then cannot sign on.
func (n *Node) startAPI() {
	if n.api.srv != nil || n.opt.APISocket == "-" {
		return
	}
	path := n.opt.APISocket
	if path == "" {
		path = DefaultAPISocket
	}
	srv, err := api.Listen(n.loop, path, apiBackend{n}, api.Options{
		Logf:      func(format string, args ...any) { n.log.Logf(hblog.Error, format, args...) },
		Infof:     func(format string, args ...any) { n.log.Logf(hblog.Info, format, args...) },
		InProcess: func(id string) bool { return n.ccmOnline([]byte(id)) },
		Netstring: n.cfg.MsgFmt == "netstring",
	})
	if err != nil {
		n.log.Logf(hblog.Error, "Cannot open API socket: %v", err)
		return
	}
	n.api.srv = srv
}

// deliverAPI passes what the master reports to API clients: peers'
// status changes and link changes as heartbeat's status and ifstat
// messages, and every cluster message for upper layers.
func (n *Node) deliverAPI(e *master.Event) {
	a := &n.api
	if e.Kind == master.EventMessage {
		n.answerClientStatus(e)
	}
	if a.srv == nil {
		return
	}
	switch e.Kind {
	case master.EventNodeStatus:
		if e.Node == n.self {
			return
		}
		a.msg.Reset()
		a.msg.AddString("t", "status")
		a.msg.AddString("src", e.NodeName)
		a.msg.AddString("st", string(e.New))
		if n.pingNode(e.NodeName) {
			a.msg.AddString("info", "ping")
		}
		a.srv.Deliver(&a.msg, api.KeepIt)
	case master.EventLinkStatus:
		st := "dead"
		if e.LinkUp {
			st = "up"
		}
		a.msg.Reset()
		a.msg.AddString("t", "ifstat")
		a.msg.AddString("node", e.NodeName)
		a.msg.AddString("ifname", e.Link)
		a.msg.AddString("st", st)
		a.srv.Deliver(&a.msg, api.KeepIt)
	case master.EventMessage:
		if a.srv.Clients() == 0 {
			return // nobody to decode it for
		}
		msg := n.eventMessage(e)
		if msg == nil {
			return
		}
		a.srv.Deliver(msg, api.KeepIt)
	}
}

// answerClientStatus answers a peer's query-cstatus about one of our
// clients, as heartbeat does for any client, known or not: without an
// answer, cl_status clientstatus on the peer waits out its timeout ("No
// timely response", exit 13) where heartbeat's prints "offline".
func (n *Node) answerClientStatus(e *master.Event) {
	msg := n.eventMessage(e)
	if msg == nil {
		return
	}
	client, fromID, ok := api.ClientStatusQuery(msg, n.cfg.LocalNode)
	if !ok {
		return
	}
	st := api.StatusOffline
	if n.api.srv != nil {
		st = n.api.srv.ClientStatus(string(client))
	}
	a := &n.api
	api.AppendClientStatusAnswer(&a.answer, e.NodeName, client, fromID, st)
	if err := (apiBackend{n}).Send(&a.answer); err != nil {
		n.log.Logf(hblog.Error, "cannot answer the client status query of %s: %v", e.NodeName, err)
	}
}

func (n *Node) closeAPI() {
	if n.api.srv != nil {
		n.api.srv.Close()
		n.api.srv = nil
	}
}

// apiBackend answers the API server from the node's state.
type apiBackend struct{ n *Node }

func (b apiBackend) LocalNode() string { return b.n.cfg.LocalNode }

func (b apiBackend) Nodes() []api.NodeInfo {
	m := b.n.master
	out := b.n.api.nodes[:0]
	for i := range m.NumNodes() {
		name := m.NodeName(i)
		typ := config.NormalNode
		if nd, ok := b.n.cfg.Node(name); ok {
			typ = nd.Type
		}
		ni := api.NodeInfo{Name: name, Type: typ.String(), Status: string(m.NodeStatus(i)), Weight: 100}
		for j, l := range m.Links(i) {
			st := "dead"
			if m.LinkUp(i, j) {
				st = "up"
			}
			ni.Links = append(ni.Links, api.LinkInfo{Name: l, Status: st})
		}
		out = append(out, ni)
	}
	b.n.api.nodes = out
	return out
}

func (b apiBackend) Param(name string) (string, bool) {
	if name == "hbversion" {
		return config.HeartbeatVersion, true
	}
	if name == filterParam {
		return b.n.filterSummary(), true
	}
	return b.n.cfg.Params.Get(name)
}

func (b apiBackend) Holding() string          { return b.n.holding() }
func (b apiBackend) Deadtime() time.Duration  { return b.n.cfg.Deadtime }
func (b apiBackend) Keepalive() time.Duration { return b.n.cfg.Keepalive }
func (b apiBackend) Version() string          { return config.HeartbeatVersion + " (hbd)" }

func (b apiBackend) UUID(node string) (string, bool) {
	i := b.n.master.Node(node)
	if i < 0 {
		return "", false
	}
	return b.n.master.UUID(i)
}

// Send hands a client's message to the master. The packets go out at
// the next flush, scheduled at once: the server may call Send while the
// node is in the middle of a flush (a dropped client's leave notice).
func (b apiBackend) Send(msg *wire.Message) error {
	n := b.n
	err := n.master.Send(n.now(), msg)
	if !n.api.flush.Pending() {
		n.loop.Schedule(&n.api.flush, n.loop.Now())
	}
	return err
}

func (b apiBackend) Authorize(client string, casual bool, uid, gid uint32) error {
	return api.Authorize(b.n.cfg.APIAuth, client, casual, uid, gid)
}

package node

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/ccm"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// ccmState runs package ccm in place of a respawned ccm binary (hbd_ccm
// builtin, the default whenever ha.cf asks for ccm).
//
// It is one of the node's driven layers: heartbeat's node status changes
// and the ccm messages come to it through the driver's tables and are fed
// at the next turn; its output is taken at every flush (messages to the
// master, membership events to the client socket, metrics and in-process
// subscribers); its deadline has a loop timer of its own.
type ccmState struct {
	want bool // ha.cf asks for ccm and hbd runs it
	c    *ccm.CCM
	srv  *ipc.Server
	path string // the client socket ("": none)

	conns   []*ipc.Conn
	frame   []byte
	last    ccm.Event // the last membership (Members owned here)
	subs    []func(ccm.Event)
	msg     wire.Message
	started bool // comm-up started it
	left    bool // the leave notice went out
}

// CCMSocketDir is where the real ccm's client socket lives (libccmclient's
// path is its "ccm" in there).
const CCMSocketDir = "/var/run/heartbeat/ccm"

// ccmBinary is the ccm heartbeat respawns for pacemaker ccm-only when
// hbd_ccm respawn asks for the binary.
const ccmBinary = "/usr/lib/heartbeat/ccm"

// ccmTypes are the message types the layer owns.
var ccmTypes = func() []string {
	var t []string
	for ty := ccm.TypeProtoVersion; ty <= ccm.TypeRestart; ty++ {
		t = append(t, ty.String())
	}
	return t
}()

// takeCCM removes a respawn line running ccm from the clients unless
// hbd_ccm respawn asks for the binary; the in-process CCM replaces it. With
// pacemaker ccm-only and hbd_ccm respawn, the binary's line is added, as
// heartbeat adds it.
func (n *Node) takeCCM(clients []config.Client) []config.Client {
	if n.cfg.CCM == "respawn" {
		if n.cfg.CCMOnly && !slices.ContainsFunc(clients, isCCMLine) {
			c := config.Client{User: "hacluster", Command: ccmBinary, Path: ccmBinary}
			if u, err := user.Lookup("hacluster"); err == nil {
				c.UID, _ = strconv.Atoi(u.Uid)
				c.GID, _ = strconv.Atoi(u.Gid)
			}
			clients = append([]config.Client{c}, clients...)
		}
		return clients
	}
	// pacemaker on implies ccm: the CRM's membership.
	n.ccm.want = n.cfg.CCMOnly || n.cfg.CRM
	out := make([]config.Client, 0, len(clients))
	for i := range clients {
		if isCCMLine(clients[i]) {
			n.ccm.want = true
			continue
		}
		out = append(out, clients[i])
	}
	return out
}

func isCCMLine(c config.Client) bool { return filepath.Base(c.Path) == "ccm" }

// newCCM builds the layer when ha.cf asks for it: the normal nodes, the
// keepalive, the quorum plugins of `env quorum=`; an unknown plugin fails
// the start.
func (n *Node) newCCM() error {
	if !n.ccm.want {
		return nil
	}
	var nodes []string
	for _, nd := range n.cfg.Nodes {
		if nd.Type == config.NormalNode {
			nodes = append(nodes, nd.Name)
		}
	}
	quorum := ""
	for _, e := range n.cfg.Env {
		if e.Name == "quorum" {
			quorum = e.Value
		}
	}
	c, err := ccm.New(ccm.Config{Nodes: nodes, Local: n.cfg.LocalNode, Keepalive: n.cfg.Keepalive,
		Quorum: quorum, Seed: rand.Uint64()})
	if err != nil {
		return err
	}
	c.SetOrder(n.master.LogOrder())
	n.ccm.c = c
	switch n.opt.APISocket {
	case "-":
	case "":
		n.ccm.path = filepath.Join(CCMSocketDir, "ccm")
	default:
		n.ccm.path = filepath.Join(filepath.Dir(n.opt.APISocket), "ccm", "ccm")
	}
	return nil
}

// registerCCM puts the layer's consumers and timer in the driver's tables.
func (n *Node) registerCCM() {
	c := n.ccm.c
	if c == nil {
		return
	}
	n.addLayer("ccm", func() int64 {
		d, _ := c.Deadline()
		return d
	}, func(t master.Time) { c.Tick(t) })
	n.drv.onEvent(n.ccmStatus, master.EventNodeStatus)
	n.drv.onMessage(n.ccmMessage, ccmTypes...)
	n.drv.onMessage(n.ccmClientState, api.TypeClientState)
}

// startCCM is the binary's start: its sign-on notice, the live nodes, the
// first round; and the client socket.
func (n *Node) startCCM() {
	s := &n.ccm
	if s.c == nil || s.started {
		return
	}
	s.started = true
	n.log.Log(hblog.Info, "hbd: running ccm in-process (hbd_ccm builtin)")
	if s.path != "" && s.srv == nil {
		opt := ipc.Options{Name: "ccm", Mode: 0o777, DirMode: 0o750,
			Logf: func(f string, a ...any) { n.log.Logf(hblog.Warn, f, a...) }}
		if a := lookupCIBAccess(); os.Geteuid() == 0 && a.uid >= 0 && a.gid >= 0 {
			opt.DirUID, opt.DirGID, opt.DirOwnerSet = int(a.uid), int(a.gid), true
		}
		srv, err := ipc.Listen(n.loop, s.path, ccmClients{n}, opt)
		if err != nil {
			n.log.Logf(hblog.Error, "ccm: cannot open the client socket: %v", err)
		} else {
			s.srv = srv
		}
	}
	n.later(func() {
		n.ccmClientStatus(api.StatusJoin, api.ReqSignOn)
		t := n.now()
		for i := range n.master.NumNodes() {
			name := n.master.NodeName(i)
			if i != n.self && n.master.NodeStatus(i) != master.StatusDead {
				s.c.NodeStatus(t, name, true)
			}
		}
		s.c.Start(t)
	})
}

// stopCCM tells the peers' ccm that this one leaves (heartbeat sends it
// when ccm's connection closes) and closes the clients' socket.
func (n *Node) stopCCM() {
	s := &n.ccm
	if !s.started || s.left {
		return
	}
	s.left = true
	n.ccmClientStatus(api.StatusLeave, "signoff")
	n.closeCCM()
}

func (n *Node) closeCCM() {
	if n.ccm.srv != nil {
		n.ccm.srv.Close()
		n.ccm.srv = nil
	}
}

// ccmClientStatus sends the hbapi-clstat notice heartbeat's API server
// sends when ccm signs on or goes.
func (n *Node) ccmClientStatus(status, info string) {
	m := &n.ccm.msg
	m.Reset()
	m.AddString(wire.FieldType, api.TypeClientState)
	m.AddString(api.FieldStatus, status)
	m.AddString(api.FieldFromID, ccm.ClientID)
	m.AddString(api.FieldToID, ccm.ClientID)
	m.AddString(api.FieldSrc, n.cfg.LocalNode)
	m.AddString(wire.FieldInfo, info)
	m.AddString(api.FieldClientGen, "0")
	if err := n.master.Send(n.now(), m); err != nil {
		n.log.Logf(hblog.Error, "ccm: cannot send %s: %v", status, err)
	}
}

// ccmOnline reports whether client names the built-in CCM while it runs:
// peers asking for this node's ccm client (cl_status clientstatus) see it
// online, as they would the binary.
func (n *Node) ccmOnline(client []byte) bool {
	return string(client) == ccm.ClientID && n.ccm.started && !n.ccm.left
}

// ccmStatus queues heartbeat's verdict on a peer: dead is down, any other
// status up.
func (n *Node) ccmStatus(e *master.Event) {
	c := n.ccm.c
	if e.Node == n.self || n.ccm.left {
		return
	}
	node, up := e.NodeName, e.New != master.StatusDead
	n.later(func() { c.NodeStatus(n.now(), node, up) })
}

// ccmMessage queues a ccm message (to_id ccm) for the layer, decoded now:
// the event's message is valid only during the flush.
func (n *Node) ccmMessage(e *master.Event, msg *wire.Message) {
	if !ccm.IsCCM(msg) || n.ccm.left {
		return
	}
	var m ccm.Msg
	if err := m.Decode(msg); err != nil {
		n.log.Logf(hblog.Warn, "ccm: from %s: %v", e.NodeName, err)
		return
	}
	c := n.ccm.c
	n.later(func() {
		if err := c.ReceiveMsg(n.now(), &m); err != nil {
			n.log.Logf(hblog.Warn, "%v", err)
		}
	})
}

// ccmClientState queues a peer's ccm going away while its heartbeat stays.
func (n *Node) ccmClientState(e *master.Event, msg *wire.Message) {
	if string(msg.Value(api.FieldFromID)) != ccm.ClientID || string(msg.Value(api.FieldStatus)) != api.StatusLeave {
		return
	}
	src := string(msg.Value(api.FieldSrc))
	if src == n.cfg.LocalNode || src == "" {
		return
	}
	c := n.ccm.c
	n.later(func() { c.PeerLeft(n.now(), src) })
}

// flushCCM carries out what the layer decided: its messages to the
// master, its log lines, its events to the clients, the metrics and the
// subscribers.
func (n *Node) flushCCM() {
	s := &n.ccm
	if s.c == nil || !s.c.HasReady() {
		return
	}
	rd := s.c.Ready()
	if !s.left {
		for i := range rd.Sends {
			// Not running: the node is stopping or restarting, and its
			// peers learn it from heartbeat.
			if err := n.master.Send(n.now(), &rd.Sends[i].Wire); err != nil && !errors.Is(err, master.ErrNotRunning) {
				n.log.Logf(hblog.Error, "ccm: cannot send %v: %v", rd.Sends[i].Msg.Type, err)
			}
		}
	}
	for _, l := range rd.Logs {
		n.logLine(l)
	}
	for i := range rd.Events {
		n.ccmEvent(&rd.Events[i])
	}
	s.c.Advance()
}

// ccmEvent hands one event to the clients (the node table and the
// membership in one write, or influx), the metrics and the subscribers.
func (n *Node) ccmEvent(ev *ccm.Event) {
	s := &n.ccm
	if ev.Kind == ccm.EventMembership {
		s.last = *ev
		s.last.Members = slices.Clone(ev.Members)
		s.frame = ccm.AppendClientPair(s.frame[:0], s.c.Nodes(), s.c.LocalIndex(), s.last)
		if n.metrics != nil {
			n.metrics.CCM(ev.Instance, len(ev.Members), ev.Quorum)
		}
	} else {
		s.frame = ccm.AppendInfluxFrame(s.frame[:0])
	}
	if n.log.DebugLevel() > 0 {
		n.log.Logf(hblog.Debug, "ccm: %s", ccmEventText(ev))
	}
	for _, c := range s.conns {
		c.Send(s.frame)
	}
	for _, fn := range s.subs {
		if ev.Kind == ccm.EventMembership {
			fn(s.last)
		} else {
			fn(*ev)
		}
	}
}

func ccmEventText(ev *ccm.Event) string {
	if ev.Kind == ccm.EventInflux {
		return "influx"
	}
	b := fmt.Appendf(nil, "instance %d quorum %v members", ev.Instance, ev.Quorum)
	for _, m := range ev.Members {
		b = fmt.Appendf(b, " %s(born %d)", m.Name, m.Born)
	}
	return string(b)
}

// OnCCM registers fn for the built-in CCM's events (memberships with
// instance, members, born values and quorum; influx when a round starts),
// called on the loop goroutine in the order they happen; a membership's
// Members may be kept. Register before Run. It reports false when the built-in CCM does not run.
func (n *Node) OnCCM(fn func(ccm.Event)) bool {
	if n.ccm.c == nil {
		return false
	}
	n.ccm.subs = append(n.ccm.subs, fn)
	return true
}

// ccmClients serves the client socket: clients send nothing; each gets
// the current membership on connect and every change after.
type ccmClients struct{ n *Node }

func (h ccmClients) Opened(c *ipc.Conn) {
	s := &h.n.ccm
	c.SignedOn() // ccm's clients never sign on
	s.conns = append(s.conns, c)
	if s.last.Instance != 0 {
		c.Send(ccm.AppendClientPair(nil, s.c.Nodes(), s.c.LocalIndex(), s.last))
	}
}

func (h ccmClients) Frame(*ipc.Conn, []byte) {}

func (h ccmClients) Closed(c *ipc.Conn, reason string) {
	s := &h.n.ccm
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
	}
	if reason != "shutdown" {
		h.n.log.Logf(hblog.Info, "ccm: client (pid=%d) removed from ccm", c.Cred().PID)
	}
}

package node

import (
	"errors"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// This file serves the local CIB socket (cibipc.SocketName, for root,
// hacluster and haclient: crm_ipc_access.go; beside lrmd's sockets) through which hbctl's Pacemaker tools reach the
// running CRM, as Pacemaker's reach its cib manager: a query is answered
// from this node's replica; a write (and a cleanup) is applied by the DC:
// here when this node is the DC, else forwarded to it as a cib_request
// message carrying the origin's call id, applied there and answered with
// a cib_reply; the new configuration reaches every node through the DC's
// cib_sync. A transient attribute goes to the controller (attrd's job).
// Nothing here waits: a request the DC has not answered fails when the DC
// changes or after its timeout.

// The cluster messages between a node and the DC.
const (
	typeCIBRequest = "cib_request"
	typeCIBReply   = "cib_reply"
	// typeCIBCleanup tells every node that the DC cleaned up a resource:
	// the node named forgets its own copy of the history.
	typeCIBCleanup = "cib_cleanup"
	fieldCIBOp     = "cib_op"
	fieldCIBOpZ    = "cib_op_z"
	fieldCIBRsc    = "cib_rsc"
	fieldCIBNode   = "cib_node"
)

// cibIPCTimeout bounds a forwarded request the tool gave no timeout.
const cibIPCTimeout = 10 * time.Second

// cibIPC is the socket's state.
type cibIPC struct {
	srv *ipc.Server
	// pending are the requests forwarded to the DC, by this node's call
	// id; perConn counts each client's requests in flight.
	pending map[uint64]*cibPending
	perConn map[*ipc.Conn]int
	nextID  uint64
	buf     []byte
	msg     wire.Message
	// dcStatus is the DC's last status section (cib_status), which a
	// query on another node answers with.
	dcStatus []byte
	// quorum is the CCM's last word on this partition's quorum, which a
	// query on another node than the DC answers with (the DC writes its
	// own on its cib element; a replica's is its own and may be stale).
	quorum bool
	// access is who may use the socket; denied are the connections of
	// the others, whose requests are refused.
	access cibAccess
	denied map[*ipc.Conn]bool
}

type cibPending struct {
	conn   *ipc.Conn
	callID uint64 // the client's
	dc     string
	timer  loop.Timer
}

// cibSocketPath is where the socket goes ("" when the daemon serves no
// sockets).
func (n *Node) cibSocketPath() string {
	dir := n.lrmDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, cibipc.SocketName)
}

// startCIBIPC opens the socket (at comm-up, with the controller).
func (n *Node) startCIBIPC() {
	s := &n.crm.ipc
	path := n.cibSocketPath()
	if path == "" || s.srv != nil {
		return
	}
	s.pending, s.perConn, s.denied = map[uint64]*cibPending{}, map[*ipc.Conn]int{}, map[*ipc.Conn]bool{}
	s.access = lookupCIBAccess()
	// A call id unique across this node's restarts: a late reply to the
	// previous process's request must not match a new one.
	s.nextID = uint64(time.Now().UnixNano())
	opt := ipc.Options{Name: "cib", Mode: 0o600, DirMode: 0o750, MaxFrame: cibipc.MaxFrame,
		MaxQueueBytes: cibipc.MaxFrame + 1<<20, SendQLen: cibipc.MaxPending + 1,
		Logf: func(f string, a ...any) { n.log.Logf(hblog.Warn, f, a...) }}
	srv, err := ipc.Listen(n.loop, path, cibClients{n}, opt)
	if err != nil {
		n.log.Logf(hblog.Error, "crm: cannot open the CIB socket: %v", err)
		return
	}
	s.srv = srv
	if err := cibSocketAccess(path, s.access); err != nil {
		n.log.Logf(hblog.Warn, "crm: the CIB socket stays root's only: %v", err)
	}
	n.log.Logf(hblog.Info, "crm: the CIB socket is %s", path)
}

// closeCIBIPC closes the socket and waits for the CIB's last write.
func (n *Node) closeCIBIPC() {
	s := &n.crm.ipc
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
	n.crmSaveWait()
}

type cibClients struct{ n *Node }

func (h cibClients) Opened(c *ipc.Conn) {
	s := &h.n.crm.ipc
	if cr := c.Cred(); !s.access.admits(cr, peerGroups(cr.PID)) {
		// Kept open: its requests are answered "Permission denied", as
		// Pacemaker's tools expect to be told.
		h.n.log.Logf(hblog.Warn, "crm: CIB socket refused to uid %d (gid %d, pid %d): not root, %s nor in group %s",
			cr.UID, cr.GID, cr.PID, clusterUser, clusterGroup)
		s.denied[c] = true
	}
	c.SignedOn()
}

func (h cibClients) Closed(c *ipc.Conn, reason string) {
	s := &h.n.crm.ipc
	delete(s.perConn, c)
	delete(s.denied, c)
	for _, p := range s.pending {
		if p.conn == c {
			p.conn = nil // the DC's answer has nobody to go to
		}
	}
}

func (h cibClients) Frame(c *ipc.Conn, body []byte) {
	n := h.n
	s := &n.crm.ipc
	req, err := cibipc.DecodeRequest(body)
	if err != nil {
		n.cibAnswer(c, &cibipc.Reply{CallID: req.CallID, RC: cibipc.ErrProto, Detail: err.Error()})
		return
	}
	if s.denied[c] {
		n.cibAnswer(c, &cibipc.Reply{CallID: req.CallID, RC: int32(cib.ErrPermission), Detail: "Permission denied"})
		return
	}
	if s.perConn[c] >= cibipc.MaxPending {
		n.cibAnswer(c, &cibipc.Reply{CallID: req.CallID, RC: cibipc.ErrBusy, Detail: "too many requests in flight"})
		return
	}
	s.perConn[c]++
	// Handled in a turn of the driver: the controller's inputs and the
	// messages sent are flushed after it.
	n.later(func() { n.cibRequest(c, &req) })
}

// cibAnswer sends a reply to a client.
func (n *Node) cibAnswer(c *ipc.Conn, r *cibipc.Reply) {
	if c == nil || c.Closed() {
		return
	}
	s := &n.crm.ipc
	b, start := ipc.BeginFrame(s.buf[:0])
	b = cibipc.AppendReply(b, r)
	b, err := ipc.EndFrame(b, start, cibipc.MaxFrame)
	if err != nil {
		b, _ = ipc.BeginFrame(b[:0])
		b = cibipc.AppendReply(b, &cibipc.Reply{CallID: r.CallID, RC: int32(cib.ErrTooBig), Detail: err.Error()})
		b, _ = ipc.EndFrame(b, start, cibipc.MaxFrame)
	}
	c.Send(b)
	if cap(b) <= 1<<20 {
		s.buf = b[:0] // a large answer's memory goes back
	}
}

// cibDone answers a client's request and releases its slot.
func (n *Node) cibDone(c *ipc.Conn, r *cibipc.Reply) {
	s := &n.crm.ipc
	if c != nil && s.perConn[c] > 0 {
		s.perConn[c]--
	}
	n.cibAnswer(c, r)
}

// cibRequest handles one client request.
func (n *Node) cibRequest(c *ipc.Conn, req *cibipc.Request) {
	s := &n.crm
	reply := cibipc.Reply{CallID: req.CallID}
	switch {
	case req.Op == cibipc.OpQuery:
		out, err := n.cibQuery(req.Section)
		reply.RC, reply.Detail = cibCode(err)
		reply.Output = out
	case req.Op == cibipc.OpNodeName:
		reply.Output = []byte(n.cfg.LocalNode)
	case req.Op == cibipc.OpAttr:
		if req.Name == "" {
			reply.RC, reply.Detail = int32(cib.ErrInvalid), "no attribute name"
			break
		}
		s.c.SetAttr(n.now(), controld.Attr{Node: req.Node, Name: req.Name, Value: req.Value, Delete: req.Delete})
	case s.c.IsDC():
		reply = n.cibApplyDC(req)
		reply.CallID = req.CallID
	case s.c.DC() == "" || s.c.DC() == n.cfg.LocalNode:
		reply.RC, reply.Detail = cibipc.ErrNotConnected, "no DC: an election is running or the partition has no quorum"
	default:
		n.cibForward(c, req)
		return
	}
	n.cibDone(c, &reply)
}

// cibQuery is the local replica: the DC's own CIB, on another node the
// configuration with the DC's last status section.
func (n *Node) cibQuery(section string) ([]byte, error) {
	s := &n.crm
	c := s.cib
	if !s.c.IsDC() && len(s.ipc.dcStatus) > 0 {
		st, err := cib.Parse(s.ipc.dcStatus)
		if err == nil && st.Name == "status" {
			c = s.cib.Clone()
			if old := c.Section("status"); old != nil {
				old.Remove()
			}
			c.Root.AddChild(st)
			// The DC's have-quorum and dc-uuid, as its CIB holds them:
			// a tool scheduling this CIB (crm_resource --wait) must not
			// see a partition without quorum stop everything.
			q := "0"
			if s.ipc.quorum {
				q = "1"
			}
			c.Root.Set("have-quorum", q)
			if dc := s.c.DC(); dc != "" {
				c.Root.Set("dc-uuid", nodeIDOf(c, dc))
			}
		}
	}
	res, err := c.Apply(cib.Request{Op: cib.OpQuery, Section: section})
	if err != nil {
		return nil, err
	}
	return res.Output.AppendXML(nil), nil
}

// nodeIDOf is a node's id in the nodes section (its name when absent).
func nodeIDOf(c *cib.CIB, name string) string {
	if nodes := c.Section("nodes"); nodes != nil {
		for _, e := range nodes.All("node") {
			if e.Get("uname") == name && e.Get("id") != "" {
				return e.Get("id")
			}
		}
	}
	return name
}

func cibCode(err error) (int32, string) {
	if err == nil {
		return 0, ""
	}
	var e *cib.Error
	if errors.As(err, &e) {
		detail := e.Path
		if e.Detail != "" {
			if detail != "" {
				detail += ": "
			}
			detail += e.Detail
		}
		return int32(e.Code), detail
	}
	return int32(cib.ErrInvalid), err.Error()
}

// cibForward sends a write to the DC; the answer comes as cib_reply.
func (n *Node) cibForward(c *ipc.Conn, req *cibipc.Request) {
	s := &n.crm.ipc
	s.nextID++
	id := s.nextID
	p := &cibPending{conn: c, callID: req.CallID, dc: n.crm.c.DC()}
	fwd := *req
	fwd.CallID = id
	m := &s.msg
	m.Reset()
	m.AddString(wire.FieldType, typeCIBRequest)
	m.AddString(wire.FieldDest, p.dc)
	err := crmAddPayload(m, fieldCIBOp, fieldCIBOpZ, cibipc.AppendRequest(nil, &fwd))
	if err == nil {
		err = n.master.Send(n.now(), m)
	}
	if err != nil {
		n.cibDone(c, &cibipc.Reply{CallID: req.CallID, RC: cibipc.ErrNotConnected, Detail: "cannot send to the DC: " + err.Error()})
		return
	}
	s.pending[id] = p
	timeout := cibIPCTimeout
	if req.TimeoutMS > 0 {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
	}
	p.timer.Init(func(int64) {
		if s.pending[id] != p {
			return
		}
		delete(s.pending, id)
		n.cibDone(p.conn, &cibipc.Reply{CallID: p.callID, RC: cibipc.ErrTimeout,
			Detail: "the DC (" + p.dc + ") did not answer within " + timeout.String()})
	})
	n.loop.After(&p.timer, timeout)
}

// cibDCChanged fails the requests in flight to a DC that is no longer
// the DC: whether it applied them is unknown; the tool may retry.
func (n *Node) cibDCChanged() {
	s := &n.crm.ipc
	dc := n.crm.c.DC()
	for id, p := range s.pending {
		if p.dc == dc {
			continue
		}
		delete(s.pending, id)
		n.loop.StopTimer(&p.timer)
		n.cibDone(p.conn, &cibipc.Reply{CallID: p.callID, RC: cibipc.ErrNotConnected,
			Detail: "the DC (" + p.dc + ") was lost before it answered"})
	}
}

// cibRequestMessage is a write forwarded to this node as DC.
func (n *Node) cibRequestMessage(e *master.Event, msg *wire.Message) {
	src := string(msg.Value(wire.FieldSrc))
	if src == "" || src == n.cfg.LocalNode {
		return
	}
	body, err := crmPayload(msg, fieldCIBOp, fieldCIBOpZ)
	if err != nil {
		n.log.Logf(hblog.Warn, "crm: CIB request from %s: %v", src, err)
		return
	}
	req, err := cibipc.DecodeRequest(body)
	if err != nil {
		n.log.Logf(hblog.Warn, "crm: CIB request from %s: %v", src, err)
		return
	}
	n.later(func() {
		var r cibipc.Reply
		if n.crm.c.IsDC() {
			r = n.cibApplyDC(&req)
		} else {
			r = cibipc.Reply{RC: cibipc.ErrNotConnected, Detail: n.cfg.LocalNode + " is not the DC"}
		}
		r.CallID = req.CallID
		m := &n.crm.ipc.msg
		m.Reset()
		m.AddString(wire.FieldType, typeCIBReply)
		m.AddString(wire.FieldDest, src)
		if err := crmAddPayload(m, fieldCIBOp, fieldCIBOpZ, cibipc.AppendReply(nil, &r)); err != nil {
			n.log.Logf(hblog.Error, "crm: CIB reply to %s: %v", src, err)
			return
		}
		if err := n.master.Send(n.now(), m); err != nil && !errors.Is(err, master.ErrNotRunning) {
			n.log.Logf(hblog.Error, "crm: CIB reply to %s: %v", src, err)
		}
	})
}

// cibReplyMessage is the DC's answer to a forwarded request.
func (n *Node) cibReplyMessage(e *master.Event, msg *wire.Message) {
	body, err := crmPayload(msg, fieldCIBOp, fieldCIBOpZ)
	if err != nil {
		return
	}
	r, err := cibipc.DecodeReply(body)
	if err != nil {
		n.log.Logf(hblog.Warn, "crm: CIB reply from %s: %v", e.NodeName, err)
		return
	}
	// In a turn, after the cib_sync the DC sent before it: a query right
	// after the answer sees the change.
	n.later(func() {
		s := &n.crm.ipc
		p := s.pending[r.CallID]
		if p == nil {
			return
		}
		delete(s.pending, r.CallID)
		n.loop.StopTimer(&p.timer)
		r.CallID = p.callID
		n.cibDone(p.conn, &r)
	})
}

// cibCleanupMessage: the DC cleaned up a resource on a node; that node
// forgets its own records of it.
func (n *Node) cibCleanupMessage(e *master.Event, msg *wire.Message) {
	rsc, node := string(msg.Value(fieldCIBRsc)), string(msg.Value(fieldCIBNode))
	if rsc == "" || node != "" && node != n.cfg.LocalNode {
		return
	}
	n.later(func() { n.crm.c.ForgetHistory(rsc) })
}

// cibApplyDC applies a write on the DC: the CIB's version is bumped and
// cib-last-written stamped, the configuration saved, sent to every node
// and handed to the controller.
func (n *Node) cibApplyDC(req *cibipc.Request) cibipc.Reply {
	s := &n.crm
	if req.Op == cibipc.OpCleanup {
		if req.Rsc == "" {
			return cibipc.Reply{RC: int32(cib.ErrInvalid), Detail: "no resource"}
		}
		erased, _ := s.c.Cleanup(n.now(), controld.CleanupScope{Rsc: req.Rsc, Node: req.Node,
			Operation: req.Operation, IntervalMS: int(req.IntervalMS), Refresh: req.Refresh})
		// Each node whose history was erased forgets its own copy.
		for _, node := range erased {
			m := &s.ipc.msg
			m.Reset()
			m.AddString(wire.FieldType, typeCIBCleanup)
			m.AddString(fieldCIBRsc, req.Rsc)
			m.AddString(fieldCIBNode, node)
			if err := n.master.Send(n.now(), m); err != nil && !errors.Is(err, master.ErrNotRunning) {
				n.log.Logf(hblog.Error, "crm: cannot send the cleanup of %s: %v", req.Rsc, err)
			}
		}
		// The answer names them, a line each: the tool says how many
		// history deletions the controller carried out.
		var out []byte
		for _, node := range erased {
			out = append(append(out, node...), '\n')
		}
		return cibipc.Reply{Output: out}
	}
	res, err := applyCIBRequest(s.cib, req, cib.LastWritten(time.Now()))
	if err != nil {
		rc, detail := cibCode(err)
		n.log.Logf(hblog.Warn, "crm: CIB %s refused: %s %s", req.Op, cib.Code(rc), detail)
		return cibipc.Reply{RC: rc, Detail: detail}
	}
	if res.ConfigChanged {
		n.log.Logf(hblog.Info, "crm: CIB %s applied: version %v", req.Op, res.New)
		s.haveConfig = true
		n.crmSave()
		n.crmSendCIB(n.now())
		s.c.ConfigChanged(n.now(), controld.Configuration(s.cib))
	}
	return cibipc.Reply{}
}

// applyCIBRequest carries out a write as Pacemaker's cib manager does.
func applyCIBRequest(c *cib.CIB, req *cibipc.Request, lastWritten string) (*cib.Result, error) {
	var data *cib.Element
	if req.Data != nil {
		var err error
		if data, err = cib.Parse(req.Data); err != nil {
			return nil, err
		}
	}
	r := cib.Request{Section: req.Section, Data: data, AllowCreate: req.AllowCreate, LastWritten: lastWritten}
	switch req.Op {
	case cibipc.OpCreate:
		r.Op = cib.OpCreate
	case cibipc.OpModify:
		r.Op = cib.OpModify
	case cibipc.OpReplace:
		r.Op = cib.OpReplace
	case cibipc.OpDelete:
		r.Op = cib.OpDelete
	case cibipc.OpErase:
		r.Op = cib.OpErase
	case cibipc.OpBump:
		r.Op, r.Section, r.Data = cib.OpModify, "", cib.NewElement("cib", "epoch", "epoch++")
	case cibipc.OpPatch:
		if data == nil {
			return nil, &cib.Error{Code: cib.ErrInvalid, Detail: "no patch"}
		}
		old := c.Version()
		if err := c.ApplyPatch(data); err != nil {
			return nil, err
		}
		return &cib.Result{Changed: true, ConfigChanged: true, Old: old, New: c.Version()}, nil
	case cibipc.OpXPathDelete:
		root, err := cib.WithoutMatches(c.Root, req.XPath, req.All)
		if err != nil {
			return nil, err
		}
		r.Op, r.Section, r.Data = cib.OpReplace, "", root
	default:
		return nil, &cib.Error{Code: cib.ErrUnsupported, Detail: "op " + strconv.Itoa(int(req.Op))}
	}
	return c.Apply(r)
}

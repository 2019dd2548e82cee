package api

import (
	"encoding/hex"
	"strings"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/wire"
)

// Outcomes of a request handler (I_API_RET, I_API_IGN, I_API_BADREQ).
type outcome uint8

const (
	reply  outcome = iota // add result=OK and send the reply
	ignore                // the handler replied already, or never replies
	badReq                // send result=badreq with the reason as info
)

// clientIDLen is the size of heartbeat's client_id: longer ids are cut.
const clientIDLen = 32

// handle decodes one frame's message and acts on it. A body that is not a
// message is as broken as bad framing: the client is closed.
func (s *Server) handle(c *conn, body []byte) {
	m := &s.req
	if _, err := m.Decode(body); err != nil {
		s.logf("api: client %s pid %d: undecodable message: %v: closing", c.name(), c.pid, err)
		s.drop(c, "bad message")
		return
	}
	if s.debugCount > 0 {
		s.Deliver(m, APICall)
	}
	if !c.signed {
		s.signOn(c, m)
	} else {
		s.request(c, m)
	}
}

// signOn is api_process_registration_msg.
func (s *Server) signOn(c *conn, m *wire.Message) {
	c.gen = s.gen
	s.gen++
	t, rt := m.Value(FieldType), m.Value(FieldReqType)
	if string(t) != TypeRequest || string(rt) != ReqSignOn {
		s.logf("api_process_registration_msg: bad message")
		return
	}
	fromID, pid := m.Value(FieldFromID), m.Value(FieldPID)
	if fromID == nil && pid == nil {
		s.logf("api_process_registration_msg: no fromid in msg")
		return
	}
	c.pid = atoi(pid)
	reason := s.addClient(c, m, fromID)
	if reason == "" {
		if f := s.findClient(fromID, c.pid, pid != nil); f == nil {
			reason = "cannot locate client"
		} else if f != c {
			reason = "found wrong client"
		}
	}
	r := s.newResponse(ReqSignOn)
	result := ResultOK
	if reason != "" {
		s.logf("api_process_registration_msg: cannot add client(%s): %s", c.id, reason)
		r.AddString(FieldInfo, reason)
		result = ResultBadReq
	}
	r.AddString(FieldResult, result)
	r.AddHex(FieldDeadtime, uint64(s.b.Deadtime().Milliseconds()))
	r.AddHex(FieldKeepalive, uint64(s.b.Keepalive().Milliseconds()))
	r.AddString(FieldNode, s.b.LocalNode())
	r.AddString(FieldHBVersion, s.b.Version())
	pcmk, ok := s.b.Param(FieldPacemaker)
	if !ok {
		pcmk = "false" // heartbeat's default
	}
	r.AddString(FieldPacemaker, pcmk)
	r.AddString(FieldLogFacility, itoa(facilityValue(s.b.Param("logfacility"))))
	s.replyTo(c)
	if reason != "" {
		s.drop(c, reason)
	}
}

// addClient is api_add_client: it returns heartbeat's refusal reason, or
// "" when the client is signed on.
func (s *Server) addClient(c *conn, m *wire.Message, fromID []byte) string {
	if c.pid <= 0 || !sysio.ProcessExists(c.pid) {
		s.logf("api_add_client: bad pid [%d]", c.pid)
		return "bad pid"
	}
	if fromID != nil && s.findClient(cut(fromID), 0, false) != nil {
		s.logf("duplicate client add request [%s] [%d]", fromID, c.pid)
		return "duplicate add request"
	}
	if fromID != nil {
		c.id = string(cut(fromID))
		c.casual = atoi([]byte(c.id)) == c.pid
	} else {
		c.id = itoa(c.pid)
		c.casual = true
	}
	c.idSet = true
	uid, okU := scanInt(m.Value(FieldUID))
	gid, okG := scanInt(m.Value(FieldGID))
	if !okU || !okG {
		s.logf("Client user/group id is incorrect [%s] => %d [%s] => %d", m.Value(FieldUID), uid, m.Value(FieldGID), gid)
		return "invalid id info"
	}
	if uint32(uid) != c.ic.Cred().UID || uint32(gid) != c.ic.Cred().GID {
		s.logf("api: client %s pid %d claims uid %d gid %d, the socket says %d:%d", c.id, c.pid, uid, gid, c.ic.Cred().UID, c.ic.Cred().GID)
		return "incorrect/false credentials"
	}
	c.uid, c.gid = c.ic.Cred().UID, c.ic.Cred().GID
	reason := ""
	if err := s.b.Authorize(c.id, c.casual, c.uid, c.gid); err != nil {
		reason = err.Error()
	} else if c.ic.Cred().PID > 0 && int(c.ic.Cred().PID) != c.pid {
		s.logf("PID mismatch: %d vs farside_pid: %d", c.pid, c.ic.Cred().PID)
		reason = "pid mismatch"
	}
	if reason != "" {
		s.logf("Client [%s] pid %d failed authorization [%s]", c.id, c.pid, reason)
		return reason
	}
	c.signed = true
	c.ic.SignedOn()
	if !c.casual {
		s.sendClientStatus(c, StatusJoin, ReqSignOn)
		c.joined = true
	}
	return ""
}

func cut(id []byte) []byte {
	if len(id) > clientIDLen {
		return id[:clientIDLen]
	}
	return id
}

// request is api_process_request for a signed-on client.
func (s *Server) request(c *conn, m *wire.Message) {
	t := m.Value(FieldType)
	if t == nil {
		s.logf("api_process_request: bad message type")
		return
	}
	if string(t) != TypeRequest {
		s.forward(c, m)
		return
	}
	fromID, pid, rt := m.Value(FieldFromID), m.Value(FieldPID), m.Value(FieldReqType)
	if (fromID == nil && pid == nil) || rt == nil {
		s.logf("api_process_request: no fromid/pid/reqtype in message.")
		return
	}
	if f := s.findClient(fromID, atoi(pid), pid != nil); f == nil {
		s.logf("api_process_request: msg from non-client")
		return
	} else if f != c {
		s.logf("Client mismatch! (impersonation?) pids (%d vs %d), Client IDs (%s vs %s)", f.pid, c.pid, f.id, c.id)
		return
	}
	s.newResponse(string(rt))
	out, reason := s.dispatch(c, m, rt)
	switch out {
	case reply:
		s.resp.SetString(FieldResult, ResultOK)
		s.replyTo(c)
	case badReq:
		s.logf("api_process_request: bad request [%s]", rt)
		s.resp.AddString(FieldResult, ResultBadReq)
		if reason != "" {
			s.resp.AddString(FieldInfo, reason)
		}
		s.replyTo(c)
	}
}

// forward sends a named client's own message to the cluster, marked with
// its id; a casual client may not send and is dropped for trying.
func (s *Server) forward(c *conn, m *wire.Message) {
	if c.casual {
		s.logf("api_process_request: general message from casual client!")
		s.drop(c, "badclient")
		return
	}
	f := &s.send
	f.CopyFrom(m)
	f.SetString(FieldFromID, c.id)
	f.SetString(FieldToID, c.id)
	f.SetString(FieldClientGen, itoa(c.gen))
	if err := s.b.Send(f); err != nil {
		s.logf("api_process_request: cannot forward message to cluster: %v", err)
	}
}

func (s *Server) newResponse(reqType string) *wire.Message {
	r := &s.resp
	r.Reset()
	r.AddString(FieldType, TypeResponse)
	r.AddString(FieldReqType, reqType)
	return r
}

// replyTo sends s.resp to c.
func (s *Server) replyTo(c *conn) {
	var err error
	if s.frame, err = AppendFrame(s.frame[:0], &s.resp, s.opt.Netstring); err != nil {
		s.logf("api: reply to client %s: %v", c.name(), err)
		return
	}
	c.enqueue(s.frame)
}

func (s *Server) dispatch(c *conn, m *wire.Message, rt []byte) (outcome, string) {
	switch string(rt) {
	case ReqSignOff:
		s.drop(c, ReqSignOff)
		return ignore, ""
	case ReqSetFilter:
		return s.setFilter(c, m)
	case ReqSetSignal:
		v, ok := scanInt(m.Value(FieldSignal))
		if !ok {
			return badReq, ""
		}
		if sig := uint32(v); sig == 9 || sig == 19 || sig >= 32 {
			return badReq, "EINVAL"
		}
		c.signal = int(uint32(v))
		return reply, ""
	case ReqNodeList:
		s.nodeList(c)
		return ignore, ""
	case ReqNodeStatus, ReqNodeWeight, ReqNodeSite, ReqNodeType:
		n := s.lookupNode(m.Value(FieldNode))
		if n == nil {
			return badReq, "EINVAL"
		}
		switch string(rt) {
		case ReqNodeStatus:
			s.resp.SetString(FieldStatus, n.Status)
		case ReqNodeWeight:
			s.resp.AddString(FieldWeight, itoa(n.Weight))
		case ReqNodeSite:
			s.resp.AddString(FieldSite, n.Site)
		default:
			s.resp.SetString(FieldNodeType, nodeType(n.Type))
		}
		return reply, ""
	case ReqIfList:
		return s.ifList(c, m)
	case ReqIfStatus:
		n := s.lookupNode(m.Value(FieldNode))
		ifname := m.Value(FieldIfName)
		if n == nil || ifname == nil {
			return badReq, "EINVAL"
		}
		for _, l := range n.Links {
			if l.Name == string(ifname) {
				s.resp.SetString(FieldStatus, l.Status)
				return reply, ""
			}
		}
		return badReq, "EINVAL"
	case ReqClientStatus:
		return s.clientStatus(m)
	case ReqNumNodes:
		n := 0
		for _, nd := range s.b.Nodes() {
			if nd.Type == NodeNormal {
				n++
			}
		}
		s.resp.AddString(FieldNumNodes, itoa(n))
		return reply, ""
	case ReqGetParm:
		name := m.Value(FieldPName)
		if name == nil {
			return badReq, "EINVAL"
		}
		p := string(name)
		if p == "crm" {
			p = FieldPacemaker
		}
		if v, ok := s.param(p); ok {
			s.resp.SetString(FieldPValue, v)
		}
		return reply, ""
	case ReqGetResources:
		if s.pacemaker() {
			return badReq, "Resource is managed by crm. Use crm tool to query resource"
		}
		s.resp.SetString(FieldResources, s.b.Holding())
		return reply, ""
	case ReqGetUUID:
		name := m.Value(FieldQueryName)
		if name == nil {
			return badReq, "no query node name found"
		}
		if u, ok := s.b.UUID(string(name)); ok {
			if b, ok := parseUUID(u); ok {
				s.resp.Set(FieldQueryUUID, wire.Binary, b[:])
			}
		}
		return reply, ""
	case ReqGetName:
		f, ok := m.Get(FieldQueryUUID)
		if !ok || f.Type != wire.Binary || len(f.Value) != 16 {
			return badReq, "no query node name found"
		}
		for _, n := range s.b.Nodes() {
			if u, ok := s.b.UUID(n.Name); ok {
				if b, ok := parseUUID(u); ok && string(b[:]) == string(f.Value) {
					s.resp.SetString(FieldQueryName, n.Name)
					break
				}
			}
		}
		return reply, ""
	case ReqSetSendQLen:
		n, ok := scanInt(m.Value(FieldSendQLen))
		if !ok || n <= 0 || n > 1<<20 {
			s.logf("api_set_sendqlen: invalid length value(%s)", m.Value(FieldSendQLen))
			return ignore, ""
		}
		s.infof("the send queue length from heartbeat to client %s is set to %d", c.id, n)
		c.ic.SetSendQLen(int(n))
		return ignore, ""
	}
	s.logf("Unknown API request")
	return badReq, ""
}

// setFilter is api_setfilter; debug treatments are for root or our uid.
func (s *Server) setFilter(c *conn, m *wire.Message) (outcome, string) {
	v, ok := scanHex(m.Value(FieldFilterMask))
	mask := Treatment(v)
	if !ok || mask&allTreatments == 0 {
		return badReq, "EINVAL"
	}
	had, wants := c.filter&debugTreatments != 0, mask&debugTreatments != 0
	if !had && wants {
		if c.uid != 0 && int(c.uid) != sysUID {
			return badReq, "EPERM"
		}
		s.debugCount++
	} else if had && !wants {
		s.debugCount--
	}
	c.filter = mask
	return reply, ""
}

func (s *Server) nodeList(c *conn) {
	nodes := s.b.Nodes()
	for i, n := range nodes {
		r := &s.resp
		r.SetString(FieldNode, n.Name)
		r.SetString(FieldNodeType, nodeType(n.Type))
		r.SetString(FieldStatus, n.Status)
		res := ResultMore
		if i == len(nodes)-1 {
			res = ResultOK
		}
		r.SetString(FieldResult, res)
		s.replyTo(c)
		if c.closed {
			return
		}
	}
}

// ifList is api_iflist: one reply per link; a ping node's one link bears
// its name.
func (s *Server) ifList(c *conn, m *wire.Message) (outcome, string) {
	n := s.lookupNode(m.Value(FieldNode))
	if n == nil {
		return badReq, "EINVAL"
	}
	r := &s.resp
	if n.Type == NodePing {
		for _, l := range n.Links {
			if l.Name == n.Name {
				r.SetString(FieldIfName, l.Name)
				r.SetString(FieldStatus, l.Status)
				r.SetString(FieldResult, ResultOK)
				return reply, ""
			}
		}
		return badReq, "UhOh"
	}
	for i, l := range n.Links {
		r.SetString(FieldIfName, l.Name)
		r.SetString(FieldStatus, l.Status)
		res := ResultMore
		if i == len(n.Links)-1 {
			res = ResultOK
		}
		r.SetString(FieldResult, res)
		s.replyTo(c)
		if c.closed {
			break
		}
	}
	return ignore, ""
}

// clientStatus is api_clientstatus: local clients are looked up here; a
// remote node that is not active has its clients offline; otherwise the
// node is asked and its respond-cstatus reaches the client through
// Deliver.
func (s *Server) clientStatus(m *wire.Message) (outcome, string) {
	node, cname, from := m.Value(FieldNode), m.Value(FieldClientName), m.Value(FieldFromID)
	if node == nil || cname == nil || from == nil {
		return badReq, "EINVAL"
	}
	n := s.lookupNode(node)
	if n == nil {
		return badReq, "EINVAL"
	}
	r := &s.resp
	r.AddString(FieldSubtype, TypeRCStatus)
	if n.Name == s.b.LocalNode() {
		r.AddString(FieldClientStatus, s.ClientStatus(string(cname)))
		return reply, ""
	}
	if n.Status != StatusActive {
		r.AddString(FieldClientStatus, StatusOffline)
		return reply, ""
	}
	q := &s.send
	q.Reset()
	q.AddString(FieldType, TypeQCStatus)
	q.AddString(FieldDest, string(node))
	q.AddString(FieldClientName, string(cname))
	q.AddString(FieldFromID, string(from))
	if err := s.b.Send(q); err != nil {
		s.logf("api_clientstatus: send_cluster_msg failed: %v", err)
		return badReq, "ECOMM"
	}
	return ignore, ""
}

// lookupNode is heartbeat's lookup_node: the name is lower-cased first.
func (s *Server) lookupNode(name []byte) *NodeInfo {
	if name == nil {
		return nil
	}
	s.nodes = append(s.nodes[:0], s.b.Nodes()...)
	want := strings.ToLower(string(name))
	for i := range s.nodes {
		if s.nodes[i].Name == want {
			return &s.nodes[i]
		}
	}
	return nil
}

func nodeType(t string) string {
	switch t {
	case NodeNormal, NodePing:
		return t
	}
	return "unknown"
}

func (s *Server) param(name string) (string, bool) {
	v, ok := s.b.Param(name)
	switch {
	case ok:
	case name == FieldPacemaker:
		return "false", true // heartbeat's default
	case name == FieldHBVersion:
		// The recorded parameter is the bare release, the signon reply's
		// hbversion adds the changeset.
		v, _, _ = strings.Cut(s.b.Version(), " (")
		return v, true
	}
	return v, ok
}

// pacemaker reports whether ha.cf hands resources to Pacemaker (any value
// that is not a false boolean), when heartbeat refuses getrsc.
func (s *Server) pacemaker() bool {
	v, _ := s.param(FieldPacemaker)
	switch strings.ToLower(v) {
	case "false", "off", "no", "n", "0":
		return false
	}
	return true
}

// parseUUID reads a uuid's text form into its 16 bytes.
func parseUUID(u string) ([16]byte, bool) {
	var b [16]byte
	h := strings.ReplaceAll(u, "-", "")
	if len(h) != 32 {
		return b, false
	}
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return b, false
	}
	return b, true
}

package lrm

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/wire"
)

// lrmd's reply codes (HA_OK, HA_FAIL, HA_RSCBUSY). ONLY APPEND.
const (
	haFail    = 0
	haOK      = 1
	haRscBusy = 2
)

// Socket names in lrmd's directory (/var/run/heartbeat).
const (
	CmdSock      = "lrm_cmd_sock"
	CallbackSock = "lrm_callback_sock"
	DefaultDir   = "/var/run/heartbeat"
)

// ServeOptions configure the lrmd protocol server.
type ServeOptions struct {
	// Dir holds both sockets (DefaultDir).
	Dir string
	// LRM configures the resource manager Serve makes; its Loop, Wake
	// and Done are filled in (Done, if set, is called as well).
	LRM Options
	// AdminUIDs may manage resources; nil is root and hacluster.
	AdminUIDs []uint32
	// MaxFrame bounds a request (ipc.MaxFrame); MaxClients the sessions.
	MaxFrame   int
	MaxClients int
	Logf       func(format string, args ...any)
}

// Server is lrmd: the resource manager behind cluster-glue's two
// sockets. Its methods run on the loop goroutine.
type Server struct {
	opt      ServeOptions
	l        *loop.Loop
	lrm      *LRM
	cmd, cbk *ipc.Server
	clients  map[int32]*client // registered, by the pid they claimed
	admins   map[uint32]bool

	ops      map[int]*opState     // live operations started through the protocol
	lastOps  map[string][]*lastOp // per resource: last result per app and op key
	hasParam map[string]bool      // resources declared with an lrm_param field
	params   map[string]int       // lrmd parameters (max-children)
}

// client is one liblrm session: its command and callback connections.
type client struct {
	app           string
	pid, uid, gid int
	admin         bool
	cmd, cbk      *ipc.Conn
	waiting       bool     // a reply is being prepared (metadata)
	backlog       [][]byte // requests that arrived meanwhile
}

// opState is an operation's message as lrmd keeps it (the request with
// fields modified in place or appended), and its rc history.
type opState struct {
	msg      *wire.Message
	app      string
	pid      int32
	lastRC   int
	rcChange int64
}

type lastOp struct {
	app, key string
	msg      *wire.Message
}

// Serve makes an LRM on l and listens on lrmd's two sockets. The loop's
// wake-up handler must call Server.Poll.
func Serve(l *loop.Loop, opt ServeOptions) (*Server, error) {
	if opt.Dir == "" {
		opt.Dir = DefaultDir
	}
	s := &Server{opt: opt, l: l, clients: make(map[int32]*client), ops: make(map[int]*opState),
		lastOps: make(map[string][]*lastOp), hasParam: make(map[string]bool), params: make(map[string]int)}
	s.admins = map[uint32]bool{0: true}
	if opt.AdminUIDs != nil {
		s.admins = make(map[uint32]bool)
		for _, u := range opt.AdminUIDs {
			s.admins[u] = true
		}
	} else if u, err := user.Lookup("hacluster"); err == nil {
		if n, err := strconv.Atoi(u.Uid); err == nil {
			s.admins[uint32(n)] = true
		}
	}
	lo := opt.LRM
	lo.Loop = l
	if lo.Wake == nil {
		lo.Wake = l.Wake
	}
	if lo.Logf == nil {
		lo.Logf = opt.Logf
	}
	user := lo.Done
	lo.Done = func(r *Result) {
		s.result(r)
		if user != nil {
			user(r)
		}
	}
	s.lrm = New(lo)
	s.params["max-children"] = s.lrm.opt.MaxChildren
	io := ipc.Options{Name: "lrmd", Logf: opt.Logf, MaxFrame: opt.MaxFrame, MaxConns: opt.MaxClients, DirMode: 0o755}
	var err error
	if s.cmd, err = ipc.Listen(l, filepath.Join(opt.Dir, CmdSock), cmdHandler{s}, io); err != nil {
		return nil, err
	}
	if s.cbk, err = ipc.Listen(l, filepath.Join(opt.Dir, CallbackSock), cbkHandler{s}, io); err != nil {
		s.cmd.Close()
		return nil, err
	}
	return s, nil
}

// LRM is the server's resource manager.
func (s *Server) LRM() *LRM { return s.lrm }

// Poll finishes operations that ended (the loop's wake-up handler).
func (s *Server) Poll() { s.lrm.Poll() }

// Close stops listening, ends the sessions and the LRM.
func (s *Server) Close() {
	s.cmd.Close()
	s.cbk.Close()
	s.lrm.Close()
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Logf != nil {
		s.opt.Logf(format, args...)
	}
}

type cmdHandler struct{ s *Server }

func (h cmdHandler) Opened(c *ipc.Conn) { c.Data = &client{cmd: c} }

func (h cmdHandler) Closed(c *ipc.Conn, reason string) {
	cl, _ := c.Data.(*client)
	if cl == nil || cl.app == "" {
		return
	}
	s := h.s
	if s.clients[int32(cl.pid)] == cl {
		delete(s.clients, int32(cl.pid))
		// lrmd drops the client's recurring operations (quietly: the
		// client is gone).
		for id, st := range s.ops {
			if st.pid == int32(cl.pid) {
				if o := s.lrm.ops[id]; o != nil && !o.running {
					if _, ok := o.rsc.waiting[id]; ok {
						s.lrm.cancelWaiting(o, false)
						delete(s.ops, id)
					}
				}
			}
		}
	}
	if cl.cbk != nil {
		cl.cbk.Close("client gone")
	}
}

func (h cmdHandler) Frame(c *ipc.Conn, body []byte) {
	cl := c.Data.(*client)
	if cl.waiting {
		cl.backlog = append(cl.backlog, append([]byte(nil), body...))
		return
	}
	h.s.request(cl, body)
}

type cbkHandler struct{ s *Server }

func (h cbkHandler) Opened(c *ipc.Conn) {}
func (h cbkHandler) Closed(c *ipc.Conn, reason string) {
	if cl, _ := c.Data.(*client); cl != nil && cl.cbk == c {
		cl.cbk = nil
	}
}

// Frame on the callback socket: only a reg naming a registered pid.
func (h cbkHandler) Frame(c *ipc.Conn, body []byte) {
	s := h.s
	var m wire.Message
	if _, err := m.Decode(body); err != nil || string(m.Value("lrm_t")) != "reg" {
		s.logf("on_connect_cbk: received a message which is not known by lrmd.")
		c.Send(retFrame(haFail))
		return
	}
	pid, err := strconv.Atoi(string(m.Value("lrm_pid")))
	cl := s.clients[int32(pid)]
	if err != nil || cl == nil {
		s.logf("on_connect_cbk: do not find the client [pid:%d] in internal client list.", pid)
		c.Send(retFrame(haFail))
		return
	}
	if cl.cbk != nil && cl.cbk != c {
		cl.cbk.Close("replaced")
	}
	cl.cbk = c
	c.Data = cl
	c.SignedOn()
	c.Send(retFrame(haOK))
}

// request types, their handlers and whether they need an admin.
type handler struct {
	admin bool
	fn    func(s *Server, cl *client, m *wire.Message)
}

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"reg":        {false, nil},
		"rclasses":   {false, (*Server).rclasses},
		"rtypes":     {false, (*Server).rtypes},
		"rproviders": {false, (*Server).rproviders},
		"rmetadata":  {false, (*Server).rmetadata},
		"getparam":   {false, (*Server).getparam},
		"addrsc":     {true, (*Server).addrsc},
		"getrsc":     {true, (*Server).getrsc},
		"getlastop":  {true, (*Server).getlastop},
		"getall":     {true, (*Server).getall},
		"delrsc":     {true, (*Server).delrsc},
		"failrsc":    {true, (*Server).failrsc},
		"op":         {true, (*Server).op},
		"flushops":   {true, (*Server).flushops},
		"cancelop":   {true, (*Server).cancelop},
		"getstate":   {true, (*Server).getstate},
		"setparam":   {true, (*Server).setparam},
		// hbd's own, for hbctl (real lrmd logs them as unknown).
		RscStateRequest: {true, (*Server).rscstate},
	}
}

// DecodeRequest parses one request body and returns its type; the fuzz
// target's entry point.
func DecodeRequest(body []byte, m *wire.Message) (string, error) {
	if _, err := m.Decode(body); err != nil {
		return "", err
	}
	f, ok := m.Get("lrm_t")
	if !ok {
		return "", fmt.Errorf("lrmd request without lrm_t")
	}
	// 0x13 stands for LF in classic text: compare the text.
	t := f.AppendText(nil)
	if f, ok := m.Get("lrm_param"); ok {
		if _, err := decodeParams(f); err != nil {
			return "", err
		}
	}
	return string(t), nil
}

func (s *Server) request(cl *client, body []byte) {
	var m wire.Message
	t, err := DecodeRequest(body, &m)
	if err != nil {
		s.logf("on_receive_cmd: can not receive messages: %v", err)
		return
	}
	h, ok := handlers[t]
	if !ok {
		s.logf("on_receive_cmd: received an unknown msg")
		return
	}
	if t == "reg" {
		s.register(cl, &m)
		return
	}
	if cl.app == "" {
		s.logf("on_receive_cmd: the client needs to register first")
		cl.cmd.Close("not registered")
		return
	}
	if h.admin && !cl.admin {
		s.logf("on_receive_cmd: insufficient privileges for %s (pid %d)", cl.app, cl.pid)
		cl.cmd.Close("insufficient privileges")
		return
	}
	h.fn(s, cl, &m)
}

func (s *Server) register(cl *client, m *wire.Message) {
	app := string(m.Value("lrm_app"))
	pid, e1 := strconv.Atoi(string(m.Value("lrm_pid")))
	gid, e2 := strconv.Atoi(string(m.Value("lrm_gid")))
	uid, e3 := strconv.Atoi(string(m.Value("lrm_uid")))
	if app == "" || e1 != nil || e2 != nil || e3 != nil {
		s.logf("on_msg_register: no app_name, pid, gid or uid in the message.")
		cl.cmd.Send(retFrame(haFail))
		return
	}
	if old := s.clients[int32(pid)]; old != nil && old != cl {
		s.logf("on_msg_register: the client [pid:%d] already exists in internal client list, let remove it at first.", pid)
		delete(s.clients, int32(pid))
		old.cmd.Close("replaced")
	}
	cl.app, cl.pid, cl.gid, cl.uid = app, pid, gid, uid
	// Privilege comes from the kernel's word, not the client's.
	cl.admin = s.admins[cl.cmd.Cred().UID]
	s.clients[int32(pid)] = cl
	cl.cmd.SignedOn()
	cl.cmd.Send(retFrame(haOK))
}

// --- encoding ---

// frame encodes m as lrmd does: classic text with a NUL when flat,
// netstring when a field is nested.
func frame(m *wire.Message) []byte {
	dst, start := ipc.BeginFrame(nil)
	nested := false
	for i := 0; i < m.Len(); i++ {
		if m.At(i).Type == wire.Struct {
			nested = true
		}
	}
	var err error
	if nested {
		dst, err = wire.AppendNetstring(dst, m)
	} else {
		dst, err = wire.AppendClassic(dst, m)
		dst = append(dst, 0)
	}
	if err != nil {
		return nil
	}
	dst, _ = ipc.EndFrame(dst, start, 1<<30)
	return dst
}

func ret(rc int) *wire.Message {
	var m wire.Message
	m.AddString("lrm_t", "return")
	m.AddString("lrm_ret", strconv.Itoa(rc))
	return &m
}

func retFrame(rc int) []byte { return frame(ret(rc)) }

func (s *Server) reply(cl *client, m *wire.Message) {
	if f := frame(m); f != nil {
		cl.cmd.Send(f)
	}
}

func addList(m *wire.Message, name string, elems []string) {
	if len(elems) > 0 {
		m.Add(name, wire.List, wire.AppendList(nil, elems...))
	}
}

func decodeParams(f wire.Field) ([]Param, error) {
	var child wire.Message
	if err := f.Nested(&child); err != nil {
		return nil, err
	}
	ps := make([]Param, 0, child.Len())
	for i := 0; i < child.Len(); i++ {
		c := child.At(i)
		ps = append(ps, Param{string(c.Name), string(c.AppendText(nil))})
	}
	return ps, nil
}

func paramsMessage(ps []Param) *wire.Message {
	var m wire.Message
	for _, p := range ps {
		m.AddString(p.Name, p.Value)
	}
	return &m
}

// --- requests ---

func (s *Server) rclasses(cl *client, _ *wire.Message) {
	m := ret(haOK)
	addList(m, "lrm_rclass", s.lrm.Classes())
	s.reply(cl, m)
}

func (s *Server) rtypes(cl *client, q *wire.Message) {
	class := q.Value("lrm_rclass")
	if class == nil {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	m := ret(haOK)
	addList(m, "lrm_rtypes", s.lrm.Types(string(class)))
	s.reply(cl, m)
}

func (s *Server) rproviders(cl *client, q *wire.Message) {
	class, typ := q.Value("lrm_rclass"), q.Value("lrm_rtype")
	if class == nil || typ == nil {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	m := ret(haOK)
	addList(m, "lrm_rproviders", s.lrm.Providers(string(class), string(typ)))
	s.reply(cl, m)
}

// rmetadata runs the agent's meta-data off the loop; the client's next
// requests wait for the reply.
func (s *Server) rmetadata(cl *client, q *wire.Message) {
	class, typ, prov := string(q.Value("lrm_rclass")), string(q.Value("lrm_rtype")), string(q.Value("lrm_rprovider"))
	cl.waiting = true
	s.lrm.MetaData(class, prov, typ, func(xml string) {
		m := ret(haOK)
		if xml != "" {
			m.AddString("lrm_metadata", xml)
		} else {
			s.logf("on_msg_get_metadata: empty metadata for %s::%s::%s.", class, prov, typ)
			m.SetString("lrm_ret", strconv.Itoa(haFail))
		}
		if !cl.cmd.Closed() {
			s.reply(cl, m)
		}
		cl.waiting = false
		for len(cl.backlog) > 0 && !cl.waiting && !cl.cmd.Closed() {
			b := cl.backlog[0]
			cl.backlog = cl.backlog[1:]
			s.request(cl, b)
		}
	})
}

func (s *Server) getparam(cl *client, q *wire.Message) {
	v, ok := s.params[string(q.Value("lrm_lrmd_param_name"))]
	if !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	m := ret(haOK)
	m.AddString("lrm_lrmd_param_val", strconv.Itoa(v))
	s.reply(cl, m)
}

func (s *Server) setparam(cl *client, q *wire.Message) {
	name := string(q.Value("lrm_lrmd_param_name"))
	v, err := strconv.Atoi(string(q.Value("lrm_lrmd_param_val")))
	if name != "max-children" || err != nil || v <= 0 || v > 1024 {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	s.params[name] = v
	s.lrm.opt.MaxChildren = v
	cl.cmd.Send(retFrame(haOK))
}

func (s *Server) addrsc(cl *client, q *wire.Message) {
	r := Resource{ID: string(q.Value("lrm_rid")), Class: string(q.Value("lrm_rclass")),
		Type: string(q.Value("lrm_rtype")), Provider: string(q.Value("lrm_rprovider"))}
	f, has := q.Get("lrm_param")
	if has {
		r.Params, _ = decodeParams(f)
	}
	if err := s.lrm.Add(r); err != nil {
		s.logf("on_msg_add_rsc: %s: %v", r.ID, err)
		cl.cmd.Send(retFrame(haFail))
		return
	}
	s.hasParam[r.ID] = has
	cl.cmd.Send(retFrame(haOK))
}

func (s *Server) getrsc(cl *client, q *wire.Message) {
	r, ok := s.lrm.Get(string(q.Value("lrm_rid")))
	if !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	m := ret(haOK)
	m.AddString("lrm_rid", r.ID)
	m.AddString("lrm_rtype", r.Type)
	m.AddString("lrm_rclass", r.Class)
	if r.Provider != "" {
		m.AddString("lrm_rprovider", r.Provider)
	}
	if s.hasParam[r.ID] {
		m.AddMessage("lrm_param", wire.Struct, paramsMessage(r.Params))
	}
	s.reply(cl, m)
}

func (s *Server) getall(cl *client, _ *wire.Message) {
	m := ret(haOK)
	addList(m, "lrm_rid", s.lrm.IDs())
	s.reply(cl, m)
}

func (s *Server) delrsc(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	switch err := s.lrm.Delete(id); err {
	case nil:
		s.forget(id)
		cl.cmd.Send(retFrame(haOK))
	case ErrBusy:
		cl.cmd.Send(retFrame(haRscBusy))
	default:
		s.logf("on_msg_del_rsc: no rsc with id %s.", id)
		cl.cmd.Send(retFrame(-1))
	}
}

func (s *Server) forget(id string) {
	delete(s.lastOps, id)
	delete(s.hasParam, id)
}

func (s *Server) flushops(cl *client, q *wire.Message) {
	switch err := s.lrm.Flush(string(q.Value("lrm_rid")), 0); err {
	case nil:
		cl.cmd.Send(retFrame(haOK))
	case ErrBusy:
		cl.cmd.Send(retFrame(haRscBusy))
	default:
		cl.cmd.Send(retFrame(-1))
	}
}

func (s *Server) cancelop(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	if _, ok := s.lrm.Get(id); !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	callID, err := strconv.Atoi(string(q.Value("lrm_callid")))
	if err != nil {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	switch err := s.lrm.Cancel(id, callID); err {
	case nil:
		cl.cmd.Send(retFrame(haOK))
	case ErrBusy:
		cl.cmd.Send(retFrame(haRscBusy))
	default:
		cl.cmd.Send(retFrame(haFail))
	}
}

func (s *Server) failrsc(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	if _, ok := s.lrm.Get(id); !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	reason := string(q.Value("lrm_fail_reason"))
	if reason == "" {
		reason = "asynchronous monitor error"
	}
	rc, err := strconv.Atoi(string(q.Value("lrm_asyncmon_rc")))
	if err != nil || rc <= 0 {
		rc = RCErrGeneric
	}
	s.lrm.last++
	var m wire.Message
	m.CopyFrom(q)
	m.SetString("lrm_op", "asyncmon")
	m.SetString("lrm_fail_reason", reason)
	for _, f := range []struct {
		n string
		v int
	}{{"lrm_asyncmon_rc", rc}, {"lrm_rc", rc}, {"lrm_opstatus", 0}, {"lrm_callid", s.lrm.last},
		{"lrm_timeout", 0}, {"lrm_interval", 0}, {"lrm_targetrc", TargetEverytime}, {"lrm_delay", 0}} {
		m.SetString(f.n, strconv.Itoa(f.v))
	}
	s.logf("received asynchronous failure for rsc %s (rc: %d, reason: %s)", id, rc, reason)
	// Every client that ran an operation on the resource hears it.
	told := map[string]bool{}
	for _, lo := range s.lastOps[id] {
		if told[lo.app] {
			continue
		}
		told[lo.app] = true
		for _, c := range s.clients {
			if c.app == lo.app && c.cbk != nil {
				m.SetString("lrm_app", c.app)
				c.cbk.Send(frame(&m))
				break
			}
		}
	}
	if len(told) == 0 && cl.cbk != nil {
		m.SetString("lrm_app", cl.app)
		cl.cbk.Send(frame(&m))
	}
	cl.cmd.Send(retFrame(haOK))
}

func msInt(q *wire.Message, name string) (int, bool) {
	n, err := strconv.Atoi(string(q.Value(name)))
	return n, err == nil
}

func (s *Server) op(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	interval, ok1 := msInt(q, "lrm_interval")
	timeout, ok2 := msInt(q, "lrm_timeout")
	delay, ok3 := msInt(q, "lrm_delay")
	if id == "" || !ok1 || !ok2 || !ok3 {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	if _, ok := s.lrm.Get(id); !ok {
		s.logf("on_msg_perform_op: no resource with such id.")
		cl.cmd.Send(retFrame(-1))
		return
	}
	var params []Param
	if f, ok := q.Get("lrm_param"); ok {
		params, _ = decodeParams(f)
		if cp, _ := msInt(q, "lrm_copyparams"); cp != 0 {
			s.lrm.rscs[id].Params = params
			s.hasParam[id] = true
		}
	}
	if interval < 0 || timeout < 0 || delay < 0 {
		cl.cmd.Send(retFrame(-1))
		return
	}
	callID, err := s.lrm.Perform(Op{Rsc: id, Name: string(q.Value("lrm_op")),
		Interval: time.Duration(interval) * time.Millisecond, Timeout: time.Duration(timeout) * time.Millisecond,
		StartDelay: time.Duration(delay) * time.Millisecond, Params: params, Owner: uint64(cl.pid)})
	if err != nil {
		s.logf("on_msg_perform_op: %s: %v", id, err)
		cl.cmd.Send(retFrame(-1))
		return
	}
	st := &opState{msg: new(wire.Message), app: cl.app, pid: int32(cl.pid), lastRC: -1}
	st.msg.CopyFrom(q)
	st.msg.SetString("lrm_callid", strconv.Itoa(callID))
	st.msg.SetString("lrm_app", cl.app)
	s.ops[callID] = st
	cl.cmd.Send(retFrame(callID))
}

// result turns a finished run into lrmd's callback message.
func (s *Server) result(r *Result) {
	st := s.ops[r.CallID]
	if st == nil {
		return
	}
	m := st.msg
	target, _ := msInt(m, "lrm_targetrc")
	changed := false
	if r.Status == StatusCancelled {
		m.SetString("lrm_rc", "0")
		m.SetString("lrm_opstatus", strconv.Itoa(int(StatusCancelled)))
	} else {
		m.SetString("lrm_opstatus", strconv.Itoa(int(r.Status)))
		m.SetString("lrm_rc", strconv.Itoa(r.RC))
		if r.Output != "" && r.Op == "monitor" && s.lrm.rscs[r.Rsc] != nil && s.lrm.rscs[r.Rsc].Class == ClassHeartbeat {
			line, _, _ := strings.Cut(r.Output, "\n")
			m.SetString("lrm_data", line+"\n")
		}
		changed = r.Status == StatusDone && (st.lastRC == -1 || st.lastRC != r.RC)
		if changed {
			m.SetString("lrm_lastrc", strconv.Itoa(r.RC))
			st.lastRC = r.RC
			st.rcChange = r.Run.Unix()
		}
		m.SetString("lrm_t_run", strconv.FormatInt(r.Run.Unix(), 10))
		m.SetString("lrm_t_rcchange", strconv.FormatInt(st.rcChange, 10))
		m.SetString("lrm_exec_time", strconv.FormatInt(r.ExecTime.Milliseconds(), 10))
		m.SetString("lrm_queue_time", strconv.FormatInt(r.QueueTime.Milliseconds(), 10))
		s.recordLast(r.Rsc, st.app, r.Key(), m)
	}
	if r.Status == StatusCancelled {
		s.dropLast(r.Rsc, st.app, r.Key())
	}
	if !r.Recurring {
		delete(s.ops, r.CallID)
	}
	rc := r.RC
	if r.Status != StatusDone || target == TargetEverytime || rc == target || (target == TargetChanged && changed) {
		if cl := s.clients[st.pid]; cl != nil && cl.cbk != nil {
			cl.cbk.Send(frame(m))
		}
	}
	if _, ok := s.lrm.rscs[r.Rsc]; !ok {
		s.forget(r.Rsc)
	}
}

func (s *Server) recordLast(rsc, app, key string, m *wire.Message) {
	cp := new(wire.Message)
	cp.CopyFrom(m)
	for _, lo := range s.lastOps[rsc] {
		if lo.app == app && lo.key == key {
			lo.msg = cp
			return
		}
	}
	s.lastOps[rsc] = append(s.lastOps[rsc], &lastOp{app: app, key: key, msg: cp})
}

func (s *Server) dropLast(rsc, app, key string) {
	los := s.lastOps[rsc]
	for i, lo := range los {
		if lo.app == app && lo.key == key {
			s.lastOps[rsc] = append(los[:i], los[i+1:]...)
			return
		}
	}
}

func (s *Server) getlastop(cl *client, q *wire.Message) {
	id, opName := string(q.Value("lrm_rid")), string(q.Value("lrm_op"))
	for _, lo := range s.lastOps[id] {
		if lo.app == cl.app && strings.HasPrefix(lo.key, opName+"_") {
			var m wire.Message
			m.CopyFrom(lo.msg)
			m.SetString("lrm_opcount", "1")
			s.reply(cl, &m)
			return
		}
	}
	m := ret(haOK)
	m.AddString("lrm_opcount", "0")
	s.reply(cl, m)
}

func (s *Server) getstate(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	if _, ok := s.lrm.Get(id); !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	pending, busy := s.lrm.Pending(id)
	var msgs []*wire.Message
	for _, lo := range s.lastOps[id] {
		if lo.app == cl.app {
			msgs = append(msgs, lo.msg)
		}
	}
	for _, p := range pending {
		if st := s.ops[p.CallID]; st != nil {
			msgs = append(msgs, st.msg)
		}
	}
	var head wire.Message
	state := 0
	if busy {
		state = 1
	}
	head.AddString("lrm_state", strconv.Itoa(state))
	head.AddString("lrm_opcount", strconv.Itoa(len(msgs)))
	s.reply(cl, &head)
	for _, m := range msgs {
		s.reply(cl, m)
	}
}

// --- agents' catalogue ---

// Types lists the agents of a class, sorted.
func (l *LRM) Types(class string) []string {
	var dirs []string
	switch class {
	case ClassOCF:
		provs, _ := os.ReadDir(filepath.Join(l.opt.OCFRoot, "resource.d"))
		for _, p := range provs {
			dirs = append(dirs, filepath.Join(l.opt.OCFRoot, "resource.d", p.Name()))
		}
	case ClassLSB:
		dirs = []string{l.opt.InitDir}
	case ClassHeartbeat:
		dirs = []string{l.opt.ResourceDir}
	case ClassStonith:
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			n := e.Name()
			if seen[n] || strings.HasPrefix(n, ".") {
				continue
			}
			if st, err := os.Stat(filepath.Join(d, n)); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				continue
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Providers lists the OCF providers that have an agent typ, sorted.
func (l *LRM) Providers(class, typ string) []string {
	if class != ClassOCF {
		return nil
	}
	var out []string
	provs, _ := os.ReadDir(filepath.Join(l.opt.OCFRoot, "resource.d"))
	for _, p := range provs {
		if st, err := os.Stat(filepath.Join(l.opt.OCFRoot, "resource.d", p.Name(), typ)); err == nil && !st.IsDir() {
			out = append(out, p.Name())
		}
	}
	sort.Strings(out)
	return out
}

// MetaData runs an agent's meta-data action off the loop (as lrmd
// does it, for an instance named DUMMY_INSTANCE) and calls done
// on the loop with its XML ("" when it has none).
func (l *LRM) MetaData(class, provider, typ string, done func(xml string)) {
	r := Resource{ID: "DUMMY_INSTANCE", Class: class, Provider: provider, Type: typ}
	if class == ClassOCF && provider == "" {
		r.Provider = "heartbeat"
	}
	path := l.agentPath(&r)
	if path == "" || (class != ClassOCF && class != ClassStonith) {
		l.post(completion{fn: func(proc.Result) { done("") }})
		return
	}
	o := &op{req: Op{Name: "meta-data", Timeout: 30 * time.Second}}
	spec := l.spec(&r, path, o, nil)
	_, err := proc.Start(context.Background(), spec, func(res proc.Result) {
		l.post(completion{fn: func(proc.Result) {
			if res.ExitCode() == 0 {
				done(string(res.Stdout))
			} else {
				done("")
			}
		}})
	})
	if err != nil {
		l.post(completion{fn: func(proc.Result) { done("") }})
	}
}

package api

import (
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/wire"
)

// auditInterval is how often heartbeat checks that clients still live.
const auditInterval = 9 * time.Second

// Options configure a Server. The zero value is valid.
type Options struct {
	// Logf receives the server's log lines (refused clients, broken
	// framing, bad requests) in heartbeat's words where it has them. nil
	// discards them.
	Logf func(format string, args ...any)
	// Infof receives the lines heartbeat logs at info (set_sendqlen); nil
	// sends them to Logf.
	Infof func(format string, args ...any)
	// InProcess reports the clients the daemon runs in-process (hbd's
	// built-in CCM as "ccm"): clientstatus answers online for them, as
	// for a signed-on client. nil: none.
	InProcess func(id string) bool
	// Netstring sends clients netstring-form messages (ha.cf "msgfmt
	// netstring"); classic text otherwise.
	Netstring bool
	// IPC configures the socket and its caps (package ipc's defaults when
	// zero; Name defaults to "api" and Logf to the one above). Its
	// SendQLen is the default queue length, which a client changes with
	// set_sendqlen.
	IPC ipc.Options
}

// Server is heartbeat's API server on one Unix socket. All its methods
// run on the loop goroutine.
type Server struct {
	l   *loop.Loop
	b   Backend
	opt Options
	ipc *ipc.Server

	clients    []*conn // sign-on order; lookups go newest first, as heartbeat's list
	iterating  int     // > 0 while ranging over clients (Deliver may nest)
	dirty      bool    // a client was dropped while iterating over clients
	debugCount int     // clients whose filter asks for debug treatments
	gen        int     // client generation counter (client_gen)

	req   wire.Message // the request being handled (views into a client's input)
	resp  wire.Message
	frame []byte // encoded reply / delivered message
	send  wire.Message
	audit loop.Timer
	nodes []NodeInfo // per-request snapshot from Backend.Nodes
}

// Listen creates the API socket at path (mode 0777; its directory is
// created 0750 if missing), replacing a stale socket, and registers it
// with l. Call it on the loop goroutine or before l runs.
func Listen(l *loop.Loop, path string, b Backend, opt Options) (*Server, error) {
	if opt.IPC.Name == "" {
		opt.IPC.Name = "api"
	}
	if opt.IPC.Logf == nil {
		opt.IPC.Logf = opt.Logf
	}
	s := &Server{l: l, b: b, opt: opt}
	var err error
	if s.ipc, err = ipc.Listen(l, path, s, opt.IPC); err != nil {
		return nil, err
	}
	s.audit.Init(s.auditClients)
	l.After(&s.audit, auditInterval)
	return s, nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.ipc.Path() }

// IPC returns the server's socket, for its counters.
func (s *Server) IPC() *ipc.Server { return s.ipc }

// Close stops listening, removes the socket and disconnects every client.
func (s *Server) Close() error {
	if s.ipc == nil {
		return nil
	}
	s.l.StopTimer(&s.audit)
	s.iterating++
	err := s.ipc.Close()
	s.ipc = nil
	s.endIteration()
	return err
}

// Clients returns how many clients are connected, signed on or not.
func (s *Server) Clients() int { return len(s.clients) }

func (s *Server) logf(format string, args ...any) {
	if s.opt.Logf != nil {
		s.opt.Logf(format, args...)
	}
}

func (s *Server) infof(format string, args ...any) {
	if s.opt.Infof != nil {
		s.opt.Infof(format, args...)
		return
	}
	s.logf(format, args...)
}

// Opened is a new connection: a client, not signed on yet.
func (s *Server) Opened(ic *ipc.Conn) {
	c := &conn{ic: ic, filter: KeepIt}
	ic.Data = c
	s.clients = append(s.clients, c)
}

// Frame is a frame from a client.
func (s *Server) Frame(ic *ipc.Conn, body []byte) {
	s.handle(ic.Data.(*conn), body)
}

// Closed is a client's connection gone: named clients that had joined
// are announced as leaving, as heartbeat's api_remove_client_int does.
func (s *Server) Closed(ic *ipc.Conn, reason string) {
	c := ic.Data.(*conn)
	if c.closed {
		return
	}
	c.closed = true
	if c.filter&debugTreatments != 0 {
		s.debugCount--
	}
	if c.joined {
		s.sendClientStatus(c, StatusLeave, reason)
	}
	if s.iterating > 0 {
		s.dirty = true
		return
	}
	s.compact()
}

// drop disconnects c; Closed follows.
func (s *Server) drop(c *conn, reason string) {
	c.ic.Close(reason)
}

func (s *Server) endIteration() {
	s.iterating--
	if s.iterating == 0 && s.dirty {
		s.compact()
	}
}

func (s *Server) compact() {
	s.clients = deleteClosed(s.clients)
	s.dirty = false
}

func deleteClosed(cs []*conn) []*conn {
	out := cs[:0]
	for _, c := range cs {
		if !c.closed {
			out = append(out, c)
		}
	}
	clear(cs[len(out):])
	return out
}

// findClient is heartbeat's find_client: the newest client whose pid or
// id matches (either may be unset).
func (s *Server) findClient(id []byte, pid int, havePID bool) *conn {
	for i := len(s.clients) - 1; i >= 0; i-- {
		c := s.clients[i]
		if c.closed {
			continue
		}
		if havePID && c.pid == pid {
			return c
		}
		if id != nil && c.idSet && string(id) == c.id {
			return c
		}
	}
	return nil
}

// ClientStatus says whether a client with this id is signed on here:
// "online" or "offline", as the daemon answers a peer's query-cstatus.
func (s *Server) ClientStatus(id string) string {
	if s.findClient([]byte(id), 0, false) != nil || s.opt.InProcess != nil && s.opt.InProcess(id) {
		return StatusOnline
	}
	return StatusOffline
}

// auditClients drops clients whose process has gone, every 9 s as
// heartbeat's api_audit_clients (a client may die without closing the
// socket: it was passed to a child).
func (s *Server) auditClients(int64) {
	s.iterating++
	defer s.endIteration()
	for _, c := range s.clients {
		if c.pid > 0 && !sysio.ProcessExists(c.pid) {
			s.logf("api_audit_clients: client %d died", c.pid)
			s.drop(c, "died-audit")
		}
	}
	s.l.After(&s.audit, auditInterval)
}

// sendClientStatus broadcasts a named client's join or leave
// (api_send_client_status).
func (s *Server) sendClientStatus(c *conn, status, reason string) {
	if c.casual {
		return
	}
	m := &s.send
	m.Reset()
	m.AddString(FieldType, TypeClientState)
	m.AddString(FieldStatus, status)
	m.AddString(FieldFromID, c.id)
	m.AddString(FieldToID, c.id)
	m.AddString(FieldSrc, s.b.LocalNode())
	if reason != "" {
		m.AddString(FieldInfo, reason)
	}
	m.AddString(FieldClientGen, itoa(c.gen))
	if err := s.b.Send(m); err != nil {
		s.logf("api_send_client_status: cannot send message to cluster: %v", err)
	}
}

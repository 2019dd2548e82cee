package api

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/wire"
)

// Defaults for Options.
const (
	// DefaultSendQLen is cluster-glue's DEFAULT_MAX_QLEN: how many frames
	// may wait for a client before it is dropped (set_sendqlen changes it).
	DefaultSendQLen = 64
	// DefaultMaxQueueBytes bounds the bytes waiting for one client.
	DefaultMaxQueueBytes = 1 << 20
	// auditInterval is how often heartbeat checks that clients still live.
	auditInterval = 9 * time.Second
	// maxReadsPerEvent keeps one chatty client from starving the loop;
	// the descriptor is level-triggered, so the rest is read next time.
	maxReadsPerEvent = 16
	readChunk        = 16 << 10
)

// Options configure a Server. The zero value is valid.
type Options struct {
	// Logf receives the server's log lines (refused clients, broken
	// framing, bad requests) in heartbeat's words where it has them. nil
	// discards them.
	Logf func(format string, args ...any)
	// SendQLen is the default number of frames that may wait for a client;
	// 0 means DefaultSendQLen.
	SendQLen int
	// MaxQueueBytes bounds the bytes waiting for one client; 0 means
	// DefaultMaxQueueBytes.
	MaxQueueBytes int
	// Netstring sends clients netstring-form messages (ha.cf "msgfmt
	// netstring"); classic text otherwise.
	Netstring bool
	// DirUID and DirGID own the socket's directory when Listen creates it
	// (heartbeat's is hacluster:haclient, mode 0750); -1 leaves it as
	// created. The zero Options leave it alone too: Listen treats 0/0 as
	// "unset" unless DirOwnerSet.
	DirUID, DirGID int
	DirOwnerSet    bool
}

// Server is heartbeat's API server on one Unix socket. All its methods
// run on the loop goroutine.
type Server struct {
	l    *loop.Loop
	b    Backend
	opt  Options
	path string
	lfd  int
	ltok loop.Token

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
	if opt.SendQLen <= 0 {
		opt.SendQLen = DefaultSendQLen
	}
	if opt.MaxQueueBytes <= 0 {
		opt.MaxQueueBytes = DefaultMaxQueueBytes
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
		if opt.DirOwnerSet {
			if err := os.Chown(dir, opt.DirUID, opt.DirGID); err != nil {
				return nil, fmt.Errorf("api: %w", err)
			}
		}
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("api: %s exists and is not a socket", path)
		}
		os.Remove(path)
	}
	lfd, err := sysio.UnixListen(path, 64)
	if err != nil {
		return nil, fmt.Errorf("api: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o777); err != nil {
		sysio.Close(lfd)
		return nil, fmt.Errorf("api: %w", err)
	}
	s := &Server{l: l, b: b, opt: opt, path: path, lfd: lfd}
	if s.ltok, err = l.Register(lfd, loop.Readable, loop.HandlerFunc(s.accept)); err != nil {
		sysio.Close(lfd)
		os.Remove(path)
		return nil, err
	}
	s.audit.Init(s.auditClients)
	l.After(&s.audit, auditInterval)
	return s, nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Close stops listening, removes the socket and disconnects every client.
func (s *Server) Close() error {
	if s.lfd < 0 {
		return nil
	}
	s.l.StopTimer(&s.audit)
	s.l.Unregister(s.ltok)
	err := sysio.Close(s.lfd)
	s.lfd = -1
	os.Remove(s.path)
	s.iterating++
	for _, c := range s.clients {
		s.drop(c, "shutdown")
	}
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

// accept takes every waiting connection.
func (s *Server) accept(loop.Events) {
	for {
		fd, err := sysio.Accept(s.lfd)
		if err != nil {
			if !errors.Is(err, sysio.ErrWouldBlock) {
				s.logf("api: accept: %v", err)
			}
			return
		}
		cred, err := sysio.PeerCred(fd)
		if err != nil {
			s.logf("api: %v", err)
			sysio.Close(fd)
			continue
		}
		c := &conn{s: s, fd: fd, cred: cred, filter: KeepIt, sendqlen: s.opt.SendQLen}
		if c.tok, err = s.l.Register(fd, loop.Readable, c); err != nil {
			s.logf("api: %v", err)
			sysio.Close(fd)
			continue
		}
		s.clients = append(s.clients, c)
	}
}

// drop disconnects c. Named clients that had joined are announced as
// leaving, as heartbeat's api_remove_client_int does.
func (s *Server) drop(c *conn, reason string) {
	if c.closed {
		return
	}
	c.closed = true
	if c.filter&debugTreatments != 0 {
		s.debugCount--
	}
	s.l.Unregister(c.tok)
	sysio.Close(c.fd)
	c.fd = -1
	if c.joined {
		s.sendClientStatus(c, StatusLeave, reason)
	}
	if s.iterating > 0 {
		s.dirty = true
		return
	}
	s.compact()
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
	if s.findClient([]byte(id), 0, false) != nil {
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

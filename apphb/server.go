package apphb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
)

// DefaultSocket is where apphbd listens.
const DefaultSocket = "/var/run/heartbeat/apphb.comm"

// Caps on what clients may make the service hold or do.
const (
	// DefaultMaxClients bounds the connections: apphbd had no cap, but
	// its socket is mode 0777.
	DefaultMaxClients = 1024
	// DefaultMaxRate bounds a client's frames per second; above it the
	// client is disconnected (a heartbeat every millisecond still fits).
	DefaultMaxRate = 2000
	// MaxFrame is above the largest request (reg, 788 bytes).
	MaxFrame = 1024
	// unregisteredTimeout: apphbd gives a new client ten minutes.
	unregisteredTimeout = 10 * time.Minute
)

// ErrServed says that another process already answers on the socket.
var ErrServed = errors.New("another process already serves the apphbd socket")

// Protocol is what the server feeds; apphb/core's Layer, plus the
// driver's Flush. Every method runs on the loop goroutine.
type Protocol interface {
	Open(now int64, id uint64, pid, uid, gid int32)
	// Request returns the errno to reply with, when reply is true;
	// signed says the client is now registered.
	Request(now int64, id uint64, body []byte) (rc int32, reply, signed bool)
	Close(now int64, id uint64)
	// Drop forgets a connection the server closed itself (its Close),
	// reporting nothing.
	Drop(id uint64)
	Tick(now int64)
	Deadline() (int64, bool)
	// Flush takes what the protocol produced (log lines, events); it is
	// called after every input.
	Flush()
}

// Options configure a Server.
type Options struct {
	Socket     string // DefaultSocket if empty
	MaxClients int    // DefaultMaxClients if 0
	MaxRate    int    // frames per second per client; DefaultMaxRate if 0
	// Logf receives the server's own lines (caps, refusals).
	Logf func(format string, args ...any)
}

// Server is apphbd's socket on a loop.
type Server struct {
	l     *loop.Loop
	p     Protocol
	opt   Options
	srv   *ipc.Server
	timer loop.Timer
	next  uint64
	reply [ipc.HeaderLen + 4]byte
	// Counters, atomic so that metrics and tests may read them from
	// another goroutine.
	frames, replies, rateClosed atomic.Uint64
}

// Stats count what the server did.
type Stats struct {
	Frames, Replies uint64
	RateClosed      uint64 // clients disconnected for their message rate
}

type conn struct {
	id     uint64
	window int64 // start of the current rate window
	frames int
}

// Listen serves the socket on l. It refuses when a live process answers
// on it (a running apphbd).
func Listen(l *loop.Loop, p Protocol, opt Options) (*Server, error) {
	if opt.Socket == "" {
		opt.Socket = DefaultSocket
	}
	if opt.MaxClients <= 0 {
		opt.MaxClients = DefaultMaxClients
	}
	if opt.MaxRate <= 0 {
		opt.MaxRate = DefaultMaxRate
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if c, err := net.DialTimeout("unix", opt.Socket, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("apphbd: %s: %w", opt.Socket, ErrServed)
	}
	s := &Server{l: l, p: p, opt: opt}
	s.timer.Init(s.expire)
	var err error
	s.srv, err = ipc.Listen(l, opt.Socket, s, ipc.Options{
		Name: "apphbd", Mode: 0o777, DirMode: 0o755, MaxFrame: MaxFrame,
		MaxConns: opt.MaxClients, MaxUnsigned: opt.MaxClients,
		UnsignedTimeout: unregisteredTimeout, Logf: opt.Logf,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops serving; connected clients are disconnected without a
// hangup being reported: the service, not they, went away.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.l.StopTimer(&s.timer)
	return err
}

// Conns is the number of connections.
func (s *Server) Conns() int { return s.srv.Conns() }

// Stats returns the counters; it may be called from any goroutine.
func (s *Server) Stats() Stats {
	return Stats{Frames: s.frames.Load(), Replies: s.replies.Load(), RateClosed: s.rateClosed.Load()}
}

// Opened implements ipc.Handler.
func (s *Server) Opened(c *ipc.Conn) {
	s.next++
	c.Data = &conn{id: s.next, window: s.l.Now()}
	cr := c.Cred()
	s.p.Open(s.l.Now(), s.next, cr.PID, int32(cr.UID), int32(cr.GID))
	s.flush()
}

// Frame implements ipc.Handler.
func (s *Server) Frame(c *ipc.Conn, body []byte) {
	cc := c.Data.(*conn)
	// The loop's Now is when this iteration woke; a frame read later in
	// it arrived later, and a deadline counted from the wake-up would be
	// early by the time the iteration has run.
	now := sysio.Monotonic()
	s.frames.Add(1)
	if now-cc.window >= int64(time.Second) {
		cc.window, cc.frames = now, 0
	}
	if cc.frames++; cc.frames > s.opt.MaxRate {
		s.rateClosed.Add(1)
		s.opt.Logf("apphbd: client pid %d sent more than %d messages in a second: disconnecting", c.Cred().PID, s.opt.MaxRate)
		c.Close("rate")
		return
	}
	rc, reply, signed := s.p.Request(now, cc.id, body)
	if reply {
		s.replies.Add(1)
		binary.NativeEndian.PutUint32(s.reply[0:], 4)
		binary.NativeEndian.PutUint32(s.reply[4:], ipc.Magic)
		binary.NativeEndian.PutUint32(s.reply[8:], uint32(rc))
		c.Send(s.reply[:])
	}
	if signed {
		c.SignedOn()
	}
	s.flush()
}

// Closed implements ipc.Handler.
func (s *Server) Closed(c *ipc.Conn, reason string) {
	if reason == "shutdown" {
		// Our own Close: the clients did not hang up, and no recovery
		// may start while the daemon stops.
		s.p.Drop(c.Data.(*conn).id)
		return
	}
	s.p.Close(sysio.Monotonic(), c.Data.(*conn).id)
	s.flush()
}

func (s *Server) expire(now int64) {
	s.p.Tick(now)
	s.flush()
}

// flush lets the protocol write its output, then arms the one timer for
// its next deadline.
func (s *Server) flush() {
	s.p.Flush()
	if when, ok := s.p.Deadline(); ok {
		if !s.timer.Pending() || s.timer.Deadline() != when {
			s.l.Schedule(&s.timer, when)
		}
	} else {
		s.l.StopTimer(&s.timer)
	}
}

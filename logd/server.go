package logd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
)

// ErrServed says that another process already answers on the socket.
var ErrServed = errors.New("another process already serves the logd socket")

// Options configure a Server.
type Options struct {
	Socket string // DefaultSocket if empty
	Host   string // node name written in each line
	Loc    *time.Location
	Now    func() time.Time // the daemon's own lines; time.Now if nil
	// IPC caps for the socket; MaxFrame defaults to a record with the
	// largest text cl_log sends, rounded up.
	IPC ipc.Options
	// MaxRate bounds the records one client may have written per second
	// (DefaultMaxRate if 0): a flooding client loses its excess, counted
	// and said, instead of crowding out every other client's lines.
	MaxRate int
}

// DefaultMaxRate is the records per second one client may have written.
const DefaultMaxRate = 5000

// client is one connection's rate window.
type client struct {
	window  int64 // start of the current second (loop time)
	records int
	dropped int
}

// Server is the built-in logd on a loop.
type Server struct {
	l    *loop.Loop
	conf Conf
	opt  Options
	srv  *ipc.Server
	w    *writer
	rec  Record
	buf  []byte
	bad  uint64

	rateDropped atomic.Uint64
}

// Listen serves the logd socket on l and opens conf's files. It refuses
// (ErrServed) when a live process answers on the socket, rather than
// stealing it from a running ha_logd.
func Listen(l *loop.Loop, conf Conf, opt Options) (*Server, error) {
	if opt.Socket == "" {
		opt.Socket = DefaultSocket
	}
	if opt.Loc == nil {
		opt.Loc = time.Local
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if c, err := net.DialTimeout("unix", opt.Socket, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("logd: %s: %w", opt.Socket, ErrServed)
	}
	if opt.MaxRate <= 0 {
		opt.MaxRate = DefaultMaxRate
	}
	s := &Server{conf: conf, opt: opt, l: l}
	pid := int32(os.Getpid())
	w, err := newWriter(&s.conf, func(text string) []byte {
		r := Record{Priority: 4, UsePriStr: true, PID: pid, Entity: []byte(conf.Entity), Time: opt.Now().Unix(), Text: []byte(text)}
		return AppendLine(nil, &r, opt.Host, opt.Loc)
	})
	if err != nil {
		return nil, err
	}
	s.w = w
	io := opt.IPC
	if io.Name == "" {
		io.Name = "logd"
	}
	if io.MaxFrame == 0 {
		io.MaxFrame = 16 << 10
	}
	// A cl_log client never signs on: it writes at once. Its first record
	// counts as signing on; the unsigned cap bounds idle connections.
	if s.srv, err = ipc.Listen(l, opt.Socket, s, io); err != nil {
		w.close()
		return nil, err
	}
	if conf.Path != "" {
		s.Logf(6, "logd started with %s.", conf.Path)
	} else {
		s.Logf(6, "logd started with default configuration.")
	}
	if conf.UseApphbd {
		// hbd's logd runs inside hbd, which registers itself (use_apphbd).
		s.Logf(4, "useapphbd is accepted and ignored: hbd's logd does not register with apphbd on its own")
	}
	return s, nil
}

// Logf writes one of the daemon's own lines (priority p, 0..7).
func (s *Server) Logf(p int32, format string, args ...any) {
	r := Record{Priority: p, UsePriStr: true, PID: int32(os.Getpid()), Entity: []byte(s.conf.Entity),
		Time: s.opt.Now().Unix(), Text: []byte(fmt.Sprintf(format, args...))}
	s.put(&r)
}

func (s *Server) put(r *Record) {
	s.buf = AppendLine(s.buf[:0], r, s.opt.Host, s.opt.Loc)
	s.w.put(line{b: append([]byte(nil), s.buf...), debug: r.Priority == 7, pri: r.Priority,
		fac: r.Facility, ent: string(r.Entity), pid: r.PID, t: r.Time, text: string(r.Text)})
}

// Dropped is how many lines did not fit the queue to the writer.
func (s *Server) Dropped() uint64 { return s.w.dropped.Load() }

// Written is how many lines the writer has written.
func (s *Server) Written() uint64 { return s.w.written.Load() }

// Conns is the number of clients connected.
func (s *Server) Conns() int { return s.srv.Conns() }

// Close stops serving, writes what is queued and closes the files.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.w.close()
	return err
}

// Opened implements ipc.Handler.
func (s *Server) Opened(c *ipc.Conn) { c.Data = &client{window: s.l.Now()} }

// Frame implements ipc.Handler: one record.
func (s *Server) Frame(c *ipc.Conn, body []byte) {
	if err := Decode(body, &s.rec); err != nil {
		s.bad++
		s.Logf(3, "client pid %d: %v: closing", c.Cred().PID, err)
		c.Close("bad record")
		return
	}
	c.SignedOn()
	cl := c.Data.(*client)
	if now := s.l.Now(); now-cl.window >= int64(time.Second) {
		if cl.dropped > 0 {
			s.Logf(4, "client pid %d: %d records dropped (more than %d a second)", c.Cred().PID, cl.dropped, s.opt.MaxRate)
		}
		cl.window, cl.records, cl.dropped = now, 0, 0
	}
	if cl.records++; cl.records > s.opt.MaxRate {
		cl.dropped++
		s.rateDropped.Add(1)
		return
	}
	s.put(&s.rec)
}

// RateDropped is how many records clients sent above their rate.
func (s *Server) RateDropped() uint64 { return s.rateDropped.Load() }

// Closed implements ipc.Handler.
func (s *Server) Closed(c *ipc.Conn, reason string) {
	if cl, ok := c.Data.(*client); ok && cl.dropped > 0 {
		s.Logf(4, "client pid %d: %d records dropped (more than %d a second)", c.Cred().PID, cl.dropped, s.opt.MaxRate)
	}
}

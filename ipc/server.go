package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// Defaults for Options.
const (
	// DefaultSendQLen is cluster-glue's DEFAULT_MAX_QLEN: how many frames
	// may wait for a client before it is dropped.
	DefaultSendQLen = 64
	// DefaultMaxQueueBytes bounds the bytes waiting for one client.
	DefaultMaxQueueBytes = 1 << 20
	// DefaultMaxConns bounds the connections of one socket. heartbeat has
	// no cap; a node runs a handful of clients (ipfail, ccm, cl_status
	// calls, monitors), so 128 leaves room and bounds what a local user
	// can make the daemon hold.
	DefaultMaxConns = 128
	// DefaultMaxUnsigned bounds the connections that have not signed on:
	// a real client signs on in its first frame.
	DefaultMaxUnsigned = 16
	// DefaultUnsignedTimeout is how long a connection may stay without
	// signing on.
	DefaultUnsignedTimeout = 10 * time.Second
	// DefaultAcceptPause is how long the listener is left alone after
	// accept failed (EMFILE, ENFILE, ENOMEM …).
	DefaultAcceptPause = time.Second
	// refuseLogEvery rate-limits the "connection refused" log line.
	refuseLogEvery = 10 * time.Second

	// maxReadsPerEvent keeps one chatty client from starving the loop;
	// the descriptor is level-triggered, so the rest is read next time.
	maxReadsPerEvent = 16
	// maxAcceptsPerEvent likewise for a burst of connections.
	maxAcceptsPerEvent = 64
	// minBuffer is the input buffer a connection starts with (the size
	// cluster-glue's clients read with, rounded up); it doubles as bytes
	// arrive, up to one frame.
	minBuffer = 4096
	// keepBuffer: an input buffer grown past this is released once empty.
	keepBuffer = 64 << 10
)

// Options configure a Server. The zero value gives the defaults above.
type Options struct {
	// Name prefixes the server's log lines ("api").
	Name string
	// Logf receives the server's log lines; nil discards them.
	Logf func(format string, args ...any)
	// Mode is the socket's permission bits; 0 means 0777, heartbeat's for
	// its API socket (who may do what is decided after sign-on).
	Mode fs.FileMode
	// DirMode is the mode of the socket's directory when Listen creates it;
	// an existing directory that grants more is logged. 0 means 0750.
	DirMode fs.FileMode
	// DirUID and DirGID own the directory when Listen creates it and
	// DirOwnerSet is true (heartbeat's is hacluster:haclient).
	DirUID, DirGID int
	DirOwnerSet    bool

	// MaxFrame bounds a frame's body; 0 means MaxFrame.
	MaxFrame int
	// SendQLen is the default number of frames that may wait for a client
	// (Conn.SetSendQLen changes it); 0 means DefaultSendQLen.
	SendQLen int
	// MaxQueueBytes bounds the bytes waiting for one client; 0 means
	// DefaultMaxQueueBytes.
	MaxQueueBytes int
	// MaxConns and MaxUnsigned bound the connections, all of them and
	// those not signed on (Conn.SignedOn); further ones are accepted and
	// closed at once, so that the client sees the refusal. 0 means the
	// default.
	MaxConns, MaxUnsigned int
	// UnsignedTimeout closes a connection that has not signed on within
	// it; 0 means DefaultUnsignedTimeout.
	UnsignedTimeout time.Duration
	// AcceptPause is how long the listener is not polled after accept
	// failed; 0 means DefaultAcceptPause.
	AcceptPause time.Duration
}

func (o *Options) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxFrame, MaxFrame)
	def(&o.SendQLen, DefaultSendQLen)
	def(&o.MaxQueueBytes, DefaultMaxQueueBytes)
	def(&o.MaxConns, DefaultMaxConns)
	def(&o.MaxUnsigned, DefaultMaxUnsigned)
	if o.UnsignedTimeout <= 0 {
		o.UnsignedTimeout = DefaultUnsignedTimeout
	}
	if o.AcceptPause <= 0 {
		o.AcceptPause = DefaultAcceptPause
	}
	if o.Mode == 0 {
		o.Mode = 0o777
	}
	if o.DirMode == 0 {
		o.DirMode = 0o750
	}
	if o.Name == "" {
		o.Name = "ipc"
	}
}

// Handler is the protocol on top of a Server. Its methods are called on
// the loop goroutine and must not block.
type Handler interface {
	// Opened is a new connection, before any of its frames.
	Opened(c *Conn)
	// Frame is one complete frame's body from c, valid only during the
	// call. The handler may Send to c or Close it from here.
	Frame(c *Conn, body []byte)
	// Closed says that c was closed, once: by the peer (reason "EOF"), a
	// read or write error, a broken frame ("bad frame"), a full queue
	// ("sendq full"), a cap ("unsigned timeout"), the server's Close
	// ("shutdown"), or Conn.Close with its reason. c must not be used
	// afterwards, except to read its Data and Cred.
	Closed(c *Conn, reason string)
}

// Stats count what a Server did, for tests and metrics.
type Stats struct {
	Accepts  uint64 // accept calls, failed ones included
	Refused  uint64 // connections closed at once for a cap
	Pauses   uint64 // times the listener was paused after a failed accept
	Reserved int    // bytes held in input buffers now
}

// Server is one listening socket and its connections. All its methods run
// on the loop goroutine.
type Server struct {
	l    *loop.Loop
	h    Handler
	opt  Options
	path string
	lfd  int
	ltok loop.Token

	conns    map[*Conn]struct{}
	unsigned int

	paused     bool
	troubled   bool // accept failed and has not succeeded since: log once
	resume     loop.Timer
	lastRefuse int64 // loop time of the last "refused" line
	refusedLog int   // refusals not logged since
	stats      Stats
}

// Listen creates the socket at path (with Options.Mode; its directory is
// created with Options.DirMode if missing, and logged if it exists with
// wider permissions), replacing a stale socket, and registers it with l.
// Call it on the loop goroutine or before l runs.
func Listen(l *loop.Loop, path string, h Handler, opt Options) (*Server, error) {
	opt.setDefaults()
	s := &Server{l: l, h: h, opt: opt, path: path, lfd: -1, conns: make(map[*Conn]struct{})}
	dir := filepath.Dir(path)
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, opt.DirMode); err != nil {
			return nil, fmt.Errorf("%s: %w", opt.Name, err)
		}
		if opt.DirOwnerSet {
			if err := os.Chown(dir, opt.DirUID, opt.DirGID); err != nil {
				return nil, fmt.Errorf("%s: %w", opt.Name, err)
			}
		}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", opt.Name, err)
	case fi.Mode().Perm()&^opt.DirMode.Perm() != 0:
		s.logf("%s: socket directory %s has mode %04o, wider than %04o: other users may replace the socket", opt.Name, dir, fi.Mode().Perm(), opt.DirMode.Perm())
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s: %s exists and is not a socket", opt.Name, path)
		}
		os.Remove(path)
	}
	lfd, err := sysio.UnixListen(path, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", opt.Name, path, err)
	}
	if err := os.Chmod(path, opt.Mode); err != nil {
		sysio.Close(lfd)
		return nil, fmt.Errorf("%s: %w", opt.Name, err)
	}
	s.lfd = lfd
	if s.ltok, err = l.Register(lfd, loop.Readable, loop.HandlerFunc(s.accept)); err != nil {
		sysio.Close(lfd)
		os.Remove(path)
		return nil, err
	}
	s.resume.Init(s.resumeAccept)
	return s, nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Conns returns how many connections are open, signed on or not.
func (s *Server) Conns() int { return len(s.conns) }

// Unsigned returns how many open connections have not signed on.
func (s *Server) Unsigned() int { return s.unsigned }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := s.stats
	for c := range s.conns {
		st.Reserved += cap(c.in)
	}
	return st
}

// Close stops listening, removes the socket and closes every connection
// (the handler hears "shutdown" for each).
func (s *Server) Close() error {
	if s.lfd < 0 {
		return nil
	}
	s.l.StopTimer(&s.resume)
	if !s.paused {
		s.l.Unregister(s.ltok)
	}
	err := sysio.Close(s.lfd)
	s.lfd = -1
	os.Remove(s.path)
	for c := range s.conns {
		c.Close("shutdown")
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Logf != nil {
		s.opt.Logf(format, args...)
	}
}

// accept takes the waiting connections, refusing those over a cap.
func (s *Server) accept(loop.Events) {
	for range maxAcceptsPerEvent {
		s.stats.Accepts++
		fd, err := sysio.Accept(s.lfd)
		if err != nil {
			if errors.Is(err, sysio.ErrWouldBlock) {
				s.troubled = false
			} else {
				s.pauseAccept(err)
			}
			return
		}
		s.troubled = false
		cred, err := sysio.PeerCred(fd)
		if err != nil {
			s.logf("%s: %v", s.opt.Name, err)
			sysio.Close(fd)
			continue
		}
		switch {
		case len(s.conns) >= s.opt.MaxConns:
			s.refuse(fd, cred, fmt.Sprintf("%d connections open (the cap)", len(s.conns)))
			continue
		case s.unsigned >= s.opt.MaxUnsigned:
			s.refuse(fd, cred, fmt.Sprintf("%d connections not signed on (the cap)", s.unsigned))
			continue
		}
		c := &Conn{s: s, fd: fd, cred: cred, sendqlen: s.opt.SendQLen}
		if c.tok, err = s.l.Register(fd, loop.Readable, c); err != nil {
			s.logf("%s: %v", s.opt.Name, err)
			sysio.Close(fd)
			continue
		}
		s.conns[c] = struct{}{}
		s.unsigned++
		c.timer.Init(c.unsignedTimeout)
		s.l.After(&c.timer, s.opt.UnsignedTimeout)
		s.h.Opened(c)
	}
}

// refuse closes a connection over a cap, logging at most one line every
// refuseLogEvery with the number refused since the last one.
func (s *Server) refuse(fd int, cred sysio.Cred, why string) {
	defer sysio.Close(fd) // after the log line: the client sees both in order
	s.stats.Refused++
	s.refusedLog++
	now := s.l.Now()
	if s.lastRefuse != 0 && now-s.lastRefuse < int64(refuseLogEvery) {
		return
	}
	s.logf("%s: refusing connection from pid %d uid %d: %s; %d refused since the last such line", s.opt.Name, cred.PID, cred.UID, why, s.refusedLog)
	s.lastRefuse, s.refusedLog = now, 0
}

// pauseAccept stops polling the listener for AcceptPause: a listener
// whose accept fails (no descriptor left) stays readable, and polling it
// would spin. One log line per run of failures.
func (s *Server) pauseAccept(err error) {
	s.stats.Pauses++
	if !s.troubled {
		s.troubled = true
		s.logf("%s: accept: %s: not accepting connections for %v (%d open)", s.opt.Name, sysio.Strerror(unwrapSyscall(err)), s.opt.AcceptPause, len(s.conns))
	}
	s.l.Unregister(s.ltok)
	s.paused = true
	s.l.After(&s.resume, s.opt.AcceptPause)
}

func (s *Server) resumeAccept(int64) {
	if s.lfd < 0 || !s.paused {
		return
	}
	s.paused = false
	var err error
	if s.ltok, err = s.l.Register(s.lfd, loop.Readable, loop.HandlerFunc(s.accept)); err != nil {
		s.logf("%s: %v", s.opt.Name, err)
	}
}

// unwrapSyscall gives the errno of an *os.SyscallError, so that the log
// line reads as cluster-glue's ("Too many open files").
func unwrapSyscall(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

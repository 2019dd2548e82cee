package api

import (
	"errors"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// conn is one client connection: its input buffer, its bounded output
// queue and what it said when it signed on.
type conn struct {
	s    *Server
	fd   int
	tok  loop.Token
	cred sysio.Cred

	in []byte // bytes read and not yet consumed

	out      []byte // frames not yet written, from outHead on
	outHead  int
	ends     []int // end offset in out of each queued frame
	writing  bool  // registered for Writable
	sendqlen int

	signed   bool // signed on
	pid      int  // claimed pid; 0 until a signon names one
	id       string
	idSet    bool
	casual   bool
	uid, gid uint32
	gen      int
	joined   bool // a named client announced as joined
	filter   Treatment
	signal   int
	closed   bool
}

// HandleEvents reads what the client sent and writes what waits for it.
func (c *conn) HandleEvents(ev loop.Events) {
	if ev&loop.Writable != 0 {
		c.flush()
	}
	if !c.closed && ev&(loop.Readable|loop.Hangup|loop.Error) != 0 {
		c.read()
	}
}

// read reads a bounded number of chunks, handling every complete frame.
func (c *conn) read() {
	for range maxReadsPerEvent {
		if cap(c.in)-len(c.in) < readChunk/2 {
			c.reserve(readChunk)
		}
		n, err := sysio.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if err != nil {
			if !errors.Is(err, sysio.ErrWouldBlock) {
				c.s.drop(c, "read error")
			}
			return
		}
		if n == 0 {
			c.s.drop(c, "EOF")
			return
		}
		c.in = c.in[:len(c.in)+n]
		if !c.frames() {
			return
		}
	}
}

// frames handles the complete frames in c.in and keeps the rest. It
// reports whether the connection is still open.
func (c *conn) frames() bool {
	off := 0
	for !c.closed {
		body, n, err := SplitFrame(c.in[off:])
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				fe.Offset = off // of what is buffered; enough to find it in a capture
			}
			c.s.logf("api: client pid %d (peer pid %d): %v: closing", c.pid, c.cred.PID, err)
			c.s.drop(c, "bad frame")
			return false
		}
		if n == 0 {
			if len(c.in)-off >= HeaderLen {
				// A large frame is arriving: make room for all of it.
				c.reserve(frameLen(c.in[off:]) - (len(c.in) - off))
			}
			break
		}
		c.s.handle(c, body)
		off += n
	}
	if c.closed {
		return false
	}
	c.in = c.in[:copy(c.in, c.in[off:])]
	return true
}

// reserve makes room for n more bytes after len(c.in).
func (c *conn) reserve(n int) {
	if cap(c.in)-len(c.in) >= n {
		return
	}
	b := make([]byte, len(c.in), len(c.in)+n)
	copy(b, c.in)
	c.in = b
}

// enqueue sends frame, or queues what the socket will not take now. A
// client whose queue overflows is dropped: the daemon never waits.
func (c *conn) enqueue(frame []byte) {
	if c.closed {
		return
	}
	if c.outHead == len(c.out) {
		n, err := sysio.Send(c.fd, frame)
		if err != nil && !errors.Is(err, sysio.ErrWouldBlock) {
			c.s.drop(c, "sendfail")
			return
		}
		if n == len(frame) {
			return
		}
		frame = frame[n:]
	}
	if len(c.ends) >= c.sendqlen || len(c.out)-c.outHead+len(frame) > c.s.opt.MaxQueueBytes {
		c.s.logf("api: client %s pid %d: send queue full (%d messages): dropping it", c.name(), c.pid, len(c.ends))
		c.s.drop(c, "sendq full")
		return
	}
	c.out = append(c.out, frame...)
	c.ends = append(c.ends, len(c.out))
	if !c.writing {
		c.writing = true
		c.s.l.Modify(c.tok, loop.Readable|loop.Writable)
	}
}

// flush writes queued frames until the socket is full or the queue empty.
func (c *conn) flush() {
	for c.outHead < len(c.out) {
		n, err := sysio.Send(c.fd, c.out[c.outHead:])
		if err != nil {
			if !errors.Is(err, sysio.ErrWouldBlock) {
				c.s.drop(c, "sendfail")
			}
			break
		}
		c.outHead += n
	}
	if c.closed {
		return
	}
	done := 0
	for done < len(c.ends) && c.ends[done] <= c.outHead {
		done++
	}
	if done > 0 {
		c.ends = c.ends[:copy(c.ends, c.ends[done:])]
	}
	if c.outHead == len(c.out) {
		c.out, c.outHead, c.ends = c.out[:0], 0, c.ends[:0]
		if c.writing {
			c.writing = false
			c.s.l.Modify(c.tok, loop.Readable)
		}
	} else if c.outHead > cap(c.out)/2 {
		n := copy(c.out, c.out[c.outHead:])
		for i := range c.ends {
			c.ends[i] -= c.outHead
		}
		c.out, c.outHead = c.out[:n], 0
	}
}

// name is how logs call the client.
func (c *conn) name() string {
	if !c.idSet {
		return "(unsigned)"
	}
	if c.casual {
		return "casual"
	}
	return c.id
}

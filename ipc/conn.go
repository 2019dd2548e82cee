package ipc

import (
	"errors"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// Conn is one client connection: its input buffer and bounded output
// queue. Its methods run on the loop goroutine.
type Conn struct {
	// Data is the handler's own state for this connection.
	Data any

	s     *Server
	fd    int
	tok   loop.Token
	cred  sysio.Cred
	timer loop.Timer // the unsigned timeout

	in []byte // bytes read and not yet consumed

	out      []byte // frames not yet written, from outHead on
	outHead  int
	ends     []int // end offset in out of each queued frame
	writing  bool  // registered for Writable
	sendqlen int

	signed bool
	closed bool
}

// Cred returns the peer's credentials as the kernel recorded them.
func (c *Conn) Cred() sysio.Cred { return c.cred }

// Closed reports whether the connection is closed.
func (c *Conn) Closed() bool { return c.closed }

// Queued returns how many frames wait to be written.
func (c *Conn) Queued() int { return len(c.ends) }

// SetSendQLen sets how many frames may wait for this client before it is
// dropped.
func (c *Conn) SetSendQLen(n int) { c.sendqlen = n }

// SignedOn marks the connection as signed on: it no longer counts against
// MaxUnsigned nor has a time limit.
func (c *Conn) SignedOn() {
	if c.signed || c.closed {
		return
	}
	c.signed = true
	c.s.unsigned--
	c.s.l.StopTimer(&c.timer)
}

func (c *Conn) unsignedTimeout(int64) {
	if c.signed || c.closed {
		return
	}
	c.s.logf("%s: client pid %d uid %d did not sign on within %v: closing", c.s.opt.Name, c.cred.PID, c.cred.UID, c.s.opt.UnsignedTimeout)
	c.Close("unsigned timeout")
}

// Close closes the connection and tells the handler, once.
func (c *Conn) Close(reason string) {
	if c.closed {
		return
	}
	c.closed = true
	s := c.s
	if !c.signed {
		s.unsigned--
		s.l.StopTimer(&c.timer)
	}
	s.l.Unregister(c.tok)
	sysio.Close(c.fd)
	c.fd = -1
	delete(s.conns, c)
	c.in, c.out, c.ends = nil, nil, nil
	s.h.Closed(c, reason)
}

// HandleEvents reads what the client sent and writes what waits for it.
func (c *Conn) HandleEvents(ev loop.Events) {
	if ev&loop.Writable != 0 {
		c.flush()
	}
	if !c.closed && ev&(loop.Readable|loop.Hangup|loop.Error) != 0 {
		c.read()
	}
}

// read reads a bounded number of times, handling every complete frame.
// The buffer grows only when full, doubling, so what the server holds for
// a client is bounded by what it sent (and one frame), never by what a
// frame header claims.
func (c *Conn) read() {
	for range maxReadsPerEvent {
		if len(c.in) == cap(c.in) {
			c.grow()
		}
		n, err := sysio.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if err != nil {
			if !errors.Is(err, sysio.ErrWouldBlock) {
				c.Close("read error")
			}
			return
		}
		if n == 0 {
			c.Close("EOF")
			return
		}
		c.in = c.in[:len(c.in)+n]
		if !c.frames() {
			return
		}
	}
}

// grow doubles the input buffer, from minBuffer up to one whole frame
// (the buffer never holds more than one incomplete frame).
func (c *Conn) grow() {
	n := min(max(2*cap(c.in), minBuffer), HeaderLen+c.s.opt.MaxFrame)
	if n <= cap(c.in) {
		return // full with a whole frame: frames consumed it already
	}
	b := make([]byte, len(c.in), n)
	copy(b, c.in)
	c.in = b
}

// frames handles the complete frames in c.in and keeps the rest. It
// reports whether the connection is still open.
func (c *Conn) frames() bool {
	off := 0
	for !c.closed {
		body, n, err := SplitFrame(c.in[off:], c.s.opt.MaxFrame)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				fe.Offset = off
			}
			c.s.logf("%s: client pid %d uid %d: %v: closing", c.s.opt.Name, c.cred.PID, c.cred.UID, err)
			c.Close("bad frame")
			return false
		}
		if n == 0 {
			break
		}
		c.s.h.Frame(c, body)
		off += n
	}
	if c.closed {
		return false
	}
	c.in = c.in[:copy(c.in, c.in[off:])]
	if len(c.in) == 0 && cap(c.in) > keepBuffer {
		c.in = nil // a large frame is done: give its memory back
	}
	return true
}

// Send writes frame, or queues what the socket will not take now. A
// client whose queue overflows is closed ("sendq full"): the daemon never
// waits. It reports whether the connection is still open.
func (c *Conn) Send(frame []byte) bool {
	if c.closed {
		return false
	}
	if c.outHead == len(c.out) {
		n, err := sysio.Send(c.fd, frame)
		if err != nil && !errors.Is(err, sysio.ErrWouldBlock) {
			c.Close("sendfail")
			return false
		}
		if n == len(frame) {
			return true
		}
		frame = frame[n:]
	}
	if len(c.ends) >= c.sendqlen || len(c.out)-c.outHead+len(frame) > c.s.opt.MaxQueueBytes {
		c.s.logf("%s: client pid %d uid %d: send queue full (%d messages): dropping it", c.s.opt.Name, c.cred.PID, c.cred.UID, len(c.ends))
		c.Close("sendq full")
		return false
	}
	c.out = append(c.out, frame...)
	c.ends = append(c.ends, len(c.out))
	if !c.writing {
		c.writing = true
		c.s.l.Modify(c.tok, loop.Readable|loop.Writable)
	}
	return true
}

// flush writes queued frames until the socket is full or the queue empty.
func (c *Conn) flush() {
	for c.outHead < len(c.out) {
		n, err := sysio.Send(c.fd, c.out[c.outHead:])
		if err != nil {
			if !errors.Is(err, sysio.ErrWouldBlock) {
				c.Close("sendfail")
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

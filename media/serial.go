package media

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// Serial framing, as serial.so reads and writes it.
const (
	serialChunk = 512     // FRAGSIZE: bytes per write
	serialMax   = 262144  // MAXMSG: longest line and longest message
	defaultBaud = 19200   // DEFAULTBAUDRATE
	startMarker = ">>>"   // a line that starts a message
	endMarker   = "<<<"   // a line that ends it
	classicHead = ">>>\n" // MSG_START: a packet already in classic form
	netstrHead  = "###\n" // MSG_START_NETSTRING
	bit7Mask    = 0x7f    // ISTRIP

	// serialQueue bounds the output held back while the line is slower
	// than the messages (64 KiB is half a minute at 19200 baud).
	serialQueue = 64 << 10
	// serialStuck is how long a chunk may wait for room in the tty before
	// the write times out: heartbeat's 500 ms alarm around write.
	serialStuck = int64(500 * time.Millisecond)
	// serialRetry spaces the tries of a chunk the tty did not take.
	serialRetry = int64(10 * time.Millisecond)
)

// chunkPause is serial.so's fragment_write_delay: the time the line needs
// for 512 bytes, computed as it does, with the integer baud/8.
func chunkPause(baud int) time.Duration {
	return time.Duration(float64(serialChunk)/float64(baud/8)*1e6) * time.Microsecond
}

// lineReader turns the bytes of a serial line into classic messages, as
// serial_read does with ttygets: bytes up to LF make a line (CR ignored and
// bit 7 stripped, which the tty's IGNCR and ISTRIP also do); lines are
// skipped until one starts with ">>>", and gathered up to and including
// one that starts with "<<<". Each line is kept up to a NUL, as the C
// string functions see it.
type lineReader struct {
	line      []byte
	msg       []byte
	gathering bool
}

// feed consumes bytes from p until a message is complete and returns the
// number of bytes used and the message (a view valid until the next
// feed), or nil when p ran out first.
func (r *lineReader) feed(p []byte) (int, []byte) {
	for i, c := range p {
		c &= bit7Mask
		if c == '\r' {
			continue
		}
		if c != '\n' {
			r.line = append(r.line, c)
			if len(r.line) < serialMax {
				continue
			}
			// ttygets returns a full buffer as a line.
		}
		if msg := r.endLine(); msg != nil {
			return i + 1, msg
		}
	}
	return len(p), nil
}

// endLine handles a complete line and returns the message it completes.
func (r *lineReader) endLine() []byte {
	line := r.line
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	r.line = r.line[:0]
	if !r.gathering {
		if bytes.HasPrefix(line, []byte(startMarker)) {
			r.gathering = true
			r.msg = append(append(r.msg[:0], line...), '\n')
		}
		return nil
	}
	if len(r.msg)+len(line)+1 >= serialMax {
		// "serial_read:serial_pkt exceeds MAXMSG": dropped, start over.
		r.gathering = false
		r.msg = r.msg[:0]
		return nil
	}
	r.msg = append(append(r.msg, line...), '\n')
	if bytes.HasPrefix(line, []byte(endMarker)) {
		r.gathering = false
		return r.msg
	}
	return nil
}

// chunk is one write of at most 512 bytes of the output queue.
type chunk struct {
	n     int  // bytes left to write
	pause bool // wait chunkPause after it: more of the same message follows
}

// lineWriter queues classic text for a serial line and hands it out in
// heartbeat's rhythm: each message in 512-byte chunks with a pause after
// every chunk but its last, the next message right after.
type lineWriter struct {
	buf    []byte // queued bytes
	chunks []chunk
	pause  int64 // ns
	due    int64 // when the first chunk may be written
	since  int64 // when the first chunk became due, for the write timeout
	in     wire.Packet
	text   []byte
}

var errQueueFull = errors.New("output queue full: the line is not keeping up")

// classicText returns what serial_write sends for pkt: a classic packet
// as is (up to a NUL); a netstring packet authenticated, given a fresh
// inner auth field and written as classic text without the NUL. The result
// is valid until the next call.
func (w *lineWriter) classicText(pkt []byte, keys *wire.Keyring) ([]byte, error) {
	switch {
	case bytes.HasPrefix(pkt, []byte(classicHead)):
		if i := bytes.IndexByte(pkt, 0); i >= 0 {
			pkt = pkt[:i]
		}
		return pkt, nil
	case bytes.HasPrefix(pkt, []byte(netstrHead)):
		if err := w.in.Decode(pkt); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		if err := keys.Verify(&w.in); err != nil {
			return nil, err
		}
		var err error
		if w.text, err = keys.AppendClassicPacket(w.text[:0], &w.in.Msg); err != nil {
			return nil, fmt.Errorf("encode classic: %w", err)
		}
		return w.text[:len(w.text)-1], nil // without the NUL
	}
	return nil, errors.New("neither a classic nor a netstring packet")
}

// queue adds a message's text, due no earlier than now.
func (w *lineWriter) queue(text []byte, now int64) error {
	if len(w.buf)+len(text) > serialQueue {
		return errQueueFull
	}
	if len(w.chunks) == 0 {
		w.due, w.since = now, now
	}
	w.buf = append(w.buf, text...)
	for len(text) > 0 {
		n := min(len(text), serialChunk)
		text = text[n:]
		w.chunks = append(w.chunks, chunk{n: n, pause: len(text) > 0})
	}
	return nil
}

// next returns the bytes of the first chunk if it is due at now.
func (w *lineWriter) next(now int64) []byte {
	if len(w.chunks) == 0 || now < w.due {
		return nil
	}
	return w.buf[:w.chunks[0].n]
}

// wrote records that n bytes of the first chunk went out at now. It
// reports a timeout when the chunk has been due for longer than heartbeat's
// write alarm, after dropping everything queued.
func (w *lineWriter) wrote(n int, now int64) (timedOut bool) {
	c := &w.chunks[0]
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	c.n -= n
	if c.n > 0 {
		if now-w.since > serialStuck {
			w.drop()
			return true
		}
		w.due = now + serialRetry
		return false
	}
	pause := c.pause
	w.chunks = w.chunks[:copy(w.chunks, w.chunks[1:])]
	w.due = now
	if pause {
		w.due = now + w.pause
	}
	w.since = w.due
	return false
}

func (w *lineWriter) drop() {
	w.buf, w.chunks = w.buf[:0], w.chunks[:0]
}

func (w *lineWriter) nextWrite() (int64, bool) {
	if len(w.chunks) == 0 {
		return 0, false
	}
	return w.due, true
}

package layer

import (
	"fmt"

	"github.com/hbd-ha/hbd/internal/prio"
)

// LogLine is one line a layer logs, without the prefix the logger adds
// ("Mon DD HH:MM:SS node heartbeat: [pid]: info: ").
type LogLine struct {
	Prio prio.Level
	Text []byte // valid until the Advance after the Ready that carried it
	// Seq is the line's place among the lines of every layer that shares
	// its Order: a driver writes them in Seq order (MergeLogs), which is
	// the order in which they were made.
	Seq uint64
}

func (l LogLine) String() string { return l.Prio.String() + ": " + string(l.Text) }

// Order numbers the log lines of the layers of one stack, so that a
// driver that takes each layer's Ready separately can still write them in
// the order they were made (a layer called synchronously by another logs
// between its caller's lines). The zero value is ready to use.
type Order struct{ n uint64 }

// Next returns the next number.
func (o *Order) Next() uint64 {
	o.n++
	return o.n
}

// Log collects log lines and their text in reused buffers.
type Log struct {
	Lines []LogLine
	text  Arena
}

// Reset forgets every line; the buffers are kept.
func (l *Log) Reset() {
	l.Lines = l.Lines[:0]
	l.text.Reset()
}

// Add logs the concatenation of parts, numbered by o (nil: 0). It
// allocates nothing once the buffers have grown.
func (l *Log) Add(o *Order, p prio.Level, parts ...string) {
	l.Lines = append(l.Lines, LogLine{Prio: p, Text: l.text.Strings(parts...), Seq: o.next()})
}

// Addf logs a formatted line, numbered by o (nil: 0).
func (l *Log) Addf(o *Order, p prio.Level, format string, args ...any) {
	l.Lines = append(l.Lines, LogLine{Prio: p, Text: l.text.Appendf(format, args...), Seq: o.next()})
}

func (o *Order) next() uint64 {
	if o == nil {
		return 0
	}
	return o.Next()
}

// MergeLogs calls f for every line of a and b in Seq order (lines of one
// list keep their order; on equal Seq, a's first).
func MergeLogs(f func(LogLine), a, b []LogLine) {
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || (len(a) > 0 && a[0].Seq <= b[0].Seq) {
			f(a[0])
			a = a[1:]
		} else {
			f(b[0])
			b = b[1:]
		}
	}
}

// Arena is a byte buffer that hands out capped views of what was copied
// into it. A grown arena leaves earlier views pointing at the old array,
// which stays valid and unchanged; only new data goes to the new one.
type Arena struct{ b []byte }

// Reset forgets the contents; the buffer is kept (views handed out
// before must not be used any more).
func (a *Arena) Reset() { a.b = a.b[:0] }

// Copy copies p into the arena and returns the copy.
func (a *Arena) Copy(p []byte) []byte {
	start := len(a.b)
	a.b = append(a.b, p...)
	return a.b[start:len(a.b):len(a.b)]
}

// Strings copies the concatenation of parts into the arena.
func (a *Arena) Strings(parts ...string) []byte {
	start := len(a.b)
	for _, s := range parts {
		a.b = append(a.b, s...)
	}
	return a.b[start:len(a.b):len(a.b)]
}

// Appendf formats into the arena (fmt.Appendf).
func (a *Arena) Appendf(format string, args ...any) []byte {
	start := len(a.b)
	a.b = fmt.Appendf(a.b, format, args...)
	return a.b[start:len(a.b):len(a.b)]
}

package loop

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// HistEdges are the upper bounds of a Hist's buckets; the last bucket
// holds everything above the last edge. They span what matters at a
// millisecond keepalive: the kernel's wake-up latency (tens of µs) up to
// a deadtime.
var HistEdges = [...]time.Duration{
	10 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond,
}

// Hist is a fixed histogram of durations: Hist[i] counts those at or
// below HistEdges[i] (and above the edge before), the last entry those
// above every edge.
type Hist [len(HistEdges) + 1]uint64

// histBucket returns d's bucket.
func histBucket(d time.Duration) int {
	for i, e := range HistEdges {
		if d <= e {
			return i
		}
	}
	return len(HistEdges)
}

// atomicHist is a Hist written by the loop and read by Stats.
type atomicHist [len(HistEdges) + 1]atomic.Uint64

func (h *atomicHist) add(d time.Duration) { h[histBucket(d)].Add(1) }

func (h *atomicHist) load() (out Hist) {
	for i := range h {
		out[i] = h[i].Load()
	}
	return out
}

// Total returns the number of samples.
func (h *Hist) Total() uint64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns the upper edge of the bucket holding quantile q (0..1):
// the sample at q is at or below it. Above the last edge it returns -1
// (unbounded); with no samples, 0.
func (h *Hist) Quantile(q float64) time.Duration {
	n := h.Total()
	if n == 0 {
		return 0
	}
	want := uint64(q*float64(n) + 0.5)
	want = max(want, 1)
	var seen uint64
	for i, c := range h {
		seen += c
		if seen >= want && i < len(HistEdges) {
			return HistEdges[i]
		}
	}
	return -1
}

// String lists the non-empty buckets as "≤edge:count", the last as
// ">edge:count".
func (h *Hist) String() string {
	var b strings.Builder
	for i, c := range h {
		if c == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if i < len(HistEdges) {
			fmt.Fprintf(&b, "<=%v:%d", HistEdges[i], c)
		} else {
			fmt.Fprintf(&b, ">%v:%d", HistEdges[i-1], c)
		}
	}
	if b.Len() == 0 {
		return "empty"
	}
	return b.String()
}

package loop

import (
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// One iteration with a ready fd, a fired timer and a wake-up allocates
// nothing.
func TestIterationNoAllocs(t *testing.T) {
	wakes := 0
	l := newLoop(t, Options{WakeHandler: func() { wakes++ }})
	r, w := pipe(t)
	write(t, w, "always readable: never drained")
	reads := 0
	if _, err := l.Register(r, Readable, HandlerFunc(func(Events) { reads++ })); err != nil {
		t.Fatal(err)
	}
	var tm Timer
	fires := 0
	tm.Init(func(now int64) {
		fires++
		l.Schedule(&tm, now) // due again next iteration
	})
	l.After(&tm, 0)
	l.runOnce(true) // warm up
	noAllocs(t, "iteration", func() {
		l.Wake()
		if err := l.runOnce(true); err != nil {
			t.Fatal(err)
		}
	})
	if reads < 100 || fires < 100 || wakes < 100 {
		t.Errorf("reads %d, fires %d, wakes %d: the iterations did not do the work", reads, fires, wakes)
	}
}

func BenchmarkIterationIdle(b *testing.B) {
	l := newLoop(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		l.runOnce(false)
	}
}

func BenchmarkIterationFdAndTimer(b *testing.B) {
	l := newLoop(b, Options{})
	r, w := pipe(b)
	write(b, w, "x")
	if _, err := l.Register(r, Readable, HandlerFunc(func(Events) {})); err != nil {
		b.Fatal(err)
	}
	var tm Timer
	tm.Init(func(now int64) { l.Schedule(&tm, now) })
	l.After(&tm, 0)
	b.ReportAllocs()
	for b.Loop() {
		l.runOnce(true)
	}
}

// Wake from another goroutine until the WakeHandler runs in the loop, one
// round trip per op (the reply over a channel is included).
func BenchmarkWakeLatency(b *testing.B) {
	reply := make(chan struct{}, 1)
	l := newLoop(b, Options{WakeHandler: func() {
		select {
		case reply <- struct{}{}:
		default:
		}
	}})
	stop := start(b, l)
	defer stop()
	b.ReportAllocs()
	for b.Loop() {
		l.Wake()
		<-reply
	}
}

// The cost of a Wake when one is already pending: a failed compare-and-swap.
func BenchmarkWakePending(b *testing.B) {
	l := newLoop(b, Options{})
	l.Wake()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Wake()
		}
	})
}

// Wake-up latency as the loop sees it: from Wake to the handler, measured
// on the monotonic clock, reported as a custom metric.
func BenchmarkWakeToHandler(b *testing.B) {
	var mu sync.Mutex
	var sent int64
	var total time.Duration
	reply := make(chan struct{}, 1)
	l := newLoop(b, Options{WakeHandler: func() {
		now := sysio.Monotonic()
		mu.Lock()
		if sent != 0 {
			total += time.Duration(now - sent)
			sent = 0
		}
		mu.Unlock()
		select {
		case reply <- struct{}{}:
		default:
		}
	}})
	stop := start(b, l)
	defer stop()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		mu.Lock()
		sent = sysio.Monotonic()
		mu.Unlock()
		l.Wake()
		<-reply
		n++
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(n), "ns-to-handler")
}

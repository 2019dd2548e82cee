package loop

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestPlanWait(t *testing.T) {
	const spin = 100 * time.Microsecond
	for _, tc := range []struct{ timeout, spin, want time.Duration }{
		{-1, spin, -1}, // no deadline: sleep until an event
		{0, spin, 0},
		{2 * time.Millisecond, 0, 2 * time.Millisecond},
		// Wake a spin early, then poll (0) inside the window.
		{2 * time.Millisecond, spin, 2*time.Millisecond - spin},
		{spin, spin, 0},
		{spin / 2, spin, 0},
	} {
		if got := planWait(tc.timeout, tc.spin); got != tc.want {
			t.Errorf("planWait(%v, %v) = %v, want %v", tc.timeout, tc.spin, got, tc.want)
		}
	}
}

func TestSpinNeedsPrecise(t *testing.T) {
	o, err := Options{Spin: 50 * time.Microsecond}.withDefaults()
	if err != nil || o.Spin != 0 {
		t.Errorf("Spin without Precise: %v, %v; want it dropped", o.Spin, err)
	}
	o, err = Options{Precise: true, Spin: 50 * time.Microsecond}.withDefaults()
	if err != nil || o.Spin != 50*time.Microsecond {
		t.Errorf("Spin with Precise: %v, %v", o.Spin, err)
	}
}

func TestHist(t *testing.T) {
	var a atomicHist
	for _, d := range []time.Duration{0, 10 * time.Microsecond, 11 * time.Microsecond, 700 * time.Microsecond, time.Second} {
		a.add(d)
	}
	h := a.load()
	if h[0] != 2 || h[1] != 1 || h[6] != 1 || h[len(h)-1] != 1 || h.Total() != 5 {
		t.Fatalf("buckets %v", h)
	}
	if q := h.Quantile(0.5); q != 20*time.Microsecond {
		t.Errorf("p50 %v, want the 20µs bucket", q)
	}
	if q := h.Quantile(0.8); q != time.Millisecond {
		t.Errorf("p80 %v, want the 1ms bucket", q)
	}
	if q := h.Quantile(1); q != -1 {
		t.Errorf("max %v, want -1 (above every edge)", q)
	}
	if s, want := h.String(), "<=10µs:2 <=20µs:1 <=1ms:1 >20ms:1"; s != want {
		t.Errorf("String %q, want %q", s, want)
	}
	var empty Hist
	if empty.String() != "empty" || empty.Quantile(0.5) != 0 {
		t.Errorf("empty: %q %v", empty.String(), empty.Quantile(0.5))
	}
}

// The lateness and stall histograms count the iterations that ran timers.
func TestStatsHistograms(t *testing.T) {
	l := newLoop(t, Options{Precise: true})
	const n = 5
	done := make(chan struct{})
	var tm Timer
	count := 0
	tm.Init(func(int64) {
		if count++; count == n {
			close(done)
			return
		}
		l.After(&tm, 200*time.Microsecond)
	})
	l.After(&tm, 0)
	stop := start(t, l)
	recvWithin(t, done, "timers")
	stop()
	s := l.Stats()
	if s.Late.Total() < n || s.Stall.Total() < n-1 {
		t.Errorf("late %v, stalls %v: want at least %d samples each", s.Late, s.Stall, n)
	}
}

// PinCPU: the loop's thread alone on one CPU, the process's other threads
// off it, and everything back when Run returns.
func TestPinCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := affinity(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 2 {
		t.Skip("one CPU: PinCPU does nothing")
	}
	l := newLoop(t, Options{PinCPU: true})
	type seen struct {
		self   []int
		others [][]int
	}
	got := make(chan seen, 1)
	var tm Timer
	tm.Init(func(int64) {
		var s seen
		s.self, _ = affinity(0)
		ents, _ := os.ReadDir("/proc/self/task")
		for _, e := range ents {
			tid, _ := strconv.Atoi(e.Name())
			if set, err := affinity(tid); tid != gettid() && err == nil {
				s.others = append(s.others, set)
			}
		}
		got <- s
		l.Stop()
	})
	l.After(&tm, 0)
	// Run on this (locked) thread, so the restore can be checked here.
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if len(s.self) != 1 {
		t.Fatalf("loop thread on CPUs %v, want one", s.self)
	}
	if len(s.others) == 0 {
		t.Fatal("no other thread seen")
	}
	for _, o := range s.others {
		if slices.Contains(o, s.self[0]) || len(o) != len(before)-1 {
			t.Errorf("another thread on CPUs %v, want all of %v but the loop's %d", o, before, s.self[0])
		}
	}
	if after, _ := affinity(0); !slices.Equal(after, before) {
		t.Errorf("after Run: CPUs %v, want %v back", after, before)
	}
}

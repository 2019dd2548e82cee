package loop

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	if before.Count() < 2 {
		t.Skip("one CPU: PinCPU does nothing")
	}
	l := newLoop(t, Options{PinCPU: true})
	type seen struct {
		self   unix.CPUSet
		others []unix.CPUSet
	}
	got := make(chan seen, 1)
	var tm Timer
	tm.Init(func(int64) {
		var s seen
		unix.SchedGetaffinity(0, &s.self)
		ents, _ := os.ReadDir("/proc/self/task")
		for _, e := range ents {
			tid, _ := strconv.Atoi(e.Name())
			var set unix.CPUSet
			if tid != unix.Gettid() && unix.SchedGetaffinity(tid, &set) == nil {
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
	if s.self.Count() != 1 {
		t.Fatalf("loop thread on %d CPUs, want 1", s.self.Count())
	}
	cpu := -1
	for c := range len(s.self) * 64 {
		if s.self.IsSet(c) {
			cpu = c
		}
	}
	if len(s.others) == 0 {
		t.Fatal("no other thread seen")
	}
	for _, o := range s.others {
		if o.IsSet(cpu) || o.Count() != before.Count()-1 {
			t.Errorf("another thread on CPUs %v, want all but the loop's %d", o, cpu)
		}
	}
	var after unix.CPUSet
	unix.SchedGetaffinity(0, &after)
	if after != before {
		t.Errorf("after Run: CPUs %v, want %v back", after, before)
	}
}

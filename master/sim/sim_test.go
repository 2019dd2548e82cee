package sim

import (
	"flag"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// go test ./master/... -rewrite reaches every package of the tree.
var _ = flag.Bool("rewrite", false, "unused here")

var schedules = flag.Int("schedules", 1000, "random fault schedules TestRandomSchedules runs")

// TestRandomSchedules runs many random fault schedules and checks the
// membership invariants on each (see Checker).
func TestRandomSchedules(t *testing.T) {
	n := *schedules
	if testing.Short() || raceEnabled {
		n /= 10
	}
	var next atomic.Uint64
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				seed := next.Add(1)
				if seed > uint64(n) {
					return
				}
				sc := RandomSchedule(seed)
				v, err := sc.Run()
				if err != nil {
					t.Error(err)
					return
				}
				if len(v) > 0 {
					mu.Lock()
					if failures++; failures <= 5 {
						t.Errorf("%s%d violations, first: %v", sc, len(v), v[:min(len(v), 5)])
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d schedules in %v (%.0f/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
}

// The checker must be able to fail: a master that ignored a peer's
// heartbeats would be caught, and so would one that never declared a
// crashed node dead.
func TestCheckerCatchesViolations(t *testing.T) {
	s, err := New(Options{Nodes: []string{"a", "b"}, Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(s)
	_ = s.Start(0)
	_ = s.Start(1)
	s.RunFor(6 * time.Second)
	if len(c.Violations) != 0 {
		t.Fatalf("healthy run: %v", c.Violations)
	}
	// Pretend b's statuses kept arriving at a just now.
	v := &c.views[0][1]
	v.newest = s.Now
	s.SetLinks([]int{1}, []int{0}, -1, func(l *Link) { l.Down = true })
	v.newest = s.Now + int64(400*time.Millisecond)
	s.RunFor(time.Second)
	if len(c.Violations) == 0 {
		t.Error("a death right after a delivered status was not reported")
	}
	c.Violations = nil
	s.Heal()
	s.RunFor(time.Second)
	c.Violations = nil
	// A crash the checker watches, with the observer never woken to
	// notice it (as if its timer were lost): time passes, no Tick runs.
	s.Crash(1)
	s.Now += int64(time.Second)
	c.tick(s)
	if len(c.Violations) == 0 {
		t.Error("a crashed node never declared dead was not reported")
	}
}

func BenchmarkSchedule(b *testing.B) {
	seed := uint64(0)
	for b.Loop() {
		seed++
		if _, err := RandomSchedule(seed).Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
}

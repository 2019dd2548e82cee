package loop

import (
	"slices"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

// step is one operation on a wheel in virtual time.
type step struct {
	op   string // "sched", "stop", "adv"
	name string
	at   int64    // deadline (sched) or now (adv), relative to the scenario origin
	want []string // adv: timers fired, in order; stop: ["true"] or nil
}

func sched(name string, at int64) step { return step{op: "sched", name: name, at: at} }
func stop(name string, was bool) step {
	return step{op: "stop", name: name, want: map[bool][]string{true: {"true"}}[was]}
}
func adv(at int64, fired ...string) step { return step{op: "adv", at: at, want: fired} }

func runSteps(t *testing.T, origin int64, tick time.Duration, steps []step) {
	t.Helper()
	w := NewWheel(tick, origin)
	timers := map[string]*Timer{}
	var fired []string
	var lastNow int64 = origin
	timer := func(name string) *Timer {
		if tm, ok := timers[name]; ok {
			return tm
		}
		tm := new(Timer)
		tm.Init(func(now int64) {
			if now < tm.Deadline() {
				t.Errorf("%s fired at %d, before its deadline %d", name, now-origin, tm.Deadline()-origin)
			}
			fired = append(fired, name)
		})
		timers[name] = tm
		return tm
	}
	for i, s := range steps {
		switch s.op {
		case "sched":
			w.Schedule(timer(s.name), origin+s.at)
		case "stop":
			if got := w.Stop(timer(s.name)); got != (s.want != nil) {
				t.Errorf("step %d: Stop(%s) = %v", i, s.name, got)
			}
		case "adv":
			fired = nil
			n := w.Advance(origin + s.at)
			lastNow = origin + s.at
			if !slices.Equal(fired, s.want) || n != len(fired) {
				t.Errorf("step %d: Advance(%v) fired %q (n=%d), want %q", i, time.Duration(s.at), fired, n, s.want)
			}
		}
		mustCheck(t, w)
		if next, ok := w.Next(); ok && s.op == "adv" && next <= lastNow {
			t.Errorf("step %d: Next = %v, not after now %v", i, time.Duration(next-origin), time.Duration(s.at))
		}
	}
}

func TestWheelScenarios(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"fires at deadline, exactly once", []step{
			sched("a", 5*ms), adv(5*ms - 1), adv(5*ms, "a"), adv(10 * ms), adv(time.Hour.Nanoseconds()),
		}},
		{"reset later", []step{
			sched("a", 5*ms), sched("a", 8*ms), adv(6 * ms), adv(8*ms - 1), adv(8*ms, "a"), adv(20 * ms),
		}},
		{"reset earlier", []step{
			sched("a", 8*ms), sched("a", 3*ms), adv(3*ms, "a"), adv(9 * ms),
		}},
		{"reset after firing", []step{
			sched("a", 1*ms), adv(1*ms, "a"), sched("a", 2*ms), adv(2*ms, "a"),
		}},
		{"stop", []step{
			sched("a", 5*ms), stop("a", true), adv(10 * ms), stop("a", false), stop("never", false),
		}},
		{"stop after firing", []step{
			sched("a", 5*ms), adv(5*ms, "a"), stop("a", false),
		}},
		{"order within a tick", []step{
			sched("b", 5*ms+700_000), sched("a", 5*ms+200_000), sched("c", 5*ms+200_000),
			adv(5*ms + 199_999), adv(5*ms+500_000, "a", "c"), adv(5*ms + 699_999), adv(5*ms+700_000, "b"),
		}},
		{"whole tick at once, deadline order then scheduling order", []step{
			sched("b", 5*ms+700_000), sched("c", 5*ms+200_000), sched("a", 5*ms+200_000),
			adv(6*ms, "c", "a", "b"),
		}},
		{"order across ticks in one Advance", []step{
			sched("x", 9*ms), sched("y", 2*ms), sched("z", 5*ms), sched("w", 200*ms), adv(10*ms, "y", "z", "x"), adv(199 * ms), adv(200*ms, "w"),
		}},
		{"past and present deadlines", []step{
			adv(10 * ms), sched("past", 3*ms), sched("now", 10*ms), sched("neg", -50*ms), adv(10*ms, "neg", "past", "now"),
		}},
		{"wrap-around of level 0 and level 1", []step{
			adv(60 * ms), sched("a", 63*ms+500_000), sched("b", 64*ms+200_000), sched("c", 4096*ms+1), sched("d", 4095*ms),
			adv(64*ms, "a"), adv(64*ms+200_000, "b"), adv(4095*ms, "d"), adv(4096 * ms), adv(4096*ms+1, "c"),
		}},
		{"far deadlines: deadtime, initdead, an hour, a year", []step{
			sched("deadtime", 30_000*ms), sched("initdead", 120_000*ms), sched("stonith", 3_600_000*ms), sched("year", 365*24*3_600_000*ms),
			adv(30_000*ms - 1), adv(30_000*ms, "deadtime"),
			adv(119_999 * ms), adv(120_000*ms, "initdead"),
			adv(3_599_999_999_999), adv(3_600_000*ms, "stonith"),
			adv(365*24*3_600_000*ms - 1), adv(365*24*3_600_000*ms, "year"),
		}},
		{"long stall fires everything in order", []step{
			sched("c", 90_000*ms), sched("a", 10*ms), sched("b", 5_000*ms), sched("later", 100_000*ms),
			adv(95_000*ms, "a", "b", "c"), adv(100_000*ms, "later"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, origin := range []int64{0, 1_234_567_890_123, 1<<62 + 12345} {
				for _, tick := range []time.Duration{time.Millisecond, 250 * time.Microsecond} {
					runSteps(t, origin, tick, tc.steps)
				}
			}
		})
	}
}

func TestWheelManyInOneSlot(t *testing.T) {
	w := NewWheel(time.Millisecond, 0)
	const n = 5000
	timers := make([]Timer, n)
	var order []int
	for i := range timers {
		i := i
		timers[i].Init(func(int64) { order = append(order, i) })
		// Same tick, deadlines descending, so order must be by deadline.
		w.Schedule(&timers[i], 7*ms+int64(n-i))
	}
	mustCheck(t, w)
	if got := w.Advance(7 * ms); got != 0 {
		t.Fatalf("fired %d before any deadline", got)
	}
	if got := w.Advance(8 * ms); got != n {
		t.Fatalf("fired %d, want %d", got, n)
	}
	for j, i := range order {
		if i != n-1-j {
			t.Fatalf("fire %d was timer %d, want %d", j, i, n-1-j)
		}
	}
	if w.Len() != 0 {
		t.Errorf("Len = %d after all fired", w.Len())
	}
	mustCheck(t, w)
}

func TestWheelNext(t *testing.T) {
	w := NewWheel(time.Millisecond, 0)
	if _, ok := w.Next(); ok {
		t.Fatal("Next on an empty wheel reported a deadline")
	}
	var near, far Timer
	w.Schedule(&far, 30_000*ms+123)
	if next, ok := w.Next(); !ok || next > far.Deadline() || next <= 0 {
		t.Fatalf("Next = %d, %v with only a far timer at %d", next, ok, far.Deadline())
	}
	w.Schedule(&near, 3*ms+456)
	if next, _ := w.Next(); next != near.Deadline() {
		t.Fatalf("Next = %d, want the exact near deadline %d", next, near.Deadline())
	}
	w.Stop(&near)
	if next, _ := w.Next(); next > far.Deadline() {
		t.Fatalf("Next = %d after Stop, past the far deadline %d", next, far.Deadline())
	}
	// Following Next from Advance to Advance reaches the far timer exactly,
	// through a few cascades, without ever waking after it.
	wakes := 0
	for far.Pending() {
		next, ok := w.Next()
		if !ok || next > far.Deadline() {
			t.Fatalf("Next = %d, %v past the deadline %d", next, ok, far.Deadline())
		}
		w.Advance(next)
		if wakes++; wakes > 100 {
			t.Fatal("Next/Advance never reach the far timer")
		}
	}
	if wakes > levels+1 {
		t.Errorf("%d wake-ups to reach a 30 s timer", wakes)
	}
	if _, ok := w.Next(); ok {
		t.Error("Next reported a deadline after the last timer fired")
	}
}

func TestWheelCallbacks(t *testing.T) {
	w := NewWheel(time.Millisecond, 0)
	var self, victim, spawned, b Timer
	var log []string
	selfCount := 0
	self.Init(func(now int64) {
		log = append(log, "self")
		selfCount++
		w.Schedule(&self, now) // already due: must wait for the next Advance
		w.Stop(&victim)
		w.Schedule(&spawned, now-1)
		if w.Advance(now+ms) != 0 {
			t.Error("nested Advance fired timers")
		}
	})
	victim.Init(func(int64) { log = append(log, "victim") })
	spawned.Init(func(int64) { log = append(log, "spawned") })
	b.Init(func(int64) { log = append(log, "b"); w.Schedule(&b, 100*ms) })
	w.Schedule(&self, 1*ms)
	w.Schedule(&victim, 1*ms+1)
	w.Schedule(&b, 1*ms+2)
	w.Advance(2 * ms)
	mustCheck(t, w)
	if want := []string{"self", "b"}; !slices.Equal(log, want) {
		t.Fatalf("first Advance ran %q, want %q", log, want)
	}
	log = nil
	w.Advance(2 * ms)
	if want := []string{"spawned", "self"}; !slices.Equal(log, want) {
		t.Fatalf("second Advance ran %q, want %q", log, want)
	}
	if !b.Pending() || b.Deadline() != 100*ms {
		t.Error("b did not reschedule itself")
	}
	mustCheck(t, w)
}

func TestWheelMoveBetweenWheels(t *testing.T) {
	w1, w2 := NewWheel(time.Millisecond, 0), NewWheel(time.Millisecond, 0)
	var tm Timer
	fired := 0
	tm.Init(func(int64) { fired++ })
	w1.Schedule(&tm, 5*ms)
	w2.Schedule(&tm, 6*ms)
	if w1.Len() != 0 || w2.Len() != 1 || w1.Stop(&tm) {
		t.Fatalf("timer still on the first wheel: Len %d, %d", w1.Len(), w2.Len())
	}
	w1.Advance(10 * ms)
	w2.Advance(10 * ms)
	if fired != 1 {
		t.Errorf("fired %d times, want 1", fired)
	}
	mustCheck(t, w1)
	mustCheck(t, w2)
}

func TestWheelNoAllocs(t *testing.T) {
	w := NewWheel(time.Millisecond, 0)
	var a, b Timer
	now := int64(0)
	a.Init(func(n int64) {})
	b.Init(func(n int64) {})
	noAllocs(t, "schedule/reset/stop", func() {
		w.Schedule(&a, now+30_000*ms)
		w.Schedule(&a, now+15*ms) // reset
		w.Stop(&a)
	})
	noAllocs(t, "schedule and expire", func() {
		w.Schedule(&a, now+ms)
		w.Schedule(&b, now+ms/2)
		now += 2 * ms
		if w.Advance(now) != 2 {
			t.Fatal("timers did not fire")
		}
		w.Next()
	})
}

func BenchmarkTimerReset(b *testing.B) {
	w := NewWheel(time.Millisecond, 0)
	var tm Timer
	tm.Init(func(int64) {})
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i++
		w.Schedule(&tm, 30_000*ms+i*1000) // a heartbeat pushing a deadline
	}
}

func BenchmarkTimerScheduleStop(b *testing.B) {
	w := NewWheel(time.Millisecond, 0)
	var tm Timer
	tm.Init(func(int64) {})
	b.ReportAllocs()
	for b.Loop() {
		w.Schedule(&tm, 15*ms)
		w.Stop(&tm)
	}
}

// 10k periodic timers with periods from 1 ms to 30 s, advanced one tick per
// operation: the cost of a loop iteration's timer work in a big cluster.
func BenchmarkWheelAdvance10k(b *testing.B) {
	const n = 10000
	w := NewWheel(time.Millisecond, 0)
	timers := make([]Timer, n)
	for i := range timers {
		period := int64(1+i*i%30000) * ms
		tm := &timers[i]
		tm.Init(func(now int64) { w.Schedule(tm, now+period) })
		w.Schedule(tm, period)
	}
	now := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		now += ms
		w.Advance(now)
		w.Next()
	}
}

func BenchmarkWheelNext(b *testing.B) {
	w := NewWheel(time.Millisecond, 0)
	timers := make([]Timer, 100)
	for i := range timers {
		w.Schedule(&timers[i], int64(i+1)*100*ms)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Schedule(&timers[0], 20_000*ms) // invalidates the cached earliest
		w.Schedule(&timers[0], 100*ms)
		w.Next()
	}
}

// Next is a timer's exact deadline even where it sits a level up, so a
// loop waiting on Next wakes once for it, not first to cascade.
func TestWheelNextExactAboveLevel0(t *testing.T) {
	w := NewWheel(time.Millisecond, 0)
	var tm Timer
	fired := 0
	tm.Init(func(int64) { fired++ })
	d := int64(100*time.Millisecond + 123)
	w.Schedule(&tm, d)
	if next, ok := w.Next(); !ok || next != d {
		t.Fatalf("Next = %d, %v; want %d", next, ok, d)
	}
	if n := w.Advance(d); n != 1 || fired != 1 {
		t.Fatalf("Advance(deadline) fired %d", n)
	}
}

package loop

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestWheelRandom drives a wheel and a trivially correct model with random
// schedules, resets, stops and advances, small and huge, and checks after
// every step that no timer fires before its deadline, every due timer fires
// exactly once in the Advance that reaches it, in (deadline, scheduling)
// order, Next never lies past the earliest deadline, and the wheel's
// structure is sound.
func TestWheelRandom(t *testing.T) {
	seeds := 200
	if testing.Short() || raceEnabled {
		seeds = 30
	}
	for seed := range uint64(seeds) {
		randomSchedule(t, seed)
		if t.Failed() {
			t.Fatalf("seed %d failed", seed)
		}
	}
}

type modelTimer struct {
	Timer
	id       int
	deadline int64 // model: 0 means not pending
	seq      int
}

func randomSchedule(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tick := []time.Duration{time.Millisecond, 250 * time.Microsecond, 7 * time.Microsecond}[seed%3]
	now := rng.Int64N(1 << 50)
	w := NewWheel(tick, now)
	timers := make([]*modelTimer, 1+rng.IntN(300))
	var fired []*modelTimer
	for i := range timers {
		m := &modelTimer{id: i}
		m.Init(func(at int64) {
			if at < m.Deadline() {
				t.Errorf("seed %d: timer %d fired at %d, %v before its deadline", seed, m.id, at, time.Duration(m.Deadline()-at))
			}
			if m.deadline == 0 {
				t.Errorf("seed %d: timer %d fired while the model has it stopped", seed, m.id)
			}
			fired = append(fired, m)
		})
		timers[i] = m
	}
	// Spans from sub-tick to days, so every level and every kind of
	// wrap-around is exercised.
	span := func() int64 {
		return rng.Int64N(int64(1) << (rng.IntN(47) + 1))
	}
	seq := 0
	for range 3000 {
		m := timers[rng.IntN(len(timers))]
		switch op := rng.IntN(10); {
		case op < 5: // schedule or reset, sometimes in the past
			d := now + span()
			if rng.IntN(20) == 0 {
				d = now - span()
			}
			seq++
			w.Schedule(&m.Timer, d)
			m.deadline, m.seq = d, seq
		case op < 6:
			if got := w.Stop(&m.Timer); got != (m.deadline != 0) {
				t.Fatalf("seed %d: Stop = %v, model pending %v", seed, got, m.deadline != 0)
			}
			m.deadline = 0
		default:
			next, hasNext := w.Next()
			earliest, any := int64(0), false
			for _, x := range timers {
				if x.deadline != 0 && (!any || x.deadline < earliest) {
					earliest, any = x.deadline, true
				}
			}
			if hasNext != any || any && next > earliest {
				t.Fatalf("seed %d: Next = %d, %v; model earliest %d, %v", seed, next, hasNext, earliest, any)
			}
			switch rng.IntN(4) {
			case 0: // what the loop does: wake at Next
				if hasNext {
					now = max(now, next)
				}
			case 1:
				now += rng.Int64N(int64(tick) * 2)
			default:
				now += span()
			}
			fired = fired[:0]
			n := w.Advance(now)
			if n != len(fired) {
				t.Fatalf("seed %d: Advance returned %d, ran %d callbacks", seed, n, len(fired))
			}
			for i, f := range fired {
				if i > 0 {
					p := fired[i-1]
					if p.deadline > f.deadline || p.deadline == f.deadline && p.seq > f.seq {
						t.Fatalf("seed %d: fired out of order: (%d, #%d) before (%d, #%d)", seed, p.deadline, p.seq, f.deadline, f.seq)
					}
				}
			}
			for _, f := range fired {
				f.deadline = 0
			}
			for _, x := range timers {
				if x.deadline != 0 && x.deadline <= now {
					t.Fatalf("seed %d: timer %d due at %d still pending at %d", seed, x.id, x.deadline, now)
				}
				if x.Pending() != (x.deadline != 0) {
					t.Fatalf("seed %d: timer %d Pending %v, model %v", seed, x.id, x.Pending(), x.deadline != 0)
				}
			}
			if next, ok := w.Next(); ok && next <= now {
				t.Fatalf("seed %d: Next = %d not after now %d: the loop would spin", seed, next, now)
			}
		}
		if err := w.check(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

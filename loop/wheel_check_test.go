package loop

import (
	"fmt"
	"testing"
)

// check verifies the wheel's structural invariants: every timer is linked
// where its deadline says it belongs relative to the current tick, bitmaps
// match the lists, and the count matches.
func (w *Wheel) check() error {
	count := 0
	var mask uint16
	for b := range w.heads {
		k, s := b/slotsPerLevel, b%slotsPerLevel
		if bit := w.pending[k]>>s&1 == 1; bit != (w.heads[b] != nil) {
			return fmt.Errorf("bucket %d/%d: bitmap %v, list empty %v", k, s, bit, w.heads[b] == nil)
		}
		if w.pending[k] != 0 {
			mask |= 1 << k
		}
		var prev *Timer
		for t := w.heads[b]; t != nil; prev, t = t, t.next {
			count++
			if t.prev != prev || t.bucket != int32(b) || t.w != w {
				return fmt.Errorf("bucket %d/%d: bad links or owner", k, s)
			}
			tk := w.tickOf(t.deadline)
			shift := uint(k * levelBits)
			if k == 0 {
				if tk <= w.cur {
					if s != int(w.cur&slotMask) {
						return fmt.Errorf("due timer (tick %d, cur %d) in slot %d", tk, w.cur, s)
					}
				} else if tk>>levelBits != w.cur>>levelBits || int(tk&slotMask) != s {
					return fmt.Errorf("level 0 timer tick %d in slot %d, cur %d", tk, s, w.cur)
				}
				continue
			}
			if hi := shift + levelBits; hi < 64 && tk>>hi != w.cur>>hi {
				return fmt.Errorf("level %d timer tick %d outside the rotation of cur %d", k, tk, w.cur)
			}
			if d := int(tk >> shift & slotMask); d != s || d <= int(w.cur>>shift&slotMask) {
				return fmt.Errorf("level %d timer tick %d in slot %d, cur %d", k, tk, s, w.cur)
			}
		}
	}
	if mask != w.levelMask {
		return fmt.Errorf("levelMask %b, want %b", w.levelMask, mask)
	}
	if !w.advancing && count != w.n {
		return fmt.Errorf("%d timers linked, Len %d", count, w.n)
	}
	return nil
}

func mustCheck(t testing.TB, w *Wheel) {
	t.Helper()
	if err := w.check(); err != nil {
		t.Fatal(err)
	}
}

func noAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if raceEnabled {
		// Still run it: the race detector checks the path, but its own
		// allocations make the count meaningless.
		for range 200 {
			f()
		}
		t.Logf("%s: allocation count not checked under -race", name)
		return
	}
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

package loop

import (
	"cmp"
	"math/bits"
	"slices"
	"time"
)

// The wheel is hierarchical: level k has 64 slots of 64^k ticks each. A
// timer sits at the level of the highest base-64 digit in which its tick
// differs from the current tick, so a timer at a lower level always expires
// before any timer at a higher one. When the current tick reaches a
// higher-level slot, that slot's timers move down ("cascade"). Eleven levels
// cover every 64-bit tick, so no deadline is too far and there is no
// overflow list. Each level keeps a bitmap of its non-empty slots, so the
// next slot to visit is found with a few bit operations, never by scanning.
const (
	levelBits     = 6
	slotsPerLevel = 1 << levelBits
	slotMask      = slotsPerLevel - 1
	levels        = (64 + levelBits - 1) / levelBits
	firing        = -1 // Timer.bucket while waiting in Wheel.due to run
)

// DefaultTick is the wheel's default slot width.
const DefaultTick = time.Millisecond

// Wheel is a hashed hierarchical timer wheel over monotonic nanosecond
// deadlines. It is pure: it never reads the clock, and the caller passes the
// current time to Advance. A Wheel is not safe for concurrent use.
//
// A timer fires in the first Advance whose now is at or past its deadline,
// never earlier. Timers that fire in one Advance run in deadline order,
// timers with equal deadlines in the order they were scheduled.
type Wheel struct {
	tick int64  // slot width in ns
	cur  uint64 // current tick: every timer due before it has fired

	heads     [levels * slotsPerLevel]*Timer
	pending   [levels]uint64 // bit s: slot s of the level is non-empty
	levelMask uint16         // bit k: pending[k] != 0

	n   int    // scheduled timers, including those about to fire
	seq uint64 // scheduling counter

	next   int64 // cached result of Next, valid when nextOK
	nextOK bool

	due       []*Timer // timers collected by Advance, then fired
	advancing bool
}

// NewWheel returns an empty wheel whose slots are tick wide (DefaultTick if
// tick is not positive) and whose current time is now.
func NewWheel(tick time.Duration, now int64) *Wheel {
	if tick <= 0 {
		tick = DefaultTick
	}
	w := &Wheel{tick: int64(tick), due: make([]*Timer, 0, 64)}
	w.cur = w.tickOf(now)
	return w
}

// Tick returns the slot width.
func (w *Wheel) Tick() time.Duration { return time.Duration(w.tick) }

// Len returns the number of scheduled timers.
func (w *Wheel) Len() int { return w.n }

// Schedule (re)schedules t to fire at deadline, replacing any earlier
// schedule, whether on this wheel or another. A deadline already past fires
// at the next Advance.
func (w *Wheel) Schedule(t *Timer, deadline int64) {
	if t.w != nil {
		t.w.remove(t)
	}
	w.seq++
	t.deadline, t.seq, t.w = deadline, w.seq, w
	w.n++
	w.place(t)
	if w.nextOK && deadline < w.next {
		w.next = deadline
	}
}

// Stop unschedules t. It reports whether t was pending on this wheel; a
// timer that already fired, was stopped or was never scheduled is left alone.
func (w *Wheel) Stop(t *Timer) bool {
	if t.w != w {
		return false
	}
	w.remove(t)
	return true
}

func (w *Wheel) remove(t *Timer) {
	if t.bucket != firing {
		w.unlink(t)
	}
	t.w = nil
	w.n--
	if w.nextOK && t.deadline <= w.next {
		w.nextOK = false
	}
}

// Next returns the earliest deadline, when the caller should call Advance
// next, and false if no timer is scheduled. Advance cascades whatever
// higher-level slots it passes on the way. The result is cached, so
// calling Next after every Advance costs a few bit operations and, after
// a change, a walk of one slot's timers.
func (w *Wheel) Next() (int64, bool) {
	if w.levelMask == 0 {
		return 0, false
	}
	if !w.nextOK {
		w.next, w.nextOK = w.earliest(), true
	}
	return w.next, true
}

func (w *Wheel) earliest() int64 {
	// The lowest non-empty slot holds the earliest timer, at any level:
	// its deadline, not the slot's start, so that the loop does not wake
	// only to cascade (a 100 ms keepalive's timer sits a level up).
	k := bits.TrailingZeros16(w.levelMask)
	b := k*slotsPerLevel + bits.TrailingZeros64(w.pending[k])
	d := w.heads[b].deadline
	for t := w.heads[b].next; t != nil; t = t.next {
		d = min(d, t.deadline)
	}
	return d
}

// Advance fires, in deadline order, every timer whose deadline is at or
// before now and returns how many fired. Callbacks may schedule and stop
// timers; one scheduled at or before now fires at the next Advance, so that
// a timer rescheduling itself cannot keep Advance from returning. Advance
// called from a callback does nothing.
func (w *Wheel) Advance(now int64) int {
	if w.advancing {
		return 0
	}
	w.advancing = true
	defer func() { w.advancing = false }()
	// The cached bound is stale if timers moved or fired, or if now has
	// reached it (its slot may have been emptied by Stop).
	if w.collect(now) || w.nextOK && w.next <= now {
		w.nextOK = false
	}
	return w.fire(now)
}

// collect moves the current tick to now, cascading and gathering due timers
// into w.due. It runs no callbacks, so the wheel cannot change under it. It
// reports whether any timer moved or became due.
func (w *Wheel) collect(now int64) bool {
	nowTick := max(w.tickOf(now), w.cur)
	moved := false
	for w.levelMask != 0 {
		k := bits.TrailingZeros16(w.levelMask)
		s := bits.TrailingZeros64(w.pending[k])
		e := eventTick(w.cur, k, s)
		if e > nowTick {
			break
		}
		w.cur = e
		b := k*slotsPerLevel + s
		t := w.detach(b)
		if k > 0 {
			moved = true
			for t != nil {
				next := t.next
				w.place(t)
				t = next
			}
			continue
		}
		// A slot in the past is due whole; in the current tick only the
		// timers whose deadline has come are, and the rest go back.
		for t != nil {
			next := t.next
			if e < nowTick || t.deadline <= now {
				t.next, t.prev, t.bucket = nil, nil, firing
				w.due = append(w.due, t)
				moved = true
			} else {
				w.link(t, b)
			}
			t = next
		}
		if e == nowTick {
			break
		}
	}
	w.cur = nowTick
	return moved
}

func (w *Wheel) fire(now int64) int {
	due := w.due
	if len(due) > 1 {
		slices.SortFunc(due, func(a, b *Timer) int {
			return cmp.Or(cmp.Compare(a.deadline, b.deadline), cmp.Compare(a.seq, b.seq))
		})
	}
	fired := 0
	for i, t := range due {
		due[i] = nil
		// Stopped or rescheduled by an earlier callback of this Advance.
		if t.w != w || t.bucket != firing {
			continue
		}
		t.w = nil
		w.n--
		fired++
		if t.fn != nil {
			t.fn(now)
		}
	}
	w.due = due[:0]
	return fired
}

// tickOf returns the slot-numbering tick of a time; times before zero count
// as zero (they are due at once anyway).
func (w *Wheel) tickOf(t int64) uint64 {
	if t < 0 {
		return 0
	}
	return uint64(t / w.tick)
}

// eventTick returns the first tick of slot s at level k in the current
// rotation of that level.
func eventTick(cur uint64, k, s int) uint64 {
	shift := uint(k * levelBits)
	hi := shift + levelBits
	var prefix uint64
	if hi < 64 {
		prefix = cur >> hi << hi
	}
	return prefix | uint64(s)<<shift
}

// place files t by its deadline relative to the current tick.
func (w *Wheel) place(t *Timer) {
	tk := w.tickOf(t.deadline)
	if tk <= w.cur {
		w.link(t, int(w.cur&slotMask))
		return
	}
	k := (bits.Len64(tk^w.cur) - 1) / levelBits
	w.link(t, k*slotsPerLevel+int(tk>>(k*levelBits)&slotMask))
}

func (w *Wheel) link(t *Timer, b int) {
	t.prev, t.next = nil, w.heads[b]
	if t.next != nil {
		t.next.prev = t
	}
	w.heads[b] = t
	t.bucket = int32(b)
	k := b / slotsPerLevel
	w.pending[k] |= 1 << (b % slotsPerLevel)
	w.levelMask |= 1 << k
}

func (w *Wheel) unlink(t *Timer) {
	b := int(t.bucket)
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		w.heads[b] = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	}
	t.next, t.prev = nil, nil
	if w.heads[b] == nil {
		w.clearBit(b)
	}
}

// detach empties bucket b and returns its list, still linked by next.
func (w *Wheel) detach(b int) *Timer {
	t := w.heads[b]
	w.heads[b] = nil
	w.clearBit(b)
	return t
}

func (w *Wheel) clearBit(b int) {
	k := b / slotsPerLevel
	w.pending[k] &^= 1 << (b % slotsPerLevel)
	if w.pending[k] == 0 {
		w.levelMask &^= 1 << k
	}
}

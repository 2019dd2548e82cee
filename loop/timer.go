package loop

// Timer is a deadline with a callback. It is an intrusive value: embed it in
// the struct it serves (a peer, a link, a resource), set its callback once
// with Init, and schedule it as often as needed. Scheduling, rescheduling,
// stopping and firing cost O(1) and allocate nothing.
//
// A Timer belongs to at most one Wheel at a time and, like the Wheel, to one
// goroutine. Do not copy a Timer that is pending.
type Timer struct {
	next, prev *Timer // bucket list links
	w          *Wheel // non-nil while pending or about to fire
	fn         func(now int64)
	deadline   int64
	seq        uint64 // scheduling order, to break deadline ties
	bucket     int32  // index into w.heads, or firing
}

// Init sets the callback, which runs on the wheel's goroutine with the time
// of the Advance that fired it. The callback may schedule or stop any timer,
// including its own.
func (t *Timer) Init(fn func(now int64)) { t.fn = fn }

// Pending reports whether the timer is scheduled and has neither fired nor
// been stopped.
func (t *Timer) Pending() bool { return t.w != nil }

// Deadline returns the deadline given when the timer was last scheduled.
func (t *Timer) Deadline() int64 { return t.deadline }

package loop

import (
	"fmt"
	"time"
)

// Defaults for Options.
const (
	DefaultMaxEvents      = 128
	DefaultStallThreshold = 10 * time.Millisecond
	MinTick               = 10 * time.Microsecond
	MaxTick               = time.Millisecond
	MaxSpin               = time.Millisecond
)

// Options configure a Loop. The zero value is valid.
type Options struct {
	// Tick is the timer wheel's slot width and the shortest timed wait; a
	// timer fires less than one tick (plus scheduling latency) after its
	// deadline, never before. 0 means DefaultTick (1 ms); it must lie in
	// [MinTick, MaxTick].
	Tick time.Duration

	// MaxEvents is how many readiness reports one wait can return. 0 means
	// DefaultMaxEvents.
	MaxEvents int

	// WakeHandler runs in the loop after one or more calls to Wake. It may
	// also run when there is nothing new (after Stop or a signal), so it
	// must tolerate an empty queue.
	WakeHandler func()

	// StallHandler runs in the loop when an iteration came back later than
	// planned by StallThreshold or more: the process was stopped, the
	// machine paused, or a handler ran long. stall is the time the loop was
	// away beyond the wait it asked for. It runs first in that iteration,
	// before any fd handler or timer, so that the membership layer can
	// discount our own pause before deadlines fire.
	StallHandler func(stall time.Duration)

	// StallThreshold is the smallest stall reported to StallHandler and
	// counted in Stats. 0 means DefaultStallThreshold.
	StallThreshold time.Duration

	// RawWait makes blocking waits raw system calls (sysio.EpollWaitRaw):
	// cheaper per wake-up for a goroutine that is not locked to its
	// thread. A locked goroutine (realtime) must not set it: the runtime
	// preempts a raw wait every 10 ms, and handing a locked goroutine back
	// to its thread stalls the loop for milliseconds.
	RawWait bool

	// RuntimeWait makes every wait go through the Go runtime's poller, on
	// a goroutine that is not locked to its thread. An idle loop then leaves every P idle and the
	// runtime's monitor asleep, where a wait held in a system call keeps
	// it waking every 10 ms to preempt that wait. The next timer is a
	// timerfd in the loop's set; without one (no kernel support) a read
	// deadline, which the runtime's poller rounds to milliseconds, so a
	// timer may fire up to a millisecond late; with Precise the loop
	// then waits blocking instead. Not for a goroutine the caller locked
	// to its thread: parked, it must be handed back to that thread by
	// another. It overrides RawWait and PinCPU.
	RuntimeWait bool

	// Precise is for sub-5 ms keepalives, where a tick of lateness is a
	// third of the margin: a wait shorter than a tick is not lengthened to
	// one, so a timer fires at its deadline plus scheduling latency only.
	// It costs a wake-up per distinct deadline instead of one per tick.
	Precise bool

	// Spin (with Precise) ends each timed wait this long before the
	// deadline and polls the rest of the way, so the kernel's wake-up
	// latency is paid early. It costs up to Spin of CPU per deadline; 0
	// sleeps all the way.
	Spin time.Duration

	// LateRepoll: a wake-up this much or more past the earliest timer's
	// deadline polls the descriptors once more, without waiting, before
	// the due timers fire. A wait returns the readiness it found when it
	// ended; if the thread then lost its CPU, what arrived meanwhile would
	// otherwise count only after deadlines it beat (a heartbeat declared
	// missing while it sits in the socket). 0: never.
	LateRepoll time.Duration

	// Drain runs in the loop at every wake-up, with its time, before the
	// fd handlers and the due timers: for input read without a readiness
	// event (node's beacon sockets), which must count before a deadline
	// it beat and before input stamped later. It must not allocate.
	Drain func(now int64)

	// PinCPU runs the loop's thread alone on one CPU (the last it may use)
	// and moves the process's other threads (the runtime's, existing when
	// Run starts, and those they create later) to the others, so that a
	// garbage-collection worker or the runtime's monitor never queues in
	// front of it. It does nothing with fewer than two CPUs.
	PinCPU bool
}

func (o Options) withDefaults() (Options, error) {
	if o.Tick == 0 {
		o.Tick = DefaultTick
	}
	if o.Tick < MinTick || o.Tick > MaxTick {
		return o, fmt.Errorf("loop: tick %v outside [%v, %v]", o.Tick, MinTick, MaxTick)
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxEvents < 1 {
		return o, fmt.Errorf("loop: MaxEvents %d", o.MaxEvents)
	}
	if o.StallThreshold == 0 {
		o.StallThreshold = DefaultStallThreshold
	}
	if o.Spin < 0 || o.Spin > MaxSpin {
		return o, fmt.Errorf("loop: spin %v outside [0, %v]", o.Spin, MaxSpin)
	}
	if !o.Precise {
		o.Spin = 0
	}
	if o.LateRepoll < 0 {
		return o, fmt.Errorf("loop: negative LateRepoll %v", o.LateRepoll)
	}
	if o.StallThreshold < 0 {
		return o, fmt.Errorf("loop: negative StallThreshold %v", o.StallThreshold)
	}
	return o, nil
}

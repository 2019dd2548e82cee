package loop

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// Loop is the event loop: one goroutine, locked to its OS thread while Run
// runs, that owns the registered descriptors and the timers. Only Wake,
// Stop and Stats may be called from other goroutines; every other method
// must be called from a handler or callback running in the loop, or before
// Run.
type Loop struct {
	epfd   int
	events []sysio.EpollEvent
	slots  []slot
	free   []uint32

	wheel    *Wheel
	tick     time.Duration
	now      int64 // monotonic ns at the last wake-up
	lastWake int64

	onStall        func(time.Duration)
	stallThreshold time.Duration
	rawWait        bool
	poller         *poller // Options.RuntimeWait: waits go through the runtime's poller
	precise        bool
	spin           time.Duration
	pinCPU         bool
	lateRepoll     int64           // ns; 0: off
	drain          func(now int64) // Options.Drain

	wake wakeState
	sig  sigState

	stopping atomic.Bool
	running  atomic.Bool
	closeMu  sync.RWMutex // held for reading while Wake writes the eventfd
	closed   bool

	stats struct {
		iterations, wakes, fired, stalls atomic.Uint64
		repolls, repollsFound            atomic.Uint64
		maxStall                         atomic.Int64
		late, stall                      atomicHist
	}
}

// Stats are counters for metrics; they may be read from any goroutine.
type Stats struct {
	Iterations  uint64        // waits completed
	Wakes       uint64        // eventfd wake-ups handled
	TimersFired uint64        // timer callbacks run
	Stalls      uint64        // iterations late by more than StallThreshold
	MaxStall    time.Duration // the longest lateness seen, reported or not
	// Late is how long after the earliest deadline the loop came back to
	// run it: the kernel's wake-up latency, scheduling, and handler time
	// before it. One sample per iteration that found a deadline passed.
	Late Hist
	// Stall is how much longer than planned each timed wait took,
	// handler time included: one sample per iteration with a deadline.
	Stall Hist
	// Repolls counts late wake-ups polled again before their timers
	// (Options.LateRepoll); RepollsFound those that found a descriptor
	// ready that the wait had not reported.
	Repolls, RepollsFound uint64
}

// New returns a Loop with its epoll set and wake-up eventfd. Close it when
// done.
func New(opts Options) (*Loop, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	epfd, err := sysio.EpollCreate()
	if err != nil {
		return nil, fmt.Errorf("loop: %w", err)
	}
	now := sysio.Monotonic()
	l := &Loop{
		epfd:           epfd,
		events:         make([]sysio.EpollEvent, opts.MaxEvents),
		wheel:          NewWheel(opts.Tick, now),
		tick:           opts.Tick,
		now:            now,
		lastWake:       now,
		onStall:        opts.StallHandler,
		stallThreshold: opts.StallThreshold,
		rawWait:        opts.RawWait,
		precise:        opts.Precise,
		spin:           opts.Spin,
		pinCPU:         opts.PinCPU,
		lateRepoll:     int64(opts.LateRepoll),
		drain:          opts.Drain,
	}
	if opts.RuntimeWait {
		if err := l.initPoller(); err != nil {
			sysio.Close(epfd)
			return nil, err
		}
	}
	if err := l.initWake(opts.WakeHandler); err != nil {
		l.closeEpoll()
		return nil, err
	}
	return l, nil
}

// Run runs the loop on the calling goroutine, locked to its OS thread, until
// Stop; it returns nil then, or the error of a failed wait. To run the loop
// at real-time priority, lock the goroutine yourself (runtime.LockOSThread),
// call sysio.SchedSetRR, then Run, and never unlock that goroutine.
func (l *Loop) Run() error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("loop: Run called while running")
	}
	defer l.running.Store(false)
	if l.isClosed() {
		return errors.New("loop: Run after Close")
	}
	if l.poller == nil {
		// The goroutine waits on its own thread, whose timer slack is
		// then ours to set.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// Let the kernel end our timed waits on time rather than batch them
		// with others (the default slack is 50 µs).
		if old, err := sysio.TimerSlack(); err == nil && sysio.SetTimerSlack(1) == nil {
			defer sysio.SetTimerSlack(old)
		}
	}
	if l.pinCPU && l.poller == nil {
		if restore, err := pinLoopThread(); err == nil {
			defer restore()
		}
	}
	l.now = sysio.Monotonic()
	l.lastWake = l.now
	for !l.stopping.Load() {
		if err := l.runOnce(true); err != nil {
			return err
		}
	}
	return nil
}

// runOnce is one iteration: wait (or, if !block, only poll), note a stall,
// drain (Options.Drain), run fd handlers, then fire due timers. Handlers
// run before timers so that a heartbeat that arrived with its deadline
// counts as in time.
func (l *Loop) runOnce(block bool) error {
	before := sysio.Monotonic()
	var timeout time.Duration
	next, ok := l.wheel.Next()
	if block {
		timeout = planWait(waitTimeout(next, ok, before, l.tick, l.precise), l.spin)
	}
	wait := sysio.EpollWait
	if l.rawWait {
		wait = sysio.EpollWaitRaw
	}
	var n int
	var err error
	if l.poller != nil {
		n, err = l.poller.wait(timeout)
	} else {
		n, err = wait(l.epfd, l.events, timeout)
	}
	now := sysio.Monotonic()
	l.now = now
	stall := stallOf(time.Duration(now-l.lastWake), timeout)
	l.noteStall(stall)
	if timeout >= 0 && block {
		l.stats.stall.add(stall)
	}
	if ok && now >= next {
		l.stats.late.add(time.Duration(now - next))
	}
	l.lastWake = now
	if err != nil {
		return fmt.Errorf("loop: %w", err)
	}
	if l.drain != nil {
		l.drain(now)
	}
	l.dispatch(n)
	if ok && l.lateRepoll > 0 && now-next >= l.lateRepoll {
		l.repoll(wait)
	}
	if fired := l.wheel.Advance(now); fired > 0 {
		l.stats.fired.Add(uint64(fired))
	}
	l.stats.iterations.Add(1)
	return nil
}

// repoll takes what became ready after a late wait returned (see
// Options.LateRepoll) and runs its handlers, before the timers.
func (l *Loop) repoll(wait func(int, []sysio.EpollEvent, time.Duration) (int, error)) {
	l.stats.repolls.Add(1)
	n, err := wait(l.epfd, l.events, 0)
	if err != nil || n <= 0 {
		return // EINTR at worst: the next wait reports it
	}
	l.stats.repollsFound.Add(1)
	l.dispatch(n)
}

func (l *Loop) noteStall(stall time.Duration) {
	if stall <= 0 {
		return
	}
	if int64(stall) > l.stats.maxStall.Load() {
		l.stats.maxStall.Store(int64(stall))
	}
	if stall < l.stallThreshold {
		return
	}
	l.stats.stalls.Add(1)
	if l.onStall != nil {
		l.onStall(stall)
	}
}

// Stop makes Run return after the current iteration. It may be called from
// any goroutine, before or during Run; a stopped loop does not start again.
func (l *Loop) Stop() {
	l.stopping.Store(true)
	l.Wake()
}

// Close releases the loop's epoll set and eventfd and stops signal
// delivery. It fails while Run is running. Registered descriptors are the
// callers' to close.
func (l *Loop) Close() error {
	if l.running.Load() {
		return errors.New("loop: Close while running")
	}
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	l.stopping.Store(true)
	l.closeMu.Unlock()
	l.stopSignals()
	return errors.Join(sysio.Close(l.wake.fd), l.closeEpoll())
}

// closeEpoll closes the epoll descriptor, through the runtime's poller
// when it is registered there.
func (l *Loop) closeEpoll() error {
	if l.poller != nil {
		return l.poller.close()
	}
	return sysio.Close(l.epfd)
}

func (l *Loop) isClosed() bool {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	return l.closed
}

// Now returns the monotonic time (ns, CLOCK_MONOTONIC) at which the current
// iteration woke up. Timer deadlines are on this clock.
func (l *Loop) Now() int64 { return l.now }

// Schedule (re)schedules t for the monotonic deadline.
func (l *Loop) Schedule(t *Timer, deadline int64) { l.wheel.Schedule(t, deadline) }

// After (re)schedules t for d after Now.
func (l *Loop) After(t *Timer, d time.Duration) { l.wheel.Schedule(t, addSat(l.now, d)) }

// StopTimer unschedules t and reports whether it was pending.
func (l *Loop) StopTimer(t *Timer) bool { return l.wheel.Stop(t) }

// Stats returns the loop's counters.
func (l *Loop) Stats() Stats {
	return Stats{
		Iterations:  l.stats.iterations.Load(),
		Wakes:       l.stats.wakes.Load(),
		TimersFired: l.stats.fired.Load(),
		Stalls:      l.stats.stalls.Load(),
		MaxStall:    time.Duration(l.stats.maxStall.Load()),
		Late:        l.stats.late.load(),
		Stall:       l.stats.stall.load(),

		Repolls:      l.stats.repolls.Load(),
		RepollsFound: l.stats.repollsFound.Load(),
	}
}

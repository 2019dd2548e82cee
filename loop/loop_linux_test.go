package loop

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

func TestOptions(t *testing.T) {
	for _, o := range []Options{
		{Tick: 2 * time.Millisecond},
		{Tick: time.Microsecond},
		{MaxEvents: -1},
		{StallThreshold: -1},
		{Precise: true, Spin: -1},
		{Precise: true, Spin: MaxSpin + 1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestPipeReadable(t *testing.T) {
	l := newLoop(t, Options{})
	r, w := pipe(t)
	got := make(chan string, 1)
	buf := make([]byte, 64)
	if _, err := l.Register(r, Readable, HandlerFunc(func(ev Events) {
		if ev&Readable == 0 {
			t.Errorf("events %#x without Readable", ev)
		}
		n, err := sysio.Read(r, buf)
		if err != nil {
			t.Error(err)
		}
		got <- string(buf[:n])
	})); err != nil {
		t.Fatal(err)
	}
	stop := start(t, l)
	defer stop()
	write(t, w, "heartbeat")
	if s := recvWithin(t, got, "read"); s != "heartbeat" {
		t.Errorf("read %q", s)
	}
}

func TestUDPReadable(t *testing.T) {
	l := newLoop(t, Options{})
	lo := netip.MustParseAddr("127.0.0.1")
	rfd, err := sysio.UDPSocket(netip.AddrPortFrom(lo, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer sysio.Close(rfd)
	sfd, err := sysio.UDPSocket(netip.AddrPortFrom(lo, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer sysio.Close(sfd)
	raddr, _ := sysio.SockName(rfd)

	in := sysio.NewBatch([][]byte{make([]byte, 1500), make([]byte, 1500)})
	got := make(chan string, 10)
	if _, err := l.Register(rfd, Readable, HandlerFunc(func(Events) {
		for {
			n, err := in.RecvBatch(rfd)
			if err != nil || n == 0 {
				return
			}
			for i := range n {
				p, _ := in.Datagram(i)
				got <- string(p)
			}
		}
	})); err != nil {
		t.Fatal(err)
	}
	stop := start(t, l)
	defer stop()
	out := sysio.NewBatch(make([][]byte, 3))
	for _, s := range []string{"a", "b", "c"} {
		out.Queue([]byte(s), raddr)
	}
	if n, err := out.SendBatch(sfd); n != 3 || err != nil {
		t.Fatalf("SendBatch = %d, %v", n, err)
	}
	var all string
	for range 3 {
		all += recvWithin(t, got, "datagram")
	}
	if all != "abc" {
		t.Errorf("received %q", all)
	}
}

// Two readable pipes in one batch: whichever handler runs first unregisters
// the other and registers a third fd, which may reuse the freed slot. The
// stale event must reach nobody.
func TestUnregisterInsideHandler(t *testing.T) {
	l := newLoop(t, Options{})
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	r3, w3 := pipe(t)
	write(t, w1, "x")
	write(t, w2, "x")
	write(t, w3, "x")
	var ran []string
	var tok1, tok2, tok3 Token
	other := map[string]*Token{"1": &tok2, "2": &tok1}
	h := func(name string) Handler {
		return HandlerFunc(func(Events) {
			ran = append(ran, name)
			if name == "3" || len(ran) > 1 {
				return
			}
			if err := l.Unregister(*other[name]); err != nil {
				t.Error(err)
			}
			var err error
			tok3, err = l.Register(r3, Readable, HandlerFunc(func(Events) { ran = append(ran, "3") }))
			if err != nil {
				t.Error(err)
			}
		})
	}
	var err error
	if tok1, err = l.Register(r1, Readable, h("1")); err != nil {
		t.Fatal(err)
	}
	if tok2, err = l.Register(r2, Readable, h("2")); err != nil {
		t.Fatal(err)
	}
	if err := l.runOnce(false); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 {
		t.Fatalf("first iteration ran %q, want one handler", ran)
	}
	if tok3.index() != tok1.index() && tok3.index() != tok2.index() {
		t.Logf("slot not reused (tok3 %#x); stale-event check is weaker", uint64(tok3))
	}
	if err := l.runOnce(false); err != nil {
		t.Fatal(err)
	}
	// The survivor is still readable (level-triggered) and r3 is new.
	if len(ran) != 3 || !slices.Contains(ran[1:], "3") || !slices.Contains(ran[1:], ran[0]) {
		t.Errorf("handlers ran %q, want the survivor twice and 3 once", ran)
	}
	if e1, e2 := l.Unregister(tok1), l.Unregister(tok2); (e1 == nil) == (e2 == nil) {
		t.Errorf("Unregister of the first two: %v, %v; want exactly one already gone", e1, e2)
	}
}

func TestRegisterErrors(t *testing.T) {
	l := newLoop(t, Options{})
	r, _ := pipe(t)
	if _, err := l.Register(r, Readable, nil); err == nil {
		t.Error("Register with nil handler accepted")
	}
	tok, err := l.Register(r, Readable, HandlerFunc(func(Events) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Register(r, Readable, HandlerFunc(func(Events) {})); err == nil {
		t.Error("fd registered twice")
	}
	if err := l.Unregister(tok); err != nil {
		t.Fatal(err)
	}
	if err := l.Unregister(tok); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("second Unregister: %v, want ErrUnknownToken", err)
	}
	if err := l.Modify(tok, Writable); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("Modify after Unregister: %v, want ErrUnknownToken", err)
	}
	if err := l.Unregister(0); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("Unregister(0): %v", err)
	}
	if _, err := l.Register(-1, Readable, HandlerFunc(func(Events) {})); err == nil {
		t.Error("bad fd registered")
	}
}

func TestModify(t *testing.T) {
	l := newLoop(t, Options{})
	_, w := pipe(t)
	var got Events
	tok, err := l.Register(w, 0, HandlerFunc(func(ev Events) { got |= ev }))
	if err != nil {
		t.Fatal(err)
	}
	l.runOnce(false)
	if got != 0 {
		t.Fatalf("events %#x before asking for any", got)
	}
	if err := l.Modify(tok, Writable); err != nil {
		t.Fatal(err)
	}
	l.runOnce(false)
	if got&Writable == 0 {
		t.Fatalf("events %#x after Modify(Writable)", got)
	}
}

// Timers fire on the real clock never before their deadline and not absurdly
// late; this is a correctness test, not a benchmark.
// Both ways of waiting (a normal system call, and a raw one that the
// runtime's preemption interrupts) keep timers on time.
func TestTimerAccuracy(t *testing.T) {
	for _, o := range []Options{
		{Tick: time.Millisecond}, {Tick: 250 * time.Microsecond},
		{Tick: time.Millisecond, RawWait: true}, {Tick: 250 * time.Microsecond, RawWait: true},
		// The sub-5 ms keepalive options: never early either.
		{Tick: time.Millisecond, Precise: true},
		{Tick: time.Millisecond, Precise: true, Spin: 200 * time.Microsecond},
		{Tick: time.Millisecond, Precise: true, Spin: 50 * time.Microsecond, PinCPU: true},
	} {
		t.Run(fmt.Sprintf("%v/raw=%v/precise=%v/spin=%v/pin=%v", o.Tick, o.RawWait, o.Precise, o.Spin, o.PinCPU), func(t *testing.T) {
			l := newLoop(t, o)
			delays := []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 10 * time.Millisecond, 40 * time.Millisecond}
			type result struct {
				i             int
				deadline, now int64
				clock         int64
			}
			results := make(chan result, len(delays))
			timers := make([]Timer, len(delays))
			var setup Timer
			setup.Init(func(now int64) {
				for i, d := range delays {
					tm := &timers[i]
					tm.Init(func(at int64) { results <- result{i, tm.Deadline(), at, sysio.Monotonic()} })
					l.Schedule(tm, now+int64(d))
				}
			})
			l.After(&setup, 0)
			stop := start(t, l)
			defer stop()
			var late []time.Duration
			for range delays {
				r := recvWithin(t, results, "timer")
				if r.now < r.deadline || r.clock < r.deadline {
					t.Errorf("timer %v fired %v early", delays[r.i], time.Duration(r.deadline-min(r.now, r.clock)))
				}
				if r.now > r.clock {
					t.Errorf("callback time %d ahead of the clock %d", r.now, r.clock)
				}
				lateness := time.Duration(r.now - r.deadline)
				if lateness > lateBound {
					t.Errorf("timer %v fired %v late", delays[r.i], lateness)
				}
				late = append(late, lateness)
			}
			t.Logf("lateness: %v", late)
		})
	}
}

func TestWakeDeduplicates(t *testing.T) {
	var wakes int
	l := newLoop(t, Options{WakeHandler: func() { wakes++ }})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				l.Wake()
			}
		}()
	}
	wg.Wait()
	// Exactly one write reached the eventfd. Read it by hand, then
	// rewrite it so the loop sees it.
	if n, err := sysio.EventfdRead(l.wake.fd); n != 1 || err != nil {
		t.Fatalf("eventfd counter = %d, %v after 8000 Wakes, want 1", n, err)
	}
	sysio.EventfdWrite(l.wake.fd)
	l.runOnce(false)
	if wakes != 1 {
		t.Fatalf("WakeHandler ran %d times, want 1", wakes)
	}
	l.Wake()
	l.runOnce(false)
	if wakes != 2 {
		t.Fatalf("WakeHandler ran %d times after a new Wake, want 2", wakes)
	}
	l.runOnce(false)
	if wakes != 2 {
		t.Fatalf("WakeHandler ran without a Wake")
	}
}

// Work posted by many goroutines is never lost, whatever the interleaving
// of Wake with the loop's clearing of the pending flag.
func TestWakeNeverLosesWork(t *testing.T) {
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%v", raw), func(t *testing.T) { testWakeNeverLosesWork(t, raw) })
	}
}

func testWakeNeverLosesWork(t *testing.T, raw bool) {
	var mu sync.Mutex
	var queue []int
	got, finished := 0, false
	done := make(chan struct{})
	const producers, each = 4, 2000
	l := newLoop(t, Options{RawWait: raw, WakeHandler: func() {
		mu.Lock()
		got += len(queue)
		queue = queue[:0]
		mu.Unlock()
		if got == producers*each && !finished {
			finished = true
			close(done)
		}
	}})
	stop := start(t, l)
	defer stop()
	for p := range producers {
		go func() {
			for i := range each {
				mu.Lock()
				queue = append(queue, p*each+i)
				mu.Unlock()
				l.Wake()
			}
		}()
	}
	recvWithin(t, done, "all work")
}

func TestStop(t *testing.T) {
	t.Run("from another goroutine", func(t *testing.T) {
		l := newLoop(t, Options{})
		stop := start(t, l)
		time.Sleep(5 * time.Millisecond)
		stop()
	})
	t.Run("from a timer", func(t *testing.T) {
		l := newLoop(t, Options{})
		var tm Timer
		tm.Init(func(int64) { l.Stop() })
		l.After(&tm, time.Millisecond)
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		if tm.Pending() {
			t.Error("Run returned before the timer fired")
		}
	})
	t.Run("before Run", func(t *testing.T) {
		l := newLoop(t, Options{})
		l.Stop()
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		l, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- l.Run() }()
		time.Sleep(5 * time.Millisecond)
		for l.Close() == nil && l.running.Load() {
			t.Fatal("Close succeeded while running")
		}
		l.Stop()
		if err := recvWithin(t, errc, "Run's return"); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		l.Wake() // must not touch the closed descriptor
		if err := l.Run(); err == nil {
			t.Error("Run after Close succeeded")
		}
	})
}

// A handler that runs long is a stall: the loop reports it before the next
// timer fires.
func TestStallReported(t *testing.T) {
	var order []string
	var stalls []time.Duration
	l := newLoop(t, Options{
		StallThreshold: 30 * time.Millisecond,
		StallHandler: func(d time.Duration) {
			order = append(order, "stall")
			stalls = append(stalls, d)
		},
	})
	var slow, next Timer
	slow.Init(func(int64) {
		order = append(order, "slow")
		time.Sleep(60 * time.Millisecond) // stands in for SIGSTOP or a VM pause
	})
	next.Init(func(int64) {
		order = append(order, "next")
		l.Stop()
	})
	l.After(&slow, time.Millisecond)
	l.After(&next, 5*time.Millisecond)
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(order, "stall"); i < 0 || !slices.Equal(order[i-1:i+2], []string{"slow", "stall", "next"}) {
		t.Fatalf("order %q: want the stall reported after slow, before next", order)
	}
	if slices.Max(stalls) < 55*time.Millisecond {
		t.Errorf("stalls %v, want one of at least 55ms", stalls)
	}
	if s := l.Stats(); s.Stalls == 0 || s.MaxStall < 55*time.Millisecond {
		t.Errorf("Stats %+v", s)
	}
}

func TestWaitTimeout(t *testing.T) {
	tick := time.Millisecond
	for _, tc := range []struct {
		next, now int64
		ok        bool
		precise   bool
		want      time.Duration
	}{
		{0, 100, false, false, -1},
		{100, 100, true, false, 0},
		{50, 100, true, false, 0},
		{101, 100, true, false, tick},
		{100 + int64(tick) - 1, 100, true, false, tick},
		{100 + int64(tick), 100, true, false, tick},
		{100 + int64(2500*time.Microsecond), 100, true, false, 2500 * time.Microsecond},
		// Precise: a deadline under a tick away is waited for exactly.
		{0, 100, false, true, -1},
		{50, 100, true, true, 0},
		{101, 100, true, true, 1},
		{100 + int64(300*time.Microsecond), 100, true, true, 300 * time.Microsecond},
		{100 + int64(2500*time.Microsecond), 100, true, true, 2500 * time.Microsecond},
	} {
		if got := waitTimeout(tc.next, tc.ok, tc.now, tick, tc.precise); got != tc.want {
			t.Errorf("waitTimeout(%d, %v, %d, precise %v) = %v, want %v", tc.next, tc.ok, tc.now, tc.precise, got, tc.want)
		}
	}
	if stallOf(10, -1) != 0 || stallOf(5, 10) != 0 || stallOf(15, 10) != 5 {
		t.Error("stallOf")
	}
	if addSat(1<<62, 1<<62) != 1<<63-1 || addSat(-1<<62, -1<<62-1) != -1<<63 || addSat(5, -2) != 3 {
		t.Error("addSat")
	}
}

// A wake-up past a timer's deadline polls again before the timer fires, so
// a descriptor that became ready after the wait returned is handled first
// (with LateRepoll; without it, after the timer).
func TestLateRepoll(t *testing.T) {
	for _, tc := range []struct {
		repoll time.Duration
		want   []string
	}{
		{time.Millisecond, []string{"slow", "c", "b", "late"}},
		{0, []string{"slow", "c", "late", "b"}},
	} {
		var order []string
		l := newLoop(t, Options{LateRepoll: tc.repoll})
		cr, cw := pipe(t)
		br, bw := pipe(t)
		buf := make([]byte, 8)
		on := func(fd int, name string, then func()) {
			if _, err := l.Register(fd, Readable, HandlerFunc(func(Events) {
				sysio.Read(fd, buf)
				order = append(order, name)
				then()
			})); err != nil {
				t.Fatal(err)
			}
		}
		// c is ready when the late wait returns; its handler makes b
		// ready after it, as a datagram arriving while the loop's thread
		// was off its CPU.
		on(cr, "c", func() { write(t, bw, "b") })
		on(br, "b", func() {})
		var slow, late, end Timer
		// Each timer schedules the next from its own callback, so a slow
		// start cannot make them fire together.
		slow.Init(func(int64) {
			order = append(order, "slow")
			write(t, cw, "c")
			l.Schedule(&late, l.Now()+int64(time.Millisecond))
			time.Sleep(20 * time.Millisecond) // past late's deadline
		})
		late.Init(func(int64) {
			order = append(order, "late")
			l.After(&end, 50*time.Millisecond)
		})
		end.Init(func(int64) { l.Stop() })
		l.After(&slow, time.Millisecond)
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, tc.want) {
			t.Errorf("LateRepoll %v: order %q, want %q", tc.repoll, order, tc.want)
		}
		if s := l.Stats(); (s.RepollsFound > 0) != (tc.repoll > 0) {
			t.Errorf("LateRepoll %v: Stats %+v", tc.repoll, s)
		}
	}
}

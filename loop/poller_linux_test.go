package loop

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// A RuntimeWait loop does what any loop does: reads a ready descriptor,
// runs a Wake's handler, fires timers never early (the runtime's poller
// rounds its waits to milliseconds and may come back before the
// deadline), and stops.
func TestRuntimeWait(t *testing.T) {
	woken := make(chan struct{}, 1)
	l := newLoop(t, Options{RuntimeWait: true, WakeHandler: func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}})
	if l.poller == nil {
		t.Fatal("RuntimeWait: no poller")
	}
	r, w := pipe(t)
	got := make(chan string, 1)
	buf := make([]byte, 64)
	if _, err := l.Register(r, Readable, HandlerFunc(func(Events) {
		n, _ := sysio.Read(r, buf)
		got <- string(buf[:n])
	})); err != nil {
		t.Fatal(err)
	}
	delays := []time.Duration{3 * time.Millisecond, 17 * time.Millisecond, 60 * time.Millisecond}
	type fired struct{ deadline, now, clock int64 }
	fires := make(chan fired, len(delays))
	timers := make([]Timer, len(delays))
	var setup Timer
	setup.Init(func(now int64) {
		for i, d := range delays {
			tm := &timers[i]
			tm.Init(func(at int64) { fires <- fired{tm.Deadline(), at, sysio.Monotonic()} })
			l.Schedule(tm, now+int64(d))
		}
	})
	l.After(&setup, 0)
	stop := start(t, l)
	defer stop()
	write(t, w, "status")
	if s := recvWithin(t, got, "read"); s != "status" {
		t.Errorf("read %q", s)
	}
	l.Wake()
	recvWithin(t, woken, "wake handler")
	for range delays {
		f := recvWithin(t, fires, "timer")
		if f.now < f.deadline || f.clock < f.deadline {
			t.Errorf("timer fired %v early", time.Duration(f.deadline-min(f.now, f.clock)))
		}
		if late := time.Duration(f.now - f.deadline); late > lateBound {
			t.Errorf("timer fired %v late", late)
		}
	}
}

// Precise parks too where its deadline is a timerfd (no millisecond
// rounding), and its timers still never fire early.
func TestRuntimeWaitPrecise(t *testing.T) {
	l := newLoop(t, Options{RuntimeWait: true, Precise: true})
	if l.poller == nil || l.poller.tfd < 0 {
		t.Fatal("Precise RuntimeWait loop has no timerfd wait")
	}
	var tm Timer
	left := 20
	tm.Init(func(now int64) {
		if clock := sysio.Monotonic(); now < tm.Deadline() || clock < tm.Deadline() {
			t.Errorf("timer fired %v early", time.Duration(tm.Deadline()-min(now, clock)))
		}
		if left--; left == 0 {
			l.Stop()
			return
		}
		l.After(&tm, 2*time.Millisecond+time.Duration(left)*time.Microsecond)
	})
	l.After(&tm, time.Millisecond)
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d timers left", left)
	}
}

// Close closes the epoll descriptor the runtime's poller watched.
func TestRuntimeWaitClose(t *testing.T) {
	l, err := New(Options{RuntimeWait: true})
	if err != nil {
		t.Fatal(err)
	}
	fd := l.epfd
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); !errors.Is(e, syscall.EBADF) {
		t.Errorf("epoll descriptor %d still open after Close (fcntl: %v)", fd, e)
	}
}

// A wait through the runtime's poller allocates nothing: one that finds
// a descriptor ready, and one that parks until its deadline.
func TestRuntimeWaitNoAllocs(t *testing.T) {
	l := newLoop(t, Options{RuntimeWait: true})
	r, w := pipe(t)
	write(t, w, "always readable: never drained")
	reads := 0
	tok, err := l.Register(r, Readable, HandlerFunc(func(Events) { reads++ }))
	if err != nil {
		t.Fatal(err)
	}
	var far Timer
	far.Init(func(int64) {})
	l.After(&far, time.Hour) // a deadline, so that each wait goes to the poller
	l.runOnce(true)          // warm up
	noAllocs(t, "ready wait", func() {
		if err := l.runOnce(true); err != nil {
			t.Fatal(err)
		}
	})
	if reads < 100 {
		t.Errorf("%d reads: the waits did not see the descriptor", reads)
	}
	if err := l.Unregister(tok); err != nil {
		t.Fatal(err)
	}
	var near Timer
	fires := 0
	near.Init(func(now int64) { fires++; l.Schedule(&near, now+int64(200*time.Microsecond)) })
	l.After(&near, 0)
	noAllocs(t, "parked wait", func() {
		if err := l.runOnce(true); err != nil {
			t.Fatal(err)
		}
	})
	if fires < 50 {
		t.Errorf("%d timer fires: the waits did not end at the deadline", fires)
	}
}

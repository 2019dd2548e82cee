package loop

import (
	"testing"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// Drain runs at every wake-up with the wake-up's time, before that
// wake-up's fd handlers and timers.
func TestDrainBeforeHandlersAndTimers(t *testing.T) {
	var l *Loop
	drainedAt := int64(-1)
	l = newLoop(t, Options{Drain: func(now int64) {
		if now != l.Now() {
			t.Errorf("Drain(%d) at Now %d", now, l.Now())
		}
		drainedAt = now
	}})
	r, w := pipe(t)
	buf := make([]byte, 8)
	done := make(chan bool, 1)
	var tm Timer
	tm.Init(func(now int64) { done <- drainedAt == now })
	if _, err := l.Register(r, Readable, HandlerFunc(func(Events) {
		sysio.Read(r, buf)
		if drainedAt != l.Now() {
			t.Errorf("fd handler at %d, last drain at %d", l.Now(), drainedAt)
		}
		l.After(&tm, 2e6)
	})); err != nil {
		t.Fatal(err)
	}
	stop := start(t, l)
	defer stop()
	write(t, w, "x")
	if !recvWithin(t, done, "timer") {
		t.Error("timer fired without a drain at its wake-up")
	}
}

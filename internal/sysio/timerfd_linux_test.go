package sysio

import (
	"testing"
	"time"
)

// An armed timerfd makes an epoll set ready at its expiry, not before;
// a disarmed one never does.
func TestTimerfd(t *testing.T) {
	fd, err := Timerfd()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	ep, err := EpollCreate()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(ep)
	if err := EpollAdd(ep, fd, EventIn|EventET, 7); err != nil {
		t.Fatal(err)
	}
	ev := make([]EpollEvent, 4)
	if err := TimerfdArm(fd, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := Monotonic()
	n, err := EpollWait(ep, ev, time.Second)
	if err != nil || n != 1 || ev[0].Data() != 7 {
		t.Fatalf("EpollWait = %d, %v, data %d", n, err, ev[0].Data())
	}
	if d := time.Duration(Monotonic() - start); d < 20*time.Millisecond {
		t.Errorf("ready after %v, armed for 20ms", d)
	}
	if err := TimerfdArm(fd, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := TimerfdArm(fd, -1); err != nil {
		t.Fatal(err)
	}
	if n, err := EpollWait(ep, ev, 30*time.Millisecond); n != 0 || err != nil {
		t.Errorf("disarmed: EpollWait = %d, %v", n, err)
	}
}

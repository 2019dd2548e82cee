package sysio

import (
	"testing"
	"time"
)

func TestEpollDataRoundTrip(t *testing.T) {
	epfd, err := EpollCreate()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(epfd)
	efd, err := Eventfd()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(efd)
	const data = 0xfedcba98_76543210
	if err := EpollAdd(epfd, efd, EventIn, data); err != nil {
		t.Fatal(err)
	}
	events := make([]EpollEvent, 4)
	if n, err := EpollWait(epfd, events, 0); n != 0 || err != nil {
		t.Fatalf("EpollWait on idle set = %d, %v", n, err)
	}
	if err := EventfdWrite(efd); err != nil {
		t.Fatal(err)
	}
	n, err := EpollWait(epfd, events, time.Second)
	if n != 1 || err != nil {
		t.Fatalf("EpollWait = %d, %v, want 1, nil", n, err)
	}
	if got := events[0].Data(); got != data {
		t.Errorf("Data = %#x, want %#x", got, uint64(data))
	}
	if events[0].Events()&EventIn == 0 {
		t.Errorf("Events = %#x, want EventIn", events[0].Events())
	}

	if err := EpollMod(epfd, efd, EventIn, 7); err != nil {
		t.Fatal(err)
	}
	if n, _ := EpollWait(epfd, events, time.Second); n != 1 || events[0].Data() != 7 {
		t.Errorf("after EpollMod: n=%d data=%d, want 1, 7", n, events[0].Data())
	}
	if err := EpollDel(epfd, efd); err != nil {
		t.Fatal(err)
	}
	if n, _ := EpollWait(epfd, events, 0); n != 0 {
		t.Errorf("after EpollDel: %d events", n)
	}
	if err := EpollDel(epfd, efd); err == nil {
		t.Error("EpollDel of an absent fd succeeded")
	}
	if _, err := EpollWait(epfd, nil, 0); err == nil {
		t.Error("EpollWait with no room for events succeeded")
	}
}

// A wait must never end before its timeout, in either kernel interface.
func TestEpollWaitNeverEarly(t *testing.T) {
	epfd, err := EpollCreate()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(epfd)
	events := make([]EpollEvent, 1)
	check := func(name string) {
		for _, d := range []time.Duration{300 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond} {
			start := Monotonic()
			n, err := EpollWait(epfd, events, d)
			got := time.Duration(Monotonic() - start)
			if n != 0 || err != nil {
				t.Fatalf("%s: EpollWait(%v) = %d, %v", name, d, n, err)
			}
			if got < d {
				t.Errorf("%s: EpollWait(%v) returned after %v", name, d, got)
			}
		}
	}
	check("default")
	t.Logf("epoll_pwait2 in use: %v", !noPwait2.Load())
	old := noPwait2.Load()
	noPwait2.Store(true)
	defer noPwait2.Store(old)
	check("epoll_wait")
}

func TestWaitMillis(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{-1, -1},
		{0, 0},
		{1, 1},
		{time.Millisecond, 1},
		{time.Millisecond + 1, 2},
		{1500 * time.Microsecond, 2},
		{time.Hour, 3600000},
		{1 << 62, 1<<31 - 1},
	} {
		if got := waitMillis(tc.d); got != tc.want {
			t.Errorf("waitMillis(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestEpollWaitNoAllocs(t *testing.T) {
	epfd, err := EpollCreate()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(epfd)
	events := make([]EpollEvent, 8)
	noAllocs(t, "EpollWait", func() { EpollWait(epfd, events, 0) })
	noAllocs(t, "EpollWait timed", func() { EpollWait(epfd, events, time.Microsecond) })
}

func BenchmarkEpollWaitPoll(b *testing.B) {
	epfd, err := EpollCreate()
	if err != nil {
		b.Fatal(err)
	}
	defer Close(epfd)
	events := make([]EpollEvent, 8)
	b.ReportAllocs()
	for b.Loop() {
		EpollWait(epfd, events, 0)
	}
}

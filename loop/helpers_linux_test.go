package loop

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// On a busy two-core machine a thread can wait tens of milliseconds for a
// CPU; bounds on lateness are this generous, and one-sided.
const lateBound = 250 * time.Millisecond

func newLoop(t testing.TB, opts Options) *Loop {
	t.Helper()
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// start runs l in a goroutine; the returned function stops it and reports
// Run's error.
func start(t testing.TB, l *Loop) (stop func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- l.Run() }()
	return func() {
		t.Helper()
		l.Stop()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after Stop")
		}
	}
}

func pipe(t testing.TB) (r, w int) {
	t.Helper()
	r, w, err := sysio.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sysio.Close(r); sysio.Close(w) })
	return r, w
}

func write(t testing.TB, fd int, s string) {
	t.Helper()
	if _, err := sysio.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func recvWithin[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
	var zero T
	return zero
}

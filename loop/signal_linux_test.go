package loop

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestSignals(t *testing.T) {
	got := make(chan os.Signal, 16)
	l := newLoop(t, Options{})
	var tm Timer // touched by the handler: the race detector objects if it runs off the loop
	handler := func(s os.Signal) {
		l.After(&tm, time.Hour)
		got <- s
	}
	if err := l.Signals(handler, syscall.SIGHUP, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// Sent before Run: delivered once Run starts.
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	stop := start(t, l)
	defer stop()
	if s := recvWithin(t, got, "SIGUSR1"); s != syscall.SIGUSR1 {
		t.Errorf("got %v, want SIGUSR1", s)
	}
	// SIGHUP is one of the signals a signalfd would miss under the Go
	// runtime; here every one arrives.
	for range 20 {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if s := recvWithin(t, got, "SIGHUP"); s != syscall.SIGHUP {
			t.Errorf("got %v, want SIGHUP", s)
		}
	}
}

func TestSignalsErrors(t *testing.T) {
	l := newLoop(t, Options{})
	if err := l.Signals(nil, syscall.SIGUSR2); err == nil {
		t.Error("nil handler accepted")
	}
	if err := l.Signals(func(os.Signal) {}); err == nil {
		t.Error("no signals accepted")
	}
	if err := l.Signals(func(os.Signal) {}, syscall.Signal(65)); err == nil {
		t.Error("signal 65 accepted")
	}
}

// Close restores the default disposition and ends the relay goroutine.
func TestSignalsClose(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Signals(func(os.Signal) {}, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	done := l.sig.done
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("relay goroutine still running after Close")
	}
	if err := l.Signals(func(os.Signal) {}, syscall.SIGUSR2); err == nil {
		t.Error("Signals after Close accepted")
	}
}

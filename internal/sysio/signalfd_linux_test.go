package sysio

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A signal sent to the thread that blocked it stays pending for that thread
// and is read from its signalfd.
func TestSignalfdThreadDirected(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The thread's signal mask is changed for good: never unlock, so the
		// runtime discards the thread when this goroutine ends.
		runtime.LockOSThread()
		fd, err := Signalfd(syscall.SIGUSR2)
		if err != nil {
			t.Error(err)
			return
		}
		defer Close(fd)
		if _, ok, err := ReadSignal(fd); ok || err != nil {
			t.Errorf("ReadSignal with nothing pending = %v, %v", ok, err)
		}
		if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR2); err != nil {
			t.Error(err)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			sig, ok, err := ReadSignal(fd)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				if sig != syscall.SIGUSR2 {
					t.Errorf("ReadSignal = %v, want SIGUSR2", sig)
				}
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Error("signal never arrived on the signalfd")
	}()
	<-done
}

func TestSigsetRange(t *testing.T) {
	if _, err := sigset([]syscall.Signal{0}); err == nil {
		t.Error("signal 0 accepted")
	}
	if _, err := sigset([]syscall.Signal{65}); err == nil {
		t.Error("signal 65 accepted")
	}
	set, err := sigset([]syscall.Signal{1, 64})
	if err != nil {
		t.Fatal(err)
	}
	var want unix.Sigset_t
	const wordBits = 8 * int(unsafe.Sizeof(want.Val[0]))
	want.Val[0] |= 1
	want.Val[63/wordBits] |= 1 << (63 % wordBits)
	if set != want {
		t.Errorf("sigset(1, 64) = %v, want %v", set.Val[:2], want.Val[:2])
	}
}

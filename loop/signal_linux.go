package loop

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// Signals reach the loop through os/signal, not signalfd. A signalfd only
// sees signals blocked in every thread, and the Go runtime unblocks SIGHUP,
// SIGINT, SIGTERM and SIGCHLD in each thread it starts, so a signalfd would
// miss most of them (measured: 8 of 40). os/signal's handler instead
// queues each signal on a channel; a relay goroutine marks it in a bitmap
// and wakes the loop, which runs the handler on the loop goroutine.
type sigState struct {
	handlers [65]func(os.Signal) // by signal number; loop goroutine only
	pending  atomic.Uint64       // bit n-1: signal n arrived
	ch       chan os.Signal
	done     chan struct{}
}

// Signals arranges for h to run on the loop goroutine when one of sigs
// arrives, from the moment Signals returns (a signal that arrives before
// Run is delivered when Run starts). Signals of one kind that arrive before
// the loop handles the first are delivered once, as the kernel itself
// merges pending signals. The process no longer takes the default action
// for these signals (SIGTERM no longer kills it) until Close.
//
// Nothing needs to be blocked by the caller: the Go runtime catches the
// signals on whatever thread they land.
func (l *Loop) Signals(h func(os.Signal), sigs ...os.Signal) error {
	if h == nil || len(sigs) == 0 {
		return errors.New("loop: Signals needs a handler and signals")
	}
	if l.isClosed() {
		return errors.New("loop: Signals after Close")
	}
	for _, s := range sigs {
		if n, ok := s.(syscall.Signal); !ok || n < 1 || n > 64 {
			return fmt.Errorf("loop: unsupported signal %v", s)
		}
	}
	for _, s := range sigs {
		l.sig.handlers[s.(syscall.Signal)] = h
	}
	if l.sig.ch == nil {
		// Room for a burst of every signal there is; os/signal drops what
		// does not fit, and the bitmap merges repeats anyway.
		l.sig.ch = make(chan os.Signal, 64)
		l.sig.done = make(chan struct{})
		go l.relaySignals(l.sig.ch, l.sig.done)
	}
	signal.Notify(l.sig.ch, sigs...)
	return nil
}

func (l *Loop) relaySignals(ch <-chan os.Signal, done chan<- struct{}) {
	defer close(done)
	for s := range ch {
		if n, ok := s.(syscall.Signal); ok && n >= 1 && n <= 64 {
			l.sig.pending.Or(1 << (n - 1))
			l.Wake()
		}
	}
}

// deliverSignals runs, in signal-number order, the handlers of the signals
// that arrived since the last call.
func (l *Loop) deliverSignals() {
	p := l.sig.pending.Swap(0)
	for p != 0 {
		b := bits.TrailingZeros64(p)
		p &^= 1 << b
		n := syscall.Signal(b + 1)
		if h := l.sig.handlers[n]; h != nil {
			h(n)
		}
	}
}

func (l *Loop) stopSignals() {
	if l.sig.ch == nil {
		return
	}
	signal.Stop(l.sig.ch)
	close(l.sig.ch) // safe: Stop guarantees no more sends
	<-l.sig.done
	l.sig.ch = nil
}

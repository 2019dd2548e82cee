package loop

import (
	"fmt"
	"sync/atomic"

	"github.com/hbd-ha/hbd/internal/sysio"
)

type wakeState struct {
	fd      int
	pending atomic.Bool // an eventfd write is on its way or unhandled
	handler func()
	reader  wakeReader
}

// wakeReader is the eventfd's Handler.
type wakeReader struct{ l *Loop }

func (r *wakeReader) HandleEvents(Events) { r.l.handleWake() }

func (l *Loop) initWake(handler func()) error {
	fd, err := sysio.Eventfd()
	if err != nil {
		return fmt.Errorf("loop: %w", err)
	}
	l.wake.fd, l.wake.handler, l.wake.reader.l = fd, handler, l
	if _, err := l.Register(fd, Readable, &l.wake.reader); err != nil {
		sysio.Close(fd)
		return err
	}
	return nil
}

// Wake makes the loop run its WakeHandler soon. It may be called from any
// goroutine and never blocks. A burst of calls before the loop gets round
// to it costs one eventfd write: the first caller to set the pending flag
// writes, the others see it set and return.
func (l *Loop) Wake() {
	// Load first: a failed compare-and-swap still takes the cache line
	// exclusively, and a storm of them would make it bounce between cores.
	if l.wake.pending.Load() || !l.wake.pending.CompareAndSwap(false, true) {
		return
	}
	// The read lock keeps Close from closing (and the kernel from reusing)
	// the descriptor under the write.
	l.closeMu.RLock()
	if l.closed || sysio.EventfdWrite(l.wake.fd) != nil {
		l.wake.pending.Store(false)
	}
	l.closeMu.RUnlock()
}

// handleWake drains the eventfd, then clears the flag, then runs the
// handlers: a Wake that lands after the clear writes again and is seen next
// iteration; one that lands before it found the flag set, and its work
// (queued before it called Wake) is visible to the handler below.
func (l *Loop) handleWake() {
	// A read can only fail on a bad descriptor, which the loop owns.
	sysio.EventfdRead(l.wake.fd)
	l.wake.pending.Store(false)
	l.stats.wakes.Add(1)
	l.deliverSignals()
	if l.wake.handler != nil {
		l.wake.handler()
	}
}

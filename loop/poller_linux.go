package loop

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// poller waits on the loop's epoll set through the Go runtime's own
// poller (Options.RuntimeWait): the epoll descriptor is itself pollable,
// so the runtime watches it, and a read deadline stands for the next
// timer. The loop's goroutine parks instead of holding its P in a system
// call, so an idle process has every P idle, and the runtime's monitor
// thread (sysmon) then sleeps until the next runtime timer instead of
// waking every 10 ms to preempt the wait.
//
// The next timer is a timerfd in the loop's own set where the kernel has
// one, not a read deadline: a deadline is a runtime timer, and the
// runtime's poller truncates its wait to milliseconds, so it woke up to
// a millisecond early and once more to reach the deadline, and sysmon
// woke at every such timer too. With the timerfd the runtime has no
// timer of ours: one wake-up per deadline, to the nanosecond.
type poller struct {
	f    *os.File // owns epfd: closed with it
	rc   syscall.RawConn
	read func(fd uintptr) bool // l.pollOnce, bound once: no allocation per wait

	l   *Loop
	tfd int   // the timerfd standing for the next timer; -1: read deadlines
	n   int   // events the last pollOnce found
	err error // its error
}

func (l *Loop) initPoller() error {
	// Edge-triggered, never read: each expiry reports once. Its token
	// names no slot, so dispatch skips it.
	tfd, err := sysio.Timerfd()
	if err == nil {
		if err = sysio.EpollAdd(l.epfd, tfd, sysio.EventIn|sysio.EventET, uint64(timerToken)); err != nil {
			sysio.Close(tfd)
		}
	}
	if err != nil {
		if l.precise {
			return nil // a read deadline's millisecond rounding is not precise: wait blocking
		}
		tfd = -1
	}
	if err := syscall.SetNonblock(l.epfd, true); err != nil {
		closeFD(tfd)
		return fmt.Errorf("loop: epoll set non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(l.epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		closeFD(tfd)
		f.Close()
		return fmt.Errorf("loop: epoll in the runtime poller: %w", err)
	}
	p := &poller{f: f, rc: rc, l: l, tfd: tfd}
	p.read = p.pollOnce
	l.poller = p
	return nil
}

// closeFD closes the timerfd, if there is one (fd -1: none).
func closeFD(fd int) {
	if fd >= 0 {
		sysio.Close(fd)
	}
}

// timerToken is the poller's timerfd's epoll data: an index no slot has.
const timerToken = ^Token(0)

// pollOnce is the RawConn read callback: it takes what is ready without
// blocking, and asks the runtime to wait (false) when nothing is.
func (p *poller) pollOnce(uintptr) bool {
	p.n, p.err = sysio.EpollWait(p.l.epfd, p.l.events, 0)
	return p.n > 0 || p.err != nil
}

// wait is EpollWait through the runtime: until an event or timeout
// (negative: none; 0: poll only).
func (p *poller) wait(timeout time.Duration) (int, error) {
	if timeout == 0 {
		return sysio.EpollWait(p.l.epfd, p.l.events, 0)
	}
	if p.tfd >= 0 {
		if err := sysio.TimerfdArm(p.tfd, timeout); err != nil {
			return 0, fmt.Errorf("epoll wait: %w", err)
		}
		return p.read1()
	}
	var dl time.Time
	if timeout > 0 {
		dl = time.Now().Add(timeout)
	}
	if err := p.f.SetReadDeadline(dl); err != nil {
		return 0, fmt.Errorf("epoll deadline: %w", err)
	}
	return p.read1()
}

// read1 waits in the runtime until the loop's set has events or the read
// deadline passes.
func (p *poller) read1() (int, error) {
	p.n, p.err = 0, nil
	if err := p.rc.Read(p.read); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, fmt.Errorf("epoll wait: %w", err)
	}
	return p.n, p.err
}

// close closes the epoll descriptor through its File.
func (p *poller) close() error {
	closeFD(p.tfd)
	return p.f.Close()
}

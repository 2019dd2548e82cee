package loop

import (
	"errors"
	"fmt"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// ErrUnknownToken is returned for a Token that is not (or no longer)
// registered.
var ErrUnknownToken = errors.New("loop: unknown token")

// slot is one registration. gen changes every time the slot is reused.
type slot struct {
	h   Handler // nil when free
	fd  int
	gen uint32
}

// Register adds the non-blocking descriptor fd to the loop: h runs whenever
// one of events (or an error or hang-up) is ready. Registration is
// level-triggered unless events includes EdgeTriggered. The caller keeps
// ownership of fd and must Unregister it before closing it.
func (l *Loop) Register(fd int, events Events, h Handler) (Token, error) {
	if h == nil {
		return 0, errors.New("loop: Register with nil handler")
	}
	var idx uint32
	if n := len(l.free); n > 0 {
		idx, l.free = l.free[n-1], l.free[:n-1]
	} else {
		idx = uint32(len(l.slots))
		l.slots = append(l.slots, slot{})
	}
	s := &l.slots[idx]
	if s.gen++; s.gen == 0 {
		s.gen = 1
	}
	tok := makeToken(idx, s.gen)
	if err := sysio.EpollAdd(l.epfd, fd, uint32(events), uint64(tok)); err != nil {
		l.free = append(l.free, idx)
		return 0, fmt.Errorf("loop: register fd %d: %w", fd, err)
	}
	s.h, s.fd = h, fd
	return tok, nil
}

// Modify changes the events a registration waits for.
func (l *Loop) Modify(tok Token, events Events) error {
	s := l.slot(tok)
	if s == nil {
		return ErrUnknownToken
	}
	if err := sysio.EpollMod(l.epfd, s.fd, uint32(events), uint64(tok)); err != nil {
		return fmt.Errorf("loop: modify fd %d: %w", s.fd, err)
	}
	return nil
}

// Unregister removes a registration. Events already collected for it in the
// current iteration are dropped, so it is safe to call from any handler,
// including the registration's own. The registration is gone even if the
// kernel reports an error (say, fd was closed first).
func (l *Loop) Unregister(tok Token) error {
	s := l.slot(tok)
	if s == nil {
		return ErrUnknownToken
	}
	fd := s.fd
	s.h, s.fd = nil, -1
	l.free = append(l.free, tok.index())
	if err := sysio.EpollDel(l.epfd, fd); err != nil {
		return fmt.Errorf("loop: unregister fd %d: %w", fd, err)
	}
	return nil
}

func (l *Loop) slot(tok Token) *slot {
	i := tok.index()
	if int(i) >= len(l.slots) {
		return nil
	}
	s := &l.slots[i]
	if s.h == nil || s.gen != tok.gen() {
		return nil
	}
	return s
}

// dispatch runs the handlers of the first n collected events.
func (l *Loop) dispatch(n int) {
	for i := range n {
		ev := &l.events[i]
		s := l.slot(Token(ev.Data()))
		if s == nil {
			continue // unregistered earlier in this iteration
		}
		s.h.HandleEvents(Events(ev.Events()))
	}
}

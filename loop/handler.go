package loop

// Handler receives readiness events for a registered file descriptor. It
// runs on the loop goroutine and must not block: read or write until the
// descriptor would block (or, level-triggered, as much as is fair), then
// return.
type Handler interface {
	HandleEvents(ev Events)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ev Events)

// HandleEvents calls f(ev).
func (f HandlerFunc) HandleEvents(ev Events) { f(ev) }

// Events is a set of readiness conditions; the values are epoll's.
type Events uint32

// Token names a registration. It is the epoll user data word: the slot index
// in the low 32 bits and the slot's generation in the high 32, so an event
// still queued for a registration that has since gone is recognised and
// dropped even if the slot is reused. The zero Token is never valid.
type Token uint64

func makeToken(index, gen uint32) Token { return Token(uint64(gen)<<32 | uint64(index)) }

func (t Token) index() uint32 { return uint32(t) }
func (t Token) gen() uint32   { return uint32(t >> 32) }

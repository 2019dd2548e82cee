package media

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// udp is what bcast, ucast, mcast, ucast6 and mcast6 have in common: an
// unbound send socket aimed at one destination and a receive socket bound
// to the port. Heartbeat checks neither the source address nor the port of
// what it receives.
type udp struct {
	base
	rfd, wfd int
	dst      netip.AddrPort
	to       unix.Sockaddr // dst, built once so that sendto allocates nothing
}

func (m *udp) FD() int { return m.rfd }

func (m *udp) Recv(b *Batch) (int, error) {
	n, err := b.recvDatagrams(m.rfd, m.index, keepNonEmpty)
	if err != nil {
		return n, m.err("receive", err)
	}
	return n, nil
}

// keepNonEmpty drops empty datagrams, which ucast refuses ("received zero
// bytes") and the other readers cannot decode.
func keepNonEmpty(p []byte, _ netip.AddrPort) []byte {
	if len(p) == 0 {
		return nil
	}
	return p
}

func (m *udp) Send(pkt []byte) error {
	if err := sendto(m.wfd, pkt, m.to); err != nil {
		return m.err("send to "+m.dst.String(), err)
	}
	return nil
}

func (m *udp) Close() error {
	err := closeFDs(m.rfd, m.wfd)
	m.rfd, m.wfd = -1, -1
	if err != nil {
		return m.err("close", err)
	}
	return nil
}

// newUDP starts a medium with no sockets yet, so that a failed open can
// close whatever it did get with Close.
func newUDP(b base, dst netip.AddrPort, scope uint32) *udp {
	return &udp{base: b, rfd: -1, wfd: -1, dst: dst, to: sockaddr(dst, scope)}
}

// fail closes what the medium opened and returns the error for op.
func (m *udp) fail(op string, err error) error {
	m.Close()
	return m.err(op, err)
}

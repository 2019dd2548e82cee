package media

import (
	"net/netip"

	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// udp is what bcast, ucast, mcast, ucast6 and mcast6 have in common: an
// unbound send socket aimed at one destination and a receive socket bound
// to the port. Heartbeat checks neither the source address nor the port of
// what it receives.
type udp struct {
	base
	rfd, wfd int
	// bfd is the beacon socket (beacon_linux.go), -1 without one; berr
	// says why it could not be opened.
	bfd   int
	berr  error
	dst   netip.AddrPort
	to    unix.Sockaddr // dst, built once so that sendto allocates nothing
	iface string        // the send socket's interface (ucast), for Fanout
	// out sends to dst with a raw sendmmsg of one datagram (see
	// sysio.Batch), where dst needs no IPv6 scope; nil: sendto.
	out *sysio.Batch
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
	var err error
	if m.out != nil && m.out.Queue(pkt, m.dst) {
		var sent int
		if sent, err = m.out.SendBatch(m.wfd); sent == 0 && err == nil {
			m.out.Reset()
			err = unix.EAGAIN // the socket buffer is full, as sendto says
		}
	} else {
		err = sendto(m.wfd, pkt, m.to)
	}
	if err != nil {
		return m.err("send to "+m.dst.String(), err)
	}
	return nil
}

func (m *udp) Close() error {
	err := closeFDs(m.rfd, m.wfd, m.bfd)
	m.rfd, m.wfd, m.bfd = -1, -1, -1
	if err != nil {
		return m.err("close", err)
	}
	return nil
}

// newUDP starts a medium with no sockets yet, so that a failed open can
// close whatever it did get with Close.
func newUDP(b base, dst netip.AddrPort, scope uint32) *udp {
	m := &udp{base: b, rfd: -1, wfd: -1, bfd: -1, dst: dst, to: sockaddr(dst, scope)}
	if scope == 0 && dst.Addr().Zone() == "" {
		m.out = sysio.NewBatch(make([][]byte, 1))
	}
	return m
}

// fail closes what the medium opened and returns the error for op.
func (m *udp) fail(op string, err error) error {
	m.Close()
	return m.err(op, err)
}

package media

import (
	"net/netip"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// MaxDatagram is a receive buffer size that holds any UDP datagram.
const MaxDatagram = 65536

// Packet is one received packet.
type Packet struct {
	// Data is the payload, a view into the Batch's buffer, valid until the
	// next Recv into that Batch: the UDP payload, the ICMP echo payload,
	// or the classic text gathered from a serial line. It is not decoded
	// or authenticated (except ping replies, which heartbeat checks in the
	// plugin).
	Data []byte
	// Medium is the Index of the medium it arrived on.
	Medium int
	// From is the sender's address and port (port 0 for ICMP); the zero
	// AddrPort for serial. Only for logs: heartbeat trusts src, srcuuid and
	// the auth, never the address.
	From netip.AddrPort
}

// Batch is a set of reusable receive buffers. A medium's Recv fills it
// with one system call where it can (recvmmsg), without allocating.
type Batch struct {
	bufs [][]byte
	sys  *sysio.Batch
	pkts []Packet
	// drained: the last Recv read fewer datagrams than it had room for,
	// so the socket was empty then.
	drained bool
}

// NewBatch returns a Batch of n buffers of size bytes each. Use
// MaxDatagram unless every packet is known to be smaller; a packet that
// does not fit is dropped, as heartbeat would fail to decode its remains.
func NewBatch(n, size int) *Batch {
	n = max(n, 1)
	bufs := make([][]byte, n)
	mem := make([]byte, n*size)
	for i := range bufs {
		bufs[i] = mem[i*size : (i+1)*size : (i+1)*size]
	}
	return &Batch{bufs: bufs, sys: sysio.NewBatch(bufs), pkts: make([]Packet, 0, n)}
}

// Len returns how many packets the last Recv left in the Batch.
func (b *Batch) Len() int { return len(b.pkts) }

// At returns packet i, or the zero Packet when i is out of range.
func (b *Batch) At(i int) Packet {
	if i < 0 || i >= len(b.pkts) {
		return Packet{}
	}
	return b.pkts[i]
}

// Cap returns how many packets one Recv can deliver.
func (b *Batch) Cap() int { return len(b.bufs) }

// Drained reports whether the last Recv emptied its socket: it read
// fewer datagrams than it had room for. The caller may then skip the
// Recv that would only say so (EAGAIN): a datagram that arrives later
// raises a new readiness event, even edge-triggered. False for media that
// cannot tell (ping, serial).
func (b *Batch) Drained() bool { return b.drained }

func (b *Batch) reset() { b.pkts, b.drained = b.pkts[:0], false }

func (b *Batch) add(data []byte, medium int, from netip.AddrPort) {
	b.pkts = append(b.pkts, Packet{Data: data, Medium: medium, From: from})
}

// recvDatagrams reads datagrams from fd and passes each to keep, which
// returns the part to hand up (nil to skip it). It reads again when every
// datagram of a full read was skipped, so that 0 always means "drained".
func (b *Batch) recvDatagrams(fd, medium int, keep func(p []byte, from netip.AddrPort) []byte) (int, error) {
	b.reset()
	for {
		n, err := b.sys.RecvBatch(fd)
		if err != nil || n == 0 {
			b.drained = err == nil
			return len(b.pkts), err
		}
		for i := range n {
			p, from := b.sys.Datagram(i)
			if b.sys.Truncated(i) {
				continue
			}
			if data := keep(p, from); data != nil {
				b.add(data, medium, from)
			}
		}
		if len(b.pkts) > 0 || n < len(b.bufs) {
			b.drained = n < len(b.bufs)
			return len(b.pkts), nil
		}
	}
}

package media

import (
	"net/netip"
	"testing"

	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// newBlaster returns a function that sends n copies of pkt to dst from a
// plain UDP socket in host h, with one sendmmsg.
func newBlaster(tb testing.TB, h *netnstest.Host, dst netip.AddrPort, pkt []byte, n int) func() {
	tb.Helper()
	var fd int
	var err error
	h.Run(func() { fd, err = sysio.UDPSocket(netip.AddrPortFrom(netip.IPv4Unspecified(), 0)) })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sysio.Close(fd) })
	out := sysio.NewBatch(make([][]byte, n))
	return func() {
		for range n {
			out.Queue(pkt, dst)
		}
		for out.Queued() > 0 {
			if _, err := out.SendBatch(fd); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

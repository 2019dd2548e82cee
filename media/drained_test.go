package media

import (
	"testing"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Drained says a Recv emptied the socket only when its read came back
// short: the loop then skips the call that would only return EAGAIN.
func TestBatchDrained(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	from := open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{})
	to := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	pkt := []byte("hbdN status")
	b := NewBatch(2, MaxDatagram)
	for range 3 {
		if err := from.Send(pkt); err != nil {
			t.Fatal(err)
		}
	}
	// The first Recv may run before all three have arrived; read until
	// two came in one full read, which must not claim the socket empty.
	for got := 0; got < 3; {
		k, err := to.Recv(b)
		if err != nil {
			t.Fatal(err)
		}
		if k == 2 && b.Drained() {
			t.Errorf("a full read of %d claims the socket drained", k)
		}
		if k == 1 && !b.Drained() {
			t.Errorf("a short read of 1 does not claim the socket drained")
		}
		got += k
	}
	if k, err := to.Recv(b); k != 0 || err != nil || !b.Drained() {
		t.Errorf("Recv on an empty socket: %d, %v, drained %v", k, err, b.Drained())
	}
}

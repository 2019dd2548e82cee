package media

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// One Send reaches every medium: the ucast peers of one interface with one
// sendmmsg (each peer gets its own copy, from the sender's address), the
// bcast medium alone.
func TestFanout(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	h1, h2, h3 := n.Host(1), n.Host(2), n.Host(3)
	ms := []Medium{
		open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{}),
		open(t, h1, 1, onPort(bcastMedium("eth0"), 695), Options{}),
		open(t, h1, 2, ucastMedium("eth0", h3.Addr(0)), Options{}),
	}
	at2 := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	at3 := open(t, h3, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	bc2 := open(t, h2, 1, onPort(bcastMedium("eth0"), 695), Options{})
	f := NewFanout(ms)
	if k := f.Batched(); k != 1 {
		t.Errorf("Batched() = %d, want 1 (the second ucast peer of eth0)", k)
	}
	pkt := []byte("hbdN fanout status")
	var asked []int
	f.Send(func(m Medium) []byte { asked = append(asked, m.Index()); return pkt },
		func(m Medium, err error) { t.Errorf("%s %s: %v", m.Type(), m.Name(), err) })
	if len(asked) != 2 {
		t.Errorf("packet asked for media %v, want once per send (the group's first, the bcast)", asked)
	}
	for _, c := range []struct {
		name string
		m    Medium
	}{{"ucast at node2", at2}, {"ucast at node3", at3}, {"bcast at node2", bc2}} {
		got := collect(t, c.m, 1, 100*time.Millisecond, 5*time.Second)
		if len(got) != 1 || !bytes.Equal(got[0].data, pkt) || got[0].from != h1.Addr(0).String() {
			t.Errorf("%s: got %+v, want one copy from %v", c.name, got, h1.Addr(0))
		}
	}
}

// A peer the kernel refuses is blamed on its own medium; the other peers
// of the group still get theirs.
func TestFanoutFailure(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	// A broadcast address, which a ucast socket (no SO_BROADCAST) may
	// not send to: EACCES for that datagram alone.
	unroutable := netip.MustParseAddr("255.255.255.255")
	ms := []Medium{
		open(t, h1, 0, ucastMedium("eth0", unroutable), Options{}),
		open(t, h1, 1, ucastMedium("eth0", h2.Addr(0)), Options{}),
	}
	at2 := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	f := NewFanout(ms)
	pkt := []byte("hbdN fanout status")
	var failed []int
	f.Send(func(Medium) []byte { return pkt }, func(m Medium, err error) {
		failed = append(failed, m.Index())
		var me *Error
		if !errors.As(err, &me) || me.Op != "send to "+unroutable.String()+":694" {
			t.Errorf("error %v does not name the send to %v", err, unroutable)
		}
	})
	if len(failed) != 1 || failed[0] != 0 {
		t.Errorf("failures blamed on media %v, want [0]", failed)
	}
	if got := collect(t, at2, 1, 100*time.Millisecond, 5*time.Second); len(got) != 1 {
		t.Errorf("the reachable peer got %d datagrams, want 1", len(got))
	}
}

// A fanned-out send allocates nothing.
func TestFanoutNoAllocs(t *testing.T) {
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	h1, h2, h3 := n.Host(1), n.Host(2), n.Host(3)
	ms := []Medium{
		open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{}),
		open(t, h1, 1, ucastMedium("eth0", h3.Addr(0)), Options{}),
	}
	at2 := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	f := NewFanout(ms)
	pkt := []byte("hbdN fanout status")
	pick := func(Medium) []byte { return pkt }
	fail := func(m Medium, err error) { t.Errorf("%s: %v", m.Name(), err) }
	b := NewBatch(8, MaxDatagram)
	noAllocs(t, "Fanout.Send", func() {
		f.Send(pick, fail)
		recvSome(at2, b, 1)
	})
}

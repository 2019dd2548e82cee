package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// recvSome calls Recv until it has delivered at least want packets,
// spinning: after a send on a veth or a pty the data is there within
// microseconds. It gives up (returning what it got) after a second.
func recvSome(m Medium, b *Batch, want int) int {
	got := 0
	for spins := 0; got < want && spins < 1e6; spins++ {
		n, err := m.Recv(b)
		if err != nil {
			return got
		}
		got += n
	}
	return got
}

// The heartbeat path allocates nothing: a Send, and a Recv of the packets
// it produced, for each kind of medium.
func TestNoAllocs(t *testing.T) {
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	keys := testKeyring(t)
	pkt := statusPacket(t, keys, testNode, 1, 0x66d0a4f0)
	b := NewBatch(8, MaxDatagram)

	pairs := []struct {
		name     string
		from, to Medium
		sends    int
	}{
		{"ucast", open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{}), open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{}), 1},
		{"ucast batch of 8", nil, nil, 8},
		{"bcast", open(t, h1, 1, onPort(bcastMedium("eth0"), 695), Options{}), open(t, h2, 1, onPort(bcastMedium("eth0"), 695), Options{}), 1},
		{"mcast", open(t, h1, 2, onPort(mcastMedium("eth0", testMCast, 1, false), 696), Options{}), open(t, h2, 2, onPort(mcastMedium("eth0", testMCast, 1, false), 696), Options{}), 1},
	}
	pairs[1].from, pairs[1].to = pairs[0].from, pairs[0].to
	pm := open(t, h1, 3, pingMedium(h2.Addr(0)), Options{Keyring: keys})
	pairs = append(pairs, struct {
		name     string
		from, to Medium
		sends    int
	}{"ping", pm, pm, 1})
	for _, p := range pairs {
		checkRoundAllocs(t, p.name, p.from, p.to, pkt, p.sends, b)
	}
	noAllocs(t, "Recv with nothing waiting", func() {
		if n, err := pairs[0].to.Recv(b); n != 0 || err != nil {
			t.Fatal(n, err)
		}
	})
}

func TestNoAllocsSerial(t *testing.T) {
	near, far := serialPair(t, &fakeClock{})
	pkt := statusPacket(t, testKeyring(t), testNode, 1, 0x66d0a4f0)
	checkRoundAllocs(t, "serial", near, far, pkt, 1, NewBatch(1, MaxDatagram))
}

// checkRoundAllocs checks that sends packets from one medium and their
// receipt by another allocate nothing.
func checkRoundAllocs(t *testing.T, name string, from, to Medium, pkt []byte, sends int, b *Batch) {
	t.Helper()
	round := func() {
		for range sends {
			if err := from.Send(pkt); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if got := recvSome(to, b, sends); got != sends {
			t.Fatalf("%s: received %d of %d", name, got, sends)
		}
	}
	round() // warm up: buffers grow to size
	noAllocs(t, name+" send and receive", round)
}

// BenchmarkRecvBatch measures how fast a medium takes heartbeats off a
// socket: each op receives, with Recv, a batch of 32 encoded status
// packets that another namespace sent (sendmmsg) while the timer was
// stopped.
func BenchmarkRecvBatch(b *testing.B) {
	for _, link := range []string{"veth", "lo"} {
		b.Run(link, func(b *testing.B) {
			n := netnstest.New(b, netnstest.Config{Hosts: 2})
			keys := testKeyring(b)
			rx, peer, iface := n.Host(2), n.Host(1).Addr(0), "eth0"
			if link == "lo" {
				peer, iface = netip.MustParseAddr("127.0.0.1"), "lo"
			}
			recv := open(b, rx, 0, config.Medium{Type: "ucast", Name: iface, Iface: iface, Addr: peer, Peer: peer.String(), Port: hbPort}, Options{})
			tx := rx
			dst := netip.AddrPortFrom(n.Host(2).Addr(0), hbPort)
			if link == "veth" {
				tx = n.Host(1)
			} else {
				dst = netip.AddrPortFrom(peer, hbPort)
			}
			send := newBlaster(b, tx, dst, statusPacket(b, keys, testNode, 1, 1), 32)
			batch := NewBatch(32, MaxDatagram)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				send()
				b.StartTimer()
				got := 0
				deadline := time.Now().Add(time.Second)
				for got < 32 {
					k, err := recv.Recv(batch)
					if err != nil {
						b.Fatal(err)
					}
					got += k
					if k == 0 && time.Now().After(deadline) {
						b.Fatalf("received %d of 32", got)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/packet")
		})
	}
}

// BenchmarkSend measures one heartbeat sent on a ucast medium.
func BenchmarkSend(b *testing.B) {
	n := netnstest.New(b, netnstest.Config{Hosts: 2})
	keys := testKeyring(b)
	m := open(b, n.Host(1), 0, ucastMedium("eth0", n.Host(2).Addr(0)), Options{})
	// The peer listens (and never reads: its socket buffer overflows
	// quietly), so that no ICMP port-unreachable comes back.
	open(b, n.Host(2), 0, ucastMedium("eth0", n.Host(1).Addr(0)), Options{})
	pkt := statusPacket(b, keys, testNode, 1, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := m.Send(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// onPort moves a medium to another port, so that media of several types
// can be tested side by side without sharing one.
func onPort(m config.Medium, port int) config.Medium {
	m.Port = port
	return m
}

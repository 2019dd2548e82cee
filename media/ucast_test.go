package media

import (
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func ucastMedium(iface string, peer netip.Addr) config.Medium {
	return config.Medium{Type: "ucast", Name: iface, Iface: iface, Peer: peer.String(), Addr: peer, Port: hbPort}
}

func TestUcast(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	keys := testKeyring(t)
	m1 := open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{})
	m2 := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	wantLines := []string{
		"info: glib: ucast: write socket priority set to IPTOS_LOWDELAY on eth0",
		"info: glib: ucast: bound send socket to device: eth0",
		"info: glib: ucast: set SO_REUSEPORT(w)",
		"info: glib: ucast: set SO_REUSEADDR",
		"info: glib: ucast: bound receive socket to device: eth0",
		"info: glib: ucast: set SO_REUSEPORT",
		"info: glib: ucast: started on port 694 interface eth0 to 198.18.0.12",
	}
	if got := lines(m1.Started()); !slices.Equal(got, wantLines) {
		t.Errorf("Started() =\n%q\nwant\n%q", got, wantLines)
	}
	for i, pair := range [][2]Medium{{m1, m2}, {m2, m1}} {
		pkt := statusPacket(t, keys, testNode, uint64(i+1), 1)
		if err := pair[0].Send(pkt); err != nil {
			t.Fatal(err)
		}
		got := collect(t, pair[1], 1, 50*time.Millisecond, time.Second)
		if len(got) != 1 || string(got[0].data) != string(pkt) {
			t.Fatalf("direction %d: got %d packets, want exactly the one sent", i, len(got))
		}
	}
	// Nothing comes back to the sender: a unicast to a peer is not looped.
	if got := collect(t, m1, 0, 0, 50*time.Millisecond); len(got) != 0 {
		t.Errorf("host 1 got %d packets back", len(got))
	}
}

// Shared ha.cf files list every node, the local one included. A ucast to
// one's own address goes through lo, yet the receive socket bound to eth0
// takes it: the route keeps eth0 (the send socket's device) as the input
// interface, so it comes back once, as a duplicate (wire spec §11.2).
func TestUcastToOwnAddress(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 1})
	keys := testKeyring(t)
	self := open(t, n.Host(1), 0, ucastMedium("eth0", n.Host(1).Addr(0)), Options{})
	pkt := statusPacket(t, keys, testNode, 1, 1)
	if err := self.Send(pkt); err != nil {
		t.Fatal(err)
	}
	got := collect(t, self, 1, 50*time.Millisecond, time.Second)
	if len(got) != 1 || string(got[0].data) != string(pkt) {
		t.Fatalf("got %d packets from ucast to self, want 1", len(got))
	}
	t.Logf("ucast to own address: received once, from %s", got[0].from)
}

// Two ucast lines on one interface give two receive sockets bound to the
// same device and port with SO_REUSEPORT. Linux hands each datagram to one
// of them, chosen by a hash of the source address and port; a peer's send
// socket keeps its port, so all of one peer's packets reach the same
// medium. Both media carry the interface's link name, so for heartbeat it
// makes no difference which one reads them.
func TestUcastReusePort(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	keys := testKeyring(t)
	h1, h2, h3 := n.Host(1), n.Host(2), n.Host(3)
	toH1 := open(t, h2, 0, ucastMedium("eth0", h1.Addr(0)), Options{})
	toH3 := open(t, h2, 1, ucastMedium("eth0", h3.Addr(0)), Options{})
	from := map[string]Medium{
		"h1": open(t, h1, 0, ucastMedium("eth0", h2.Addr(0)), Options{}),
		"h3": open(t, h3, 0, ucastMedium("eth0", h2.Addr(0)), Options{}),
	}
	const each = 20
	for name, m := range from {
		for i := range each {
			if err := m.Send(statusPacket(t, keys, name, uint64(i+1), 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := collect(t, toH1, 2*each, 50*time.Millisecond, 300*time.Millisecond)
	b := collect(t, toH3, 2*each, 50*time.Millisecond, 300*time.Millisecond)
	if len(a)+len(b) != 2*each {
		t.Fatalf("host 2 got %d + %d packets, want %d in all (each exactly once)", len(a), len(b), 2*each)
	}
	bySender := func(rs []received) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			m[r.from]++
		}
		return m
	}
	sa, sb := bySender(a), bySender(b)
	for _, s := range []string{h1.Addr(0).String(), h3.Addr(0).String()} {
		if sa[s] != 0 && sb[s] != 0 {
			t.Errorf("packets from %s were split between the two sockets (%d, %d)", s, sa[s], sb[s])
		}
	}
	t.Logf("SO_REUSEPORT: medium 0 (to h1) got %v, medium 1 (to h3) got %v", sa, sb)
}

// bcast and ucast on one interface share port 694: both receive sockets
// are bound to 0.0.0.0:694 on the same device, so Linux gives a unicast
// datagram to just one of them, whichever it finds first. Heartbeat has
// the same sockets; since both media carry the interface's link name it
// does not matter which one reads it.
func TestUcastAndBcastSharePort(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	keys := testKeyring(t)
	send := open(t, n.Host(1), 0, ucastMedium("eth0", n.Host(2).Addr(0)), Options{})
	u := open(t, n.Host(2), 0, ucastMedium("eth0", n.Host(1).Addr(0)), Options{})
	b := open(t, n.Host(2), 1, bcastMedium("eth0"), Options{})
	for i := range 5 {
		if err := send.Send(statusPacket(t, keys, testNode, uint64(i+1), 1)); err != nil {
			t.Fatal(err)
		}
	}
	gu := collect(t, u, 5, 20*time.Millisecond, 300*time.Millisecond)
	gb := collect(t, b, 5, 20*time.Millisecond, 300*time.Millisecond)
	if len(gu)+len(gb) != 5 {
		t.Fatalf("ucast medium got %d, bcast medium got %d: want 5 in all", len(gu), len(gb))
	}
	t.Logf("unicast to a port shared by ucast and bcast: ucast medium got %d, bcast medium got %d", len(gu), len(gb))
}

// hbd_ucast_bind: three nodes on one machine share lo and one port; each
// receive socket bound to its own loopback address gets exactly the
// datagrams sent to that address (with 0.0.0.0 and SO_REUSEPORT, the
// kernel would spread them over all three by hash).
func TestUcastBind(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 1})
	h := n.Host(1)
	h.Exec("ip", "link", "set", "lo", "up")
	keys := testKeyring(t)
	addr := func(i byte) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 0, i}) }
	var ms [3][3]Medium // ms[i][j]: node i's medium towards node j
	for i := range 3 {
		for j := range 3 {
			ms[i][j] = open(t, h, j, ucastMedium("lo", addr(byte(j+1))), Options{UcastBind: addr(byte(i + 1))})
		}
	}
	for from := range 3 {
		for to := range 3 {
			pkt := statusPacket(t, keys, testNode, uint64(10*from+to+1), 1)
			if err := ms[from][to].Send(pkt); err != nil {
				t.Fatal(err)
			}
			var got int
			for i := range 3 {
				for j := range 3 {
					for _, r := range collect(t, ms[i][j], 0, 20*time.Millisecond, 20*time.Millisecond) {
						if string(r.data) != string(pkt) {
							continue
						}
						got++
						if i != to {
							t.Errorf("node %d → node %d: received by node %d", from+1, to+1, i+1)
						}
					}
				}
			}
			if got != 1 {
				t.Errorf("node %d → node %d: received %d times, want once", from+1, to+1, got)
			}
		}
	}
}

// The IPv4 datagram media's receive sockets hold 4 MiB (the kernel
// reports twice what was set), past rmem_max as root: with the kernel's
// 208 KiB a 64-node cluster's retransmission requests overflowed every
// buffer and the cluster never came up.
func TestReceiveBuffer(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h := n.Host(1)
	for _, m := range []Medium{
		open(t, h, 0, bcastMedium("eth0"), Options{}),
		open(t, h, 1, mcastMedium("eth0", testMCast, 1, false), Options{}),
		open(t, h, 2, ucastMedium("eth0", n.Host(2).Addr(0)), Options{}),
	} {
		got, err := syscall.GetsockoptInt(m.FD(), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		if err != nil {
			t.Fatal(err)
		}
		if got < 2*recvBuffer {
			t.Errorf("%s: SO_RCVBUF %d, want %d", m.Type(), got, 2*recvBuffer)
		}
	}
}

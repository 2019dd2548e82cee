package media

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/wire"
)

// nativeStatus encodes a native status: a beacon (seq 0, hbd_bseq) or a
// sequenced one.
func nativeStatus(t testing.TB, keys *wire.Keyring, seq uint64) []byte {
	t.Helper()
	var m wire.Message
	m.AddString(wire.FieldType, "status")
	m.AddString(wire.FieldStatus, "active")
	m.AddHex(wire.FieldDeadtime, 2000)
	if seq == 0 {
		m.AddHex("hbd_bseq", 5)
		m.AddHex("hbd_hseq", 9)
	}
	m.AddControl(&wire.Control{
		Src: []byte(testNode), SrcUUID: [16]byte{1, 2, 3}, Seq: seq, NoSeq: seq == 0, Gen: 7, TS: 1,
		Load: []byte("0.00 0.00 0.00 1/1 1"), TTL: 3,
	})
	pkt, err := keys.AppendNative(nil, &m, wire.NoSrcIndex)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// nativeAck is a native NS_ackmsg: sequence 0 too, but no status.
func nativeAck(t testing.TB, keys *wire.Keyring) []byte {
	t.Helper()
	var m wire.Message
	m.AddString(wire.FieldType, "NS_ackmsg")
	m.AddString(wire.FieldDest, "node2")
	m.AddHex(wire.FieldAckSeq, 10)
	m.AddControl(&wire.Control{Src: []byte(testNode), Gen: 7, TS: 1, TTL: 3, NoSeq: true})
	pkt, err := keys.AppendNative(nil, &m, wire.NoSrcIndex)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func TestIsBeacon(t *testing.T) {
	keys := testKeyring(t)
	b := nativeStatus(t, keys, 0)
	for _, c := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"beacon", b, true},
		{"sequenced native status", nativeStatus(t, keys, 3), false},
		{"native ack", nativeAck(t, keys), false},
		{"heartbeat status", statusPacket(t, keys, testNode, 1, 1), false},
		{"heartbeat ack", ackPacket(t, keys, testNode), false},
		{"short", b[:beaconMinLen-1], false},
		{"empty", nil, false},
	} {
		if got := IsBeacon(c.p); got != c.want {
			t.Errorf("%s: IsBeacon = %v, want %v", c.name, got, c.want)
		}
	}
}

// recvBeacons reads m's beacon socket until want packets came or timeout.
func recvBeacons(t testing.TB, m Medium, want int, timeout time.Duration) ([][]byte, []int64) {
	t.Helper()
	bm, ok := m.(Beaconer)
	if !ok || bm.BeaconFD() < 0 {
		t.Fatalf("%s %s: no beacon socket (%v)", m.Type(), m.Name(), bm.BeaconErr())
	}
	b := NewBeaconBatch(8, MaxDatagram)
	var got [][]byte
	var stamps []int64
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n, err := bm.RecvBeacons(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			got = append(got, bytes.Clone(b.At(i).Data))
			stamps = append(stamps, b.Stamp(i))
		}
		if len(got) >= want {
			time.Sleep(20 * time.Millisecond) // extra copies would show
			want = len(got) + 1
			deadline = time.Now()
			continue
		}
		time.Sleep(time.Millisecond)
	}
	return got, stamps
}

// Every kind of packet goes to one socket only: beacons to the beacon
// socket, sequenced native statuses, native ACKs and heartbeat's form to
// the receive socket. Broadcast and multicast (each socket a copy, split
// by socket filters) and unicast (a reuseport group split by its program).
func TestBeaconSocketSplit(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	keys := testKeyring(t)
	h1, h2 := n.Host(1), n.Host(2)
	a1, a2 := h1.Addr(0), h2.Addr(0)
	ucast := func(peer netip.Addr) config.Medium {
		return config.Medium{Type: "ucast", Name: "eth0", Iface: "eth0", Addr: peer, Peer: peer.String(), Port: hbPort}
	}
	beacon := nativeStatus(t, keys, 0)
	others := [][]byte{nativeStatus(t, keys, 3), nativeAck(t, keys), statusPacket(t, keys, testNode, 1, 1), ackPacket(t, keys, testNode)}
	for _, c := range []struct {
		name     string
		tx, rx   config.Medium
		port     int
		fromSelf bool // the sender hears its own broadcast
	}{
		{"bcast", bcastMedium("eth0"), bcastMedium("eth0"), hbPort, true},
		{"mcast", mcastMedium("eth0", testMCast, 1, false), mcastMedium("eth0", testMCast, 1, false), hbPort + 1, false},
		{"ucast", ucast(a2), ucast(a1), hbPort + 2, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{BeaconSocket: true}
			tx := open(t, h1, 0, onPort(c.tx, c.port), opt)
			rx := open(t, h2, 0, onPort(c.rx, c.port), opt)
			for _, p := range append([][]byte{beacon}, others...) {
				if err := tx.Send(p); err != nil {
					t.Fatal(err)
				}
			}
			got := collect(t, rx, len(others), 50*time.Millisecond, time.Second)
			if len(got) != len(others) {
				t.Errorf("receive socket got %d packets, want %d", len(got), len(others))
			}
			for _, p := range got {
				if IsBeacon(p.data) {
					t.Errorf("receive socket got a beacon")
				}
			}
			bs, _ := recvBeacons(t, rx, 1, time.Second)
			if len(bs) != 1 || !bytes.Equal(bs[0], beacon) {
				t.Errorf("beacon socket got %d packets, want the beacon", len(bs))
			}
			if c.fromSelf {
				if bs, _ := recvBeacons(t, tx, 1, time.Second); len(bs) != 1 {
					t.Errorf("sender's beacon socket got %d packets, want its own beacon", len(bs))
				}
			}
		})
	}
}

// Without the option, or for heartbeat's form, nothing changes: the
// receive socket gets beacons too.
func TestBeaconSocketOff(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	keys := testKeyring(t)
	tx := open(t, n.Host(1), 0, bcastMedium("eth0"), Options{})
	rx := open(t, n.Host(2), 0, bcastMedium("eth0"), Options{})
	if bm := rx.(Beaconer); bm.BeaconFD() >= 0 {
		t.Fatal("beacon socket opened without BeaconSocket")
	}
	if err := tx.Send(nativeStatus(t, keys, 0)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, rx, 1, 20*time.Millisecond, time.Second); len(got) != 1 {
		t.Errorf("receive socket got %d packets, want the beacon", len(got))
	}
}

// A beacon read late carries its arrival time, not the read's.
func TestBeaconStamp(t *testing.T) {
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	keys := testKeyring(t)
	opt := Options{BeaconSocket: true}
	tx := open(t, n.Host(1), 0, bcastMedium("eth0"), opt)
	rx := open(t, n.Host(2), 0, bcastMedium("eth0"), opt)
	b := NewBeaconBatch(8, MaxDatagram)
	// The first socket on the machine that asks for stamps turns the
	// kernel's arrival stamping on from a work queue (net_enable_timestamp):
	// until that has run, a datagram is stamped when it is read. Later
	// tries must see the arrival.
	var d time.Duration
	for try := range 10 {
		sent := time.Now().UnixNano()
		if err := tx.Send(nativeStatus(t, keys, 0)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		k, err := rx.(Beaconer).RecvBeacons(b)
		if err != nil || k != 1 {
			t.Fatalf("RecvBeacons = %d, %v; want 1", k, err)
		}
		if d = time.Duration(b.Stamp(0) - sent); d >= 0 && d <= 5*time.Millisecond {
			break
		}
		t.Logf("try %d: stamp %v after the send (stamping not on yet?)", try, d)
	}
	if d < 0 || d > 5*time.Millisecond {
		t.Errorf("stamp %v after the send, want within 5ms (the read was 20ms after)", d)
	}
	noAllocs(t, "RecvBeacons", func() { rx.(Beaconer).RecvBeacons(b) })
}

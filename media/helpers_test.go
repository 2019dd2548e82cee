package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/wire"
)

const (
	testKey   = "hbd-media-test-secret"
	testNode  = "node1"
	hbPort    = 694
	testMCast = "239.198.18.1"

	// timeoutShort bounds waits for what should arrive at once.
	timeoutShort = time.Second
)

func testKeyring(t testing.TB) *wire.Keyring {
	t.Helper()
	k := wire.NewKeyring()
	if err := k.SetKey(1, wire.SHA1, []byte(testKey)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(1); err != nil {
		t.Fatal(err)
	}
	return k
}

// statusPacket encodes a status message from src as a heartbeat 3.0.6
// node sends it (msgfmt classic: inner auth and trailer).
func statusPacket(t testing.TB, keys *wire.Keyring, src string, seq, ts uint64) []byte {
	t.Helper()
	var m wire.Message
	m.AddString(wire.FieldType, "status")
	m.AddString(wire.FieldStatus, "active")
	m.AddHex(wire.FieldDeadtime, 2000)
	m.AddString(wire.FieldProtocol, "1")
	m.AddControl(&wire.Control{
		Src: []byte(src), SrcUUID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Seq: seq, Gen: 7, TS: ts, Load: []byte("0.00 0.00 0.00 1/1 1"), TTL: 3,
	})
	pkt, err := keys.AppendPacket(nil, &m, true)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// ackPacket encodes an NS_ackmsg, a packet that is not a status.
func ackPacket(t testing.TB, keys *wire.Keyring, src string) []byte {
	t.Helper()
	var m wire.Message
	m.AddString(wire.FieldType, "NS_ackmsg")
	m.AddString(wire.FieldDest, "node2")
	m.AddHex(wire.FieldAckSeq, 10)
	m.AddControl(&wire.Control{Src: []byte(src), Gen: 7, TS: 1, TTL: 3})
	pkt, err := keys.AppendPacket(nil, &m, true)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// decoded authenticates and decodes a received packet.
func decoded(t testing.TB, keys *wire.Keyring, data []byte) *wire.Packet {
	t.Helper()
	var p wire.Packet
	if err := p.Decode(data); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	if err := keys.Verify(&p); err != nil {
		t.Fatalf("verify %q: %v", data, err)
	}
	return &p
}

func field(p *wire.Packet, name string) string {
	f, ok := p.Msg.Get(name)
	if !ok {
		return "<absent>"
	}
	return string(f.AppendText(nil))
}

// open opens medium m inside host h (nil: the test's own namespace) and
// closes it with the test.
func open(t testing.TB, h *netnstest.Host, index int, m config.Medium, opt Options) Medium {
	t.Helper()
	med, err := openIn(t, h, index, m, opt)
	if err != nil {
		t.Fatalf("open %s %s: %v", m.Type, m.Name, err)
	}
	return med
}

func openIn(t testing.TB, h *netnstest.Host, index int, m config.Medium, opt Options) (Medium, error) {
	t.Helper()
	var med Medium
	var err error
	if h == nil {
		med, err = Open(index, m, opt)
	} else {
		h.Run(func() { med, err = Open(index, m, opt) })
	}
	if err == nil {
		t.Cleanup(func() {
			if err := med.Close(); err != nil {
				t.Errorf("close %s %s: %v", m.Type, m.Name, err)
			}
		})
	}
	return med, err
}

// received is one packet copied out of a Batch.
type received struct {
	data   []byte
	medium int
	from   string
}

// collect polls m (through epoll, as the loop does) and gathers packets
// until want have arrived (then it keeps reading for linger to catch
// extra copies) or timeout passes.
func collect(t testing.TB, m Medium, want int, linger, timeout time.Duration) []received {
	t.Helper()
	ep, err := sysio.EpollCreate()
	if err != nil {
		t.Fatal(err)
	}
	defer sysio.Close(ep)
	if err := sysio.EpollAdd(ep, m.FD(), sysio.EventIn, 1); err != nil {
		t.Fatal(err)
	}
	events := make([]sysio.EpollEvent, 1)
	b := NewBatch(8, MaxDatagram)
	var got []received
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		if len(got) >= want && deadline.After(now.Add(linger)) {
			deadline = now.Add(linger)
		}
		if !now.Before(deadline) {
			return got
		}
		if _, err := sysio.EpollWait(ep, events, deadline.Sub(now)); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := m.Recv(b)
			if err != nil {
				t.Fatalf("Recv: %v", err)
			}
			if n == 0 {
				break
			}
			for i := range n {
				p := b.At(i)
				from := ""
				if p.From.IsValid() {
					from = p.From.Addr().String()
				}
				got = append(got, received{data: bytes.Clone(p.Data), medium: p.Medium, from: from})
			}
		}
	}
}

func noAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if raceEnabled {
		t.Logf("%s: allocation count not checked under -race", name)
		return
	}
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func lines(ls []Line) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Level.String()+": "+l.Msg)
	}
	return out
}

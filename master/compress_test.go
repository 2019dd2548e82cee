package master

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// crmLike is a join_confirm-like message: a resource history of n
// lrm_resource entries of about 400 bytes of XML each.
func crmLike(n int) *wire.Message {
	var x strings.Builder
	x.WriteString("<lrm id=\"node1\"><lrm_resources>")
	for i := range n {
		fmt.Fprintf(&x, `<lrm_resource id="dummy%d" type="Dummy" class="ocf" provider="heartbeat"><lrm_rsc_op id="dummy%d_last_0" operation_key="dummy%d_start_0" operation="start" crm-debug-origin="do_update_resource" transition-key="%d:1:0:6b5d" call-id="%d" rc-code="0" op-status="0" interval="0" exec-time="12"/></lrm_resource>`, i, i, i, i, i+10)
	}
	x.WriteString("</lrm_resources></lrm>")
	msg := new(wire.Message)
	msg.AddString(wire.FieldType, "crmd")
	msg.AddString("subt", "request")
	msg.AddString("crm_task", "join_confirm")
	msg.AddString("crm_xml", x.String())
	return msg
}

// noise is an incompressible message of about n bytes.
func noise(n int) *wire.Message {
	r := rand.New(rand.NewPCG(7, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0x7f-0x20))
	}
	msg := new(wire.Message)
	msg.AddString(wire.FieldType, "noise")
	msg.AddString("data", string(b))
	return msg
}

// sendOne sends msg from p.m[0] and returns the datagram it queued for
// the media (the last packet: a self-ACK may come first) and the Ready's
// log text.
func sendOne(t *testing.T, p *pair, msg *wire.Message) (pk Packet, logs string) {
	t.Helper()
	m := p.m[0]
	err := m.Send(p.time(), msg)
	rd := m.Ready()
	var lb strings.Builder
	for _, l := range rd.Logs {
		lb.WriteString(l.String() + "\n")
	}
	for _, q := range rd.Packets {
		pk = Packet{Medium: q.Medium, Data: bytes.Clone(q.Data), Native: bytes.Clone(q.Native)}
	}
	if err != nil {
		pk = Packet{}
		lb.WriteString("Send: " + err.Error() + "\n")
	}
	m.Advance()
	return pk, lb.String()
}

// decodeSent authenticates a datagram and returns the message in it,
// decompressed if compressed whole, and whether it was.
func decodeSent(t *testing.T, keys *wire.Keyring, b []byte) (*wire.Message, bool) {
	t.Helper()
	var p wire.Packet
	if err := p.Decode(b); err != nil {
		t.Fatalf("sent packet does not decode: %v", err)
	}
	if err := keys.Verify(&p); err != nil {
		t.Fatalf("sent packet does not authenticate: %v", err)
	}
	var out wire.Message
	_, ok, err := p.Msg.Uncompress(&out, nil)
	if err != nil {
		t.Fatalf("decompress: %v", err)
	}
	if !ok {
		out.CopyFrom(&p.Msg)
	}
	return &out, ok
}

func TestSendLargeMessageCompressed(t *testing.T) {
	p := newPair(t)
	msg := crmLike(1000)
	xml := msg.Value("crm_xml")
	if len(xml) < 300_000 {
		t.Fatalf("test message only %d bytes", len(xml))
	}
	pk, logs := sendOne(t, p, msg)
	if pk.Data == nil {
		t.Fatalf("large message not sent; log:\n%s", logs)
	}
	if len(pk.Data) > maxDatagram {
		t.Fatalf("sent %d bytes: more than a datagram carries", len(pk.Data))
	}
	got, whole := decodeSent(t, p.m[0].keys, pk.Data)
	if !whole {
		t.Fatal("large message not compressed whole")
	}
	if string(got.Type()) != "crmd" || !bytes.Equal(got.Value("crm_xml"), xml) || got.Value(wire.FieldSeq) == nil {
		t.Fatalf("decompressed message differs: type %q, xml %d bytes, seq %q", got.Type(), len(got.Value("crm_xml")), got.Value(wire.FieldSeq))
	}
	t.Logf("%d-byte history: sent %d bytes", len(xml), len(pk.Data))

	// The peer accepts it and hands it up, decompressible.
	b := p.m[1]
	b.Receive(p.time(), 0, pk.Data)
	found := false
	for _, e := range b.Ready().Events {
		if e.Kind != EventMessage || e.NodeName != "node1" {
			continue
		}
		m, _ := decodeSent(t, p.m[0].keys, e.Msg)
		if string(m.Value("crm_task")) == "join_confirm" && bytes.Equal(m.Value("crm_xml"), xml) {
			found = true
		}
	}
	b.Advance()
	if !found {
		t.Fatal("node2 did not deliver the compressed message")
	}
	// It is kept for retransmission as sent.
	if s := p.m[0].hist.get(p.m[0].seq); s == nil || !bytes.Equal(s.data, pk.Data) {
		t.Error("retransmission history does not hold the compressed packet")
	}
}

// Small messages, and large ones that fit a datagram (heartbeat compresses
// only from MAXMSG on unless traditional_compression), go out as before:
// heartbeat's encoding of the message, byte for byte.
func TestSendUncompressedUnchanged(t *testing.T) {
	p := newPair(t)
	for _, msg := range []*wire.Message{crmLike(1), crmLike(100)} {
		pk, logs := sendOne(t, p, msg)
		if pk.Data == nil {
			t.Fatalf("not sent; log:\n%s", logs)
		}
		got, whole := decodeSent(t, p.m[0].keys, pk.Data)
		if whole {
			t.Fatalf("%d-byte message compressed", len(pk.Data))
		}
		want, err := p.m[0].keys.AppendPacket(nil, got, true)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pk.Data, want) {
			t.Errorf("%d-byte message: sent bytes differ from heartbeat's encoding", len(pk.Data))
		}
	}
}

func TestTraditionalCompression(t *testing.T) {
	cfgs := [2]Config{}
	for i, name := range []string{"node1", "node2"} {
		cfgs[i] = testConfig(t, name, uint64(i+1), "node1", "node2")
		cfgs[i].TraditionalCompression = true
	}
	p := newPairConfig(t, cfgs)
	// Statuses stay under 2 KiB: not compressed.
	for range 20 {
		p.step()
	}
	if !p.m[0].CommUp() {
		t.Fatal("no comm up with traditional compression")
	}
	pk, _ := sendOne(t, p, crmLike(10)) // ~4 KB
	if _, whole := decodeSent(t, p.m[0].keys, pk.Data); !whole {
		t.Error("traditional_compression: a message above 2 KiB not compressed whole")
	}
	pk, _ = sendOne(t, p, crmLike(1)) // ~500 bytes
	if _, whole := decodeSent(t, p.m[0].keys, pk.Data); whole {
		t.Error("traditional_compression: a message under 2 KiB compressed")
	}
}

// An Uncompressed (type 5) field is compressed whatever the size, and the
// parent names the algorithm.
func TestFieldCompression(t *testing.T) {
	p := newPair(t)
	child := new(wire.Message)
	child.AddString("cib", "<cib/>")
	msg := new(wire.Message)
	msg.AddString(wire.FieldType, "cib_sync")
	if err := msg.AddMessage("data", wire.Uncompressed, child); err != nil {
		t.Fatal(err)
	}
	pk, logs := sendOne(t, p, msg)
	if pk.Data == nil {
		t.Fatalf("not sent; log:\n%s", logs)
	}
	got, whole := decodeSent(t, p.m[0].keys, pk.Data)
	f, ok := got.Get("data")
	if whole || !ok || f.Type != wire.Compressed || string(got.Value(wire.FieldCompressionAlgorithm)) != "zlib" {
		t.Fatalf("whole %v, data field %v (type %v), algorithm %q: want a type-4 field and zlib", whole, ok, f.Type, got.Value(wire.FieldCompressionAlgorithm))
	}
	var c wire.Message
	if _, err := got.Decompress(f, &c, nil); err != nil || string(c.Value("cib")) != "<cib/>" {
		t.Fatalf("field decompresses to %q, %v", c.Value("cib"), err)
	}
}

func TestSendTooLargeRefused(t *testing.T) {
	p := newPair(t)
	for _, tc := range []struct {
		msg  *wire.Message
		want string
	}{
		{noise(100_000), "type noise, "},    // compressed, still above a datagram
		{noise(300_000), "type noise, "},    // above MAXMSG compressed
		{crmLike(7000), "at most 2097152 "}, // above MAXUNCOMPRESSED
	} {
		seq := p.m[0].seq
		pk, logs := sendOne(t, p, tc.msg)
		if pk.Data != nil {
			t.Errorf("%d-byte message sent (%d bytes)", len(tc.msg.Value("data"))+len(tc.msg.Value("crm_xml")), len(pk.Data))
		}
		if !strings.Contains(logs, tc.want) || !strings.Contains(logs, "not sent") {
			t.Errorf("log does not say what was refused (want %q):\n%s", tc.want, logs)
		}
		if s := p.m[0].hist.get(p.m[0].seq); p.m[0].seq != seq+1 || s != nil {
			t.Errorf("refused message: seq %d -> %d, kept %v; heartbeat loses its seq and keeps nothing", seq, p.m[0].seq, s != nil)
		}
	}
	// The node goes on: a small message after them is sent.
	if pk, logs := sendOne(t, p, crmLike(1)); pk.Data == nil {
		t.Fatalf("small message after refusals not sent; log:\n%s", logs)
	}
}

// Native packets carry a compressed message in the compressed form, and
// the peer reads it.
func TestNativeLargeMessage(t *testing.T) {
	cfgs := [2]Config{}
	for i, name := range []string{"node1", "node2"} {
		cfgs[i] = testConfig(t, name, uint64(i+1), "node1", "node2")
		cfgs[i].Native = NativeOn
	}
	p := newPairConfig(t, cfgs)
	msg := crmLike(750)
	xml := bytes.Clone(msg.Value("crm_xml"))
	pk, logs := sendOne(t, p, msg)
	if pk.Native == nil {
		t.Fatalf("no native packet; log:\n%s", logs)
	}
	if len(pk.Native) > maxDatagram {
		t.Fatalf("native packet of %d bytes", len(pk.Native))
	}
	b := p.m[1]
	b.Receive(p.time(), 0, pk.Native)
	found := false
	for _, e := range b.Ready().Events {
		if e.Kind == EventMessage && e.NodeName == "node1" {
			var q wire.Packet
			if q.Decode(e.Msg) != nil {
				continue
			}
			var out wire.Message
			if _, ok, err := q.Msg.Uncompress(&out, nil); ok && err == nil && bytes.Equal(out.Value("crm_xml"), xml) {
				found = true
			}
		}
	}
	b.Advance()
	if !found {
		t.Fatal("node2 did not deliver the native compressed message")
	}
}

// newPairConfig is newPair with the masters' configurations given.
func newPairConfig(tb testing.TB, cfgs [2]Config) *pair {
	tb.Helper()
	p := &pair{now: 1e9, wall: 1_795_316_771}
	for i := range cfgs {
		m, err := New(cfgs[i])
		if err != nil {
			tb.Fatal(err)
		}
		p.m[i] = m
	}
	for _, b := range []*batch{&p.cur, &p.next} {
		b.to = make([]int, 64)
		b.bufs = make([][]byte, 64)
	}
	for i := range p.m {
		p.m[i].Start(p.time())
	}
	p.flush()
	return p
}

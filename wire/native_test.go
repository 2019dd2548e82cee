package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Every captured heartbeat message converts to native and back without
// losing a field: the native decode holds the same fields, and encoding it
// as netstring gives the bytes heartbeat sent.
func TestNativeRoundTripVectors(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			var p, q Packet
			var nat, ns []byte
			for _, v := range sc.vectors {
				if err := p.Decode(v.data); err != nil {
					t.Fatalf("%s: decode: %v", v.name, err)
				}
				var err error
				if nat, err = sc.keys.AppendNative(nat[:0], &p.Msg, 3); err != nil {
					t.Fatalf("%s: encode native: %v", v.name, err)
				}
				if err := q.Decode(nat); err != nil {
					t.Fatalf("%s: decode native: %v", v.name, err)
				}
				if q.Format != Native {
					t.Fatalf("%s: format %v", v.name, q.Format)
				}
				if err := sc.keys.Verify(&q); err != nil {
					t.Fatalf("%s: verify native: %v", v.name, err)
				}
				sameFields(t, v.name, &p.Msg, &q.Msg)
				if ns, err = AppendNetstring(ns[:0], &q.Msg); err != nil {
					t.Fatalf("%s: native → netstring: %v", v.name, err)
				}
				if !bytes.Equal(ns, p.Signed) {
					t.Fatalf("%s: native → netstring\n %q\nheartbeat sent\n %q", v.name, ns, p.Signed)
				}
				h, ok := ParseNativeHeader(nat)
				if !ok || h.SrcIndex != 3 || int(h.KeySlot) != sc.keys.Signer() {
					t.Fatalf("%s: header %+v", v.name, h)
				}
				if gen, _ := p.Msg.Hex(FieldGeneration); h.Generation != gen {
					t.Fatalf("%s: header generation %d, hg %d", v.name, h.Generation, gen)
				}
				if seq, _ := p.Msg.Hex(FieldSeq); h.Seq != seq {
					t.Fatalf("%s: header seq %d, seq field %d", v.name, h.Seq, seq)
				}
			}
		})
	}
}

func sameFields(t *testing.T, name string, a, b *Message) {
	t.Helper()
	if a.Len() != b.Len() {
		t.Fatalf("%s: %d fields, want %d", name, b.Len(), a.Len())
	}
	for i := range a.Len() {
		fa, fb := a.At(i), b.At(i)
		if !bytes.Equal(fa.Name, fb.Name) || !bytes.Equal(fa.Value, fb.Value) || fa.Type != fb.Type {
			t.Fatalf("%s: field %d: %s(%v)=%q, want %s(%v)=%q", name, i, fb.Name, fb.Type, fb.Value, fa.Name, fa.Type, fa.Value)
		}
	}
}

// nativeSample is a native status packet with a field of every type.
func nativeSample(t testing.TB, keys *Keyring) []byte {
	t.Helper()
	var child, m Message
	child.AddString("inner", "x\x13y")
	m.AddString(FieldType, "status")
	m.AddString(FieldSrc, "node1")
	m.Add("bin", Binary, []byte{0, 1, 2, 255})
	if err := m.AddMessage("nested", Struct, &child); err != nil {
		t.Fatal(err)
	}
	m.Add("list", List, AppendList(nil, "a", "bc"))
	m.AddHex(FieldSeq, 0x1234)
	m.AddHex(FieldGeneration, 7)
	out, err := keys.AppendNative(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sha1Keys(t testing.TB, secret string) *Keyring { return sha1KeysSlot(t, secret, 1) }

func sha1KeysSlot(t testing.TB, secret string, slot int) *Keyring {
	t.Helper()
	k := NewKeyring()
	if err := k.SetKey(slot, SHA1, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(slot); err != nil {
		t.Fatal(err)
	}
	return k
}

// A native packet that was changed anywhere, or cut anywhere, is refused:
// the MAC covers every byte, and the framing never reads past the end.
func TestNativeTamperAndTruncation(t *testing.T) {
	keys := sha1Keys(t, "secret")
	pkt := nativeSample(t, keys)
	var p Packet
	if err := p.Decode(pkt); err != nil {
		t.Fatal(err)
	}
	if err := keys.Verify(&p); err != nil {
		t.Fatal(err)
	}
	for i := range pkt {
		for bit := range 8 {
			b := bytes.Clone(pkt)
			b[i] ^= 1 << bit
			if p.Decode(b) == nil && keys.Verify(&p) == nil {
				t.Fatalf("byte %d bit %d flipped: still accepted", i, bit)
			}
		}
	}
	for n := range len(pkt) {
		if p.Decode(pkt[:n]) == nil && keys.Verify(&p) == nil {
			t.Fatalf("cut to %d bytes: still accepted", n)
		}
	}
}

func TestNativeHeaderRules(t *testing.T) {
	keys := sha1Keys(t, "secret")
	pkt := nativeSample(t, keys)
	var p Packet
	for _, c := range []struct {
		name string
		edit func(b []byte)
	}{
		{"version 2", func(b []byte) { b[NativeOffVersion] = 2 }},
		{"unknown flag", func(b []byte) { b[NativeOffFlags+1] = 1 }},
		{"body length too long", func(b []byte) { binary.BigEndian.PutUint16(b[NativeOffBodyLen:], 0xffff) }},
	} {
		b := bytes.Clone(pkt)
		c.edit(b)
		var werr *Error
		if err := p.Decode(b); !errors.As(err, &werr) {
			t.Errorf("%s: decode error %v, want a *wire.Error", c.name, err)
		}
	}
}

// Another cluster's key gives another cluster id; the keyring refuses its
// packets even before the MAC, and accepts the ids of every defined slot.
func TestNativeClusterIDs(t *testing.T) {
	ours, theirs := sha1Keys(t, "ours"), sha1KeysSlot(t, "theirs", 2)
	a, _ := ours.ClusterID()
	b, _ := theirs.ClusterID()
	if a == b || a != ClusterID([]byte("ours")) {
		t.Fatalf("cluster ids %x %x", a, b)
	}
	var p Packet
	if err := p.Decode(nativeSample(t, theirs)); err != nil {
		t.Fatal(err)
	}
	if err := ours.Verify(&p); !errors.Is(err, ErrAuth) {
		t.Fatalf("foreign packet: %v", err)
	}
	// Key rollover: slot 2 holds the new key, the old one still verifies.
	if err := ours.SetKey(2, SHA1, []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	if err := ours.Verify(&p); err != nil {
		t.Fatalf("packet of a defined slot: %v", err)
	}
	if ids := ours.AppendClusterIDs(nil); len(ids) != 2 {
		t.Fatalf("cluster ids %x, want 2", ids)
	}
	ours.SetClusterID(42)
	theirs.SetClusterID(42)
	if ids := ours.AppendClusterIDs(nil); len(ids) != 1 || ids[0] != 42 {
		t.Fatalf("hbd_cluster_id: ids %v", ids)
	}
	if err := p.Decode(nativeSample(t, theirs)); err != nil {
		t.Fatal(err)
	}
	if err := ours.Verify(&p); err != nil {
		t.Fatalf("same hbd_cluster_id, defined slot: %v", err)
	}
}

// Decoding, verifying, building and signing native packets allocate
// nothing once buffers have grown.
func TestNativeZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	pkt, keys := steadyStatus(t)
	var p, q Packet
	if err := p.Decode(pkt); err != nil {
		t.Fatal(err)
	}
	nat, err := keys.AppendNative(nil, &p.Msg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	out := make([]byte, 0, 1024)
	ctl := Control{Src: []byte("node1"), Load: []byte("0.08 0.03 0.01 1/187 2398"), Gen: 0x66d0a4c1, TTL: 3}
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"decode+verify", func() {
			if err := q.Decode(nat); err != nil {
				t.Fatal(err)
			}
			if err := keys.Verify(&q); err != nil {
				t.Fatal(err)
			}
		}},
		{"reject forged", func() {
			nat[40] ^= 1
			if q.Decode(nat) == nil && keys.Verify(&q) == nil {
				t.Fatal("forged packet verified")
			}
			nat[40] ^= 1
		}},
		{"build+sign+encode", func() {
			buildStatus(&m, &ctl)
			if out, err = keys.AppendNative(out[:0], &m, 1); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		c.f()
		if n := testing.AllocsPerRun(200, c.f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", c.name, n)
		}
	}
}

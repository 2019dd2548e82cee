package wire

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hbd-ha/hbd/internal/cpubench"
)

// steadyStatus is a real status heartbeat sent in steady state (310 bytes,
// msgfmt classic, sha1).
func steadyStatus(tb testing.TB) ([]byte, *Keyring) {
	dir := filepath.Join(vectorDir, "bcast-sha1")
	data, err := os.ReadFile(filepath.Join(dir, "021.bin"))
	if err != nil {
		tb.Fatal(err)
	}
	return data, testKeyring(tb, filepath.Join(dir, "authkeys"))
}

// The heartbeat hot path allocates nothing: decode, verify, build, sign and
// encode of a status message.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	pkt, keys := steadyStatus(t)
	var p Packet
	var m Message
	out := make([]byte, 0, 1024)
	ctl := Control{Src: []byte("node1"), Load: []byte("0.08 0.03 0.01 1/187 2398"), Gen: 0x66d0a4c1, TTL: 3}
	// Warm up so the reused buffers reach their size.
	_ = p.Decode(pkt)
	_ = keys.Verify(&p)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"decode", func() {
			if err := p.Decode(pkt); err != nil {
				t.Fatal(err)
			}
		}},
		{"verify", func() {
			if err := keys.Verify(&p); err != nil {
				t.Fatal(err)
			}
		}},
		{"verify inner", func() {
			if err := keys.VerifyInner(&p.Msg); err != nil {
				t.Fatal(err)
			}
		}},
		{"reject forged", func() {
			p.Auth = p.Auth[:len(p.Auth)-1]
			if err := keys.Verify(&p); err == nil {
				t.Fatal("forged packet verified")
			}
			p.Auth = p.Auth[:len(p.Auth)+1]
		}},
		{"build+sign+encode", func() {
			var err error
			if out, err = signStatus(out, &m, &ctl, keys); err != nil {
				t.Fatal(err)
			}
		}},
		{"re-encode decoded", func() {
			var err error
			if out, err = AppendNetstring(out[:0], &p.Msg); err != nil {
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

// signStatus builds the next status message a node sends, with its control
// fields, and signs and encodes it into out.
func signStatus(out []byte, m *Message, ctl *Control, keys *Keyring) ([]byte, error) {
	buildStatus(m, ctl)
	return keys.AppendPacket(out[:0], m, true)
}

// buildStatus builds the next status message a node sends, with its
// control fields.
func buildStatus(m *Message, ctl *Control) {
	m.Reset()
	m.AddString(FieldType, "status")
	m.AddString(FieldStatus, "active")
	m.AddHex(FieldDeadtime, 500)
	m.AddString(FieldProtocol, "1")
	ctl.Seq++
	ctl.TS++
	m.AddControl(ctl)
}

// signedStatus is the §12 example with its inner auth field: 265 bytes in
// netstring form without the trailer, the size of libplumb's reference
// figures (bench/libplumb measures libplumb itself on the same bytes).
func signedStatus(tb testing.TB) *Message {
	m := exampleStatus()
	if err := exampleKeyring(tb, SHA1, "secret").SignInner(m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// Compare with libplumb: about 1.4 µs to decode the same message on these
// machines (make bench-libplumb measures both in one run).
func BenchmarkDecodeStatus(b *testing.B) {
	pkt, err := AppendNetstring(nil, signedStatus(b))
	if err != nil {
		b.Fatal(err)
	}
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	n, done := 0, cpubench.PerOp(b)
	for b.Loop() {
		n++
		if _, err := m.Decode(pkt); err != nil {
			b.Fatal(err)
		}
	}
	done(n)
}

// Compare with libplumb: about 1.8 µs to encode the same message without
// the trailer.
func BenchmarkEncodeStatus(b *testing.B) {
	m := signedStatus(b)
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	n, done := 0, cpubench.PerOp(b)
	for b.Loop() {
		n++
		var err error
		if out, err = AppendNetstring(out[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	done(n)
	b.SetBytes(int64(len(out)))
}

// What a receiver does per heartbeat: decode and authenticate (sha1 trailer).
func BenchmarkDecodeVerifyStatus(b *testing.B) {
	pkt, keys := steadyStatus(b)
	benchDecodeVerify(b, pkt, keys)
}

// The native form of the same steady-state status, decoded and
// authenticated (HMAC-SHA256): compare with BenchmarkDecodeVerifyStatus in
// the same run.
func BenchmarkNativeDecodeVerifyStatus(b *testing.B) {
	pkt, keys := steadyStatus(b)
	var p Packet
	if err := p.Decode(pkt); err != nil {
		b.Fatal(err)
	}
	nat, err := keys.AppendNative(nil, &p.Msg, 1)
	if err != nil {
		b.Fatal(err)
	}
	benchDecodeVerify(b, nat, keys)
}

func benchDecodeVerify(b *testing.B, pkt []byte, keys *Keyring) {
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := p.Decode(pkt); err != nil {
			b.Fatal(err)
		}
		if err := keys.Verify(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// What a sender does per heartbeat: build the status with its control
// fields, sign it (inner auth and trailer, sha1) and encode it.
func BenchmarkSignEncodeStatus(b *testing.B) {
	benchSignEncode(b, func(out []byte, m *Message, keys *Keyring) ([]byte, error) {
		return keys.AppendPacket(out, m, true)
	})
}

// Build, sign and encode the status in native form: compare with
// BenchmarkSignEncodeStatus.
func BenchmarkNativeSignEncodeStatus(b *testing.B) {
	benchSignEncode(b, func(out []byte, m *Message, keys *Keyring) ([]byte, error) {
		return keys.AppendNative(out, m, 1)
	})
}

func benchSignEncode(b *testing.B, encode func(out []byte, m *Message, keys *Keyring) ([]byte, error)) {
	_, keys := steadyStatus(b)
	var m Message
	out := make([]byte, 0, 1024)
	ctl := Control{Src: []byte("node1"), Load: []byte("0.08 0.03 0.01 1/187 2398"), Gen: 0x66d0a4c1, TTL: 3}
	b.ReportAllocs()
	for b.Loop() {
		buildStatus(&m, &ctl)
		var err error
		if out, err = encode(out[:0], &m, keys); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}

func BenchmarkVerify(b *testing.B) {
	for _, method := range []Method{SHA1, MD5, CRC} {
		b.Run(method.String(), func(b *testing.B) {
			key := "secret"
			if method == CRC {
				key = ""
			}
			k := exampleKeyring(b, method, key)
			pkt, err := k.AppendPacket(nil, exampleStatus(), true)
			if err != nil {
				b.Fatal(err)
			}
			var p Packet
			if err := p.Decode(pkt); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := k.Verify(&p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// What a receiver does with a status before any protocol work: decode it
// and read the fields the master reads (two of them absent, so looked up
// through every field).
func BenchmarkDecodeStatusFields(b *testing.B) {
	pkt, err := AppendNetstring(nil, signedStatus(b))
	if err != nil {
		b.Fatal(err)
	}
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	n, done := 0, cpubench.PerOp(b)
	for b.Loop() {
		n++
		if _, err := m.Decode(pkt); err != nil {
			b.Fatal(err)
		}
		if _, ok := m.Get(FieldCompressedPayload); ok {
			b.Fatal("compressed")
		}
		if m.Type() == nil || m.Value(FieldSrc) == nil || m.Value(FieldDest) != nil {
			b.Fatal("fields")
		}
		if _, ok := m.Hex(FieldSeq); !ok {
			b.Fatal("seq")
		}
		if _, ok := m.Hex(FieldGeneration); !ok {
			b.Fatal("hg")
		}
		if _, ok := m.Hex(FieldTimestamp); !ok {
			b.Fatal("ts")
		}
		if m.Value(FieldStatus) == nil || m.Value(FieldProtocol) == nil || m.Value(FieldDeadtime) == nil {
			b.Fatal("fields")
		}
	}
	done(n)
}

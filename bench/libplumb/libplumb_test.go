//go:build libplumb

package libplumb

import (
	"testing"

	"github.com/hbd-ha/hbd/internal/cpubench"
	"github.com/hbd-ha/hbd/wire"
)

// statusMessage is wire spec §12's status message in netstring form with
// its inner auth field and without the trailer: 265 bytes, the size of
// libplumb's reference figures.
func statusMessage(tb testing.TB) (*wire.Message, []byte) {
	var m wire.Message
	m.AddString("t", "status")
	m.AddString("st", "active")
	m.AddHex("dt", 30000)
	m.AddString("protocol", "1")
	m.AddString("src", "node1")
	m.Add("srcuuid", wire.Binary, []byte{0x3f, 0x25, 0x04, 0xe0, 0x4f, 0x89, 0x41, 0xd3, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01})
	m.AddHex("seq", 0x2a)
	m.AddHex("hg", 0x66d0a4c1)
	m.AddHex("ts", 0x66d0a4f0)
	m.AddString("ld", "0.08 0.03 0.01 1/187 2398")
	m.AddString("ttl", "3")
	m.AddString("auth", "1 1a80cf8c6dd9082fe845a104df66fb9590e9e1e2")
	b, err := wire.AppendNetstring(nil, &m)
	if err != nil {
		tb.Fatal(err)
	}
	return &m, b
}

func TestSameBytes(t *testing.T) {
	_, b := statusMessage(t)
	if err := Decode(b, 1); err != nil {
		t.Fatal(err)
	}
	if err := Encode(b, 1); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkDecode(b *testing.B) {
	_, msg := statusMessage(b)
	b.Run("libplumb", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		done := cpubench.PerOp(b)
		if err := Decode(msg, b.N); err != nil {
			b.Fatal(err)
		}
		done(b.N)
	})
	b.Run("hbd", func(b *testing.B) {
		var m wire.Message
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		n, done := 0, cpubench.PerOp(b)
		for b.Loop() {
			n++
			if _, err := m.Decode(msg); err != nil {
				b.Fatal(err)
			}
		}
		done(n)
	})
}

func BenchmarkEncode(b *testing.B) {
	m, msg := statusMessage(b)
	b.Run("libplumb", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		if err := Encode(msg, b.N); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("hbd", func(b *testing.B) {
		out := make([]byte, 0, 512)
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			var err error
			if out, err = wire.AppendNetstring(out[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

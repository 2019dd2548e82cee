package fuzz

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/wire"
)

const vectors = "../testdata/vectors/bcast-sha1"

func keyring(tb testing.TB) *wire.Keyring {
	path := filepath.Join(vectors, "authkeys")
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	ak, _, err := config.ParseAuthkeys(path, data)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := ak.Keyring()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// FuzzReceive follows a datagram through what a node does with it: decode,
// authenticate with keys read by config, open nested and compressed
// fields. Nothing panics, and a packet that authenticates is one hbd would
// have sent byte for byte.
func FuzzReceive(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join(vectors, "*.bin"))
	for _, b := range bins {
		data, err := os.ReadFile(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	keys := keyring(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p wire.Packet
		if err := p.Decode(data); err != nil {
			return
		}
		var inner wire.Message
		for i := range p.Msg.Len() {
			fl := p.Msg.At(i)
			switch fl.Type {
			case wire.Struct, wire.Uncompressed:
				_ = fl.Nested(&inner)
			case wire.Compressed:
				_, _ = p.Msg.Decompress(fl, &inner, nil)
			case wire.List:
				it := fl.List()
				for it.Next() {
				}
			}
		}
		if keys.Verify(&p) != nil || p.Format != wire.Netstring {
			return
		}
		// Only a forger with the key gets here; the message must still
		// be one hbd's encoder produces as it arrived (unless a string
		// held 0x13, which heartbeat too reads as LF).
		out, err := wire.AppendNetstring(nil, &p.Msg)
		if err != nil {
			t.Fatalf("authenticated message does not re-encode: %v", err)
		}
		if !bytes.Equal(out, p.Signed) && bytes.IndexByte(p.Signed, 0x13) < 0 {
			t.Fatalf("authenticated packet re-encodes differently:\n got %q\nwant %q", out, p.Signed)
		}
	})
}

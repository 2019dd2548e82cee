package wire

import (
	"bytes"
	"testing"
)

func addVectorSeeds(f *testing.F) {
	for _, sc := range loadScenarios(f) {
		for _, v := range sc.vectors {
			f.Add(v.data)
		}
	}
	f.Add(exampleNetstring)
	f.Add([]byte(exampleClassic))
	f.Add([]byte(nestedClassic))
}

// FuzzDecode: no input panics; whatever decodes re-encodes to a message
// that decodes to the same fields (decode → encode → decode is stable), in
// both forms; the netstring decoder's fast path decodes and refuses exactly
// as its exact parser does.
func FuzzDecode(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsExact(t, data)
		sameAsExact(t, append([]byte(netstringStart), data...))
		var p Packet
		if err := p.Decode(data); err != nil {
			return
		}
		checkStable(t, &p.Msg)
	})
}

// FuzzClassic targets the classic parser directly (serial, FIFO, old
// peers), which Packet only reaches for input without "###".
func FuzzClassic(f *testing.F) {
	f.Add([]byte(exampleClassic))
	f.Add([]byte(nestedClassic))
	f.Add([]byte(">>>\n(3)l=3:abc,\n(1)b=AAEC\n<<<\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if _, err := m.Decode(append([]byte(">>>\n"), data...)); err != nil {
			return
		}
		checkStable(t, &m)
	})
}

// FuzzNetstringReencode: a decoded netstring message re-encodes to exactly
// the bytes it was decoded from, unless a string held 0x13 (which heartbeat
// too turns into LF).
func FuzzNetstringReencode(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := p.Decode(data); err != nil || p.Format != Netstring {
			return
		}
		for i := range p.Msg.Len() {
			if p.Msg.At(i).Type == String && bytes.IndexByte(p.Msg.At(i).Value, escapedLF) >= 0 {
				return
			}
		}
		out, err := AppendNetstring(nil, &p.Msg)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(out, p.Signed) {
			t.Fatalf("re-encoded\n %q\nfrom\n %q", out, p.Signed)
		}
	})
}

func checkStable(t *testing.T, m *Message) {
	t.Helper()
	ns, err := AppendNetstring(nil, m)
	if err != nil {
		t.Fatalf("decoded message does not encode as netstring: %v", err)
	}
	var back Message
	if _, err := back.Decode(ns); err != nil {
		t.Fatalf("re-encoded netstring does not decode: %v\n%q", err, ns)
	}
	ns2, err := AppendNetstring(nil, &back)
	if err != nil || !bytes.Equal(ns, ns2) {
		t.Fatalf("netstring not stable: %v\n %q\n %q", err, ns, ns2)
	}
	if m.hasNested() && hasType(m, Uncompressed) {
		return // type 5 has no classic form
	}
	cl, err := AppendClassic(nil, &back)
	if err != nil {
		// Classic cannot carry every netstring value (a list holding LF,
		// a string holding a depth symbol inside nesting).
		return
	}
	var back2 Message
	if _, err := back2.Decode(cl); err != nil {
		t.Fatalf("classic form does not decode: %v\n%q", err, cl)
	}
	ns3, err := AppendNetstring(nil, &back2)
	if err != nil || !bytes.Equal(ns3, ns) {
		t.Fatalf("classic round trip changed the message: %v\n %q\n %q", err, ns, ns3)
	}
}

func hasType(m *Message, t Type) bool {
	for i := range m.fields {
		if m.fields[i].typ() == t {
			return true
		}
	}
	return false
}

// FuzzNativeDecode: the native decoder never panics or reads out of
// bounds, what it accepts is stable, and a packet it accepts and
// re-encodes decodes to the same fields.
func FuzzNativeDecode(f *testing.F) {
	keys := NewKeyring()
	_ = keys.SetKey(1, SHA1, []byte("fuzz"))
	_ = keys.SetSigner(1)
	var p Packet
	for _, sc := range loadScenarios(f) {
		v := sc.vectors[0].data
		if p.Decode(v) == nil {
			if nat, err := keys.AppendNative(nil, &p.Msg, 0); err == nil {
				f.Add(nat)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p, q Packet
		if err := p.Decode(data); err != nil || p.Format != Native {
			return
		}
		checkStable(t, &p.Msg)
		nat, err := keys.AppendNative(nil, &p.Msg, 0)
		if err != nil {
			if p.Msg.err == nil && len(data) <= NativeHeaderLen+NativeMaxBody {
				t.Fatalf("decoded native message does not re-encode: %v", err)
			}
			return
		}
		if err := q.Decode(nat); err != nil {
			t.Fatalf("re-encoded native packet does not decode: %v", err)
		}
		if err := keys.Verify(&q); err != nil {
			t.Fatalf("re-signed native packet does not verify: %v", err)
		}
		sameFields(t, "fuzz", &p.Msg, &q.Msg)
	})
}

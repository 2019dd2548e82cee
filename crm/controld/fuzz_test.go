package controld

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// FuzzMsgDecode: no input makes Decode panic, and a decoded message
// encodes to fields that decode to the same Msg and encode to the same
// bytes again.
func FuzzMsgDecode(f *testing.F) {
	for _, msg := range sampleMsgs() {
		var m wire.Message
		if err := msg.Encode(&m); err != nil {
			f.Fatal(err)
		}
		m.AddString(FieldSrc, "nodeb")
		enc, err := wire.AppendNetstring(nil, &m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in wire.Message
		if _, err := in.Decode(b); err != nil {
			return
		}
		var msg Msg
		if msg.Decode(&in) != nil {
			return
		}
		var m wire.Message
		if err := msg.Encode(&m); err != nil {
			t.Fatalf("decoded message does not encode: %v\n%+v", err, msg)
		}
		m.AddString(FieldSrc, msg.Src)
		enc, err := wire.AppendNetstring(nil, &m)
		if err != nil {
			t.Fatalf("netstring: %v", err)
		}
		var back wire.Message
		if _, err := back.Decode(enc); err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%q", err, enc)
		}
		var again Msg
		if err := again.Decode(&back); err != nil {
			t.Fatalf("re-encoded message: %v\n%q", err, enc)
		}
		if !reflect.DeepEqual(norm(msg), norm(again)) {
			t.Fatalf("unstable:\n%+v\n%+v", msg, again)
		}
		var m2 wire.Message
		if err := again.Encode(&m2); err != nil {
			t.Fatal(err)
		}
		m2.AddString(FieldSrc, again.Src)
		enc2, _ := wire.AppendNetstring(nil, &m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding unstable:\n%q\n%q", enc, enc2)
		}
	})
}

func norm(m Msg) Msg {
	if len(m.Ops) == 0 {
		m.Ops = nil
	}
	if len(m.Attrs) == 0 {
		m.Attrs = nil
	}
	return m
}

package ccm

import (
	"fmt"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// FuzzDecode: no input makes Decode panic, and a decoded message encodes,
// and decodes again to the same Msg (decode → encode → decode is stable).
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p wire.Packet
		if p.Decode(b) != nil {
			return
		}
		var msg Msg
		if msg.Decode(&p.Msg) != nil {
			return
		}
		var m wire.Message
		if err := msg.Encode(&m); err != nil {
			t.Fatal(err)
		}
		m.AddString(FieldSrc, msg.Src)
		enc, err := wire.AppendNetstring(nil, &m)
		if err != nil {
			return // a value wire cannot carry (a NUL in a string)
		}
		var back wire.Message
		if _, err := back.Decode(enc); err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%q", err, enc)
		}
		var again Msg
		if err := again.Decode(&back); err != nil {
			t.Fatalf("re-encoded message: %v", err)
		}
		if !sameMsg(&msg, &again) {
			t.Fatalf("unstable:\n%+v\n%+v", msg, again)
		}
	})
}

func sameMsg(a, b *Msg) bool {
	if len(a.Uptimes) != len(b.Uptimes) {
		return false
	}
	for i := range a.Uptimes {
		if a.Uptimes[i] != b.Uptimes[i] {
			return false
		}
	}
	x, y := *a, *b
	x.Uptimes, y.Uptimes = nil, nil
	return fmt.Sprint(x) == fmt.Sprint(y)
}

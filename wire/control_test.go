package wire

import (
	"bytes"
	"testing"
)

// Rebuilding every captured message from its own fields plus AddControl
// gives heartbeat's bytes: the control fields' order, the NS_ rules and the
// destuuid placement all match the real daemon.
func TestControlFieldsMatchCaptures(t *testing.T) {
	control := map[string]bool{
		FieldDestUUID: true, FieldSrc: true, FieldSrcUUID: true, FieldSeq: true,
		FieldGeneration: true, FieldTimestamp: true, FieldLoad: true, FieldTTL: true, FieldAuth: true,
	}
	for _, sc := range loadScenarios(t) {
		var p Packet
		var out []byte
		for _, v := range sc.vectors {
			if err := p.Decode(v.data); err != nil {
				t.Fatal(err)
			}
			got := &p.Msg
			c := Control{
				Src:  got.Value(FieldSrc),
				Load: got.Value(FieldLoad),
			}
			copy(c.SrcUUID[:], got.Value(FieldSrcUUID))
			c.Seq, _ = got.Hex(FieldSeq)
			c.Gen, _ = got.Hex(FieldGeneration)
			c.TS, _ = got.Hex(FieldTimestamp)
			ttl, _ := ParseDecimal(got.Value(FieldTTL))
			c.TTL = ttl
			destUUID := got.Value(FieldDestUUID)
			c.DestUUID = func(name []byte) (u [UUIDLen]byte) {
				copy(u[:], destUUID)
				return u
			}
			var m Message
			for i := range got.Len() {
				f := got.At(i)
				if !control[string(f.Name)] {
					m.Add(string(f.Name), f.Type, f.Value)
				}
			}
			m.AddControl(&c)
			out, _ = sc.keys.AppendPacket(out[:0], &m, got.Index(FieldAuth) >= 0)
			if !bytes.Equal(out, v.data) {
				t.Fatalf("%s/%s rebuilt:\n got %q\nwant %q", sc.name, v.name, out, v.data)
			}
		}
	}
}

func TestControlModifyInPlace(t *testing.T) {
	var m Message
	m.AddString(FieldSrc, "client-said-this")
	m.AddString(FieldType, "mytype")
	m.AddControl(&Control{Src: []byte("node1"), Seq: 7, Gen: 1, TS: 2, TTL: 3})
	if f := m.At(0); f.Name[0] != 's' || string(f.Value) != "node1" {
		t.Fatalf("src not replaced in place: %q=%q", f.Name, f.Value)
	}
	if string(m.Value(FieldLoad)) != "n/a" || string(m.Value(FieldSeq)) != "7" {
		t.Fatalf("ld=%q seq=%q", m.Value(FieldLoad), m.Value(FieldSeq))
	}
	var ns Message
	ns.AddString(FieldType, "NS_ackmsg")
	ns.AddString(FieldTTL, "9")
	ns.AddControl(&Control{Src: []byte("node1"), Seq: 7, TTL: 3})
	if ns.Index(FieldSeq) >= 0 || ns.Index(FieldLoad) >= 0 || string(ns.Value(FieldTTL)) != "9" {
		t.Fatalf("NS_ rules broken: %d fields", ns.Len())
	}
}

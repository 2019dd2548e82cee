package master

import (
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// firstStatus starts a master with cfg and returns the first status it
// sends, decoded from the datagram media's form.
func firstStatus(t *testing.T, cfg Config) *wire.Message {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(Time{Mono: 1, Wall: 1_700_000_000})
	var p wire.Packet
	for _, pk := range m.Ready().Packets {
		b := pk.Data
		if pk.Native != nil {
			b = pk.Native
		}
		if p.Decode(b) == nil && string(p.Msg.Type()) == typeStatus {
			return &p.Msg
		}
	}
	t.Fatal("no status sent")
	return nil
}

// msgfmt native sends statuses as beacons (no seq), unless a serial
// medium, which carries heartbeat's form only, is configured: a beacon
// there would be refused, so statuses stay sequenced.
func TestBeaconNotOnSerial(t *testing.T) {
	cfg := testConfig(t, "node1", 1, "node1", "node2")
	cfg.Native = NativeOn
	if st := firstStatus(t, cfg); st.Value(wire.FieldSeq) != nil || st.Value(fieldBeaconSeq) == nil {
		t.Errorf("native on a datagram medium: seq %q, hbd_bseq %q; want a beacon", st.Value(wire.FieldSeq), st.Value(fieldBeaconSeq))
	}
	cfg = testConfig(t, "node1", 1, "node1", "node2")
	cfg.Native = NativeOn
	cfg.Media = append(cfg.Media, MediumConfig{Name: "/dev/ttyS0", Text: true})
	if st := firstStatus(t, cfg); st.Value(wire.FieldSeq) == nil || st.Value(fieldBeaconSeq) != nil {
		t.Errorf("with a serial medium: seq %q, hbd_bseq %q; want a sequenced status", st.Value(wire.FieldSeq), st.Value(fieldBeaconSeq))
	}
}

package wire

// Control is what heartbeat's master adds to every message it sends
// (add_control_msg_fields), wire spec §8.1.
type Control struct {
	Src     []byte        // local node name, lowercased
	SrcUUID [UUIDLen]byte // local uuid
	Seq     uint64        // this message's sequence number; unused for NS_ types
	Gen     uint64        // generation (hg)
	TS      uint64        // time(NULL) (ts)
	Load    []byte        // first line of /proc/loadavg, or "n/a" (ld)
	TTL     uint64        // hopfudge + configured nodes (ttl)
	// DestUUID returns the uuid of a node by name: 16 zero bytes when it is
	// not known yet, as heartbeat sends it.
	DestUUID func(name []byte) [UUIDLen]byte
	// NoSeq leaves seq out of an ordinary message too: hbd's status
	// beacons, which ride outside the sequenced stream.
	NoSeq bool
}

// IsProtocol reports whether a message type is one of heartbeat's NS_
// protocol messages, which carry no seq and no ld.
func IsProtocol(t []byte) bool {
	return len(t) >= 3 && t[0] == 'N' && t[1] == 'S' && t[2] == '_'
}

// AddControl adds the control fields in heartbeat's order: destuuid (when
// dest is present), then src, srcuuid, seq, hg, ts, ld, ttl. For ordinary
// types each is set by modify-or-append, so a client's own src is
// overwritten in place; for NS_ types seq and ld are skipped and a field
// already present is left alone. The inner auth field is added by the
// Keyring when the packet is encoded.
func (m *Message) AddControl(c *Control) {
	if dest := m.Value(FieldDest); dest != nil && c.DestUUID != nil {
		u := c.DestUUID(dest)
		m.Set(FieldDestUUID, Binary, u[:])
	}
	proto := IsProtocol(m.Type())
	var num [16]byte
	set := func(name string, t Type, v []byte) {
		if proto && m.Index(name) >= 0 {
			return
		}
		m.Set(name, t, v)
	}
	set(FieldSrc, String, c.Src)
	set(FieldSrcUUID, Binary, c.SrcUUID[:])
	if !proto && !c.NoSeq {
		m.Set(FieldSeq, String, appendHex(num[:0], c.Seq))
	}
	set(FieldGeneration, String, appendHex(num[:0], c.Gen))
	set(FieldTimestamp, String, appendHex(num[:0], c.TS))
	if !proto {
		load := c.Load
		if load == nil {
			load = []byte("n/a")
		}
		m.Set(FieldLoad, String, load)
	}
	set(FieldTTL, String, appendDecimal(num[:0], c.TTL))
}

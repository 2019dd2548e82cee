package master

import (
	"slices"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// NativeMode is when the master sends hbd's native wire format
// (docs/wire-native.md) on the datagram media.
type NativeMode uint8

const (
	// NativeOff sends exactly what heartbeat 3.0.6 sends and advertises
	// nothing (the zero value: a master built by hand is heartbeat).
	NativeOff NativeMode = iota
	// NativeAuto advertises native support in every status and sends
	// native while every other node known has advertised it too.
	NativeAuto
	// NativeOn always sends native (msgfmt native).
	NativeOn
)

// fieldNative is the status field that says "I read native packets".
// Heartbeat 3.0.6 reads st, dt and protocol from a status and ignores the
// rest (HBDoMsg_T_STATUS), so it is safe in a mixed cluster.
const (
	fieldNative = "hbd_native"
	nativeV1    = "1"
)

// initNative computes this node's source index: its place in the
// bytewise-sorted list of configured node names (a hint in the native
// header; the body's src is what counts).
func (m *Master) initNative() {
	m.srcIndex = wire.NoSrcIndex
	names := make([]string, 0, len(m.nodes))
	for i := range m.nodes {
		if m.nodes[i].typ == Normal {
			names = append(names, m.nodes[i].name)
		}
	}
	slices.Sort(names)
	if i, ok := slices.BinarySearch(names, m.nodes[m.self].name); ok && i < wire.NoSrcIndex {
		m.srcIndex = uint16(i)
	}
	m.native = m.cfg.Native == NativeOn
	for _, md := range m.cfg.Media {
		if md.Text {
			m.noBeacon = true
		}
	}
}

// noteNative records whether a peer's status advertised native support,
// and switches the format when that changes the answer.
func (m *Master) noteNative(ni int, msg *wire.Message) {
	if ni == m.self || m.nodes[ni].typ != Normal {
		return
	}
	n := &m.nodes[ni]
	has := string(msg.Value(fieldNative)) == nativeV1
	if has == n.native {
		return
	}
	n.native = has
	m.updateNative(ni)
}

// updateNative re-decides the send format in auto mode; ni is the node
// whose advertisement changed (for the log line).
func (m *Master) updateNative(ni int) {
	if m.cfg.Native != NativeAuto {
		return
	}
	all := true
	for i := range m.nodes {
		if n := &m.nodes[i]; i != m.self && n.typ == Normal && !n.native {
			all = false
			break
		}
	}
	if all == m.native {
		return
	}
	m.native = all
	if all {
		m.out.log(prio.Info, "All nodes read hbd's native format: sending native packets")
	} else {
		m.out.logf(prio.Info, "Node %s does not read hbd's native format: sending heartbeat packets", m.nodes[ni].name)
	}
}

// Native reports whether the master sends native packets now.
func (m *Master) Native() bool { return m.native }

// appendNative encodes msg natively into the level's native buffer when
// native is on; nil otherwise, or when msg does not fit a native packet
// (heartbeat's form then goes out alone).
func (m *Master) appendNative(lv *level, msg *wire.Message) []byte {
	if !m.native {
		return nil
	}
	var err error
	lv.nbuf, err = m.keys.AppendNative(lv.nbuf[:0], msg, m.srcIndex)
	if err != nil {
		return nil
	}
	return lv.nbuf
}

// nativeOf re-encodes a packet from the retransmission history (kept in
// heartbeat's form) natively, when native is on.
func (m *Master) nativeOf(b []byte) []byte {
	if !m.native {
		return nil
	}
	// Not a level's packet: a retransmission is sent from inside the
	// receive path, whose packet is still being processed.
	if m.rexPkt.Decode(b) != nil {
		return nil
	}
	var err error
	m.rexNative, err = m.keys.AppendNative(m.rexNative[:0], &m.rexPkt.Msg, m.srcIndex)
	if err != nil {
		return nil
	}
	return m.rexNative
}

package sim

import (
	"fmt"
	"strings"

	"github.com/hbd-ha/hbd/wire"
)

// pktInfo is what the simulator reads from a datagram once, when it is
// sent, for invariant checks (and, when tracing, a description).
type pktInfo struct {
	status       bool // a status message
	src          int  // sender index, -1 if unknown
	seq, gen, dt uint64
}

// parseInfo reads what the checker needs; p is scratch.
func (s *Sim) parseInfo(p *wire.Packet, b []byte) pktInfo {
	in := pktInfo{src: -1}
	if err := p.Decode(b); err != nil {
		return in
	}
	m := &p.Msg
	in.status = string(m.Type()) == "status"
	src := m.Value(wire.FieldSrc)
	for i, n := range s.Nodes {
		if n.Name == string(src) {
			in.src = i
		}
	}
	in.seq, _ = m.Hex(wire.FieldSeq)
	in.gen, _ = m.Hex(wire.FieldGeneration)
	in.dt, _ = m.Hex(wire.FieldDeadtime)
	return in
}

// shown are the fields traces show, in message order.
var shown = map[string]bool{
	wire.FieldAckSeq: true, wire.FieldFirstSeq: true, wire.FieldLastSeq: true, wire.FieldInfo: true,
	"rsc_hold": true, "rtype": true, "isstable": true, "ipaddr": true, "weown": true, "ok": true,
	"node": true, "result": true, "hbd_groups": true, wire.FieldDeadtime: true,
}

// describe is a one-line summary of a datagram for traces.
func describe(data []byte) (typ, text string) {
	var p wire.Packet
	if err := p.Decode(data); err != nil {
		return "?", "?malformed"
	}
	m := &p.Msg
	in := struct {
		typ, status, dest string
		seq               uint64
		hasSeq            bool
		extra             string
	}{typ: string(m.Type()), status: string(m.Value(wire.FieldStatus)), dest: string(m.Value(wire.FieldDest))}
	in.seq, in.hasSeq = m.Hex(wire.FieldSeq)
	var x []string
	for i := range m.Len() {
		f := m.At(i)
		if shown[string(f.Name)] {
			x = append(x, string(f.Name)+"="+string(f.Value))
		}
	}
	in.extra = strings.Join(x, " ")
	var b strings.Builder
	b.WriteString(in.typ)
	if in.status != "" {
		fmt.Fprintf(&b, " st=%s", in.status)
	}
	if in.dest != "" {
		fmt.Fprintf(&b, " dest=%s", in.dest)
	}
	if in.hasSeq {
		fmt.Fprintf(&b, " seq=%x", in.seq)
	}
	if in.extra != "" {
		b.WriteString(" " + in.extra)
	}
	return in.typ, b.String()
}

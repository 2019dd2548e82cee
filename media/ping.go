package media

import (
	"errors"
	"fmt"

	"github.com/hbd-ha/hbd/wire"
)

// pingSlots is ping_group's window of remembered sequence numbers (NSLOT).
const pingSlots = 128

// pinger is what the ping plugins compute, apart from sockets: the NS_st
// message sent for every status, and the checks on what comes back.
type pinger struct {
	info  string // "ping", "ping6" or "ping_group": the plugin name, sent and required in info
	src   string // the ping node's name as written in ha.cf
	ident uint16
	seq   uint16 // next echo sequence number
	keys  *wire.Keyring

	in   wire.Packet  // a status being turned into an echo, or a reply
	out  wire.Message // the NS_st being built
	pkt  []byte       // ICMP header + encoded NS_st
	v6   bool
	slot [pingSlots]uint16 // ping_group: last sequence seen per slot
}

var errNotStatus = errors.New("not a status")

// noHeader holds the place of the echo header until the payload is in.
var noHeader [icmpHeaderLen]byte

// echoRequest builds the echo request heartbeat sends for pkt, an encoded
// packet about to go out: for a status message, "t=NS_st st=ping
// info=<plugin> src=<ping node> ts=<the status's ts>" with an inner auth
// field, in netstring form with its trailer, behind an 8-byte echo
// header. Any other packet gives errNotStatus and nothing is sent, as in
// ping_write. The result is valid until the next call.
func (p *pinger) echoRequest(pkt []byte) ([]byte, error) {
	if err := p.in.Decode(pkt); err != nil {
		return nil, fmt.Errorf("decode outgoing packet: %w", err)
	}
	ts, ok := p.in.Msg.Get(wire.FieldTimestamp)
	if string(p.in.Msg.Type()) != "status" || !ok {
		return nil, errNotStatus
	}
	// ping_write decodes with MSG_NEEDAUTH: our own packet must check out.
	if err := p.keys.Verify(&p.in); err != nil {
		return nil, fmt.Errorf("outgoing status: %w", err)
	}
	p.out.Reset()
	p.out.AddString(wire.FieldType, "NS_st")
	p.out.AddString(wire.FieldStatus, "ping")
	p.out.AddString(wire.FieldInfo, p.info)
	p.out.AddString(wire.FieldSrc, p.src)
	p.out.Add(wire.FieldTimestamp, wire.String, ts.Value)
	p.pkt = append(p.pkt[:0], noHeader[:]...)
	var err error
	if p.pkt, err = p.keys.AppendPacket(p.pkt, &p.out, true); err != nil {
		return nil, fmt.Errorf("encode NS_st: %w", err)
	}
	typ := byte(icmpEcho)
	if p.v6 {
		typ = icmp6Echo
	}
	putEchoHeader(p.pkt, typ, p.ident, p.seq, !p.v6)
	p.seq++ // as ++iseq: counted even if the send fails
	return p.pkt, nil
}

// reply returns the payload to hand up from what the raw socket read, or
// nil when heartbeat's ping_read would not hand it up: not an echo reply,
// not our identifier, a payload that does not decode and authenticate, or
// whose info is not this plugin's name. member reports whether the source
// is one of a ping_group's hosts (always true for ping). A ping_group
// also drops a sequence number it saw last time in the same slot; the
// slots start at 0, so the very first reply (seq 0) is dropped too.
func (p *pinger) reply(raw []byte, member bool) []byte {
	if len(raw) > pingReadMax {
		return nil
	}
	ident, seq, payload, ok := echoReply(raw, p.v6)
	if !ok || ident != p.ident || !member {
		return nil
	}
	if p.in.Decode(payload) != nil || p.keys.Verify(&p.in) != nil {
		return nil
	}
	if string(p.in.Msg.Value(wire.FieldInfo)) != p.info {
		return nil
	}
	if p.info == "ping_group" {
		if p.slot[seq%pingSlots] == seq {
			return nil // a duplicate within the window: another member answered first
		}
		p.slot[seq%pingSlots] = seq
	}
	return payload
}

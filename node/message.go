package node

import (
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// eventMsg decodes the datagram of the master's current EventMessage
// once, for whichever of its consumers (rc.d hooks, API clients) wants
// it, in reused buffers. flush clears "of" before each event: datagrams
// live in the master's arena, reused after Advance.
type eventMsg struct {
	pkt  wire.Packet
	unz  wire.Message
	unzb []byte
	of   []byte        // the datagram decoded last
	msg  *wire.Message // its message; nil if it could not be read
}

// eventMessage returns e's message, uncompressing a whole-compressed one;
// valid until the next event. nil means it cannot be read, which for a
// datagram the master accepted does not happen.
func (n *Node) eventMessage(e *master.Event) *wire.Message {
	d := &n.evmsg
	if len(e.Msg) > 0 && len(d.of) == len(e.Msg) && &d.of[0] == &e.Msg[0] {
		return d.msg
	}
	d.of, d.msg = e.Msg, nil
	if err := d.pkt.Decode(e.Msg); err != nil {
		return nil
	}
	d.msg = &d.pkt.Msg
	if _, ok := d.msg.Get(wire.FieldCompressedPayload); ok {
		var ok bool
		var err error
		if d.unzb, ok, err = d.msg.Uncompress(&d.unz, d.unzb[:0]); err != nil {
			d.msg = nil
		} else if ok {
			d.msg = &d.unz
		}
	}
	return d.msg
}

package master

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Compression on send, as heartbeat 3.0.6 does it in msg2wirefmt_ll and
// cl_compressmsg (cluster-glue lib/clplumbing/cl_msg.c, cl_compress.c):
//
//  1. traditional_compression yes and the message longer than
//     compression_threshold: the whole message is compressed;
//  2. otherwise every Uncompressed (type 5) field is compressed in place
//     (field compression, whatever the size);
//  3. a message still of MAXMSG (256 KiB) or more is compressed whole;
//     one that stays above MAXUNCOMPRESSED before, or MAXMSG after,
//     compression is not sent.
//
// hbd adds one case: a packet too long for a UDP datagram, which heartbeat
// would hand to sendto to fail with EMSGSIZE, is compressed whole too.
// Heartbeat decompresses a whole-compressed message whatever its own
// settings, so mixed clusters read it; and it is refused, with a log
// line, when even compressed it does not fit a datagram.
//
// Small messages (every status, ACK and retransmission request) take the
// first test of encode only and allocate nothing; a compressed message
// allocates its buffers, as it is rare and large.

const (
	defaultCompressThreshold = 2 * 1024
	// maxDatagram is the largest UDP payload over IPv4.
	maxDatagram = 65507
)

// fastLimit is the packet length up to which encode's first form is sent
// as it is: no test below can apply to a packet this short (the
// threshold is measured without the auth trailer, so the packet is longer
// than what heartbeat measures).
func (m *Master) fastLimit() int {
	if m.cfg.TraditionalCompression {
		return min(m.compressThreshold(), maxDatagram)
	}
	return maxDatagram
}

func (m *Master) compressThreshold() int {
	if m.cfg.CompressionThreshold > 0 {
		return m.cfg.CompressionThreshold
	}
	return defaultCompressThreshold
}

// compression is the algorithm hbd compresses with: zlib, also when ha.cf
// names bz2, for which hbd has no encoder (every heartbeat node has the
// zlib plugin, and a receiver uses the algorithm the message names).
func (m *Master) compression() wire.Compression { return wire.Zlib }

// encode returns msg (its control fields added) as heartbeat's packet
// and, when native is on, its native form; compressed is true when the
// packet carries the whole message compressed (the buffers are then fresh,
// not the level's). It logs why a message cannot be sent.
func (m *Master) encode(lv *level, msg *wire.Message) (b, nat []byte, compressed bool, err error) {
	// The native form first: heartbeat's form adds the inner auth field
	// to msg, which native packets do not need.
	nat = m.appendNative(lv, msg)
	lv.buf, err = m.keys.AppendPacket(lv.buf[:0], msg, m.cfg.InnerAuth)
	if err == nil && len(lv.buf) <= m.fastLimit() && !msg.HasUncompressed() {
		return lv.buf, nat, false, nil
	}
	if err != nil && !wire.IsTooLarge(err) {
		m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: %v", err)
		return nil, nil, false, err
	}
	return m.encodeLarge(lv, msg, nat, err != nil)
}

// encodeLarge is encode for a message that may need compressing;
// tooLarge says its packet is over MAXMSG (lv.buf holds nothing).
func (m *Master) encodeLarge(lv *level, msg *wire.Message, nat []byte, tooLarge bool) (b, _ []byte, compressed bool, err error) {
	if cap(lv.buf) > 2*maxDatagram {
		// Grown by a message that did not fit: a level's buffer need
		// hold a datagram only (b, if returned, keeps its own array).
		defer func() { lv.buf = nil }()
	}
	classic := m.cfg.InnerAuth
	if m.cfg.TraditionalCompression {
		n, _, err := msg.WireLen(classic, nil)
		if err != nil {
			m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: %v", err)
			return nil, nil, false, err
		}
		if n > m.compressThreshold() {
			return m.compressWhole(msg, n)
		}
	}
	if msg.HasUncompressed() {
		if err := msg.CompressFields(m.compression(), classic); err != nil {
			m.out.logf(prio.Error, "cl_compress_field: compression failed: %v", err)
			return nil, nil, false, err
		}
		nat = m.appendNative(lv, msg)
		lv.buf, err = m.keys.AppendPacket(lv.buf[:0], msg, m.cfg.InnerAuth)
		if err != nil && !wire.IsTooLarge(err) {
			m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: %v", err)
			return nil, nil, false, err
		}
		tooLarge = err != nil
	}
	if !tooLarge && len(lv.buf) <= maxDatagram {
		if len(nat) > maxDatagram {
			nat = nil // heartbeat's form fits; the native one does not
		}
		return lv.buf, nat, false, nil
	}
	n, _, err := msg.WireLen(classic, nil)
	if err != nil {
		m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: %v", err)
		return nil, nil, false, err
	}
	return m.compressWhole(msg, n)
}

// tooBigError is the error of a message refused for its size.
type tooBigError struct{}

func (tooBigError) Error() string { return "master: message too big to send" }

var errTooBig error = tooBigError{}

// compressWhole is cl_compressmsg: msg (n bytes as heartbeat measures it)
// replaced by _compressed_payload and _compression_algorithm.
func (m *Master) compressWhole(msg *wire.Message, n int) (b, nat []byte, compressed bool, err error) {
	typ := msg.Type()
	if n > wire.MaxUncompressed {
		m.out.logf(prio.Error, "cl_compressmsg: msg too big: type %s, %d bytes (at most %d before compression); not sent", typ, n, wire.MaxUncompressed)
		return nil, nil, false, errTooBig
	}
	var whole wire.Message
	if err := whole.Compress(msg, m.compression(), m.cfg.InnerAuth); err != nil {
		m.out.logf(prio.Error, "cl_compressmsg: compression failed: type %s, %d bytes: %v", typ, n, err)
		return nil, nil, false, err
	}
	z := len(whole.Value(wire.FieldCompressedPayload))
	if z >= wire.MaxMessage {
		m.out.logf(prio.Error, "cl_compressmsg: compression failed: type %s, %d bytes, %d compressed (at most %d); not sent", typ, n, z, wire.MaxMessage-1)
		return nil, nil, false, errTooBig
	}
	// The wrapper has no inner auth (heartbeat adds that to the message
	// itself, which is inside); its trailer authenticates it.
	b, err = m.keys.AppendPacket(nil, &whole, false)
	if err != nil {
		m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: type %s: %v", typ, err)
		return nil, nil, false, err
	}
	if len(b) > maxDatagram {
		m.out.logf(prio.Error, "send_cluster_msg: msg too big: type %s, %d bytes, %d compressed (a datagram carries %d); not sent", typ, n, len(b), maxDatagram)
		return nil, nil, false, errTooBig
	}
	if m.native {
		if nat, err = m.keys.AppendNative(nil, &whole, m.srcIndex); err != nil || len(nat) > maxDatagram {
			nat = nil
		}
	}
	return b, nat, true, nil
}

package master

import (
	"errors"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Status beacons (docs/wire-native.md, "Status beacons"): between hbd
// nodes sending the native format, a status is a heartbeat, not a message
// to deliver reliably. It goes out without a seq, so it takes no history
// slot and no ACK, and is never retransmitted; hbd_bseq orders a sender's
// beacons (a copy from a second medium, a late one) and hbd_hseq carries
// the sender's highest seq, so a receiver still learns of a lost reliable
// message at the end of a burst within a keepalive, as the seq of the next
// status told it before. Heartbeat's form never carries a beacon: a
// receiver takes one only in a native packet (or from its own loopback),
// so a mixed cluster keeps heartbeat's exact bytes and behaviour.
const (
	fieldBeaconSeq = "hbd_bseq"
	fieldHighSeq   = "hbd_hseq"
)

var errNoBeacon = errors.New("master: status beacon does not fit a native packet")

// beacons reports whether statuses go out as beacons: while native packets
// are sent, and no serial medium (heartbeat's form only) is configured.
func (m *Master) beacons() bool { return m.native && !m.noBeacon }

// sendBeacon is sendCluster for a status beacon: control fields without
// seq, the native form for the datagram media, heartbeat's form for our
// own receive path and the ping media; nothing enters the history.
func (m *Master) sendBeacon(msg *wire.Message) error {
	if !m.phase.running() {
		return ErrNotRunning
	}
	if m.depth >= maxLevel-1 {
		m.out.log(prio.Error, "send_cluster_msg: messages nested too deep; dropped")
		return errNested
	}
	m.ctl.TS = uint64(m.wall)
	m.ctl.Load = m.load
	m.ctl.NoSeq = true
	msg.AddControl(&m.ctl)
	m.ctl.NoSeq = false
	lv := &m.lv[m.depth]
	nat := m.appendNative(lv, msg)
	if nat == nil {
		m.out.log(prio.Error, "send_local_status: cannot encode the status beacon natively")
		return errNoBeacon
	}
	var err error
	lv.buf, err = m.keys.AppendPacket(lv.buf[:0], msg, m.cfg.InnerAuth)
	if err != nil {
		m.out.logf(prio.Error, "send_cluster_msg: cannot encode message: %v", err)
		return err
	}
	b := lv.buf
	m.depth++
	was := m.ownBeacon
	m.ownBeacon = true
	m.loopback(b)
	m.ownBeacon = was
	m.depth--
	m.out.packet(AllMedia, b, nat)
	return nil
}

// isBeacon reports whether a message without seq is a status beacon to
// take: a status with hbd_bseq, in a native packet or our own.
func (m *Master) isBeacon(msg *wire.Message, typ []byte, medium int, raw []byte) bool {
	return string(typ) == typeStatus && msg.Value(fieldBeaconSeq) != nil &&
		((medium < 0 && m.ownBeacon) || (medium >= 0 && wire.IsNative(raw)))
}

// beaconDrop is shouldDrop for a status beacon: generation tracking
// (replays, restarts, a return after a partition) as for a sequenced
// status, with hbd_bseq in the place of seq; the sequenced stream is only
// told of seqs it missed (hbd_hseq).
func (m *Master) beaconDrop(ni int, msg *wire.Message, uuid [wire.UUIDLen]byte) action {
	n := &m.nodes[ni]
	m.learnUUID(ni, uuid)
	bseq, ok := wire.ParseHex(msg.Value(fieldBeaconSeq))
	if !ok || bseq == 0 {
		m.out.log(prio.Error, "should_drop_message: bad beacon sequence number")
		return drop
	}
	var gen uint64
	if cgen := msg.Value(wire.FieldGeneration); cgen != nil {
		if gen, ok = wire.ParseHex(cgen); !ok {
			m.out.log(prio.Error, "should_drop_message: bad generation number")
			return drop
		}
	}
	if gen < n.gen {
		m.stats.Replays++
		m.out.logf(prio.Error, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]", n.name, gen, n.gen)
		return drop
	}
	switch {
	case gen > n.gen:
		m.nodeRestarted(ni, gen)
	case bseq <= n.beaconSeq:
		if n.status == StatusDead {
			return drop // stale: from before the death
		}
		return duplicate
	case gen > 0 && n.status == StatusDead:
		m.partitionHealed(ni)
	}
	n.gen, n.beaconSeq = gen, bseq
	if h, ok := wire.ParseHex(msg.Value(fieldHighSeq)); ok && ni != m.self && n.haveSeq && n.seqGen == gen && h > n.lastSeq {
		m.missedUpTo(ni, h)
	}
	return keep
}

// missedUpTo records that node ni sent seqs up to h that never came: the
// tail of a burst lost, learnt from a beacon. They are asked for as any
// gap is; h itself, taken as the last seq, is recognised when it comes
// (shouldDrop looks for a missing last seq).
func (m *Master) missedUpTo(ni int, h uint64) {
	n := &m.nodes[ni]
	nlost := h - n.lastSeq
	m.out.logf(prio.Warn, "%d lost packet(s) for [%s] [%d:%d]", nlost, n.name, n.lastSeq, h)
	if nlost > flowControlLimit {
		gen := n.seqGen
		m.resetSeqTrack(ni)
		n.lastSeq, n.haveSeq, n.seqGen = h, true, gen
		n.seqFloor = max(n.seqFloor, h)
		m.out.log(prio.Error, "lost a lot of packets!")
		return
	}
	if n.firstMissing == 0 || n.firstMissing > n.lastSeq+1 {
		n.firstMissing = n.lastSeq + 1
	}
	for k := n.lastSeq + 1; k <= h; k++ {
		m.addMissing(ni, k)
	}
	n.lastSeq = h
	n.seqFloor = max(n.seqFloor, h)
}

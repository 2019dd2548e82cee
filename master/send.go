package master

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"strconv"

	"github.com/hbd-ha/hbd/wire"
)

// msg returns the message to build an outgoing message in, at the
// current nesting level.
func (m *Master) msg() *wire.Message {
	out := &m.lv[m.depth].out
	out.Reset()
	return out
}

// sendCluster is heartbeat's send_cluster_msg and process_outbound_packet:
// add the control fields, encode (compressing a large message, see
// compress.go), remember sequenced messages for
// retransmission, run the message through our own receive path, and only
// then queue it for the media — so anything that path sends (a self-ACK)
// goes out first, as heartbeat's does.
func (m *Master) sendCluster(msg *wire.Message) error {
	if !m.phase.running() {
		return ErrNotRunning
	}
	if m.depth >= maxLevel-1 {
		m.out.log(prio.Error, "send_cluster_msg: messages nested too deep; dropped")
		return errNested
	}
	proto := wire.IsProtocol(msg.Type())
	if !proto {
		m.seq++
		m.ctl.Seq = m.seq
	}
	m.ctl.TS = uint64(m.wall)
	m.ctl.Load = m.load
	msg.AddControl(&m.ctl)
	lv := &m.lv[m.depth]
	b, nat, compressed, err := m.encode(lv, msg)
	if err != nil {
		// Heartbeat drops a message it cannot encode or that is too
		// large even compressed; its seq is lost. encode logged why.
		return err
	}
	if !proto {
		m.hist.add(m.seq, b)
		m.flowCheck()
	}
	m.depth++
	if compressed {
		// Our receive path would decompress b into msg again.
		m.process(msg, -1, b)
	} else {
		m.loopback(b)
	}
	m.depth--
	m.out.packet(AllMedia, b, nat)
	return nil
}

type nestedError struct{}

func (nestedError) Error() string { return "master: sends nested too deep" }

var errNested error = nestedError{}

// flowCheck is the flow-control half of heartbeat's add2_xmit_hist.
func (m *Master) flowCheck() {
	if !m.flowControl {
		return
	}
	if u := m.hist.unacked(); u > maxMsgHist*3/4 && m.liveCount() > 1 {
		// Heartbeat measures this from its freed-slot mark, which lags
		// 2–2.5 s behind the ACKs and would report a full queue on every
		// send at sub-second keepalives; hbd counts unACKed messages.
		level := prio.Warn
		if u > maxMsgHist*9/10 {
			level = prio.Error
		}
		m.out.logf(level, "Message hist queue is filling up (%d messages in queue)", u)
	}
	if m.hist.unacked() > flowControlLimit {
		if m.liveCount() < 2 {
			m.updateAck(m.hist.hiseq - (flowControlLimit - 1))
			m.paused = false
		} else {
			m.paused = true
		}
	}
}

// liveCount is heartbeat's live_node_count: us, plus the normal nodes
// that are up or active.
func (m *Master) liveCount() int {
	c := 1
	for i := range m.nodes {
		n := &m.nodes[i]
		if i != m.self && n.typ == Normal && (n.status == StatusUp || n.status == StatusActive) {
			c++
		}
	}
	return c
}

// sendStatus is heartbeat's send_local_status.
func (m *Master) sendStatus() {
	msg := m.msg()
	msg.AddString(wire.FieldType, typeStatus)
	msg.AddString(wire.FieldStatus, string(m.nodes[m.self].status))
	msg.AddHex(wire.FieldDeadtime, uint64(m.advertised/msec))
	if m.flowControl {
		msg.AddString(wire.FieldProtocol, protocolVersion)
	}
	if m.cfg.Native != NativeOff {
		msg.AddString(fieldNative, nativeV1)
	}
	if m.beacons() {
		m.beacon++
		msg.AddHex(fieldBeaconSeq, m.beacon)
		msg.AddHex(fieldHighSeq, m.seq)
		_ = m.sendBeacon(msg)
		return
	}
	_ = m.sendCluster(msg)
}

// setLocalStatus is heartbeat's set_local_status.
func (m *Master) setLocalStatus(st Status) {
	self := &m.nodes[m.self]
	if st == self.status || len(st) <= 1 || len(st) >= statusLen {
		m.out.log(prio.Info, "Unable to set local status to: ", string(st))
		return
	}
	old := self.status
	self.status = st
	m.out.event(Event{Kind: EventNodeStatus, Node: m.self, NodeName: self.name, Old: old, New: st})
	m.sendStatus()
	m.out.log(prio.Info, "Local status now set to: '", string(st), "'")
}

// ackIfNeeded is heartbeat's send_ack_if_needed: ACK one seq in ten (those
// ≡ the node's trigger mod 10), and none beyond a gap.
func (m *Master) ackIfNeeded(ni int, seq uint64) {
	n := &m.nodes[ni]
	if !m.flowControl || (n.firstMissing != 0 && seq > n.firstMissing) || seq%ackDiv != n.ackTrigger {
		return
	}
	msg := m.msg()
	msg.AddString(wire.FieldType, typeAck)
	msg.AddString(wire.FieldDest, n.name)
	msg.AddHex(wire.FieldAckSeq, seq)
	_ = m.sendCluster(msg)
}

// addMissing records seq as missing from node ni and schedules its first
// retransmission request.
func (m *Master) addMissing(ni int, seq uint64) {
	n := &m.nodes[ni]
	h := m.tq.alloc(tkRexmit, int32(ni), 0)
	m.tq.Data(h).seq = seq
	m.tq.Set(h, m.now+rexmitFirstDelay(m.rexmitMax, m.rnd.Uint64()))
	if len(n.missing) < maxMissing-1 {
		n.missing = append(n.missing, missingSeq{seq: seq, timer: h})
		return
	}
	// Full: the lowest missing seq gives way.
	low := 0
	for k := range n.missing {
		if n.missing[k].seq < n.missing[low].seq {
			low = k
		}
	}
	if old := n.missing[low].timer; old >= 0 {
		m.tq.Release(old)
	}
	n.missing[low] = missingSeq{seq: seq, timer: h}
}

// foundMissing is heartbeat's is_lost_packet: if seq was missing from
// node ni, forget it (it arrived, or was NAKed) and, when it was the first
// of a gap, ACK what is now contiguous.
func (m *Master) foundMissing(ni int, seq uint64) bool {
	n := &m.nodes[ni]
	found := false
	for k := range n.missing {
		if n.missing[k].seq != seq {
			continue
		}
		if h := n.missing[k].timer; h >= 0 {
			m.tq.Release(h)
		}
		n.missing = append(n.missing[:k], n.missing[k+1:]...)
		if len(n.missing) == 0 {
			m.out.log(prio.Info, "No pkts missing from ", n.name, "!")
			n.firstMissing = 0
		}
		found = true
		break
	}
	if !m.flowControl || !found || seq != n.firstMissing {
		return found
	}
	old := n.firstMissing
	n.firstMissing = 0
	for _, ms := range n.missing {
		if n.firstMissing == 0 || ms.seq < n.firstMissing {
			n.firstMissing = ms.seq
		}
	}
	upto := n.lastSeq
	if n.firstMissing != 0 {
		upto = n.firstMissing - 1
	}
	if a := ackAfterGap(upto, n.ackTrigger); a >= old {
		m.ackIfNeeded(ni, a)
	}
	return true
}

// resetSeqTrack is heartbeat's reset_seqtrack: forget a node's sequence
// state (not its generation).
func (m *Master) resetSeqTrack(ni int) {
	n := &m.nodes[ni]
	for _, ms := range n.missing {
		if ms.timer >= 0 {
			m.tq.Release(ms.timer)
		}
	}
	n.missing = n.missing[:0]
	n.firstMissing = 0
	n.haveSeq, n.lastSeq = false, 0
	n.ackSeq = 0
}

// rexmitDue asks node ni again for seq, as long as the node is up or
// active (heartbeat's send_rexmit_request), every max_rexmit_delay.
func (m *Master) rexmitDue(h int32, ni int, seq uint64) {
	n := &m.nodes[ni]
	k := -1
	for i := range n.missing {
		if n.missing[i].timer == h {
			k = i
			break
		}
	}
	if n.status != StatusUp && n.status != StatusActive {
		// No point asking a dead node; heartbeat stops asking for good.
		if k >= 0 {
			n.missing[k].timer = -1
		}
		m.tq.Release(h)
		return
	}
	var num [20]byte
	s := strconv.AppendUint(num[:0], seq, 10)
	msg := m.msg()
	msg.AddString(wire.FieldType, typeRexmit)
	msg.AddString(wire.FieldDest, n.name)
	msg.Add(wire.FieldFirstSeq, wire.String, s)
	msg.Add(wire.FieldLastSeq, wire.String, s)
	m.stats.RexmitAsked++
	_ = m.sendCluster(msg)
	m.tq.Set(h, m.now+m.rexmitMax)
}

// onRexmit is heartbeat's process_rexmit: resend what node ni asks for,
// byte for byte, or NAK it.
func (m *Master) onRexmit(ni int, msg *wire.Message) {
	cf, cl := msg.Value(wire.FieldFirstSeq), msg.Value(wire.FieldLastSeq)
	fseq, ok1 := wire.ParseDecimal(cf)
	lseq, ok2 := wire.ParseDecimal(cl)
	if !ok1 || !ok2 || fseq == 0 || lseq == 0 || fseq > lseq {
		// Heartbeat logs this and goes on with whatever atoi made of
		// the values; hbd stops here.
		m.out.log(prio.Error, "Invalid rexmit seqnos")
		return
	}
	sent, naks := 0, 0
	// Heartbeat skips seqs the asker has ACKed. A heartbeat peer that lost
	// track of us (see shouldDrop's first case) asks for ACKed seqs and
	// then never ACKs again until it gets them, which would pause our
	// clients for good: hbd resends them (duplicates are harmless).
	for s := fseq; s <= lseq; s++ {
		if s <= m.hist.lowseq {
			if naks++; naks > maxRexmitBatch {
				return // heartbeat NAKs every one; hbd bounds the burst
			}
			m.nak(ni, s, nakTooLow)
			continue
		}
		if s > m.hist.hiseq {
			// Heartbeat warns once per seq above the top; once is enough.
			m.out.logf(prio.Warn, "Rexmit of seq %d requested. %d is max.", s, m.hist.hiseq)
			return
		}
		slot := m.hist.get(s)
		if slot == nil {
			if naks++; naks > maxRexmitBatch {
				return
			}
			m.nak(ni, s, nakNotFound)
			continue
		}
		if slot.resent && m.now-slot.lastRexmit < m.rexmitMax-rexmitAcceptSkew {
			continue // resent a moment ago
		}
		if sent++; sent > maxRexmitBatch {
			return
		}
		slot.resent, slot.lastRexmit = true, m.now
		m.stats.Retransmitted++
		m.out.packet(AllMedia, slot.data, m.nativeOf(slot.data))
	}
}

// nak is heartbeat's nak_rexmit.
func (m *Master) nak(ni int, seq uint64, reason string) {
	n := &m.nodes[ni]
	m.out.logf(prio.Error, "Cannot rexmit pkt %d for %s: %s", seq, n.name, reason)
	m.out.logf(prio.Info, "fromnode =%s, fromnode's ackseq = %d", n.name, n.ackSeq)
	m.out.log(prio.Info, "hist information:")
	m.out.logf(prio.Info, "hiseq =%d, lowseq=%d,ackseq=%d,lastmsg=%d", m.hist.hiseq, m.hist.lowseq, m.hist.ackseq, m.hist.lastSlot())
	msg := m.msg()
	msg.AddString(wire.FieldType, typeNakRexmit)
	msg.AddHex(wire.FieldFirstSeq, seq)
	msg.AddString(wire.FieldDest, n.name)
	msg.AddString(wire.FieldInfo, reason)
	_ = m.sendCluster(msg)
}

// onAck is heartbeat's HBDoMsg_T_ACKMSG: track the lowest ACK over the
// live normal nodes (us included) and free history up to it.
func (m *Master) onAck(ni int, msg *wire.Message) {
	n := &m.nodes[ni]
	to := msg.Value(wire.FieldDest)
	if to == nil || string(to) != m.nodes[m.self].name {
		return
	}
	ackseq, ok := wire.ParseHex(msg.Value(wire.FieldAckSeq))
	if !ok || ackseq == n.ackSeq {
		return
	}
	newAck := m.hist.ackseq
	switch {
	case ackseq <= newAck:
		return // late or duplicate
	case ackseq > m.hist.hiseq:
		m.out.logf(prio.Error, "HBDoMsg_T_ACK: corrupted ackseq current hiseq = %d ackseq =%d in this message", m.hist.hiseq, ackseq)
		return
	case ackseq < n.ackSeq:
		return
	}
	n.ackSeq = ackseq
	if m.lowestAck >= 0 && m.nodes[m.lowestAck].status == StatusDead {
		m.lowestAck = -1 // it will not ACK again
	}
	if m.lowestAck < 0 || m.lowestAck == ni {
		m.lowestAck = -1
		minIdx, minSeq := -1, uint64(0)
		for i := range m.nodes {
			o := &m.nodes[i]
			if o.typ == Ping || o.status == StatusDead {
				continue
			}
			if minIdx == -1 || o.ackSeq < minSeq {
				minIdx, minSeq = i, o.ackSeq
			}
		}
		if minIdx == -1 {
			return
		}
		if m.liveCount() < 2 {
			// Alone: slide the window so history and clients never stall.
			if m.hist.hiseq-newAck >= flowControlLimit {
				newAck = m.hist.hiseq - (flowControlLimit - 1)
			}
			m.updateAck(newAck)
			return
		}
		if minSeq > 0 {
			newAck = minSeq
		}
		m.lowestAck = minIdx
	}
	m.updateAck(newAck)
}

// updateAck is heartbeat's update_ackseq.
func (m *Master) updateAck(ack uint64) {
	if ack <= m.hist.ackseq {
		return
	}
	m.hist.setAck(ack)
	if m.hist.unacked() < flowControlLimit {
		m.paused = false
	}
}

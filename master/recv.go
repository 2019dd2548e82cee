package master

import (
	"bytes"
	"encoding/hex"
	"github.com/hbd-ha/hbd/internal/prio"

	"github.com/hbd-ha/hbd/wire"
)

// action is should_drop_message's verdict.
type action uint8

const (
	drop      action = iota // ignore (old, replayed, or for someone else)
	duplicate               // seen before: refreshes the link only
	keep                    // process it
)

// Receive handles one datagram that arrived on medium (an index into
// Config.Media) at t. b is only read during the call. Malformed,
// forged and unknown-sender packets change nothing but Stats.
func (m *Master) Receive(t Time, medium int, b []byte) {
	if !m.phase.running() {
		return
	}
	m.enter(t)
	m.stats.Received++
	if medium < 0 || medium >= len(m.media) {
		medium = -1
	}
	p := &m.lv[m.depth].pkt
	if err := p.Decode(b); err != nil {
		m.stats.Malformed++
		return
	}
	if err := m.keys.Verify(p); err != nil {
		m.stats.AuthFailed++
		return
	}
	msg := &p.Msg
	if _, ok := msg.Get(wire.FieldCompressedPayload); ok {
		// Whole-message compression: the outer packet is authenticated,
		// the payload is the message (heartbeat does not check it again).
		var err error
		var ok bool
		m.unzb, ok, err = msg.Uncompress(&m.unz, m.unzb[:0])
		if err != nil {
			m.stats.Malformed++
			return
		}
		if ok {
			msg = &m.unz
		}
	}
	m.process(msg, medium, b)
	m.pump()
}

// loopback runs a message we send through our own receive path, as
// heartbeat's process_outbound_packet does before writing it out: it
// advances our own seq tracking, self-ACKs and handles our own status.
func (m *Master) loopback(b []byte) {
	p := &m.lv[m.depth].pkt
	if err := p.Decode(b); err != nil {
		return // we encoded it: cannot happen
	}
	m.process(&p.Msg, -1, b)
}

// ifaceName is the link name heartbeat logs for a medium ("?" for
// loopback).
func (m *Master) ifaceName(medium int) string {
	if medium < 0 {
		return "?"
	}
	return m.media[medium].Name
}

// uuidField returns a 16-byte binary field, or zero.
func uuidField(msg *wire.Message, name string) (u [wire.UUIDLen]byte) {
	if v := msg.Value(name); len(v) == wire.UUIDLen {
		copy(u[:], v)
	}
	return u
}

var nullUUID [wire.UUIDLen]byte

// process is heartbeat's process_clustermsg.
func (m *Master) process(msg *wire.Message, medium int, raw []byte) {
	typ := msg.Type()
	from := msg.Value(wire.FieldSrc)
	tsv := msg.Value(wire.FieldTimestamp)
	if typ == nil || from == nil || tsv == nil {
		m.out.logf(prio.Error, "process_clustermsg: %s: iface %s, from %s", "missing from/ts/type", m.ifaceName(medium), orUnknown(from))
		return
	}
	var seq uint64
	beacon := false
	if cseq := msg.Value(wire.FieldSeq); cseq != nil {
		v, ok := wire.ParseHex(cseq)
		if !ok {
			m.out.logf(prio.Error, "process_clustermsg: %s: iface %s, from %s", "has bad cseq", m.ifaceName(medium), from)
			return
		}
		seq = v
	} else if m.isBeacon(msg, typ, medium, raw) {
		beacon = true
	} else if !wire.IsProtocol(typ) {
		m.out.logf(prio.Error, "process_clustermsg: %s: iface %s, from %s", "missing seqno", m.ifaceName(medium), from)
		return
	}
	msgtime, ok := wire.ParseHex(tsv)
	if !ok || msgtime == 0 {
		return
	}
	uuid := uuidField(msg, wire.FieldSrcUUID)
	ni := m.lookup(from, uuid)
	if ni < 0 {
		m.stats.UnknownSender++
		if ni == -1 {
			m.out.logf(prio.Error, "process_status_message: bad node [%s] in message", from)
		}
		return
	}
	m.nodes[ni].anyPackets = true
	var act action
	if beacon {
		act = m.beaconDrop(ni, msg, uuid)
	} else {
		act = m.shouldDrop(ni, msg, typ, seq, uuid)
	}
	if act == drop {
		return
	}
	if medium >= 0 {
		m.refreshLink(ni, medium)
	}
	if act == duplicate {
		m.stats.Duplicates++
		return
	}
	m.dispatch(ni, msg, typ, seq, msgtime, raw)
	m.checkCommUp()
}

func orUnknown(b []byte) []byte {
	if b == nil {
		return []byte("<?>")
	}
	return b
}

// lookup finds the sender by uuid, then by name (heartbeat's
// lookup_tables). It returns -1 for an unknown sender and -2 for a uuid
// that belongs to another configured node.
func (m *Master) lookup(from []byte, uuid [wire.UUIDLen]byte) int {
	if uuid != nullUUID {
		if i, ok := m.byUUID[uuid]; ok {
			if m.nodes[i].name == string(from) {
				return i
			}
			// Heartbeat would take the packet as node i's and rename
			// node i after the sender; hbd keeps the configured names.
			m.out.logf(prio.Error, "should_drop_message: node [%s] sends the uuid of node [%s]: dropped", from, m.nodes[i].name)
			return -2
		}
	}
	if i, ok := m.byName[string(from)]; ok {
		return i
	}
	return -1
}

// learnUUID is heartbeat's update_tables: remember a node's uuid, or its
// new one.
func (m *Master) learnUUID(ni int, uuid [wire.UUIDLen]byte) {
	n := &m.nodes[ni]
	if uuid == nullUUID || (n.hasUUID && n.uuid == uuid) {
		return
	}
	if n.hasUUID {
		var s [36]byte
		m.out.logf(prio.Info, "node %s changed its uuid to %s", n.name, unparseUUID(s[:0], uuid))
		delete(m.byUUID, n.uuid)
	}
	n.uuid, n.hasUUID = uuid, true
	m.byUUID[uuid] = ni
}

// unparseUUID formats a uuid as libuuid does (lower-case 8-4-4-4-12).
func unparseUUID(dst []byte, u [wire.UUIDLen]byte) []byte {
	for i, c := range u {
		switch i {
		case 4, 6, 8, 10:
			dst = append(dst, '-')
		}
		dst = hex.AppendEncode(dst, []byte{c})
	}
	return dst
}

// shouldDrop is heartbeat's should_drop_message: per-sender sequence and
// generation tracking, for every sequenced packet, including those for
// other nodes.
func (m *Master) shouldDrop(ni int, msg *wire.Message, typ []byte, seq uint64, uuid [wire.UUIDLen]byte) action {
	n := &m.nodes[ni]
	self := m.nodes[m.self].name
	m.learnUUID(ni, uuid)
	to := msg.Value(wire.FieldDest)
	if wire.IsProtocol(typ) {
		if bytes.EqualFold(typ, []byte(typeNakRexmit)) {
			nseq, ok := wire.ParseHex(msg.Value(wire.FieldFirstSeq))
			if !ok || nseq == 0 {
				m.out.log(prio.Error, "should_drop_message: bad nak seq number")
				return drop
			}
			if to == nil {
				m.out.log(prio.Warn, "should_drop_message: tonodename not found heartbeat version not matching?")
			}
			if to == nil || string(to) == self {
				m.out.logf(prio.Error, "%s: node %s seq %d", "Irretrievably lost packet", n.name, nseq)
			}
			m.foundMissing(ni, nseq)
			return drop
		}
		if to == nil || string(to) == self {
			return keep
		}
		return drop
	}
	isStatus := bytes.EqualFold(typ, []byte(typeStatus))
	if seq == 0 {
		m.out.log(prio.Error, "should_drop_message: bad sequence number")
		return drop
	}
	var gen uint64
	if cgen := msg.Value(wire.FieldGeneration); cgen != nil {
		var ok bool
		if gen, ok = wire.ParseHex(cgen); !ok {
			m.out.log(prio.Error, "should_drop_message: bad generation number")
			return drop
		}
	}
	toUs := to == nil || string(to) == self
	if touuid := uuidField(msg, wire.FieldDestUUID); touuid != nullUUID {
		toUs = touuid == m.cfg.UUID
	}
	keepIf := func() action {
		if toUs {
			return keep
		}
		m.stats.NotForUs++
		return drop
	}
	restarted, healed := false, false
	if gen < n.gen {
		m.stats.Replays++
		m.out.logf(prio.Error, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]", n.name, gen, n.gen)
		return drop
	}
	if isStatus {
		switch {
		case gen == n.gen && gen > 0 && n.status == StatusDead:
			if seq <= n.statusSeq {
				return drop // stale
			}
			m.partitionHealed(ni)
			healed = true
		case gen > n.gen:
			restarted = true
			m.nodeRestarted(ni, gen)
		}
		n.gen = gen
	}
	switch {
	case !n.haveSeq && seq <= n.seqFloor && !healed && !restarted:
		// Heartbeat takes any seq as the first one after it forgot a
		// node's sequence (declared dead). A retransmission meant for
		// another node then rewinds it below seqs it already took and
		// ACKed: it asks for them forever, the sender skips requests
		// for ACKed seqs, and neither side ever ACKs again. hbd drops
		// what it has seen in this generation.
		m.stats.Duplicates++
		return drop
	case !n.haveSeq || seq == n.lastSeq+1:
		if !n.haveSeq {
			n.seqGen = gen
		}
		n.lastSeq, n.haveSeq = seq, true
		n.seqFloor = max(n.seqFloor, seq)
		m.ackIfNeeded(ni, seq)
		return keepIf()
	case seq == n.lastSeq:
		// The last seq is missing only when a beacon told of it.
		if n.firstMissing != 0 && m.foundMissing(ni, seq) {
			return keepIf()
		}
		return duplicate
	case seq > n.lastSeq:
		nlost := seq - (n.lastSeq + 1)
		m.out.logf(prio.Warn, "%d lost packet(s) for [%s] [%d:%d]", nlost, n.name, n.lastSeq, seq)
		if nlost > flowControlLimit {
			m.resetSeqTrack(ni)
			n.lastSeq, n.haveSeq, n.seqGen = seq, true, gen
			n.seqFloor = max(n.seqFloor, seq)
			m.out.log(prio.Error, "lost a lot of packets!")
			return keepIf()
		}
		if n.firstMissing == 0 || n.firstMissing > n.lastSeq+1 {
			n.firstMissing = n.lastSeq + 1
		}
		for k := n.lastSeq + 1; k < seq; k++ {
			m.addMissing(ni, k)
		}
		n.lastSeq = seq
		n.seqFloor = max(n.seqFloor, seq)
		return keepIf()
	}
	// Older than the last one: a recorded missing seq, or a duplicate.
	if m.foundMissing(ni, seq) {
		return keepIf()
	}
	if healed || restarted {
		m.ackIfNeeded(ni, seq)
		newts, ok := wire.ParseHex(msg.Value(wire.FieldTimestamp))
		if !ok || newts == 0 {
			m.out.log(prio.Error, "should_drop_message: bad timestamp")
			return drop
		}
		n.rmtTS = newts
		m.resetSeqTrack(ni)
		n.lastSeq, n.haveSeq, n.seqGen = seq, true, gen
		n.seqFloor = max(n.seqFloor, seq)
		return keepIf()
	}
	m.stats.Duplicates++
	return drop
}

// partitionHealed reports a node declared dead whose newer status came
// in the same generation.
func (m *Master) partitionHealed(ni int) {
	n := &m.nodes[ni]
	m.out.logf(prio.Crit, "Cluster node %s returning after partition.", n.name)
	m.out.log(prio.Info, "For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain")
	m.out.log(prio.Warn, "Deadtime value may be too small.")
	m.out.log(prio.Info, "See FAQ for information on tuning deadtime.")
	m.out.log(prio.Info, "URL: http://linux-ha.org/wiki/FAQ#Heavy_Load")
	m.out.event(Event{Kind: EventPartitionHealed, Node: ni, NodeName: n.name})
	if m.upper != nil {
		m.upper.PartitionHealed(ni)
	}
}

// nodeRestarted handles a status of a newer generation gen than node ni's.
func (m *Master) nodeRestarted(ni int, gen uint64) {
	n := &m.nodes[ni]
	if n.gen > 0 {
		m.out.log(prio.Info, "Heartbeat restart on node ", n.name)
		m.out.event(Event{Kind: EventNodeRestart, Node: ni, NodeName: n.name})
	}
	// The seqs taken so far are kept when they came from this
	// very generation: packets that reached us before the
	// node's first status (a repnodes, say). Forgetting them
	// would forget a loss between them and this status, and
	// nobody would ask for the lost packet again (a lost
	// resource message left both nodes waiting for ever).
	if !n.haveSeq || n.seqGen != gen {
		m.resetSeqTrack(ni)
		n.seqFloor = 0
	}
	if m.upper != nil {
		m.upper.NodeRestarted(ni, n.gen == 0)
	}
	n.rmtTS, n.statusSeq, n.beaconSeq = 0, 0, 0
	// Heartbeat zeroes local_lastupdate here, which skips the
	// lateness check of this status (and would get the node
	// declared dead if the status were not for us: not copied).
	n.skipLate = true
}

// dispatch hands a kept message to its handler (heartbeat's
// HBDoMsgCallback) or, for types membership does not consume, to the
// layers above.
func (m *Master) dispatch(ni int, msg *wire.Message, typ []byte, seq, msgtime uint64, raw []byte) {
	switch string(typ) {
	case typeStatus, typePing:
		m.onStatus(ni, msg, seq, msgtime)
	case typeRexmit:
		if ni != m.self {
			m.onRexmit(ni, msg)
		}
	case typeAck:
		if m.flowControl {
			m.onAck(ni, msg)
		}
	case typeReqNodes:
		m.onReqNodes(ni)
	case typeRepNodes:
		m.onRepNodes(ni, msg)
	default:
		if !wire.IsProtocol(typ) {
			claimed := m.upper != nil && m.upper.Claims(typ)
			m.out.message(ni, m.nodes[ni].name, raw, claimed)
			if claimed {
				m.upper.Message(ni, msg, typ, seq)
			}
		}
	}
}

// onStatus is heartbeat's HBDoMsg_T_STATUS, for status and NS_st.
func (m *Master) onStatus(ni int, msg *wire.Message, seq, msgtime uint64) {
	n := &m.nodes[ni]
	st := msg.Value(wire.FieldStatus)
	if st == nil {
		m.out.log(prio.Error, "HBDoMsg_T_STATUS: status update without st field")
		return
	}
	if msgtime < n.rmtTS && seq < n.statusSeq {
		return // we already have a newer one
	}
	if n.typ != Ping && m.flowControl && msg.Value(wire.FieldProtocol) == nil {
		m.out.log(prio.Info, "flow control disabled due to different version heartbeat")
		m.flowControl = false
		m.paused = false
		m.out.event(Event{Kind: EventFlowControlOff, Node: ni, NodeName: n.name})
	}
	if !n.skipLate {
		iv := m.now - n.lastStatus
		m.observeHeartbeat(ni, iv)
		switch classifyInterval(iv, m.warntime, m.deadtime) {
		case tooLate:
			m.out.logf(prio.Crit, "Late heartbeat: Node %s: interval %d ms (> deadtime)", n.name, durationMs(iv))
			if ni != m.self {
				m.markDead(ni)
			}
		case late:
			m.out.logf(prio.Warn, "Late heartbeat: Node %s: interval %d ms", n.name, durationMs(iv))
		}
	}
	n.skipLate = false
	if ni != m.self && !bytes.EqualFold([]byte(n.status), st) {
		m.out.logf(prio.Info, "Status update for node %s: status %s", n.name, st)
		old := n.status
		n.status = intern(st)
		m.out.event(Event{Kind: EventNodeStatus, Node: ni, NodeName: n.name, Old: old, New: n.status})
	}
	if dt := msg.Value(wire.FieldDeadtime); dt != nil {
		if v, ok := wire.ParseHex(dt); ok && v <= uint64(maxTime/msec) {
			m.setOwnDead(ni, int64(v)*msec)
		}
	}
	n.rmtTS, n.lastStatus, n.statusSeq = msgtime, m.now, seq
	m.noteNative(ni, msg)
	m.armNode(ni)
}

// observeHeartbeat reports a peer's status interval to Config.OnHeartbeat.
// The first status since start, restart or death (rmtTS is zero) has no
// previous one to measure from, and a dead node had no deadline left.
func (m *Master) observeHeartbeat(ni int, iv int64) {
	n := &m.nodes[ni]
	if m.cfg.OnHeartbeat == nil || ni == m.self || n.rmtTS == 0 || n.status == StatusDead {
		return
	}
	m.cfg.OnHeartbeat(ni, iv, m.nodeDead(ni))
}

// setOwnDead sets a node's own dead interval (its advertised dt).
func (m *Master) setOwnDead(ni int, d int64) {
	n := &m.nodes[ni]
	if n.ownDead == d {
		return
	}
	oldLink := m.linkDead()
	n.ownDead = d
	if m.linkDead() < oldLink {
		m.rearmLinks()
	}
}

// nodeDead is node i's dead interval now.
func (m *Master) nodeDead(i int) int64 {
	return nodeDeadInterval(m.phase.linksUp(), m.initdead, m.nodes[i].ownDead)
}

// linkDead is the dead interval of every link: heartbeat's timeout scan
// uses the value it computed for the last node in the config.
func (m *Master) linkDead() int64 { return m.nodeDead(len(m.nodes) - 1) }

// armNode queues node i's dead timer at its deadline. A heartbeat moves
// it later (a heap fix, O(log timers)), so a live peer's timer never
// fires: a lazy timer that only moved earlier fired once a dead interval
// per peer to re-arm itself, a wake-up of its own for a node whose
// beacons are read at its own send ticks (measured at 12 ms / 36 ms: 31
// of 119 wake-ups a second).
func (m *Master) armNode(i int) {
	n := &m.nodes[i]
	if i == m.self || n.status == StatusDead || !m.phase.running() {
		m.tq.Stop(n.timer)
		return
	}
	m.tq.Set(n.timer, deadline(n.lastStatus, m.nodeDead(i)))
}

// rearmNodes re-arms every node after the dead intervals changed.
func (m *Master) rearmNodes() {
	for i := range m.nodes {
		m.armNode(i)
	}
}

func (m *Master) rearmLinks() {
	for i := range m.nodes {
		for j := range m.nodes[i].links {
			m.armLink(i, j)
		}
	}
}

// checkNode runs when node i's timer fires: dead at or after the
// deadline, never before; otherwise the timer moves to the deadline.
func (m *Master) checkNode(i int) {
	n := &m.nodes[i]
	if i == m.self || n.status == StatusDead {
		return
	}
	d := deadline(n.lastStatus, m.nodeDead(i))
	if m.now >= d {
		m.markDead(i)
		return
	}
	m.tq.Set(n.timer, d)
}

// markDead is heartbeat's mark_node_dead.
func (m *Master) markDead(i int) {
	n := &m.nodes[i]
	m.out.logf(prio.Warn, "node %s: is dead", n.name)
	wasDead := n.status == StatusDead
	if n.status != StatusDead {
		old := n.status
		n.status = StatusDead
		m.out.event(Event{Kind: EventNodeStatus, Node: i, NodeName: n.name, Old: old, New: StatusDead})
	}
	if !wasDead && m.upper != nil {
		m.upper.NodeDead(i, n.anyPackets)
	}
	n.rmtTS = 0
	n.anyPackets = false
	m.resetSeqTrack(i)
	m.tq.Stop(n.timer)
}

// refreshLink marks the link medium maps to for node ni as heard now.
func (m *Master) refreshLink(ni, medium int) {
	n := &m.nodes[ni]
	j := -1
	switch {
	case n.typ == Ping:
		if len(n.links) == 1 && n.links[0].name == m.media[medium].Name {
			j = 0
		}
	default:
		j = m.mediumLink[medium]
	}
	if j < 0 {
		return
	}
	l := &n.links[j]
	l.last = m.now
	if !l.up {
		l.up = true
		m.out.log(prio.Info, "Link ", n.name, ":", l.name, " up.")
		m.out.event(Event{Kind: EventLinkStatus, Node: ni, NodeName: n.name, Link: l.name, LinkUp: true})
	}
	m.armLink(ni, j)
}

// armLink is armNode for a link. Our own links never time out.
func (m *Master) armLink(i, j int) {
	l := &m.nodes[i].links[j]
	if i == m.self || !l.up || !m.phase.running() {
		m.tq.Stop(l.timer)
		return
	}
	m.tq.Set(l.timer, deadline(l.last, m.linkDead()))
}

func (m *Master) checkLink(i, j int) {
	n := &m.nodes[i]
	l := &n.links[j]
	if i == m.self || !l.up {
		return
	}
	d := deadline(l.last, m.linkDead())
	if m.now < d {
		m.tq.Set(l.timer, d)
		return
	}
	l.up = false
	m.out.log(prio.Info, "Link ", n.name, ":", l.name, " dead.")
	m.out.event(Event{Kind: EventLinkStatus, Node: i, NodeName: n.name, Link: l.name, LinkUp: false})
}

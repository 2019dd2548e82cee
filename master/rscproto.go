package master

import (
	"bytes"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Resource-protocol message types and fields (heartbeat 3.0.6, wire spec §4.11).
const (
	typeStarting      = "starting"
	typeResource      = "resource"
	typeAskResources  = "ask_resources"
	typeShutdone      = "shutdone"
	typeHbTakeover    = "hb_takeover"
	typeIPRequest     = "ip-request"
	typeIPRequestResp = "ip-request-resp"
	typeStonith       = "stonith"

	fieldRscHold  = "rsc_hold"
	fieldRType    = "rtype"
	fieldIsStable = "isstable"
	fieldIPAddr   = "ipaddr"
	fieldWeOwn    = "weown"
	fieldOK       = "ok"
	fieldNode     = "node"
	fieldResult   = "result"
)

// rscClaims reports whether the resource layer consumes messages of typ.
func (m *Master) rscClaims(typ []byte) bool {
	if !m.rsc.on {
		return false
	}
	switch string(typ) {
	case typeStarting, typeResource, typeAskResources, typeShutdone, typeHbTakeover,
		typeIPRequest, typeIPRequestResp, typeStonith:
		return true
	}
	return false
}

// rscMessage handles a resource-protocol message from node ni with
// sequence number seq. Heartbeat registers these handlers at comm-up
// (shutdone: always), so earlier ones are ignored.
func (m *Master) rscMessage(ni int, msg *wire.Message, typ []byte, seq uint64) {
	if m.restarting {
		return // left to the new process, which hears the peers again
	}
	if string(typ) == typeShutdone {
		m.onShutdone(ni)
		return
	}
	if m.phase != phaseActive {
		return
	}
	switch string(typ) {
	case typeStarting:
		if m.staleState(ni, seq) {
			// The peer is past its start: answer it (it may still wait
			// for our reply) but keep what its newer messages said.
			m.out.logf(prio.Debug, "Stale starting message from %s (seq %d): answering only", m.nodes[ni].name, seq)
			if ni != m.self && m.rsc.nice {
				m.sendHeld(m.rsc.state == rStable, "")
			}
			return
		}
		if ni != m.self {
			m.onStarting(ni)
		}
	case typeResource:
		if m.staleState(ni, seq) {
			m.out.logf(prio.Debug, "Stale resource message from %s (seq %d): ignored", m.nodes[ni].name, seq)
			if ni != m.self {
				m.rsc.peerReplied[ni] = true
			}
			return
		}
		m.onResource(ni, msg)
	case typeAskResources:
		m.onAskResources(ni, msg)
	case typeHbTakeover:
		m.onHbTakeover(ni, msg)
	case typeIPRequest:
		m.onIPRequest(ni, msg)
	case typeIPRequestResp:
		m.onIPRequestResp(ni, msg)
	}
}

// seqMark is a message's place in its sender's stream.
type seqMark struct{ gen, seq uint64 }

// staleState reports whether a "starting" or "resource" message (seq) from
// node ni is older than one already taken from it, and otherwise records
// it as the newest. Heartbeat takes a retransmitted message whenever it
// arrives, so under loss a node's earlier "isstable=0" could land after
// its later "isstable=1" and leave us waiting for ever for a peer that is
// long stable (a shutdown then never starts). Each such message states
// the sender's whole resource state, so the newest one wins.
func (m *Master) staleState(ni int, seq uint64) bool {
	mark := &m.rsc.newest[ni]
	gen := m.nodes[ni].gen
	if mark.gen == gen && seq < mark.seq {
		return true
	}
	*mark = seqMark{gen, seq}
	return false
}

// rscCommUp is heartbeat's comm_up_resource_action.
func (m *Master) rscCommUp() {
	r := &m.rsc
	if !r.on {
		return
	}
	dead := 0
	for i := range m.nodes {
		if m.nodes[i].typ == Normal && m.nodes[i].status == StatusDead {
			dead++
		}
	}
	if dead == 0 {
		r.foreignDone = true
	}
	if r.nice {
		msg := m.msg()
		msg.AddString(wire.FieldType, typeStarting)
		_ = m.sendCluster(msg)
		r.state = rStarting
	}
	switch {
	case m.cfg.Restart != nil:
		m.restartCommUp()
	case !r.nice:
		m.reqOurResources(false)
	}
	if r.delayedComm {
		r.delayedComm = false
		m.initiateShutdown()
	}
}

// sendHeld is heartbeat's hb_send_resources_held, plus hbd_groups.
func (m *Master) sendHeld(stable bool, comment string) {
	r := &m.rsc
	if !r.nice {
		return
	}
	msg := m.msg()
	msg.AddString(wire.FieldType, typeResource)
	msg.AddString(fieldRscHold, holdNames[r.iHold&holdAll])
	msg.AddString(fieldRType, "full")
	st := "0"
	if stable {
		st = "1"
	}
	msg.AddString(fieldIsStable, st)
	if comment != "" {
		msg.AddString(wire.FieldInfo, comment)
	}
	m.addGroups(msg)
	_ = m.sendCluster(msg)
}

func (m *Master) addGroups(msg *wire.Message) {
	m.rsc.groupBuf = m.appendGroups(m.rsc.groupBuf[:0])
	msg.Add(hbdGroupsField, wire.String, m.rsc.groupBuf)
}

// onStarting is the "starting" half of heartbeat's process_resources.
func (m *Master) onStarting(ni int) {
	r := &m.rsc
	if !r.nice {
		return
	}
	r.peerStable[ni] = false
	clear(r.peerGroups[ni])
	newState := r.state
	switch r.state {
	case rRscRcvd, rStable, rShutdown:
	case rStarting:
		r.peerStarting[ni] = true
		newState = rBothStarting
		r.foreignDone = true
		m.announce("HB_R_BOTHSTARTING")
	case rBothStarting:
		if m.normalNodes() > 2 {
			// Several peers starting with us: heartbeat, built for two,
			// would refuse the second; hbd answers each.
			r.peerStarting[ni] = true
			break
		}
		fallthrough
	default:
		m.out.logf(prio.Error, "Received '%s' message in state %d", typeStarting, r.state)
		return
	}
	r.otherStable = false
	if r.takeover {
		m.out.log(prio.Warn, "T_STARTING received during takeover.")
	}
	m.sendHeld(r.state == rStable, "")
	r.state = newState
	m.afterResourceState()
}

// onResource is the "resource" half of heartbeat's process_resources.
func (m *Master) onResource(ni int, msg *wire.Message) {
	r := &m.rsc
	if !r.nice {
		return
	}
	p := msg.Value(fieldRscHold)
	if p == nil {
		m.out.log(prio.Error, "resource message without rsc_hold field.")
		return
	}
	n, ok := parseHold(p)
	if !ok {
		m.out.logf(prio.Error, "encode_resources: bad resource type [%s]", p)
	}
	full := string(msg.Value(fieldRType)) == "full"
	newState := r.state
	switch r.state {
	case rBothStarting, rStarting:
		newState = rRscRcvd
		if !r.auto {
			r.foreignDone = true
			m.announce("T_RESOURCES")
		}
	case rRscRcvd, rStable, rShutdown:
	default:
		m.out.logf(prio.Error, "resource message received in state %d", r.state)
		return
	}
	if ni != m.self {
		r.otherHolds = updHold(full, r.otherHolds, n)
		r.peerReplied[ni] = true
		m.learnGroups(ni, msg, n)
		if msg.Value(hbdFailbackField) != nil {
			m.onFailbackMany(ni, msg)
		}
		if f := msg.Value(fieldIsStable); f != nil {
			r.peerStable[ni] = string(f) == "1"
			r.sweep = true
			if string(f) == "1" {
				if !r.otherStable {
					m.out.log(prio.Info, "remote resource transition completed.")
					r.otherStable = true
					m.sendHeld(r.state == rStable, "")
					m.autoFailback()
				} else if r.needFailback && m.normalNodes() > 2 {
					m.autoFailback()
				}
			} else {
				r.otherStable = false
			}
		}
		if r.state != rStable && r.state != rShutdown && r.otherStable && m.allReplied() {
			m.out.log(prio.Info, "remote resource transition completed.")
			m.reqOurResources(false)
			newState = rStable
			m.sendHeld(true, "")
			m.autoFailback()
			r.foreignDone = true
			if !r.auto && r.otherHolds&holdForeign != 0 {
				r.localDone = true
			}
			m.announce("T_RESOURCES(them)")
		}
	} else {
		r.iHold = updHold(full, r.iHold, n)
		if r.iHold&holdLocal != 0 {
			r.localDone = true
			m.announce("T_RESOURCES(us)")
		}
		switch string(msg.Value(wire.FieldInfo)) {
		case "mach_down":
			m.out.log(prio.Info, "mach_down takeover complete.")
			r.takeover = false
			r.iHold |= holdForeign
			r.needFailback = true
			r.otherStable = true
			r.foreignDone = true
			m.announce("mach_down")
		case "shutdown":
			newState = rShutdown
			r.state = rShutdown
		}
	}
	r.state = newState
	m.afterResourceState()
}

// afterResourceState ends process_resources: arm the breaker once, audit.
func (m *Master) afterResourceState() {
	r := &m.rsc
	if r.state == rRscRcvd && !r.breakerSet {
		r.breakerSet = true
		// Heartbeat acts when now > local_takeover_time.
		m.setRscTimer(rtBreaker, m.now+rqstDelay+1)
	}
	m.audit()
}

// updHold is heartbeat's HB_UPD_RSC.
func updHold(full bool, cur, up uint8) uint8 {
	switch {
	case full:
		return up
	case up == holdNone:
		return holdNone
	}
	return up | cur
}

// learnGroups records which groups peer ni holds: hbd_groups when it
// sends it, else what its 2-bit rsc_hold can say.
func (m *Master) learnGroups(ni int, msg *wire.Message, hold uint8) {
	r := &m.rsc
	g := r.peerGroups[ni]
	if v, ok := msg.Get(hbdGroupsField); ok {
		r.peerKnows[ni] = true
		clear(g)
		for key := range bytes.FieldsSeq(v.Value) {
			if k := m.groupIndex(string(key)); k >= 0 {
				g[k] = true
			}
		}
		return
	}
	if r.peerKnows[ni] {
		return
	}
	for k := range g {
		own := m.groupOf(k, ni)
		g[k] = (own && hold&holdLocal != 0) || (!own && hold&holdForeign != 0)
	}
}

// onShutdone is heartbeat's HBDoMsg_T_SHUTDONE.
func (m *Master) onShutdone(ni int) {
	r := &m.rsc
	if !r.on {
		return
	}
	if ni == m.self {
		if r.nice {
			r.state = rShutdown
			r.iHold = holdNone
		}
		// Heartbeat stops a second after its own shutdone; a peer that
		// missed it can still ask for its retransmission meanwhile.
		m.setRscTimer(rtStop, m.now+stopAfterShutdone)
		return
	}
	if m.normalNodes() > 2 {
		r.gaveUp[ni] = true
		clear(r.peerGroups[ni])
		m.out.logf(prio.Info, "Received shutdown notice from '%s'.", m.nodes[ni].name)
		r.otherStable = true
		if r.shutting {
			m.out.log(prio.Info, "Resource takeover cancelled - shutdown in progress.")
			return
		}
		m.takeOrphans(ni)
		return
	}
	if r.nice && m.phase.linksUp() {
		r.otherStable = true
		r.otherHolds = holdNone
		if r.iHold != holdAll && !r.shutting {
			rtype := holdAll
			switch r.iHold {
			case holdForeign:
				rtype = holdLocal
			case holdLocal:
				rtype = holdForeign
			}
			r.sb = sbDone
			m.goStandby(sbOther, rtype)
		}
	}
	r.gaveUp[ni] = true
	clear(r.peerGroups[ni])
	r.otherStable = false
	r.otherHolds = holdNone
	if r.shutting {
		// A peer that sent shutdone holds nothing and will do nothing
		// more. Heartbeat leaves other_is_stable clear here, and its own
		// delayed shutdown then waits for the 60-minute emergency timer
		// (both nodes stopped at once while one was still settling).
		r.otherStable = true
	}
	m.out.logf(prio.Info, "Received shutdown notice from '%s'.", m.nodes[ni].name)
	m.takeoverFrom(ni)
}

// rscNodeDead is heartbeat's hb_rsc_recover_dead_resources, for node i
// just declared dead; heard says whether anything came from it since it
// started (anypacketsyet).
func (m *Master) rscNodeDead(i int, heard bool) {
	r := &m.rsc
	if !r.on || i == m.self || m.nodes[i].typ != Normal || m.restarting {
		return
	}
	if r.sb != sbNot {
		m.out.log(prio.Info, "Cancelling pending standby operation")
		r.sb = sbNot
		r.sbRunning = false
		m.stopRscTimer(rtStandby)
		if !r.otherStable && r.iHold == holdAll {
			r.otherStable = true
		}
	}
	if r.shutting {
		r.otherStable = true // a dead node does nothing more (see onShutdone)
		switch r.state {
		case rShutdown, rStable:
		default:
			m.giveUp()
		}
		return
	}
	r.needFailback = true
	needStonith := true
	if heard {
		if r.nice {
			needStonith = r.otherHolds != holdNone
		} else {
			needStonith = !r.gaveUp[i]
		}
	}
	if m.normalNodes() > 2 {
		m.deadOfMany(i, needStonith)
		return
	}
	clear(r.peerGroups[i])
	if needStonith {
		if r.stonith {
			m.startFence(i)
			return
		}
		m.noStonith(i)
		m.takeoverFrom(i)
		return
	}
	m.out.logf(prio.Info, "Dead node %s gave up resources.", m.nodes[i].name)
	m.sendStonith(i, "unneeded")
	if !r.nice {
		m.takeoverFrom(i)
		return
	}
	if r.iHold == holdAll {
		r.otherStable = true
		return
	}
	if r.iHold&holdLocal == 0 {
		m.reqOurResources(true)
	}
	if r.iHold&holdForeign == 0 {
		m.takeoverFrom(i)
	}
}

// sendStonith is heartbeat's send_stonith_msg.
func (m *Master) sendStonith(i int, result string) {
	msg := m.msg()
	msg.AddString(wire.FieldType, typeStonith)
	msg.AddString(fieldNode, m.nodes[i].name)
	msg.AddString(fieldResult, result)
	_ = m.sendCluster(msg)
}

// takeoverFrom is heartbeat's takeover_from_node and the mach_down
// script it triggers (through rc.d/status).
func (m *Master) takeoverFrom(i int) {
	r := &m.rsc
	if r.shutting {
		m.out.log(prio.Info, "Resource takeover cancelled - shutdown in progress.")
		return
	}
	name := m.nodes[i].name
	m.out.logf(prio.Info, "Resources being acquired from %s.", name)
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		if m.groupOf(k, i) && !r.want[k] {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	m.machDown(i, keys)
	if r.nice {
		r.iHold |= holdForeign
		r.otherHolds = holdNone
		r.otherStable = true
		r.takeover = true
	}
	m.reqOurResources(true)
}

// machDown queues the mach_down script's work: take keys from node i,
// then (nice) tell everyone.
func (m *Master) machDown(i int, keys []string) {
	r := &m.rsc
	name := m.nodes[i].name
	for _, key := range keys {
		m.out.logf(prio.Info, "Taking over resource group %s", key)
	}
	m.queueJob(ActionTake, keys, "mach_down", func([]string) {
		// The script logs its last line after sending; our own copy of
		// the message is processed at once, so log it first.
		if r.nice {
			m.out.log(prio.Info, "/usr/share/heartbeat/mach_down: nice_failback: foreign resources acquired")
		}
		m.out.logf(prio.Info, "mach_down takeover complete for node %s.", name)
		if r.nice {
			msg := m.msg()
			msg.AddString(wire.FieldType, typeResource)
			msg.AddString(fieldRscHold, holdNames[holdForeign])
			msg.AddString(wire.FieldInfo, "mach_down")
			m.addGroups(msg)
			_ = m.sendCluster(msg)
		}
		if !r.nice {
			r.foreignDone = true
			m.announce("status")
		}
	})
}

// reqOurResources is heartbeat's req_our_resources and the req_resource
// script it runs for each local group.
func (m *Master) reqOurResources(getAnyway bool) {
	r := &m.rsc
	if !r.on || r.shutting {
		return
	}
	if r.nice {
		if (m.othersHoldOurs() || r.iHold&holdLocal != 0) && !getAnyway && r.sb == sbNot {
			m.out.log(prio.Info, "Local Resource acquisition completed. (none)")
			return
		}
		r.iHold |= holdLocal
		// From now on rsc_hold says local: hbd_groups must say which
		// (until the ip-request-resp below queues their start), or a
		// peer sweeping for orphans sees them unheld.
		r.claimLocal = true
	}
	// Heartbeat counts the nodes whose status is active (a peer still
	// starting holds nothing and would not answer). A peer heard from
	// whose first status has not arrived yet (comm-up came from another
	// of its packets) may be an active holder: hbd counts it too.
	up := 1
	for i := range m.nodes {
		n := &m.nodes[i]
		if i != m.self && n.typ == Normal && (n.status == StatusActive || (n.status == StatusInit && n.anyPackets)) {
			up++
		}
	}
	alone := up < 2
	m.queueJob(ActionTake, nil, "req_our_resources", func([]string) {
		have := false
		for k, g := range r.groups {
			if !m.groupOf(k, m.self) {
				continue
			}
			have = true
			if r.want[k] || m.heldByPeer(k) || (m.normalNodes() > 2 && m.heldByLive(k)) {
				continue // ResourceManager status: ours already
			}
			msg := m.msg()
			if alone || r.nice {
				// Pretend the current owner gave it up peacefully.
				msg.AddString(wire.FieldType, typeIPRequestResp)
				msg.AddString(wire.FieldDest, m.nodes[m.self].name)
				msg.AddString(fieldIPAddr, g.Key)
				msg.AddString(fieldWeOwn, "yes")
				msg.AddString(fieldOK, "OK")
			} else {
				msg.AddString(wire.FieldType, typeIPRequest)
				msg.AddString(fieldIPAddr, g.Key)
			}
			_ = m.sendCluster(msg)
		}
		r.claimLocal = false
		if !have {
			m.out.logf(prio.Info, "No local resources [/usr/share/heartbeat/ResourceManager listkeys %s] to acquire.", m.nodes[m.self].name)
		} else {
			m.out.log(prio.Info, "Local Resource acquisition completed.")
		}
		m.sendHeld(true, "req_our_resources()")
		if alone {
			r.localDone = true
			m.announce("req_our_resources")
		}
	})
}

// allReplied reports whether every live peer has told us what it holds
// since it started: always true with two nodes (the one reply is it); in
// larger clusters a node acquires nothing on one peer's word.
func (m *Master) allReplied() bool {
	if m.normalNodes() <= 2 {
		return true
	}
	for j := range m.nodes {
		if j != m.self && m.liveHolder(j) && !m.rsc.peerReplied[j] {
			return false
		}
	}
	return true
}

// othersHoldOurs is heartbeat's "other_holds_resources & HB_FOREIGN_RSC",
// per group when every live peer says which groups it holds.
func (m *Master) othersHoldOurs() bool {
	r := &m.rsc
	if !m.peersKnown() {
		return r.otherHolds&holdForeign != 0
	}
	for k := range r.groups {
		if m.groupOf(k, m.self) && m.heldByPeer(k) {
			return true
		}
	}
	return false
}

// peersKnown reports whether every live normal peer sent hbd_groups.
func (m *Master) peersKnown() bool {
	for i := range m.nodes {
		n := &m.nodes[i]
		if i != m.self && n.typ == Normal && n.status != StatusDead && n.anyPackets && !m.rsc.peerKnows[i] {
			return false
		}
	}
	return true
}

// heldByPeer reports whether a live peer that sends hbd_groups holds
// group k (hbd's per-group view; heartbeat peers do not say).
func (m *Master) heldByPeer(k int) bool {
	for i := range m.nodes {
		n := &m.nodes[i]
		if i != m.self && n.typ == Normal && n.status != StatusDead && m.rsc.peerKnows[i] && m.rsc.peerGroups[i][k] {
			return true
		}
	}
	return false
}

func (m *Master) normalNodes() int {
	c := 0
	for i := range m.nodes {
		if m.nodes[i].typ == Normal {
			c++
		}
	}
	return c
}

// onIPRequest is rc.d/ip-request: a peer asks for a group; the holder
// releases it first, then answers.
func (m *Master) onIPRequest(ni int, msg *wire.Message) {
	if ni == m.self {
		return
	}
	v := msg.Value(fieldIPAddr)
	if len(v) == 0 {
		return
	}
	key := string(v)
	r := &m.rsc
	k := m.groupIndex(key)
	own := k >= 0 && r.want[k]
	var keys []string
	if own {
		keys = []string{key}
	}
	to := m.nodes[ni].name
	m.queueJob(ActionGive, keys, "ip-request", func([]string) {
		weown := "no"
		if own {
			weown = "yes"
		}
		out := m.msg()
		out.AddString(wire.FieldType, typeIPRequestResp)
		out.AddString(wire.FieldDest, to)
		out.AddString(fieldIPAddr, key)
		out.AddString(fieldWeOwn, weown)
		out.AddString(fieldOK, "OK")
		_ = m.sendCluster(out)
	})
}

// onIPRequestResp is rc.d/ip-request-resp: the holder let go (or we
// pretend it did); take the group.
func (m *Master) onIPRequestResp(ni int, msg *wire.Message) {
	r := &m.rsc
	if r.shutting {
		return
	}
	if string(msg.Value(wire.FieldDest)) != m.nodes[m.self].name {
		return
	}
	key := string(msg.Value(fieldIPAddr))
	if key == "" {
		return
	}
	ok := msg.Value(fieldOK)
	m.out.logf(prio.Info, "received ip-request-resp %s %s %s", key, ok, msg.Value(fieldWeOwn))
	if string(ok) != "OK" {
		return
	}
	k := m.groupIndex(key)
	if k < 0 {
		m.out.logf(prio.Error, "ip-request-resp: no resource group %s", key)
		return
	}
	var keys []string
	if !r.want[k] {
		keys = []string{key}
	}
	m.queueJob(ActionTake, keys, "ip-request-resp", func([]string) {
		r.localDone = true
		m.announce("ip-request-resp")
	})
}

// deadOfMany handles a death in a cluster of three or more nodes, where
// heartbeat would have every survivor take the dead node's groups. hbd
// picks one: the first live normal node in ha.cf order takes every group
// that no live node holds (as far as the resource messages told us).
// Every survivor computes the same choice from the same membership.
func (m *Master) deadOfMany(i int, needStonith bool) {
	r := &m.rsc
	clear(r.peerGroups[i])
	r.peerStable[i] = false
	r.sweep = true
	if m.phase != phaseActive && m.livePeers() > 0 {
		// Declared dead at initdead: the live peers, who know what
		// everyone holds, took its groups long ago; anything left is
		// found by the orphan sweep once the holdings are known.
		return
	}
	chosen := -1
	for j := range m.nodes {
		if j == m.self || m.liveHolder(j) {
			chosen = j
			break
		}
	}
	name := m.nodes[i].name
	if chosen != m.self {
		m.out.logf(prio.Info, "Resources of %s are taken over by %s.", name, m.nodes[chosen].name)
		return
	}
	if needStonith {
		if r.stonith {
			m.startFence(i)
			return
		}
		m.noStonith(i)
	} else {
		m.out.logf(prio.Info, "Dead node %s gave up resources.", name)
		m.sendStonith(i, "unneeded")
	}
	m.takeOrphans(i)
}

// orphanSweep (3+ nodes, nice): once every live peer reported itself
// stable, the first live node takes any group nobody holds (a node that
// never came up, a death declared before the holdings were known).
func (m *Master) orphanSweep() {
	r := &m.rsc
	if r.shutting {
		r.sweep = false
		return
	}
	// Legacy nodes keep no resource state: idle is all they can say.
	if m.phase != phaseActive || (r.nice && (r.state != rStable || r.sb != sbNot)) || len(r.jobs) > 0 {
		return // again after the next input
	}
	for j := range m.nodes {
		if j == m.self || !m.liveHolder(j) {
			continue
		}
		if j < m.self {
			r.sweep = false // not ours to do
			return
		}
		if !r.nice {
			// Legacy peers never say what they hold: only a node
			// alone may take what is left.
			r.sweep = false
			return
		}
		if !r.peerStable[j] {
			return // someone still in transition
		}
	}
	r.sweep = false
	m.takeUnheld()
}

// takeUnheld takes every group that no live node holds.
func (m *Master) takeUnheld() {
	r := &m.rsc
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		if !r.want[k] && !m.heldByLive(k) {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	if len(keys) == 0 {
		return
	}
	m.out.log(prio.Info, "Taking over orphaned resource groups.")
	for _, key := range keys {
		m.out.logf(prio.Info, "Taking over resource group %s", key)
	}
	if r.nice {
		r.iHold |= holdForeign
	}
	m.queueJob(ActionTake, keys, "orphans", func([]string) {
		r.iHold |= m.wantedHold()
		r.otherStable = true
		m.sendHeld(true, "")
	})
}

// takeOrphans: if we are the first live normal node, say so and let the
// orphan sweep take what node i held once every live node is stable
// (a peer still starting may be about to take its own groups).
func (m *Master) takeOrphans(i int) {
	for j := range m.nodes {
		n := &m.nodes[j]
		if j != i && (j == m.self || m.liveHolder(j)) {
			if j != m.self {
				m.out.logf(prio.Info, "Resources of %s are taken over by %s.", m.nodes[i].name, n.name)
				return
			}
			break
		}
	}
	m.out.logf(prio.Info, "Resources being acquired from %s.", m.nodes[i].name)
	if !m.rsc.nice {
		// Legacy peers keep no state to wait for: take what is left.
		m.takeUnheld()
		return
	}
	m.rsc.sweep = true
}

// liveHolder reports whether peer j may hold groups: a normal node heard
// from and not dead, that has not announced its shutdown (shutdone).
func (m *Master) liveHolder(j int) bool {
	n := &m.nodes[j]
	// A peer heard from whose first status has not arrived is still init.
	return n.typ == Normal && n.status != StatusDead && n.status != StatusPing &&
		(n.status != StatusInit || n.anyPackets) && !m.rsc.gaveUp[j]
}

// heldByLive reports whether a live peer holds group k, by hbd_groups, by
// what its rsc_hold implies, or (a peer that never sent a resource
// message: legacy mode) because it is the group's preferred node.
func (m *Master) heldByLive(k int) bool {
	r := &m.rsc
	for j := range m.nodes {
		if j == m.self || !m.liveHolder(j) {
			continue
		}
		if r.peerGroups[j][k] || (!r.peerKnows[j] && !r.peerReplied[j] && r.owner[k] == j) {
			return true
		}
	}
	return false
}

// wantedHold is the 2-bit set of the groups we hold or are taking.
func (m *Master) wantedHold() uint8 {
	var h uint8
	for k := range m.rsc.groups {
		if m.rsc.want[k] {
			if m.groupOf(k, m.self) {
				h |= holdLocal
			} else {
				h |= holdForeign
			}
		}
	}
	return h
}

package own

import (
	"bytes"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
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
func (o *Own) rscClaims(typ []byte) bool {
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
func (o *Own) rscMessage(ni int, msg *wire.Message, typ []byte, seq uint64) {
	if o.lower.Restarting() {
		return // left to the new process, which hears the peers again
	}
	if string(typ) == typeShutdone {
		o.onShutdone(ni)
		return
	}
	if !o.lower.CommUp() {
		return
	}
	switch string(typ) {
	case typeStarting:
		if o.staleState(ni, seq) {
			// The peer is past its start: answer it (it may still wait
			// for our reply) but keep what its newer messages said.
			o.out.logf(prio.Debug, "Stale starting message from %s (seq %d): answering only", o.name(ni), seq)
			if ni != o.self && o.rsc.nice {
				o.sendHeld(o.rsc.state == rStable, "")
			}
			return
		}
		if ni != o.self {
			o.onStarting(ni)
		}
	case typeResource:
		if o.staleState(ni, seq) {
			o.out.logf(prio.Debug, "Stale resource message from %s (seq %d): ignored", o.name(ni), seq)
			if ni != o.self {
				o.rsc.peerReplied[ni] = true
			}
			return
		}
		o.onResource(ni, msg)
	case typeAskResources:
		o.onAskResources(ni, msg)
	case typeHbTakeover:
		o.onHbTakeover(ni, msg)
	case typeIPRequest:
		o.onIPRequest(ni, msg)
	case typeIPRequestResp:
		o.onIPRequestResp(ni, msg)
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
func (o *Own) staleState(ni int, seq uint64) bool {
	mark := &o.rsc.newest[ni]
	gen := o.lower.Generation(ni)
	if mark.gen == gen && seq < mark.seq {
		return true
	}
	*mark = seqMark{gen, seq}
	return false
}

// rscCommUp is heartbeat's comm_up_resource_action.
func (o *Own) rscCommUp() {
	r := &o.rsc
	dead := 0
	for i := range o.n {
		if o.lower.NodeType(i) == master.Normal && o.lower.NodeStatus(i) == master.StatusDead {
			dead++
		}
	}
	if dead == 0 {
		r.foreignDone = true
	}
	if r.nice {
		msg := o.lower.Msg()
		msg.AddString(wire.FieldType, typeStarting)
		_ = o.lower.SendCluster(msg)
		r.state = rStarting
	}
	switch {
	case o.cfg.Restart != nil:
		o.restartCommUp()
	case !r.nice:
		o.reqOurResources(false)
	}
	if r.delayedComm {
		r.delayedComm = false
		o.initiateShutdown()
	}
}

// sendHeld is heartbeat's hb_send_resources_held, plus hbd_groups.
func (o *Own) sendHeld(stable bool, comment string) {
	r := &o.rsc
	if !r.nice {
		return
	}
	msg := o.lower.Msg()
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
	o.addGroups(msg)
	_ = o.lower.SendCluster(msg)
}

func (o *Own) addGroups(msg *wire.Message) {
	o.rsc.groupBuf = o.appendGroups(o.rsc.groupBuf[:0])
	msg.Add(hbdGroupsField, wire.String, o.rsc.groupBuf)
}

// onStarting is the "starting" half of heartbeat's process_resources.
func (o *Own) onStarting(ni int) {
	r := &o.rsc
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
		o.announce("HB_R_BOTHSTARTING")
	case rBothStarting:
		if o.normalNodes() > 2 {
			// Several peers starting with us: heartbeat, built for two,
			// would refuse the second; hbd answers each.
			r.peerStarting[ni] = true
			break
		}
		fallthrough
	default:
		o.out.logf(prio.Error, "Received '%s' message in state %d", typeStarting, r.state)
		return
	}
	r.otherStable = false
	if r.takeover {
		o.out.log(prio.Warn, "T_STARTING received during takeover.")
	}
	o.sendHeld(r.state == rStable, "")
	r.state = newState
	o.afterResourceState()
}

// onResource is the "resource" half of heartbeat's process_resources.
func (o *Own) onResource(ni int, msg *wire.Message) {
	r := &o.rsc
	if !r.nice {
		return
	}
	p := msg.Value(fieldRscHold)
	if p == nil {
		o.out.log(prio.Error, "resource message without rsc_hold field.")
		return
	}
	n, ok := parseHold(p)
	if !ok {
		o.out.logf(prio.Error, "encode_resources: bad resource type [%s]", p)
	}
	full := string(msg.Value(fieldRType)) == "full"
	newState := r.state
	switch r.state {
	case rBothStarting, rStarting:
		newState = rRscRcvd
		if !r.auto {
			r.foreignDone = true
			o.announce("T_RESOURCES")
		}
	case rRscRcvd, rStable, rShutdown:
	default:
		o.out.logf(prio.Error, "resource message received in state %d", r.state)
		return
	}
	if ni != o.self {
		r.otherHolds = updHold(full, r.otherHolds, n)
		r.peerReplied[ni] = true
		o.learnGroups(ni, msg, n)
		if msg.Value(hbdFailbackField) != nil {
			o.onFailbackMany(ni, msg)
		}
		if f := msg.Value(fieldIsStable); f != nil {
			r.peerStable[ni] = string(f) == "1"
			r.sweep = true
			if string(f) == "1" {
				if !r.otherStable {
					o.out.log(prio.Info, "remote resource transition completed.")
					r.otherStable = true
					o.sendHeld(r.state == rStable, "")
					o.autoFailback()
				} else if r.needFailback && o.normalNodes() > 2 {
					o.autoFailback()
				}
			} else {
				r.otherStable = false
			}
		}
		if r.state != rStable && r.state != rShutdown && r.otherStable && o.allReplied() {
			o.out.log(prio.Info, "remote resource transition completed.")
			o.reqOurResources(false)
			newState = rStable
			o.sendHeld(true, "")
			o.autoFailback()
			r.foreignDone = true
			if !r.auto && r.otherHolds&holdForeign != 0 {
				r.localDone = true
			}
			o.announce("T_RESOURCES(them)")
		}
	} else {
		r.iHold = updHold(full, r.iHold, n)
		if r.iHold&holdLocal != 0 {
			r.localDone = true
			o.announce("T_RESOURCES(us)")
		}
		switch string(msg.Value(wire.FieldInfo)) {
		case "mach_down":
			o.out.log(prio.Info, "mach_down takeover complete.")
			r.takeover = false
			r.iHold |= holdForeign
			r.needFailback = true
			r.otherStable = true
			r.foreignDone = true
			o.announce("mach_down")
		case "shutdown":
			newState = rShutdown
			r.state = rShutdown
		}
	}
	r.state = newState
	o.afterResourceState()
}

// afterResourceState ends process_resources: arm the breaker once, audit.
func (o *Own) afterResourceState() {
	r := &o.rsc
	if r.state == rRscRcvd && !r.breakerSet {
		r.breakerSet = true
		// Heartbeat acts when now > local_takeover_time.
		o.setRscTimer(rtBreaker, o.now()+rqstDelay+1)
	}
	o.audit()
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
func (o *Own) learnGroups(ni int, msg *wire.Message, hold uint8) {
	r := &o.rsc
	g := r.peerGroups[ni]
	if v, ok := msg.Get(hbdGroupsField); ok {
		r.peerKnows[ni] = true
		clear(g)
		for key := range bytes.FieldsSeq(v.Value) {
			if k := o.groupIndex(string(key)); k >= 0 {
				g[k] = true
			}
		}
		return
	}
	if r.peerKnows[ni] {
		return
	}
	for k := range g {
		own := o.groupOf(k, ni)
		g[k] = (own && hold&holdLocal != 0) || (!own && hold&holdForeign != 0)
	}
}

// onShutdone is heartbeat's HBDoMsg_T_SHUTDONE.
func (o *Own) onShutdone(ni int) {
	r := &o.rsc
	if ni == o.self {
		if r.nice {
			r.state = rShutdown
			r.iHold = holdNone
		}
		// Heartbeat stops a second after its own shutdone; a peer that
		// missed it can still ask for its retransmission meanwhile.
		o.setRscTimer(rtStop, o.now()+stopAfterShutdone)
		return
	}
	if o.normalNodes() > 2 {
		r.gaveUp[ni] = true
		clear(r.peerGroups[ni])
		o.out.logf(prio.Info, "Received shutdown notice from '%s'.", o.name(ni))
		r.otherStable = true
		if r.shutting {
			o.out.log(prio.Info, "Resource takeover cancelled - shutdown in progress.")
			return
		}
		o.takeOrphans(ni)
		return
	}
	if r.nice && o.lower.LinksUp() {
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
			o.goStandby(sbOther, rtype)
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
	o.out.logf(prio.Info, "Received shutdown notice from '%s'.", o.name(ni))
	o.takeoverFrom(ni)
}

// rscNodeDead is heartbeat's hb_rsc_recover_dead_resources, for node i
// just declared dead; heard says whether anything came from it since it
// started (anypacketsyet).
func (o *Own) rscNodeDead(i int, heard bool) {
	r := &o.rsc
	if i == o.self || o.lower.NodeType(i) != master.Normal || o.lower.Restarting() {
		return
	}
	if r.sb != sbNot {
		o.out.log(prio.Info, "Cancelling pending standby operation")
		r.sb = sbNot
		r.sbRunning = false
		o.stopRscTimer(rtStandby)
		if !r.otherStable && r.iHold == holdAll {
			r.otherStable = true
		}
	}
	if r.shutting {
		r.otherStable = true // a dead node does nothing more (see onShutdone)
		switch r.state {
		case rShutdown, rStable:
		default:
			o.giveUp()
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
	if o.normalNodes() > 2 {
		o.deadOfMany(i, needStonith)
		return
	}
	clear(r.peerGroups[i])
	if needStonith {
		if r.stonith {
			o.startFence(i)
			return
		}
		o.noStonith(i)
		o.takeoverFrom(i)
		return
	}
	o.out.logf(prio.Info, "Dead node %s gave up resources.", o.name(i))
	o.sendStonith(i, "unneeded")
	if !r.nice {
		o.takeoverFrom(i)
		return
	}
	if r.iHold == holdAll {
		r.otherStable = true
		return
	}
	if r.iHold&holdLocal == 0 {
		o.reqOurResources(true)
	}
	if r.iHold&holdForeign == 0 {
		o.takeoverFrom(i)
	}
}

// sendStonith is heartbeat's send_stonith_msg.
func (o *Own) sendStonith(i int, result string) {
	msg := o.lower.Msg()
	msg.AddString(wire.FieldType, typeStonith)
	msg.AddString(fieldNode, o.name(i))
	msg.AddString(fieldResult, result)
	_ = o.lower.SendCluster(msg)
}

// takeoverFrom is heartbeat's takeover_from_node and the mach_down
// script it triggers (through rc.d/status).
func (o *Own) takeoverFrom(i int) {
	r := &o.rsc
	if r.shutting {
		o.out.log(prio.Info, "Resource takeover cancelled - shutdown in progress.")
		return
	}
	name := o.name(i)
	o.out.logf(prio.Info, "Resources being acquired from %s.", name)
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		if o.groupOf(k, i) && !r.want[k] {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	o.machDown(i, keys)
	if r.nice {
		r.iHold |= holdForeign
		r.otherHolds = holdNone
		r.otherStable = true
		r.takeover = true
	}
	o.reqOurResources(true)
}

// machDown queues the mach_down script's work: take keys from node i,
// then (nice) tell everyone.
func (o *Own) machDown(i int, keys []string) {
	r := &o.rsc
	name := o.name(i)
	for _, key := range keys {
		o.out.logf(prio.Info, "Taking over resource group %s", key)
	}
	o.queueJob(ActionTake, keys, "mach_down", func([]string) {
		// The script logs its last line after sending; our own copy of
		// the message is processed at once, so log it first.
		if r.nice {
			o.out.log(prio.Info, "/usr/share/heartbeat/mach_down: nice_failback: foreign resources acquired")
		}
		o.out.logf(prio.Info, "mach_down takeover complete for node %s.", name)
		if r.nice {
			msg := o.lower.Msg()
			msg.AddString(wire.FieldType, typeResource)
			msg.AddString(fieldRscHold, holdNames[holdForeign])
			msg.AddString(wire.FieldInfo, "mach_down")
			o.addGroups(msg)
			_ = o.lower.SendCluster(msg)
		}
		if !r.nice {
			r.foreignDone = true
			o.announce("status")
		}
	})
}

// reqOurResources is heartbeat's req_our_resources and the req_resource
// script it runs for each local group.
func (o *Own) reqOurResources(getAnyway bool) {
	r := &o.rsc
	if r.shutting {
		return
	}
	if r.nice {
		if (o.othersHoldOurs() || r.iHold&holdLocal != 0) && !getAnyway && r.sb == sbNot {
			o.out.log(prio.Info, "Local Resource acquisition completed. (none)")
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
	for i := range o.n {
		n := o.view(i)
		if i != o.self && n.typ == master.Normal && (n.status == master.StatusActive || (n.status == master.StatusInit && n.anyPackets)) {
			up++
		}
	}
	alone := up < 2
	o.queueJob(ActionTake, nil, "req_our_resources", func([]string) {
		have := false
		for k, g := range r.groups {
			if !o.groupOf(k, o.self) {
				continue
			}
			have = true
			if r.want[k] || o.heldByPeer(k) || (o.normalNodes() > 2 && o.heldByLive(k)) {
				continue // ResourceManager status: ours already
			}
			msg := o.lower.Msg()
			if alone || r.nice {
				// Pretend the current owner gave it up peacefully.
				msg.AddString(wire.FieldType, typeIPRequestResp)
				msg.AddString(wire.FieldDest, o.name(o.self))
				msg.AddString(fieldIPAddr, g.Key)
				msg.AddString(fieldWeOwn, "yes")
				msg.AddString(fieldOK, "OK")
			} else {
				msg.AddString(wire.FieldType, typeIPRequest)
				msg.AddString(fieldIPAddr, g.Key)
			}
			_ = o.lower.SendCluster(msg)
		}
		r.claimLocal = false
		if !have {
			o.out.logf(prio.Info, "No local resources [/usr/share/heartbeat/ResourceManager listkeys %s] to acquire.", o.name(o.self))
		} else {
			o.out.log(prio.Info, "Local Resource acquisition completed.")
		}
		o.sendHeld(true, "req_our_resources()")
		if alone {
			r.localDone = true
			o.announce("req_our_resources")
		}
	})
}

// allReplied reports whether every live peer has told us what it holds
// since it started: always true with two nodes (the one reply is it); in
// larger clusters a node acquires nothing on one peer's word.
func (o *Own) allReplied() bool {
	if o.normalNodes() <= 2 {
		return true
	}
	for j := range o.n {
		if j != o.self && o.liveHolder(j) && !o.rsc.peerReplied[j] {
			return false
		}
	}
	return true
}

// othersHoldOurs is heartbeat's "other_holds_resources & HB_FOREIGN_RSC",
// per group when every live peer says which groups it holds.
func (o *Own) othersHoldOurs() bool {
	r := &o.rsc
	if !o.peersKnown() {
		return r.otherHolds&holdForeign != 0
	}
	for k := range r.groups {
		if o.groupOf(k, o.self) && o.heldByPeer(k) {
			return true
		}
	}
	return false
}

// peersKnown reports whether every live normal peer sent hbd_groups.
func (o *Own) peersKnown() bool {
	for i := range o.n {
		n := o.view(i)
		if i != o.self && n.typ == master.Normal && n.status != master.StatusDead && n.anyPackets && !o.rsc.peerKnows[i] {
			return false
		}
	}
	return true
}

// heldByPeer reports whether a live peer that sends hbd_groups holds
// group k (hbd's per-group view; heartbeat peers do not say).
func (o *Own) heldByPeer(k int) bool {
	for i := range o.n {
		n := o.view(i)
		if i != o.self && n.typ == master.Normal && n.status != master.StatusDead && o.rsc.peerKnows[i] && o.rsc.peerGroups[i][k] {
			return true
		}
	}
	return false
}

func (o *Own) normalNodes() int {
	c := 0
	for i := range o.n {
		if o.lower.NodeType(i) == master.Normal {
			c++
		}
	}
	return c
}

// onIPRequest is rc.d/ip-request: a peer asks for a group; the holder
// releases it first, then answers.
func (o *Own) onIPRequest(ni int, msg *wire.Message) {
	if ni == o.self {
		return
	}
	v := msg.Value(fieldIPAddr)
	if len(v) == 0 {
		return
	}
	key := string(v)
	r := &o.rsc
	k := o.groupIndex(key)
	own := k >= 0 && r.want[k]
	var keys []string
	if own {
		keys = []string{key}
	}
	to := o.name(ni)
	o.queueJob(ActionGive, keys, "ip-request", func([]string) {
		weown := "no"
		if own {
			weown = "yes"
		}
		out := o.lower.Msg()
		out.AddString(wire.FieldType, typeIPRequestResp)
		out.AddString(wire.FieldDest, to)
		out.AddString(fieldIPAddr, key)
		out.AddString(fieldWeOwn, weown)
		out.AddString(fieldOK, "OK")
		_ = o.lower.SendCluster(out)
	})
}

// onIPRequestResp is rc.d/ip-request-resp: the holder let go (or we
// pretend it did); take the group.
func (o *Own) onIPRequestResp(ni int, msg *wire.Message) {
	r := &o.rsc
	if r.shutting {
		return
	}
	if string(msg.Value(wire.FieldDest)) != o.name(o.self) {
		return
	}
	key := string(msg.Value(fieldIPAddr))
	if key == "" {
		return
	}
	ok := msg.Value(fieldOK)
	o.out.logf(prio.Info, "received ip-request-resp %s %s %s", key, ok, msg.Value(fieldWeOwn))
	if string(ok) != "OK" {
		return
	}
	k := o.groupIndex(key)
	if k < 0 {
		o.out.logf(prio.Error, "ip-request-resp: no resource group %s", key)
		return
	}
	var keys []string
	if !r.want[k] {
		keys = []string{key}
	}
	o.queueJob(ActionTake, keys, "ip-request-resp", func([]string) {
		r.localDone = true
		o.announce("ip-request-resp")
	})
}

// deadOfMany handles a death in a cluster of three or more nodes, where
// heartbeat would have every survivor take the dead node's groups. hbd
// picks one: the first live normal node in ha.cf order takes every group
// that no live node holds (as far as the resource messages told us).
// Every survivor computes the same choice from the same membership.
func (o *Own) deadOfMany(i int, needStonith bool) {
	r := &o.rsc
	clear(r.peerGroups[i])
	r.peerStable[i] = false
	r.sweep = true
	if !o.lower.CommUp() && o.livePeers() > 0 {
		// Declared dead at initdead: the live peers, who know what
		// everyone holds, took its groups long ago; anything left is
		// found by the orphan sweep once the holdings are known.
		return
	}
	chosen := -1
	for j := range o.n {
		if j == o.self || o.liveHolder(j) {
			chosen = j
			break
		}
	}
	name := o.name(i)
	if chosen != o.self {
		o.out.logf(prio.Info, "Resources of %s are taken over by %s.", name, o.name(chosen))
		return
	}
	if needStonith {
		if r.stonith {
			o.startFence(i)
			return
		}
		o.noStonith(i)
	} else {
		o.out.logf(prio.Info, "Dead node %s gave up resources.", name)
		o.sendStonith(i, "unneeded")
	}
	o.takeOrphans(i)
}

// orphanSweep (3+ nodes, nice): once every live peer reported itself
// stable, the first live node takes any group nobody holds (a node that
// never came up, a death declared before the holdings were known).
func (o *Own) orphanSweep() {
	r := &o.rsc
	if r.shutting {
		r.sweep = false
		return
	}
	// Legacy nodes keep no resource state: idle is all they can say.
	if !o.lower.CommUp() || (r.nice && (r.state != rStable || r.sb != sbNot)) || len(r.jobs) > 0 {
		return // again after the next input
	}
	for j := range o.n {
		if j == o.self || !o.liveHolder(j) {
			continue
		}
		if j < o.self {
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
	o.takeUnheld()
}

// takeUnheld takes every group that no live node holds.
func (o *Own) takeUnheld() {
	r := &o.rsc
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		if !r.want[k] && !o.heldByLive(k) {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	if len(keys) == 0 {
		return
	}
	o.out.log(prio.Info, "Taking over orphaned resource groups.")
	for _, key := range keys {
		o.out.logf(prio.Info, "Taking over resource group %s", key)
	}
	if r.nice {
		r.iHold |= holdForeign
	}
	o.queueJob(ActionTake, keys, "orphans", func([]string) {
		r.iHold |= o.wantedHold()
		r.otherStable = true
		o.sendHeld(true, "")
	})
}

// takeOrphans: if we are the first live normal node, say so and let the
// orphan sweep take what node i held once every live node is stable
// (a peer still starting may be about to take its own groups).
func (o *Own) takeOrphans(i int) {
	for j := range o.n {
		n := o.view(j)
		if j != i && (j == o.self || o.liveHolder(j)) {
			if j != o.self {
				o.out.logf(prio.Info, "Resources of %s are taken over by %s.", o.name(i), n.name)
				return
			}
			break
		}
	}
	o.out.logf(prio.Info, "Resources being acquired from %s.", o.name(i))
	if !o.rsc.nice {
		// Legacy peers keep no state to wait for: take what is left.
		o.takeUnheld()
		return
	}
	o.rsc.sweep = true
}

// liveHolder reports whether peer j may hold groups: a normal node heard
// from and not dead, that has not announced its shutdown (shutdone).
func (o *Own) liveHolder(j int) bool {
	n := o.view(j)
	// A peer heard from whose first status has not arrived is still init.
	return n.typ == master.Normal && n.status != master.StatusDead && n.status != master.StatusPing &&
		(n.status != master.StatusInit || n.anyPackets) && !o.rsc.gaveUp[j]
}

// heldByLive reports whether a live peer holds group k, by hbd_groups, by
// what its rsc_hold implies, or (a peer that never sent a resource
// message: legacy mode) because it is the group's preferred node.
func (o *Own) heldByLive(k int) bool {
	r := &o.rsc
	for j := range o.n {
		if j == o.self || !o.liveHolder(j) {
			continue
		}
		if r.peerGroups[j][k] || (!r.peerKnows[j] && !r.peerReplied[j] && r.owner[k] == j) {
			return true
		}
	}
	return false
}

// wantedHold is the 2-bit set of the groups we hold or are taking.
func (o *Own) wantedHold() uint8 {
	var h uint8
	for k := range o.rsc.groups {
		if o.rsc.want[k] {
			if o.groupOf(k, o.self) {
				h |= holdLocal
			} else {
				h |= holdForeign
			}
		}
	}
	return h
}

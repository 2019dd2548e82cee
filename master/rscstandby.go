package master

import (
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// sendStandby is heartbeat's send_standby_msg.
func (m *Master) sendStandby(state standby) {
	msg := m.msg()
	msg.AddString(wire.FieldType, typeAskResources)
	msg.AddString(fieldRscHold, holdNames[m.rsc.sbType&holdAll])
	msg.AddString(wire.FieldInfo, standbyWords[state])
	_ = m.sendCluster(msg)
}

// goStandbyRequest is the hb_standby script: ask to go standby.
func (m *Master) goStandbyRequest(set uint8) {
	m.out.logf(prio.Info, "Going standby [%s].", holdNames[set])
	msg := m.msg()
	msg.AddString(wire.FieldType, typeAskResources)
	msg.AddString(fieldRscHold, holdNames[set])
	msg.AddString(wire.FieldInfo, "me")
	_ = m.sendCluster(msg)
}

func (m *Master) setStandbyTimer(d int64) {
	m.rsc.sbRunning = true
	m.setRscTimer(rtStandby, m.now+d)
}

// onAskResources is heartbeat's ask_for_resources: the three-phase
// standby exchange (me, other, done).
func (m *Master) onAskResources(ni int, msg *wire.Message) {
	r := &m.rsc
	if !r.nice {
		m.out.log(prio.Info, "Standby mode only implemented when nice_failback on")
		return
	}
	if r.state == rShutdown {
		return
	}
	info := string(msg.Value(wire.FieldInfo))
	from := m.nodes[ni].name
	if m.normalNodes() > 2 {
		// The exchange has two parties (every peer would answer "other"
		// and take the groups): hbd does not run it in larger clusters.
		m.out.logf(prio.Warn, "standby message [%s] from %s ignored: standby needs a two-node cluster.", info, from)
		return
	}
	rtype := holdAll
	if v := msg.Value(fieldRscHold); v != nil {
		var ok bool
		if rtype, ok = parseHold(v); !ok {
			m.out.logf(prio.Error, "encode_resources: bad resource type [%s]", v)
		}
	}
	if msg.Value(wire.FieldInfo) == nil {
		m.out.log(prio.Error, "Received standby message without info/from")
		return
	}
	fromMe := ni == m.self
	if r.sbRunning && strings.EqualFold(info, "me") {
		left := m.tq.When(r.timers[rtStandby]) - m.now
		if left > 0 {
			m.out.logf(prio.Warn, "Standby in progress- new request from %s ignored [%d seconds left]", from, (left/msec+999)/1000)
			return
		}
	}
	orig := r.sb
	ignored := false
	switch r.sb {
	case sbNot:
		if !r.otherStable {
			m.out.logf(prio.Warn, "standby message [%s] from %s ignored.  Other side is in flux.", info, from)
			return
		}
		if r.state != rStable {
			m.out.logf(prio.Warn, "standby message [%s] from %s ignored.  local resources in flux.", info, from)
			return
		}
		r.sbType = rtype
		if !strings.EqualFold(info, "me") {
			ignored = true
			break
		}
		r.otherStable = false
		m.out.logf(prio.Info, "%s wants to go standby [%s]", from, holdNames[rtype])
		if fromMe {
			m.setStandbyTimer(standbyReplyTO)
			r.sb = sbMe
		} else {
			r.sb = sbOther
			m.sendStandby(sbOther)
			m.setStandbyTimer(standbyRscTO)
		}
	case sbMe:
		switch {
		case !fromMe:
			r.sbType = rtype
			m.setStandbyTimer(standbyRscTO)
			if strings.EqualFold(info, "other") {
				m.out.logf(prio.Info, "standby: %s can take our %s resources", from, holdNames[rtype])
				m.goStandby(sbMe, rtype)
			} else {
				ignored = true
			}
		case strings.EqualFold(info, "done"):
			m.out.logf(prio.Info, "Local standby process completed [%s].", holdNames[rtype])
			r.sb = sbDone
			r.iHold &^= r.sbType
			m.setStandbyTimer(standbyRscTO)
		default:
			ignored = true
		}
	case sbOther:
		r.sbType = rtype
		switch {
		case strings.EqualFold(info, "done"):
			m.setStandbyTimer(standbyRscTO)
			if fromMe {
				ignored = true
				break
			}
			m.out.logf(prio.Info, "standby: acquire [%s] resources from %s", holdNames[rtype], from)
			m.goStandby(sbOther, r.sbType)
			r.sb = sbDone
		case !fromMe || !strings.EqualFold(info, "other"):
			ignored = true
		}
	case sbDone:
		r.sbType = rtype
		if info != "done" {
			ignored = true
			break
		}
		r.sbRunning = false
		m.stopRscTimer(rtStandby)
		r.sb = sbNot
		if fromMe {
			m.out.logf(prio.Info, "Standby resource acquisition done [%s].", holdNames[rtype])
			if r.auto {
				r.localDone = true
				m.announce("auto_failback")
			}
			switch rtype {
			case holdLocal:
				r.iHold |= holdForeign
			case holdForeign:
				r.iHold |= holdLocal
			case holdAll:
				r.iHold |= holdAll
			}
		} else {
			m.out.logf(prio.Info, "Other node completed standby takeover of %s resources.", holdNames[rtype])
		}
		m.sendHeld(true, "")
		r.sb = sbNot
	}
	if ignored {
		m.out.logf(prio.Error, "Ignored standby message '%s' from %s in state %d", info, from, orig)
	}
}

// goStandby is heartbeat's go_standby: give up (who == sbMe) or acquire
// (sbOther) a set of groups, then send "done".
func (m *Master) goStandby(who standby, set uint8) {
	r := &m.rsc
	kind, verb := ActionTake, "acquire"
	if who == sbMe {
		r.otherStable = false
		r.iHold &^= set
		m.sendHeld(false, "standby")
		kind, verb = ActionGive, "give up"
	}
	act := set
	switch set {
	case holdForeign:
		if who != sbMe {
			act = holdLocal
		}
	case holdLocal:
		if who != sbMe {
			act = holdForeign
		}
	case holdAll:
	default:
		m.out.logf(prio.Error, "no resources to %s", verb)
		return
	}
	m.out.logf(prio.Info, "%s %s HA resources (standby).", verb, holdNames[act])
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		own := m.groupOf(k, m.self)
		if !((own && act&holdLocal != 0) || (!own && act&holdForeign != 0)) {
			continue
		}
		if (kind == ActionGive) == r.want[k] {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	done := "acquisition"
	if kind == ActionGive {
		done = "release"
	}
	m.queueJob(kind, keys, "standby", func([]string) {
		m.out.logf(prio.Info, "%s HA resource %s completed (standby).", holdNames[act], done)
		m.sendStandby(sbDone)
	})
}

// autoFailback is heartbeat's PerformAutoFailback: with auto_failback on,
// hand the foreign groups back once both sides are stable.
func (m *Master) autoFailback() {
	r := &m.rsc
	if r.shutting || r.iHold&holdForeign == 0 || !r.needFailback || !r.auto {
		r.needFailback = false
		return
	}
	if r.sb != sbNot || !r.otherStable || r.state != rStable {
		m.out.log(prio.Debug, "Auto failback delayed.")
		m.setRscTimer(rtFailback, m.now+failbackRetry)
		return
	}
	if m.normalNodes() > 2 {
		if len(r.jobs) > 0 {
			m.setRscTimer(rtFailback, m.now+failbackRetry)
			return
		}
		m.failbackMany()
		// Still holding another node's groups: try again when the next
		// peer reports itself stable.
		r.needFailback = m.wantedHold()&holdForeign != 0
		return
	}
	r.sbType = holdForeign
	m.sendStandby(sbMe)
	r.needFailback = false
}

// onHbTakeover is rc.d/hb_takeover: a peer wants our groups; run
// hb_standby with the mirrored set (its "failback" quirk gives "all").
func (m *Master) onHbTakeover(ni int, msg *wire.Message) {
	if ni == m.self {
		return
	}
	set := holdAll
	switch string(msg.Value(fieldRscHold)) {
	case "local":
		set = holdForeign
	case "foreign":
		set = holdLocal
	}
	m.queueJob(ActionTake, nil, "hb_takeover", func([]string) { m.goStandbyRequest(set) })
}

package own

import (
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// sendStandby is heartbeat's send_standby_msg.
func (o *Own) sendStandby(state standby) {
	msg := o.lower.Msg()
	msg.AddString(wire.FieldType, typeAskResources)
	msg.AddString(fieldRscHold, holdNames[o.rsc.sbType&holdAll])
	msg.AddString(wire.FieldInfo, standbyWords[state])
	_ = o.lower.SendCluster(msg)
}

// goStandbyRequest is the hb_standby script: ask to go standby.
func (o *Own) goStandbyRequest(set uint8) {
	o.out.logf(prio.Info, "Going standby [%s].", holdNames[set])
	msg := o.lower.Msg()
	msg.AddString(wire.FieldType, typeAskResources)
	msg.AddString(fieldRscHold, holdNames[set])
	msg.AddString(wire.FieldInfo, "me")
	_ = o.lower.SendCluster(msg)
}

func (o *Own) setStandbyTimer(d int64) {
	o.rsc.sbRunning = true
	o.setRscTimer(rtStandby, o.now()+d)
}

// onAskResources is heartbeat's ask_for_resources: the three-phase
// standby exchange (me, other, done).
func (o *Own) onAskResources(ni int, msg *wire.Message) {
	r := &o.rsc
	if !r.nice {
		o.out.log(prio.Info, "Standby mode only implemented when nice_failback on")
		return
	}
	if r.state == rShutdown {
		return
	}
	info := string(msg.Value(wire.FieldInfo))
	from := o.name(ni)
	if o.normalNodes() > 2 {
		// The exchange has two parties (every peer would answer "other"
		// and take the groups): hbd does not run it in larger clusters.
		o.out.logf(prio.Warn, "standby message [%s] from %s ignored: standby needs a two-node cluster.", info, from)
		return
	}
	rtype := holdAll
	if v := msg.Value(fieldRscHold); v != nil {
		var ok bool
		if rtype, ok = parseHold(v); !ok {
			o.out.logf(prio.Error, "encode_resources: bad resource type [%s]", v)
		}
	}
	if msg.Value(wire.FieldInfo) == nil {
		o.out.log(prio.Error, "Received standby message without info/from")
		return
	}
	fromMe := ni == o.self
	if r.sbRunning && strings.EqualFold(info, "me") {
		left := o.tq.When(r.timers[rtStandby]) - o.now()
		if left > 0 {
			o.out.logf(prio.Warn, "Standby in progress- new request from %s ignored [%d seconds left]", from, (left/msec+999)/1000)
			return
		}
	}
	orig := r.sb
	ignored := false
	switch r.sb {
	case sbNot:
		if !r.otherStable {
			o.out.logf(prio.Warn, "standby message [%s] from %s ignored.  Other side is in flux.", info, from)
			return
		}
		if r.state != rStable {
			o.out.logf(prio.Warn, "standby message [%s] from %s ignored.  local resources in flux.", info, from)
			return
		}
		r.sbType = rtype
		if !strings.EqualFold(info, "me") {
			ignored = true
			break
		}
		r.otherStable = false
		o.out.logf(prio.Info, "%s wants to go standby [%s]", from, holdNames[rtype])
		if fromMe {
			o.setStandbyTimer(standbyReplyTO)
			r.sb = sbMe
		} else {
			r.sb = sbOther
			o.sendStandby(sbOther)
			o.setStandbyTimer(standbyRscTO)
		}
	case sbMe:
		switch {
		case !fromMe:
			r.sbType = rtype
			o.setStandbyTimer(standbyRscTO)
			if strings.EqualFold(info, "other") {
				o.out.logf(prio.Info, "standby: %s can take our %s resources", from, holdNames[rtype])
				o.goStandby(sbMe, rtype)
			} else {
				ignored = true
			}
		case strings.EqualFold(info, "done"):
			o.out.logf(prio.Info, "Local standby process completed [%s].", holdNames[rtype])
			r.sb = sbDone
			r.iHold &^= r.sbType
			o.setStandbyTimer(standbyRscTO)
		default:
			ignored = true
		}
	case sbOther:
		r.sbType = rtype
		switch {
		case strings.EqualFold(info, "done"):
			o.setStandbyTimer(standbyRscTO)
			if fromMe {
				ignored = true
				break
			}
			o.out.logf(prio.Info, "standby: acquire [%s] resources from %s", holdNames[rtype], from)
			o.goStandby(sbOther, r.sbType)
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
		o.stopRscTimer(rtStandby)
		r.sb = sbNot
		if fromMe {
			o.out.logf(prio.Info, "Standby resource acquisition done [%s].", holdNames[rtype])
			if r.auto {
				r.localDone = true
				o.announce("auto_failback")
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
			o.out.logf(prio.Info, "Other node completed standby takeover of %s resources.", holdNames[rtype])
		}
		o.sendHeld(true, "")
		r.sb = sbNot
	}
	if ignored {
		o.out.logf(prio.Error, "Ignored standby message '%s' from %s in state %d", info, from, orig)
	}
}

// goStandby is heartbeat's go_standby: give up (who == sbMe) or acquire
// (sbOther) a set of groups, then send "done".
func (o *Own) goStandby(who standby, set uint8) {
	r := &o.rsc
	kind, verb := ActionTake, "acquire"
	if who == sbMe {
		r.otherStable = false
		r.iHold &^= set
		o.sendHeld(false, "standby")
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
		o.out.logf(prio.Error, "no resources to %s", verb)
		return
	}
	o.out.logf(prio.Info, "%s %s HA resources (standby).", verb, holdNames[act])
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		own := o.groupOf(k, o.self)
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
	o.queueJob(kind, keys, "standby", func([]string) {
		o.out.logf(prio.Info, "%s HA resource %s completed (standby).", holdNames[act], done)
		o.sendStandby(sbDone)
	})
}

// autoFailback is heartbeat's PerformAutoFailback: with auto_failback on,
// hand the foreign groups back once both sides are stable.
func (o *Own) autoFailback() {
	r := &o.rsc
	if r.shutting || r.iHold&holdForeign == 0 || !r.needFailback || !r.auto {
		r.needFailback = false
		return
	}
	if r.sb != sbNot || !r.otherStable || r.state != rStable {
		o.out.log(prio.Debug, "Auto failback delayed.")
		o.setRscTimer(rtFailback, o.now()+failbackRetry)
		return
	}
	if o.normalNodes() > 2 {
		if len(r.jobs) > 0 {
			o.setRscTimer(rtFailback, o.now()+failbackRetry)
			return
		}
		o.failbackMany()
		// Still holding another node's groups: try again when the next
		// peer reports itself stable.
		r.needFailback = o.wantedHold()&holdForeign != 0
		return
	}
	r.sbType = holdForeign
	o.sendStandby(sbMe)
	r.needFailback = false
}

// onHbTakeover is rc.d/hb_takeover: a peer wants our groups; run
// hb_standby with the mirrored set (its "failback" quirk gives "all").
func (o *Own) onHbTakeover(ni int, msg *wire.Message) {
	if ni == o.self {
		return
	}
	set := holdAll
	switch string(msg.Value(fieldRscHold)) {
	case "local":
		set = holdForeign
	case "foreign":
		set = holdLocal
	}
	o.queueJob(ActionTake, nil, "hb_takeover", func([]string) { o.goStandbyRequest(set) })
}

package own

import (
	"fmt"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
)

// job is one of heartbeat's resource children (mach_down, req_our_resources,
// go_standby, the give-up, an rc.d script): resource work, then what the
// child did when its scripts had run. Jobs run one at a time, in order,
// like heartbeat's queue of remote resource requests; a job without keys
// runs no script and finishes as soon as it is first in line.
type job struct {
	id   uint64
	kind ActionKind
	keys []string
	why  string
	then func(failed []string)
}

// queueJob queues resource work. Take keys become wanted now, so that
// what we announce (rsc_hold, hbd_groups) already includes them, as
// heartbeat sets i_hold before it forks.
func (o *Own) queueJob(kind ActionKind, keys []string, why string, then func(failed []string)) {
	r := &o.rsc
	r.nextID++
	j := job{id: r.nextID, kind: kind, why: why, then: then}
	if len(keys) > 0 {
		j.keys = append([]string(nil), keys...)
		for _, key := range keys {
			if k := o.groupIndex(key); k >= 0 {
				r.want[k] = kind == ActionTake
			}
		}
		o.out.action(Action{ID: j.id, Kind: kind, Keys: j.keys, Why: why})
	}
	r.jobs = append(r.jobs, j)
}

// ActionDone reports that action id finished at t; failed lists the keys
// whose start failed (the executor has stopped those groups again, as
// ResourceManager takegroup does). Actions must finish in order.
func (o *Own) ActionDone(t layer.Time, id uint64, failed []string) {
	r := &o.rsc
	if !o.lower.Running() || len(r.jobs) == 0 || r.jobs[0].id != id {
		return
	}
	o.lower.Enter(t)
	j := r.jobs[0]
	r.jobs = r.jobs[1:]
	for _, key := range j.keys {
		k := o.groupIndex(key)
		if k < 0 {
			continue
		}
		switch {
		case j.kind == ActionGive:
			r.held[k], r.want[k] = false, false
		case contains(failed, key):
			r.held[k], r.want[k] = false, false
			o.out.logf(prio.Crit, "Giving up resources due to failure of %s", key)
		default:
			r.held[k] = true
		}
	}
	if j.then != nil {
		j.then(failed)
	}
	if len(failed) > 0 && j.kind == ActionTake && r.nice && !r.shutting {
		// ResourceManager runs "hb_standby foreign" 30 s later.
		o.setRscTimer(rtFailed, o.now()+failedStandbyDelay)
	}
	o.rscPump()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rscPump runs after every input: keyless jobs at the head of the queue
// finish, a delayed shutdown is retried (hb_shutdown_if_needed), and the
// breaker is checked.
func (o *Own) rscPump() {
	r := &o.rsc
	if !o.lower.Running() || o.lower.Restarting() {
		return
	}
	for len(r.jobs) > 0 && len(r.jobs[0].keys) == 0 {
		j := r.jobs[0]
		r.jobs = r.jobs[1:]
		if j.then != nil {
			j.then(nil)
		}
	}
	if r.nice && (r.state == rStarting || r.state == rBothStarting) && o.livePeers() == 0 &&
		(o.normalNodes() > 2 || r.shutting) && o.lower.CommUp() {
		// Alone in a larger cluster: no reply will come, and no
		// takeover sent one (see deadOfMany). Alone in a pair while
		// shutting down: the takeover that would have sent one was
		// cancelled, and the peer's last message was lost.
		r.state = rRscRcvd
	}
	if r.nice && r.state == rRscRcvd && o.breakerNow() {
		o.breaker()
	}
	if r.needShutdown {
		o.giveUp()
	}
	if r.sweep && o.normalNodes() > 2 {
		o.orphanSweep()
	}
}

// breakerNow is hbd's shortcut of the RQSTDELAY breaker. Heartbeat waits
// 10 s in RSCRCVD for a stable peer before it takes its local groups
// anyway. hbd does not wait when waiting cannot change the outcome:
//   - no peer is alive: nobody else can take or hold anything;
//   - every live peer reported that it holds nothing, and either sent
//     "starting" while we were starting (both starting: a starting node
//     only ever takes its own local groups at the breaker, so each side
//     takes its own, as heartbeat's would 10 s later) or is an hbd node,
//     whose hbd_groups also lists the groups it is taking: an hbd peer
//     that reports none is taking none of ours. (Two nodes starting
//     together often miss each other's "starting": one that arrives
//     before a node's own comm-up is ignored, as in heartbeat.)
//
// A peer that holds anything, or a heartbeat peer in a transition it did
// not start with us, still gets the full 10 s.
func (o *Own) breakerNow() bool {
	r := &o.rsc
	if o.livePeers() == 0 {
		return true
	}
	if r.otherHolds != holdNone {
		return false
	}
	for i := range o.n {
		n := o.view(i)
		if i == o.self || n.typ != master.Normal || n.status == master.StatusDead || !n.anyPackets {
			continue
		}
		if !r.peerReplied[i] || !(r.peerStarting[i] || r.peerKnows[i]) {
			return false
		}
		for k := range r.groups {
			if r.peerGroups[i][k] {
				return false
			}
		}
	}
	return true
}

// breaker is the RSCRCVD timeout of heartbeat's polled_input_dispatch.
func (o *Own) breaker() {
	r := &o.rsc
	if r.state != rRscRcvd {
		return
	}
	o.stopRscTimer(rtBreaker)
	r.state = rStable
	o.reqOurResources(false)
	o.out.log(prio.Info, "local resource transition completed.")
	o.sendHeld(true, "")
	o.audit()
}

// hbdGroupsField is the field hbd adds to the resource messages it sends:
// the keys of the groups it holds or is taking, space-separated (" " for
// none, as heartbeat writes an empty node list). Heartbeat 3.0.6 reads
// fields by name and ignores this one (it only reaches rc.d scripts as
// HA_hbd_groups).
const hbdGroupsField = "hbd_groups"

// appendGroups writes our wanted groups for hbdGroupsField.
func (o *Own) appendGroups(dst []byte) []byte {
	start := len(dst)
	for k, g := range o.rsc.groups {
		if o.rsc.want[k] || (o.rsc.claimLocal && o.groupOf(k, o.self) && !o.heldByPeer(k)) {
			if len(dst) > start {
				dst = append(dst, ' ')
			}
			dst = append(dst, g.Key...)
		}
	}
	if len(dst) == start {
		dst = append(dst, ' ')
	}
	return dst
}

func (j job) String() string { return fmt.Sprintf("job %d %s %v", j.id, j.why, j.keys) }

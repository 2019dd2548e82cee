package master

import (
	"fmt"

	"github.com/hbd-ha/hbd/internal/prio"
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
func (m *Master) queueJob(kind ActionKind, keys []string, why string, then func(failed []string)) {
	r := &m.rsc
	r.nextID++
	j := job{id: r.nextID, kind: kind, why: why, then: then}
	if len(keys) > 0 {
		j.keys = append([]string(nil), keys...)
		for _, key := range keys {
			if k := m.groupIndex(key); k >= 0 {
				r.want[k] = kind == ActionTake
			}
		}
		m.out.action(Action{ID: j.id, Kind: kind, Keys: j.keys, Why: why})
	}
	r.jobs = append(r.jobs, j)
}

// ActionDone reports that action id finished at t; failed lists the keys
// whose start failed (the executor has stopped those groups again, as
// ResourceManager takegroup does). Actions must finish in order.
func (m *Master) ActionDone(t Time, id uint64, failed []string) {
	r := &m.rsc
	if !m.phase.running() || len(r.jobs) == 0 || r.jobs[0].id != id {
		return
	}
	m.enter(t)
	j := r.jobs[0]
	r.jobs = r.jobs[1:]
	for _, key := range j.keys {
		k := m.groupIndex(key)
		if k < 0 {
			continue
		}
		switch {
		case j.kind == ActionGive:
			r.held[k], r.want[k] = false, false
		case contains(failed, key):
			r.held[k], r.want[k] = false, false
			m.out.logf(prio.Crit, "Giving up resources due to failure of %s", key)
		default:
			r.held[k] = true
		}
	}
	if j.then != nil {
		j.then(failed)
	}
	if len(failed) > 0 && j.kind == ActionTake && r.nice && !r.shutting {
		// ResourceManager runs "hb_standby foreign" 30 s later.
		m.setRscTimer(rtFailed, m.now+failedStandbyDelay)
	}
	m.rscPump()
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
func (m *Master) rscPump() {
	r := &m.rsc
	if !r.on || !m.phase.running() || m.restarting {
		return
	}
	for len(r.jobs) > 0 && len(r.jobs[0].keys) == 0 {
		j := r.jobs[0]
		r.jobs = r.jobs[1:]
		if j.then != nil {
			j.then(nil)
		}
	}
	if r.nice && (r.state == rStarting || r.state == rBothStarting) && m.livePeers() == 0 &&
		(m.normalNodes() > 2 || r.shutting) && m.phase == phaseActive {
		// Alone in a larger cluster: no reply will come, and no
		// takeover sent one (see deadOfMany). Alone in a pair while
		// shutting down: the takeover that would have sent one was
		// cancelled, and the peer's last message was lost.
		r.state = rRscRcvd
	}
	if r.nice && r.state == rRscRcvd && m.breakerNow() {
		m.breaker()
	}
	if r.needShutdown {
		m.giveUp()
	}
	if r.sweep && m.normalNodes() > 2 {
		m.orphanSweep()
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
func (m *Master) breakerNow() bool {
	r := &m.rsc
	if m.livePeers() == 0 {
		return true
	}
	if r.otherHolds != holdNone {
		return false
	}
	for i := range m.nodes {
		n := &m.nodes[i]
		if i == m.self || n.typ != Normal || n.status == StatusDead || !n.anyPackets {
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
func (m *Master) breaker() {
	r := &m.rsc
	if r.state != rRscRcvd {
		return
	}
	m.stopRscTimer(rtBreaker)
	r.state = rStable
	m.reqOurResources(false)
	m.out.log(prio.Info, "local resource transition completed.")
	m.sendHeld(true, "")
	m.audit()
}

// hbdGroupsField is the field hbd adds to the resource messages it sends:
// the keys of the groups it holds or is taking, space-separated (" " for
// none, as heartbeat writes an empty node list). Heartbeat 3.0.6 reads
// fields by name and ignores this one (it only reaches rc.d scripts as
// HA_hbd_groups).
const hbdGroupsField = "hbd_groups"

// appendGroups writes our wanted groups for hbdGroupsField.
func (m *Master) appendGroups(dst []byte) []byte {
	start := len(dst)
	for k, g := range m.rsc.groups {
		if m.rsc.want[k] || (m.rsc.claimLocal && m.groupOf(k, m.self) && !m.heldByPeer(k)) {
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

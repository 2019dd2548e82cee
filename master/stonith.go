package master

import "github.com/hbd-ha/hbd/internal/prio"

// STONITH in a haresources cluster (behaviour spec §9.2): when a dead
// peer must be fenced before its groups are taken over (§4.5) and a device
// is configured, the master asks the node to reset it (EventFence) and
// takes over only once a reset succeeded (FenceResult). Each failure is
// broadcast as heartbeat does; the fencer retries every 5 s for ever. A
// peer heard from again (it restarted, or the partition healed) is not
// fenced any more (EventFenceCancel).

// startFence asks for node i to be reset before its groups are taken.
func (m *Master) startFence(i int) {
	r := &m.rsc
	if r.fencing[i] {
		return
	}
	r.fencing[i] = true
	m.out.event(Event{Kind: EventFence, Node: i, NodeName: m.nodes[i].name})
}

// cancelFence stops waiting for node i's reset: it is talking again.
func (m *Master) cancelFence(i int) {
	r := &m.rsc
	if !r.on || !r.fencing[i] {
		return
	}
	r.fencing[i] = false
	m.out.event(Event{Kind: EventFenceCancel, Node: i, NodeName: m.nodes[i].name})
}

// Fencing reports whether the master waits for node i's reset.
func (m *Master) Fencing(i int) bool { return m.rsc.on && m.rsc.fencing[i] }

// FenceResult reports the outcome of one reset attempt of node at t:
// ok, or heartbeat's reason ("badhost", "bad"). Success takes the node's
// groups over, as heartbeat does once its STONITH child exits 0; a
// failure is broadcast and the wait goes on.
func (m *Master) FenceResult(t Time, node string, ok bool, reason string) {
	if !m.phase.running() {
		return
	}
	m.enter(t)
	i, found := m.byName[node]
	r := &m.rsc
	if !found || !r.on || !r.fencing[i] {
		return
	}
	if !ok {
		m.sendStonith(i, reason)
		return
	}
	r.fencing[i] = false
	m.sendStonith(i, "OK")
	if r.shutting || m.nodes[i].status != StatusDead {
		return
	}
	if m.normalNodes() > 2 {
		m.takeOrphans(i)
	} else {
		m.takeoverFrom(i)
	}
	m.rscPump()
}

// noStonith is the no-device path: heartbeat's message and warnings.
func (m *Master) noStonith(i int) {
	m.sendStonith(i, "n_stnth")
	m.out.log(prio.Warn, "No STONITH device configured.")
	m.out.log(prio.Warn, "Shared disks are not protected.")
}

package master

import "github.com/hbd-ha/hbd/wire"

// Shutdown begins heartbeat's graceful shutdown at t. Membership alone
// sends shutdone (so peers need not wait out the deadtime) and stops at
// once. With an Upper attached (resource ownership), the Upper hands its
// work over first and stops the master when it is done.
func (m *Master) Shutdown(t Time) {
	if !m.phase.running() {
		return
	}
	if m.restarting {
		return // the exec follows; the new process can be stopped
	}
	m.enter(t)
	if m.upper == nil {
		m.sendShutdone()
		m.stop(false)
		return
	}
	m.upper.Shutdown()
}

func (m *Master) sendShutdone() {
	msg := m.msg()
	msg.AddString(wire.FieldType, typeShutdone)
	msg.AddString(wire.FieldStatus, string(StatusDead))
	_ = m.sendCluster(msg)
}

// stop makes the master inert: it sends nothing and ignores every input.
func (m *Master) stop(restart bool) {
	if !m.phase.running() {
		return
	}
	m.phase = phaseStopped
	m.tq.StopAll()
	kind := EventShutdownDone
	if restart {
		kind = EventRestart
	}
	m.out.event(Event{Kind: kind, Node: m.self, NodeName: m.nodes[m.self].name})
}

package master

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Shutdown begins heartbeat's graceful shutdown at t. Without resource
// management the master sends shutdone (so peers need not wait out the
// deadtime) and stops at once. With it: wait for comm-up and for running
// resource work, announce holdings none, give every group up (one
// ActionGive of every key, in file order), send shutdone, and stop a
// second later (Ready.Done). If the give-up never finishes, the master
// stops 60 minutes later anyway.
func (m *Master) Shutdown(t Time) {
	if !m.phase.running() {
		return
	}
	if m.restarting {
		return // the exec follows; the new process can be stopped
	}
	m.enter(t)
	r := &m.rsc
	if !r.on {
		m.sendShutdone()
		m.stop()
		return
	}
	if r.shutting {
		return
	}
	r.shutting = true
	m.stopRscTimer(rtHeal) // asked to stop: no restart after a healed partition
	if m.phase != phaseActive {
		m.out.log(prio.Warn, "Shutdown delayed until Communication is up.")
		r.delayedComm = true
		return
	}
	m.initiateShutdown()
	m.rscPump()
}

// initiateShutdown is the resource half of heartbeat's hb_initiate_shutdown.
func (m *Master) initiateShutdown() {
	m.sendStatus()
	m.setRscTimer(rtEmergency, m.now+emergencyTO)
	m.giveUp()
}

func (m *Master) sendShutdone() {
	msg := m.msg()
	msg.AddString(wire.FieldType, typeShutdone)
	msg.AddString(wire.FieldStatus, string(StatusDead))
	_ = m.sendCluster(msg)
}

// giveUp is heartbeat's hb_giveup_resources.
func (m *Master) giveUp() {
	r := &m.rsc
	if !m.rscStable() {
		if !r.needShutdown {
			m.out.log(prio.Warn, "Shutdown delayed until current resource activity finishes.")
			r.needShutdown = true
		}
		return
	}
	r.needShutdown = false
	r.shutting = true
	if r.giveupDone {
		m.out.log(prio.Info, "Heartbeat shutdown already underway.")
		return
	}
	r.giveupDone = true
	r.iHold = holdNone
	r.state = rShutdown
	if r.nice {
		m.sendHeld(false, "shutdown")
	}
	if m.cfg.Pid != 0 {
		m.out.logf(prio.Info, "Heartbeat shutdown in progress. (%d)", m.cfg.Pid)
	}
	m.out.log(prio.Info, "Giving up all HA resources.")
	why := "shutdown"
	var keys []string
	for k, g := range r.groups {
		// A shutdown gives up every group (givegroup of one not held
		// does nothing); a restart after a partition those it holds.
		if !r.restart || r.want[k] || r.held[k] {
			keys = append(keys, g.Key)
		}
	}
	if r.restart {
		why = "partition"
	}
	m.queueJob(ActionGive, keys, why, func([]string) {
		m.out.log(prio.Info, "All HA resources relinquished.")
		m.sendShutdone()
	})
}

// stop makes the master inert: it sends nothing and ignores every input.
func (m *Master) stop() {
	if !m.phase.running() {
		return
	}
	m.phase = phaseStopped
	m.tq.StopAll()
	kind := EventShutdownDone
	if m.rsc.restart {
		kind = EventRestart
	}
	m.out.event(Event{Kind: kind, Node: m.self, NodeName: m.nodes[m.self].name})
}

// partitionHealed: heartbeat sends its status and, 2 s later, gives up
// every group and restarts (cause_shutdown_restart).
func (m *Master) partitionHealed() {
	r := &m.rsc
	if !r.on || r.shutting || r.restart || m.restarting || m.tq.Queued(r.timers[rtHeal]) {
		return
	}
	m.sendStatus()
	m.setRscTimer(rtHeal, m.now+healRestartDelay)
}

// shutdownRestart is heartbeat's cause_shutdown_restart.
func (m *Master) shutdownRestart() {
	r := &m.rsc
	r.restart = true
	r.shutting = true
	m.setRscTimer(rtEmergency, m.now+emergencyTO)
	m.giveUp()
}

package own

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// Shutdown is heartbeat's graceful shutdown (Upper; the driver calls
// the master's Shutdown, which hands it here): wait for comm-up and for
// running resource work, announce holdings none, give every group up (one
// ActionGive of every key, in file order), send shutdone, and stop
// membership a second later (its Ready.Done). If the give-up never
// finishes, it stops 60 minutes later anyway.
func (o *Own) Shutdown() {
	r := &o.rsc
	if r.shutting {
		return
	}
	r.shutting = true
	o.stopRscTimer(rtHeal) // asked to stop: no restart after a healed partition
	if !o.lower.CommUp() {
		o.out.log(prio.Warn, "Shutdown delayed until Communication is up.")
		r.delayedComm = true
		return
	}
	o.initiateShutdown()
	o.rscPump()
}

// initiateShutdown is the resource half of heartbeat's hb_initiate_shutdown.
func (o *Own) initiateShutdown() {
	o.lower.SendStatus()
	o.setRscTimer(rtEmergency, o.now()+emergencyTO)
	o.giveUp()
}

func (o *Own) sendShutdone() {
	msg := o.lower.Msg()
	msg.AddString(wire.FieldType, typeShutdone)
	msg.AddString(wire.FieldStatus, string(master.StatusDead))
	_ = o.lower.SendCluster(msg)
}

// giveUp is heartbeat's hb_giveup_resources.
func (o *Own) giveUp() {
	r := &o.rsc
	if !o.rscStable() {
		if !r.needShutdown {
			o.out.log(prio.Warn, "Shutdown delayed until current resource activity finishes.")
			r.needShutdown = true
		}
		return
	}
	r.needShutdown = false
	r.shutting = true
	if r.giveupDone {
		o.out.log(prio.Info, "Heartbeat shutdown already underway.")
		return
	}
	r.giveupDone = true
	r.iHold = holdNone
	r.state = rShutdown
	if r.nice {
		o.sendHeld(false, "shutdown")
	}
	if o.cfg.Pid != 0 {
		o.out.logf(prio.Info, "Heartbeat shutdown in progress. (%d)", o.cfg.Pid)
	}
	o.out.log(prio.Info, "Giving up all HA resources.")
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
	o.queueJob(ActionGive, keys, why, func([]string) {
		o.out.log(prio.Info, "All HA resources relinquished.")
		o.sendShutdone()
	})
}

// stop ends the node: no more timers here, and membership stops.
func (o *Own) stop() {
	if !o.lower.Running() {
		return
	}
	o.tq.StopAll()
	o.lower.Stop(o.rsc.restart)
}

// partitionHealed: heartbeat sends its status and, 2 s later, gives up
// every group and restarts (cause_shutdown_restart).
func (o *Own) partitionHealed() {
	r := &o.rsc
	if r.shutting || r.restart || o.lower.Restarting() || o.tq.Queued(r.timers[rtHeal]) {
		return
	}
	o.lower.SendStatus()
	o.setRscTimer(rtHeal, o.now()+healRestartDelay)
}

// shutdownRestart is heartbeat's cause_shutdown_restart.
func (o *Own) shutdownRestart() {
	r := &o.rsc
	r.restart = true
	r.shutting = true
	o.setRscTimer(rtEmergency, o.now()+emergencyTO)
	o.giveUp()
}

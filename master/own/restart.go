package own

import (
	"fmt"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
)

// Restart is what heartbeat's quick restart (SIGHUP with a changed ha.cf:
// exec "heartbeat -R -C <holdings>") carries from the old process to the
// new one. PrepareRestart returns it; the new Own takes it in
// Config.Restart.
type Restart struct {
	// Holding is -C: "none", "local", "foreign" or "all", the old
	// process's rsc_hold. Empty when the old process ran legacy mode
	// (heartbeat passes no -C then) or managed no resources.
	Holding string
	// Groups are the keys of the groups the old process held (hbd's own
	// per-group view, which heartbeat does not have).
	Groups []string
}

// ErrRestartDelayed is returned by PrepareRestart while a quick restart
// would lose state the new process cannot rebuild: communications are not
// up yet, resource work is running (a start or stop whose outcome the new
// process would not learn), the initial acquisition, a takeover or a
// standby exchange is not finished, or a shutdown is under way. Try again
// when the current resource work is done. It is membership's error.
var ErrRestartDelayed = master.ErrRestartDelayed

// PrepareRestart is the old process's half of heartbeat's quick restart:
// it checks that what we hold is settled, runs membership's half
// (master.PrepareRestart: deadtime + 30 s advertised at once, heartbeat's
// lines up to "Performing heartbeat restart exec."), logs, in nice mode,
// "Current resources: -R -C <holdings>", and returns what the new process
// needs. It releases nothing and sends no shutdone.
//
// The caller flushes Ready and execs the new process. Until it does, Own
// runs no resource work: resource messages, deaths and healed partitions
// are left to the new process, which hears the peers again.
//
// A second call returns the same Restart. Before comm-up, while resource
// work runs, or during a shutdown it returns ErrRestartDelayed and changes
// nothing.
func (o *Own) PrepareRestart(t layer.Time) (Restart, error) {
	if !o.lower.Running() {
		return Restart{}, master.ErrNotRunning
	}
	if o.lower.Restarting() {
		return o.prepared, nil
	}
	if !o.restartable() {
		return Restart{}, ErrRestartDelayed
	}
	r := &o.rsc
	rs := Restart{Groups: o.HeldGroups(nil)}
	if r.nice {
		rs.Holding = holdNames[r.iHold&holdAll]
	}
	if err := o.lower.PrepareRestart(t); err != nil {
		return Restart{}, err
	}
	o.prepared = rs
	if rs.Holding != "" {
		o.out.log(prio.Info, "Current resources: -R -C ", rs.Holding)
	}
	return rs, nil
}

// restartable reports whether a quick restart loses nothing: the new
// process starts stable with what we hold, so what we hold must be
// settled.
func (o *Own) restartable() bool {
	if !o.lower.CommUp() {
		return false
	}
	r := &o.rsc
	if len(r.jobs) > 0 || r.shutting || r.needShutdown || r.restart || o.tq.Queued(r.timers[rtHeal]) {
		return false
	}
	return !r.nice || (r.state == rStable && r.sb == sbNot && !r.sbRunning && !r.takeover)
}

// validateRestart checks Config.Restart.
func validateRestart(rs *Restart) error {
	if rs == nil || rs.Holding == "" {
		return nil
	}
	if _, ok := parseHold([]byte(rs.Holding)); !ok {
		return fmt.Errorf("restart: bad holding %q (want none, local, foreign or all)", rs.Holding)
	}
	return nil
}

// initRestart takes the old process's holdings (New, after
// initResources): its groups are held, and i_hold is -C, as heartbeat's
// main() sets it; a toggle of nice_failback is fixed as heartbeat fixes
// it.
func (o *Own) initRestart() {
	rs := o.cfg.Restart
	r := &o.rsc
	if rs == nil {
		return
	}
	for _, key := range rs.Groups {
		if k := o.groupIndex(key); k >= 0 {
			r.held[k], r.want[k] = true, true
		}
	}
	hold, _ := parseHold([]byte(rs.Holding))
	switch {
	case r.nice && rs.Holding != "":
		r.iHold = hold
	case r.nice:
		// legacy → nice: heartbeat assumes it holds its local groups;
		// hbd also knows which foreign ones it holds.
		r.iHold = holdLocal | o.wantedHold()
	case rs.Holding != "" && hold&holdLocal != 0:
		// nice → legacy: heartbeat runs req_our_resources at once; hbd
		// at comm-up, when it knows who is there to ask.
		r.restartAcquire = true
	}
}

// restartStart logs, at Start, what heartbeat's main() logs for -R.
func (o *Own) restartStart() {
	rs := o.cfg.Restart
	r := &o.rsc
	if rs == nil {
		return
	}
	for _, key := range rs.Groups {
		if o.groupIndex(key) < 0 {
			o.out.logf(prio.Warn, "restart: held group %s is not in haresources; left as it is.", key)
		}
	}
	switch {
	case r.nice && rs.Holding == "":
		o.out.log(prio.Info, "restart: assuming HB_LOCAL_RSC")
	case !r.nice && rs.Holding != "" && r.restartAcquire:
		o.out.log(prio.Info, "restart: acquiring local resources.")
	case !r.nice && rs.Holding != "":
		o.out.log(prio.Info, "restart:  local resources already acquired.")
	}
}

// restartCommUp is comm_up_resource_action for a restarted process: no
// initial acquisition. Nice mode still sends "starting" (peers answer with
// what they hold) and is stable at once, as heartbeat's process_resources
// makes a restarted node on its first resource message.
func (o *Own) restartCommUp() {
	r := &o.rsc
	if r.nice {
		r.state = rStable
		return
	}
	if r.restartAcquire {
		r.restartAcquire = false
		o.reqOurResources(false)
	}
}

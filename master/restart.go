package master

import (
	"errors"
	"fmt"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Restart is what heartbeat's quick restart (SIGHUP with a changed ha.cf:
// exec "heartbeat -R -C <holdings>") carries from the old process to the
// new one. PrepareRestart returns it; the new master takes it in
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

// restartDeadtimeAdd is what heartbeat adds to the advertised deadtime
// before a restart (hb_add_deadtime(30000)), so peers wait for the new
// process instead of declaring the node dead.
const restartDeadtimeAdd = 30_000 * msec

// ErrRestartDelayed is returned by PrepareRestart while a quick restart
// would lose state the new process cannot rebuild: communications are not
// up yet, resource work is running (a start or stop whose outcome the new
// process would not learn), the initial acquisition, a takeover or a
// standby exchange is not finished, or a shutdown is under way. Try again
// when the current resource work is done.
var ErrRestartDelayed = errors.New("master: restart delayed until communications are up and resource activity finishes")

// PrepareRestart is the old process's half of heartbeat's quick restart:
// from now on the master advertises deadtime + 30 s, sends its status at
// once (twice, as heartbeat does) so that peers learn it, logs heartbeat's
// lines up to "Performing heartbeat restart exec." (and, in nice mode,
// "Current resources: -R -C <holdings>"), and returns what the new master
// needs. It releases nothing and sends no shutdone.
//
// The caller flushes Ready and execs the new process. Until it does, the
// master keeps running membership only — statuses every keepalive with the
// raised dt, ACKs, answers to retransmission requests (a peer that missed
// the raised status can still get it) — and runs no resource work:
// resource messages, deaths and healed partitions are left to the new
// process; Shutdown, Send and SendText are refused. Lingering a keepalive
// or two (heartbeat lingers about a second) makes it likelier that every
// peer has the raised dt before the node goes quiet.
//
// A second call returns the same Restart. Before comm-up, while resource
// work runs, or during a shutdown it returns ErrRestartDelayed and changes
// nothing.
func (m *Master) PrepareRestart(t Time) (Restart, error) {
	if !m.phase.running() {
		return Restart{}, ErrNotRunning
	}
	if m.restarting {
		return m.prepared, nil
	}
	if !m.restartable() {
		return Restart{}, ErrRestartDelayed
	}
	m.enter(t)
	r := &m.rsc
	rs := Restart{Groups: m.HeldGroups(nil)}
	if r.on && r.nice {
		rs.Holding = holdNames[r.iHold&holdAll]
	}
	m.restarting, m.prepared = true, rs
	// hb_add_deadtime(30000), then send_local_status: two statuses with
	// the raised dt. The 5 s start raise must not pop it back.
	m.tq.Stop(m.popTimer)
	m.advertised = m.deadtime + restartDeadtimeAdd
	m.sendStatus()
	m.sendStatus()
	m.out.logf(prio.Info, "%s Heartbeat shutdown complete.", m.nodes[m.self].name)
	m.out.log(prio.Info, "Heartbeat restart triggered.")
	m.out.log(prio.Info, "Restarting heartbeat.")
	m.out.log(prio.Info, "Performing heartbeat restart exec.")
	if rs.Holding != "" {
		m.out.log(prio.Info, "Current resources: -R -C ", rs.Holding)
	}
	return rs, nil
}

// restartable reports whether a quick restart loses nothing: the new
// process starts stable with what we hold, so what we hold must be
// settled.
func (m *Master) restartable() bool {
	if m.phase != phaseActive {
		return false
	}
	r := &m.rsc
	if !r.on {
		return true
	}
	if len(r.jobs) > 0 || r.shutting || r.needShutdown || r.restart || m.tq.Queued(r.timers[rtHeal]) {
		return false
	}
	return !r.nice || (r.state == rStable && r.sb == sbNot && !r.sbRunning && !r.takeover)
}

// Restarting reports whether PrepareRestart has run: the master now only
// keeps the node's membership alive until the caller execs.
func (m *Master) Restarting() bool { return m.restarting }

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
func (m *Master) initRestart() {
	rs := m.cfg.Restart
	r := &m.rsc
	if rs == nil || !r.on {
		return
	}
	for _, key := range rs.Groups {
		if k := m.groupIndex(key); k >= 0 {
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
		r.iHold = holdLocal | m.wantedHold()
	case rs.Holding != "" && hold&holdLocal != 0:
		// nice → legacy: heartbeat runs req_our_resources at once; hbd
		// at comm-up, when it knows who is there to ask.
		r.restartAcquire = true
	}
}

// restartStart logs, at Start, what heartbeat's main() logs for -R.
func (m *Master) restartStart() {
	rs := m.cfg.Restart
	r := &m.rsc
	if rs == nil || !r.on {
		return
	}
	for _, key := range rs.Groups {
		if m.groupIndex(key) < 0 {
			m.out.logf(prio.Warn, "restart: held group %s is not in haresources; left as it is.", key)
		}
	}
	switch {
	case r.nice && rs.Holding == "":
		m.out.log(prio.Info, "restart: assuming HB_LOCAL_RSC")
	case !r.nice && rs.Holding != "" && r.restartAcquire:
		m.out.log(prio.Info, "restart: acquiring local resources.")
	case !r.nice && rs.Holding != "":
		m.out.log(prio.Info, "restart:  local resources already acquired.")
	}
}

// restartCommUp is comm_up_resource_action for a restarted process: no
// initial acquisition. Nice mode still sends "starting" (peers answer with
// what they hold) and is stable at once, as heartbeat's process_resources
// makes a restarted node on its first resource message.
func (m *Master) restartCommUp() {
	r := &m.rsc
	if r.nice {
		r.state = rStable
		return
	}
	if r.restartAcquire {
		r.restartAcquire = false
		m.reqOurResources(false)
	}
}

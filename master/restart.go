package master

import (
	"errors"

	"github.com/hbd-ha/hbd/internal/prio"
)

// restartDeadtimeAdd is what heartbeat adds to the advertised deadtime
// before a restart (hb_add_deadtime(30000)), so peers wait for the new
// process instead of declaring the node dead.
const restartDeadtimeAdd = 30_000 * msec

// ErrRestartDelayed is returned by PrepareRestart while a quick restart
// would lose state the new process cannot rebuild: communications are not
// up yet (and, from master/own, resource work is under way). Try again
// later.
var ErrRestartDelayed = errors.New("master: restart delayed until communications are up and resource activity finishes")

// PrepareRestart is membership's half of heartbeat's quick restart (a
// SIGHUP with a changed ha.cf: exec "heartbeat -R"): from now on the
// master advertises deadtime + 30 s, sends its status at once (twice, as
// heartbeat does) so that peers learn it, and logs heartbeat's lines up to
// "Performing heartbeat restart exec.". It releases nothing and sends no
// shutdone. With resource ownership on top, call the ownership layer's
// PrepareRestart instead: it checks its own state, then calls this.
//
// The caller flushes Ready and execs the new process. Until it does, the
// master keeps running membership only — statuses every keepalive with the
// raised dt, ACKs, answers to retransmission requests (a peer that missed
// the raised status can still get it) — and reports Restarting, so the
// layers above do no more work; Shutdown, Send and SendText are refused.
// Lingering a keepalive or two (heartbeat lingers about a second) makes
// it likelier that every peer has the raised dt before the node goes
// quiet.
//
// A second call does nothing. Before comm-up it returns ErrRestartDelayed
// and changes nothing.
func (m *Master) PrepareRestart(t Time) error {
	if !m.phase.running() {
		return ErrNotRunning
	}
	if m.restarting {
		return nil
	}
	if m.phase != phaseActive {
		return ErrRestartDelayed
	}
	m.enter(t)
	m.restarting = true
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
	return nil
}

// Restarting reports whether PrepareRestart has run: the master now only
// keeps the node's membership alive until the caller execs.
func (m *Master) Restarting() bool { return m.restarting }

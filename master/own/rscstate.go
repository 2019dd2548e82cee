package own

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
)

// rstate is heartbeat's resourcestate (hb_rsc_state).
type rstate uint8

const (
	rInit         rstate = iota // communications not up yet
	rStarting                   // "starting" sent
	rBothStarting               // a peer's "starting" arrived while starting
	rRscRcvd                    // a "resource" message arrived
	rStable                     // initial acquisition decided
	rShutdown                   // giving everything up
)

// standby is heartbeat's going_standby.
type standby uint8

const (
	sbNot   standby = iota // no standby running
	sbMe                   // we asked to go standby
	sbOther                // a peer asked; we take over
	sbDone                 // our part is done
)

var standbyWords = [...]string{"not", "me", "other", "done"}

// Resource timers (the arg of a tkRsc timer).
const (
	rtBreaker   = iota // RQSTDELAY: take local groups without a stable peer
	rtStandby          // standby reply / completion timeout
	rtFailback         // retry auto failback
	rtEmergency        // shutdown never finished
	rtStop             // stop after our own shutdone
	rtFailed           // hb_standby foreign after a failed start
	rtHeal             // give up and restart after a healed partition
	rtCount
)

// msec is a millisecond in the monotonic clock's nanoseconds.
const msec = int64(1_000_000)

const (
	rqstDelay          = 10_000 * msec   // RQSTDELAY
	standbyReplyTO     = 10_000 * msec   // STANDBY_INIT_TO_MS
	standbyRscTO       = 3600_000 * msec // HB_STANDBY_RSC_TO_MS
	failbackRetry      = 1000 * msec     // AutoFailbackProc retry
	emergencyTO        = 3600_000 * msec // hb_initiate_shutdown's emergency timer
	stopAfterShutdone  = 1000 * msec     // hb_mcp_final_shutdown after our shutdone
	failedStandbyDelay = 30_000 * msec   // ResourceManager's background hb_standby
	healRestartDelay   = 2000 * msec     // CauseShutdownRestart after a healed partition
)

// resources is heartbeat's hb_resource.c state, plus hbd's per-group view.
type resources struct {
	on, nice, auto bool
	stonith        bool   // a STONITH device is configured
	fencing        []bool // per node: waiting for its reset before taking over
	groups         []GroupConfig
	owner          []int  // index of each group's preferred node, -1 if not configured
	held           []bool // started here (take done, no give done since)
	want           []bool // held, or a take of it is queued or running

	iHold        uint8 // procinfo->i_hold_resources
	otherHolds   uint8 // other_holds_resources
	otherStable  bool  // other_is_stable
	state        rstate
	sb           standby
	sbType       uint8 // standby_rsctype
	sbRunning    bool  // standby_running != 0
	takeover     bool  // takeover_in_progress
	needFailback bool  // rsc_needs_failback
	localDone    bool  // local_takeover_work_done
	foreignDone  bool  // foreign_takeover_work_done
	announced    bool
	breakerSet   bool // local_takeover_time was set (once per run, as heartbeat)

	// hbd's breaker shortcut: a peer's "starting" arrived while we were
	// starting, and then its "resource" reply.
	peerStarting []bool
	peerReplied  []bool
	peerGroups   [][]bool // per node: groups it says it holds (hbd_groups)
	peerKnows    []bool   // it sent hbd_groups
	peerStable   []bool   // its last resource message said isstable=1
	sweep        bool     // look for orphaned groups (3+ nodes)
	claimLocal   bool     // req_our_resources is about to take our groups
	gaveUp       []bool   // has_resources == false: it sent shutdone
	// newest is, per node, the newest "starting" or "resource" message
	// taken from it: a retransmission of an older one is stale.
	newest []seqMark

	shutting     bool // shutdown_in_progress
	needShutdown bool // rsc_needs_shutdown
	giveupDone   bool // the give-up was started
	restart      bool // restart after the give-up (healed partition)
	delayedComm  bool // Shutdown came before comm-up

	restartAcquire bool // quick restart nice → legacy: req_our_resources at comm-up

	jobs     []job
	nextID   uint64
	timers   [rtCount]int32
	keyBuf   []string
	groupBuf []byte
}

func (o *Own) initResources() {
	r := &o.rsc
	c := o.cfg
	r.nice = c.Failback != FailbackLegacy
	r.auto = c.Failback == FailbackOn
	r.sbType = holdAll
	r.stonith = c.Stonith
	r.groups = c.Groups
	n := len(c.Groups)
	r.owner = make([]int, n)
	r.held = make([]bool, n)
	r.want = make([]bool, n)
	for k, g := range c.Groups {
		r.owner[k] = o.lower.Node(g.Node)
	}
	nn := o.n
	r.fencing = make([]bool, nn)
	r.peerStarting = make([]bool, nn)
	r.peerReplied = make([]bool, nn)
	r.peerKnows = make([]bool, nn)
	r.peerStable = make([]bool, nn)
	r.gaveUp = make([]bool, nn)
	r.newest = make([]seqMark, nn)
	r.peerGroups = make([][]bool, nn)
	for i := range r.peerGroups {
		r.peerGroups[i] = make([]bool, n)
	}
	for i := range r.timers {
		r.timers[i] = o.tq.Alloc(0, i)
	}
}

// rscStable is heartbeat's hb_rsc_isstable.
func (o *Own) rscStable() bool {
	r := &o.rsc
	if !r.nice {
		return len(r.jobs) == 0
	}
	if r.shutting && r.state == rInit {
		return true
	}
	return r.otherStable && !r.takeover && r.sb == sbNot && !r.sbRunning &&
		len(r.jobs) == 0 &&
		(r.state == rStable || r.state == rShutdown || r.state == rInit)
}

// groupOf reports whether group k's preferred node is node i.
func (o *Own) groupOf(k, i int) bool { return o.rsc.owner[k] == i }

// announce is heartbeat's AnnounceTakeover.
func (o *Own) announce(reason string) {
	r := &o.rsc
	if r.announced || !r.localDone || !r.foreignDone {
		return
	}
	r.announced = true
	o.out.logf(prio.Info, "Initial resource acquisition complete (%s)", reason)
}

// audit is heartbeat's AuditResources (two-node view).
func (o *Own) audit() {
	r := &o.rsc
	if !r.nice {
		return
	}
	if o.normalNodes() > 2 {
		// rsc_hold cannot say which groups: audit group by group.
		for k, g := range r.groups {
			if r.want[k] && o.heldByPeer(k) {
				o.out.logf(prio.Error, "Both machines own resource group %s!", g.Key)
			}
		}
		return
	}
	if r.iHold&holdLocal != 0 && r.otherHolds&holdForeign != 0 {
		o.out.log(prio.Error, "Both machines own our resources!")
	}
	if r.otherHolds&holdLocal != 0 && r.iHold&holdForeign != 0 {
		o.out.log(prio.Error, "Both machines own foreign resources!")
	}
	if o.rscStable() && !r.shutting && r.state != rShutdown {
		if r.iHold&holdLocal == 0 && r.otherHolds&holdForeign == 0 {
			o.out.log(prio.Error, "No one owns our local resources!")
		}
		if r.otherHolds&holdLocal == 0 && r.iHold&holdForeign == 0 {
			o.out.log(prio.Error, "No one owns foreign resources!")
		}
	}
}

// rscPeerRestarted: node i came back with a new generation; its shutdone
// is history. On first contact (no generation known yet) the resource
// messages it sent before its first status are of this same generation:
// what they said (stable, which groups) stands. Forgetting it left a
// 3-node cluster waiting for ever for a peer's "stable" before sweeping
// up a dead node's groups.
func (o *Own) rscPeerRestarted(i int, first bool) {
	o.cancelFence(i)
	if !first {
		o.rsc.gaveUp[i] = false
		o.rsc.peerStable[i] = false
		o.rsc.peerKnows[i] = false
		clear(o.rsc.peerGroups[i])
	}
}

// livePeers counts the normal peers not dead (init counts: heard of).
func (o *Own) livePeers() int {
	c := 0
	for i := range o.n {
		n := o.view(i)
		if i != o.self && n.typ == master.Normal && n.status != master.StatusDead && n.anyPackets {
			c++
		}
	}
	return c
}

func (o *Own) setRscTimer(which int, at int64) { o.tq.Set(o.rsc.timers[which], at) }
func (o *Own) stopRscTimer(which int)          { o.tq.Stop(o.rsc.timers[which]) }

// rscFire runs a resource timer.
func (o *Own) rscFire(which int) {
	r := &o.rsc
	if o.lower.Restarting() {
		return // the new process decides
	}
	switch which {
	case rtBreaker:
		o.breaker()
	case rtStandby:
		if r.sbRunning {
			r.sbRunning = false
			r.otherStable = true
			r.sb = sbNot
			o.out.log(prio.Warn, "No reply to standby request.  Standby request cancelled.")
		}
	case rtFailback:
		o.autoFailback()
	case rtEmergency:
		o.out.log(prio.Crit, "Emergency Shutdown: Attempting to kill everything ourselves")
		o.stop()
	case rtStop:
		o.stop()
	case rtFailed:
		o.goStandbyRequest(holdForeign)
	case rtHeal:
		o.shutdownRestart()
	}
}

package controld

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/crm/te"
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
)

// Time is the moment an input happens at.
type Time = layer.Time

// FeatureSet is the CRM feature set hbd's controller speaks (Pacemaker
// 2.1.5's): votes carry it, records are written with it.
const FeatureSet = "3.16.2"

// Config is what a controller needs at start.
type Config struct {
	Local string
	// NodeIDs maps a node name to its CIB id (node_state id); a node not
	// in it has its name as id.
	NodeIDs map[string]string
	// Keepalive is heartbeat's keepalive: the election and join timeouts
	// derive from it (Timeouts).
	Keepalive time.Duration
	// Version is the feature set this node votes with ("" FeatureSet);
	// tests set others to exercise the election's first criterion.
	Version string
	// TE is the transition engine's configuration (its UUID defaults to
	// Local).
	TE te.Config
}

// Timeouts of the controller, from keepalive K: an election is decided
// by timeout after 4K if some no-vote never came; a join that is not
// complete after 10K finishes with the members that answered; a member
// that has no DC (or no finished join) 20K after it started waiting
// starts a new election (dc-deadtime replaces 20K when configured).
type Timeouts struct{ Election, Join, DCWait time.Duration }

// TimeoutsFor derives the timeouts from keepalive.
func TimeoutsFor(k time.Duration) Timeouts {
	return Timeouts{Election: 4 * k, Join: 10 * k, DCWait: 20 * k}
}

// Member is a CCM member: its name and the instance it joined in.
type Member struct {
	Name string
	Born int
}

// Membership is CCM's membership as the controller takes it.
type Membership struct {
	Instance int
	Members  []Member
	Quorum   bool
}

// Send is a message to one node (To) or every node (To "").
type Send struct {
	To  string
	Msg Msg
}

// LRMOp is an operation for this node's LRM. Its result comes back with
// OpResult carrying the same Key. A stop implies cancelling the
// resource's recurring operations first.
type LRMOp struct{ Op Op }

// FenceRequest asks the STONITH layer to fence Target (Op "reboot",
// "off"), or the cluster layer to shut it down (Op "do_shutdown").
type FenceRequest struct {
	Transition, Action int
	Target, Op         string
}

// PlanRequest asks for a PE run on CIB; its graph comes back with
// Planned(ID).
type PlanRequest struct {
	ID  int
	CIB []byte
}

// NodeStateXML is a node_state element to write into the status section
// in place of the node's current one.
type NodeStateXML struct {
	Node, ID string
	XML      []byte
}

// Ready is what the controller decided since the last Advance.
type Ready struct {
	Sends  []Send
	Ops    []LRMOp
	Fence  []FenceRequest
	Plans  []PlanRequest
	Status []NodeStateXML
	// ConfigAttrs are permanent attributes for the nodes section.
	ConfigAttrs []Attr
	// RootChanged: the DC's have-quorum and dc-uuid for the cib element
	// (HaveQuorum, DCUUID) changed; ApplyRoot writes them.
	RootChanged bool
	HaveQuorum  bool
	DCUUID      string
	// DC is the DC as this node knows it ("" during an election);
	// DCChanged says it changed since the last Ready.
	DC        string
	DCChanged bool
	// ShutdownOK: this node asked to leave (Shutdown) and the DC has
	// moved its resources off: the driver may stop the process.
	ShutdownOK bool
	// SendCIB: send this node's CIB (without its status) to every node,
	// naming SyncDC as the DC it is sent for: the DC's at the end of a
	// join in which its CIB was the newest, or a member's that the DC
	// asked for because its CIB was (cib_sync_from). Receivers take a
	// newer version, or the same version with another configuration sent
	// for their DC (the DC's copy wins ties, as in Pacemaker).
	SendCIB bool
	SyncDC  string
	Logs    layer.Log
}

// Reset empties the buffers (layer.Output's contract).
func (r *Ready) Reset() {
	r.Sends, r.Ops, r.Fence, r.Plans = r.Sends[:0], r.Ops[:0], r.Fence[:0], r.Plans[:0]
	r.Status, r.ConfigAttrs = r.Status[:0], r.ConfigAttrs[:0]
	r.DCChanged, r.RootChanged, r.ShutdownOK, r.SendCIB = false, false, false, false
	r.Logs.Reset()
}

type role uint8

const (
	roleIdle     role = iota // no membership yet
	roleElecting             // voting
	roleFollower             // another node is the DC (or we lost and wait for its offer)
	roleDC
)

type joinPhase uint8

const (
	joinNone joinPhase = iota
	joinOffered
	joinIntegrated
	joinFinalized
	joinConfirmed
)

type actKey struct{ transition, action int }

// maxJoinTries is how many times the DC offers the join again to members
// that did not complete it before it goes on without them.
const maxJoinTries = 2

// Controller is one node's controller. Inputs must come from one
// goroutine with non-decreasing Mono times.
type Controller struct {
	cfg     Config
	to      Timeouts
	local   string
	version string
	started bool

	instance int
	quorum   bool
	members  map[string]int // name → born
	haveMem  bool

	role role
	dc   string
	// lastDC is the last DC this node knew: during an election (dc "")
	// its lrm_invokes are still carried out — they were sent for a
	// transition it may keep after winning again; dropped, they would
	// hold its graph for the action's timeout plus cluster-delay.
	lastDC string
	// isDC: this node won the last election it took part in and has not
	// lost one since; it stays the DC during a new election until it loses.
	isDC bool

	elID     int
	elNoVote map[string]bool
	elLost   bool
	elDue    int64
	waitDue  int64 // a follower without a DC, or with an unfinished join

	joinID    int
	phase     map[string]joinPhase
	joinDue   int64
	joinTries int  // offers repeated in this join
	joined    bool // the DC's join is complete: the PE may run
	myJoinID  int  // the join this follower takes part in
	// The newest CIB among the join's members (Pacemaker's
	// max_generation_from): the DC's own at first, raised by the
	// join_requests. A join finalizes once the DC holds it: from another
	// node, it is asked for (syncAsked) and the acks wait for it.
	cibVer    cib.Version // this node's CIB version (SetCIBVersion)
	syncFrom  string
	syncVer   cib.Version
	syncAsked bool
	synced    bool // this join's CIB went out

	hist  history           // this node's own resource history
	attrs map[string]string // this node's own transient attributes

	status map[string]*nodeStatus // the DC's status section
	dirty  map[string]bool
	// rootDirty: have-quorum or dc-uuid changed on the DC.
	rootDirty bool
	replica   []byte // the replicated CIB's status section (CIBStatus)
	config    []byte

	eng       *te.Engine
	teRunning bool
	running   map[actKey]string // actions in flight → node
	peWanted  bool
	peReason  string
	planDue   int64
	planID    int
	planOut   bool
	planGen   int // bumps on every change while a plan is out
	planAt    int
	refused   bool // the running graph has actions refused (their node is not a member)

	// deadtime is the configured dc-deadtime (0 when not): the DC wait,
	// and how long a starting node waits for a DC before it votes.
	deadtime time.Duration

	out layer.Output[Ready, *Ready]
}

// New returns a controller that has not started.
func New(cfg Config) *Controller {
	c := &Controller{cfg: cfg, to: TimeoutsFor(cfg.Keepalive), local: cfg.Local, version: cfg.Version,
		members: map[string]int{}, elNoVote: map[string]bool{}, phase: map[string]joinPhase{},
		hist: history{}, attrs: map[string]string{}, status: map[string]*nodeStatus{}, dirty: map[string]bool{},
		running: map[actKey]string{}}
	if c.version == "" {
		c.version = FeatureSet
	}
	if c.cfg.TE.UUID == "" {
		c.cfg.TE.UUID = cfg.Local
	}
	if c.cfg.TE.FeatureSet == "" {
		c.cfg.TE.FeatureSet = FeatureSet
	}
	return c
}

// DC returns the DC this node knows ("" when none).
func (c *Controller) DC() string { return c.dc }

// IsDC reports whether this node is the DC with a finished join.
func (c *Controller) IsDC() bool { return c.isDC && c.role == roleDC }

// Idle reports whether the DC has nothing to do: its join is complete,
// no graph runs, no PE run is wanted or out.
func (c *Controller) Idle() bool {
	return c.IsDC() && c.joined && !c.teRunning && !c.peWanted && !c.planOut
}

// Attrs returns this node's own transient attributes (read only).
func (c *Controller) Attrs() map[string]string { return c.attrs }

// Ready hands out what the controller decided since the last Advance.
func (c *Controller) Ready() *Ready {
	c.flushStatus()
	return c.out.Ready()
}

// Advance releases the last Ready.
func (c *Controller) Advance() { c.out.Advance() }

func (c *Controller) pending() *Ready { return c.out.Pending() }

func (c *Controller) logf(p prio.Level, format string, args ...any) {
	c.pending().Logs.Addf(nil, p, format, args...)
}

// Deadline is when the controller next needs a Tick.
func (c *Controller) Deadline() (int64, bool) {
	var d int64
	ok := false
	for _, t := range [...]int64{c.elDue, c.waitDue, c.joinDue, c.planDue} {
		if t != 0 && (!ok || t < d) {
			d, ok = t, true
		}
	}
	if c.teRunning {
		if t, has := c.eng.Deadline(); has && (!ok || t < d) {
			d, ok = t, true
		}
	}
	return d, ok
}

// Start begins: with a membership known, the node votes.
func (c *Controller) Start(now Time) {
	if c.started {
		return
	}
	c.started = true
	c.logf(prio.Info, "controller starting on %s (feature set %s)", c.local, c.version)
	if c.haveMem {
		c.firstElection(now, "controller started")
	}
}

// ConfigChanged takes the CIB's configuration section
// (<configuration>…</configuration>); on the DC it asks for a PE run.
func (c *Controller) ConfigChanged(now Time, config []byte) {
	c.config = append(c.config[:0], config...)
	c.applyDCDeadtime(config)
	c.want(now, "configuration changed")
}

// Membership takes a new CCM membership.
func (c *Controller) Membership(now Time, m Membership) {
	old := c.members
	c.members = make(map[string]int, len(m.Members))
	for _, mb := range m.Members {
		c.members[mb.Name] = mb.Born
	}
	quorumChanged := c.quorum != m.Quorum
	c.instance, c.quorum, c.haveMem = m.Instance, m.Quorum, true
	var lost, added []string
	// A member whose born instance changed left and came back (its
	// controller restarted): lost and added.
	for _, n := range sortedKeys(old) {
		if born, ok := c.members[n]; !ok || born != old[n] && n != c.local {
			lost = append(lost, n)
		}
	}
	for _, n := range sortedKeys(c.members) {
		if born, ok := old[n]; (!ok || born != c.members[n]) && n != c.local {
			added = append(added, n)
		}
	}
	c.logf(prio.Info, "membership %d: %d members, quorum %v (lost %v, new %v)", m.Instance, len(m.Members), m.Quorum, lost, added)
	if !c.started {
		return
	}
	if c.isDC {
		for _, n := range lost {
			c.nodeLost(now, n)
		}
	}
	if quorumChanged {
		c.rootDirty = true
		c.want(now, "quorum changed")
	}
	switch {
	case c.role == roleIdle:
		c.firstElection(now, "membership changed")
	case len(added) > 0:
		c.startElection(now, "membership changed")
	case c.dc != "" && c.dc != c.local && slices.Contains(lost, c.dc):
		c.startElection(now, "DC "+c.dc+" lost")
	case c.role == roleElecting:
		// Members that left owe us no vote any more.
		c.checkWin(now)
	case c.IsDC():
		c.checkJoin(now)
	}
}

// beats reports whether node n (version, born) beats us, as Pacemaker's
// election compares: a lower feature set, then a lower born instance,
// then a name ours compares greater than, case-insensitively.
func (c *Controller) beats(n, version string, born int) bool {
	if v := compareVersion(version, c.version); v != 0 {
		return v < 0
	}
	ours := c.members[c.local]
	if born != ours {
		return born < ours
	}
	return strings.ToLower(c.local) > strings.ToLower(n)
}

// compareVersion compares dotted versions numerically.
func compareVersion(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (c *Controller) setDC(dc string) {
	if dc != "" {
		c.lastDC = dc
	}
	if c.dc != dc {
		c.dc = dc
		p := c.pending()
		p.DC, p.DCChanged = dc, true
	}
}

func (c *Controller) startElection(now Time, why string) {
	if !c.started || !c.haveMem {
		return
	}
	if _, in := c.members[c.local]; !in {
		return
	}
	c.elID++
	c.logf(prio.Notice, "election %d started: %s", c.elID, why)
	if !c.isDC {
		c.setDC("")
	}
	c.role = roleElecting
	clear(c.elNoVote)
	c.elLost = false
	c.elDue = now.Mono + int64(c.to.Election)
	c.waitDue = 0
	c.send("", Msg{Task: TaskVote, ElectionID: c.elID, Owner: c.local, Version: c.version, Born: c.members[c.local]})
	c.checkWin(now)
}

func (c *Controller) checkWin(now Time) {
	if c.role != roleElecting || c.elLost {
		return
	}
	for n := range c.members {
		if n != c.local && !c.elNoVote[n] {
			return
		}
	}
	c.win(now)
}

func (c *Controller) loseElection(now Time) {
	if c.isDC {
		c.dropDC(now)
	}
	c.role = roleFollower
	c.elLost = true
	c.elDue = 0
	c.setDC("")
	c.waitDue = now.Mono + int64(c.to.DCWait)
}

// dropDC forgets the DC's state: the graph in flight is abandoned (its
// results will reach the new DC as the nodes' history).
func (c *Controller) dropDC(now Time) {
	c.logf(prio.Notice, "no longer the DC")
	c.isDC = false
	c.eng, c.teRunning = nil, false
	clear(c.running)
	clear(c.phase)
	c.joined, c.joinDue, c.planOut, c.peWanted, c.planDue = false, 0, false, false, 0
}

func (c *Controller) win(now Time) {
	c.elDue, c.waitDue = 0, 0
	wasDC := c.isDC
	c.role, c.isDC = roleDC, true
	c.setDC(c.local)
	c.rootDirty = true
	c.logf(prio.Notice, "election %d won: %s is the DC (membership %d)", c.elID, c.local, c.instance)
	if c.eng == nil {
		c.eng = te.New(c.cfg.TE, nil)
	}
	if wasDC && c.teRunning {
		c.eng.Abort("election", now)
		c.drainTE(now)
	}
	if c.planOut {
		// A PE run asked for before the election plans on a status the
		// join is about to replace: its graph will be discarded.
		c.planGen++
	}
	c.seedStatus()
	// What an earlier term as DC (or nothing) left in the status is
	// stale: nodes outside the membership are down, members are pending
	// until their join confirms.
	for n, st := range c.status {
		if _, member := c.members[n]; !member && (st.inCCM || st.crmd) {
			st.inCCM, st.crmd, st.join = false, false, "down"
			clear(st.attrs)
			c.dirty[n] = true
		}
	}
	// The join: offer to every member, ourselves joined at once.
	c.joinID++
	c.joined = false
	c.syncFrom, c.syncVer, c.syncAsked, c.synced = c.local, c.cibVer, false, false
	clear(c.phase)
	for n := range c.members {
		if n == c.local {
			continue
		}
		c.phase[n] = joinOffered
	}
	for _, n := range sortedKeys(c.phase) {
		c.send(n, Msg{Task: TaskJoinOffer, JoinID: c.joinID})
	}
	c.phase[c.local] = joinConfirmed
	c.confirmed(now, c.local, c.hist, c.attrs)
	c.joinDue = now.Mono + int64(c.to.Join)
	c.joinTries = 0
	c.checkJoin(now)
}

// checkJoin moves the join on: everyone integrated → acknowledge; everyone
// finalized confirmed → the join is complete.
func (c *Controller) checkJoin(now Time) {
	if !c.IsDC() || c.joined {
		return
	}
	for _, p := range c.phase {
		if p == joinOffered {
			return
		}
	}
	if !c.syncCIB() {
		return
	}
	for _, n := range sortedKeys(c.phase) {
		if c.phase[n] == joinIntegrated {
			c.phase[n] = joinFinalized
			c.send(n, Msg{Task: TaskJoinAckNack, JoinID: c.joinID, Ack: true})
		}
	}
	for _, p := range c.phase {
		if p == joinFinalized {
			return
		}
	}
	c.joined, c.joinDue = true, 0
	c.logf(prio.Info, "join %d complete: %d nodes", c.joinID, len(c.phase))
	c.want(now, "join complete")
}

// syncCIB makes the join's newest CIB everyone's before the join
// finalizes, as Pacemaker's do_dc_join_finalize does: the DC's own goes
// out, or the member holding a newer one is asked to send it; false while
// that answer is awaited.
func (c *Controller) syncCIB() bool {
	if c.synced {
		return true
	}
	if c.syncFrom != c.local {
		if _, in := c.phase[c.syncFrom]; !in {
			// It left, or gave up its join: ours is the newest left.
			c.logf(prio.Warn, "join %d: %s, which had the newest CIB (%v), is gone: keeping ours (%v)", c.joinID, c.syncFrom, c.syncVer, c.cibVer)
			c.syncFrom, c.syncVer, c.syncAsked = c.local, c.cibVer, false
		} else {
			if !c.syncAsked {
				c.syncAsked = true
				c.logf(prio.Notice, "join %d: asking %s for its CIB %v (ours %v)", c.joinID, c.syncFrom, c.syncVer, c.cibVer)
				c.send(c.syncFrom, Msg{Task: TaskSyncFrom, JoinID: c.joinID, CIB: c.syncVer})
			}
			return false
		}
	}
	c.synced = true
	if c.syncFrom == c.local {
		p := c.pending()
		p.SendCIB, p.SyncDC = true, c.local
	}
	return true
}

// SetCIBVersion tells the version of this node's CIB (at start and after
// every change): a follower's join_request carries it, a DC compares the
// members' against it.
func (c *Controller) SetCIBVersion(v cib.Version) { c.cibVer = v }

// CIBVersion returns what SetCIBVersion last told.
func (c *Controller) CIBVersion() cib.Version { return c.cibVer }

// CIBSynced: the CIB that node from sent for this DC arrived and was
// taken (or was the one this node holds): a join waiting for it goes on.
func (c *Controller) CIBSynced(now Time, from string) {
	if c.IsDC() && !c.synced && c.syncAsked && from == c.syncFrom {
		c.logf(prio.Info, "join %d: CIB %v from %s taken", c.joinID, c.syncVer, from)
		c.synced = true
		c.checkJoin(now)
	}
}

// TakeCIB reports whether a peer's CIB of version got, sent for the DC
// syncDC ("" for none), replaces this node's of version local while this
// node's DC is dc: a newer one does; the same version (with another
// configuration) does when sent for our DC, whose choice wins ties.
func TakeCIB(local, got cib.Version, syncDC, dc string) bool {
	switch got.Compare(local) {
	case 1:
		return true
	case 0:
		return syncDC != "" && syncDC == dc
	}
	return false
}

// confirmed writes a joined node's state: online, member, its history and
// transient attributes replacing what the status held.
func (c *Controller) confirmed(now Time, n string, h history, attrs map[string]string) {
	st := c.node(n)
	st.inCCM, st.crmd, st.join, st.expected = true, true, "member", "member"
	st.lrm = h.clone()
	st.attrs = make(map[string]string, len(attrs))
	for k, v := range attrs {
		st.attrs[k] = v
	}
	c.dirty[n] = true
}

func (h history) clone() history {
	out := make(history, len(h))
	for k, r := range h {
		nr := &rscHistory{class: r.class, provider: r.provider, typ: r.typ, ops: make(map[string]Op, len(r.ops))}
		for id, o := range r.ops {
			nr.ops[id] = o
		}
		out[k] = nr
	}
	return out
}

func (c *Controller) node(n string) *nodeStatus {
	st := c.status[n]
	if st == nil {
		st = &nodeStatus{join: "down", expected: "down", lrm: history{}, attrs: map[string]string{}}
		c.status[n] = st
	}
	return st
}

// nodeLost: the DC writes a member that left as down, its expected state
// kept (the PE fences an unexpected loss when stonith-enabled), and
// forgets its transient attributes.
func (c *Controller) nodeLost(now Time, n string) {
	st := c.node(n)
	st.inCCM, st.crmd, st.join = false, false, "down"
	clear(st.attrs)
	c.dirty[n] = true
	delete(c.phase, n)
	for k, node := range c.running {
		if node == n {
			delete(c.running, k)
		}
	}
	if c.teRunning {
		c.eng.NodeLost(n, now)
		c.drainTE(now)
	}
	c.want(now, "node "+n+" lost")
}

// want asks for a PE run at the end of this round.
func (c *Controller) want(now Time, reason string) {
	if !c.isDC {
		return
	}
	if !c.peWanted {
		c.peWanted, c.peReason = true, reason
	}
	if c.planOut {
		c.planGen++
	}
	if c.teRunning {
		c.eng.Abort(reason, now)
		c.drainTE(now)
	}
	// A real change brings forward a re-plan held back after refused
	// actions.
	if c.planDue == 0 || c.planDue > now.Mono {
		c.planDue = now.Mono
	}
}

// Tick acts on the deadlines due at now.
func (c *Controller) Tick(now Time) {
	t := now.Mono
	if c.elDue != 0 && t >= c.elDue {
		c.elDue = 0
		if c.role == roleElecting && !c.elLost {
			c.logf(prio.Info, "election %d timed out undefeated", c.elID)
			c.win(now)
		}
	}
	if c.waitDue != 0 && t >= c.waitDue {
		c.waitDue = 0
		if !c.isDC {
			c.startElection(now, "no DC joined us")
		}
	}
	if c.joinDue != 0 && t >= c.joinDue {
		c.joinDue = 0
		if c.IsDC() && !c.joined && c.joinTries < maxJoinTries {
			// Messages were lost: offer again to whoever has not confirmed.
			c.joinTries++
			c.joinDue = t + int64(c.to.Join)
			c.syncAsked = false // lost too, maybe: asked again once all integrate
			for _, n := range sortedKeys(c.phase) {
				if c.phase[n] != joinConfirmed {
					c.logf(prio.Info, "join %d: offering again to %s", c.joinID, n)
					c.phase[n] = joinOffered
					c.send(n, Msg{Task: TaskJoinOffer, JoinID: c.joinID})
				}
			}
		} else if c.IsDC() && !c.joined {
			if !c.synced && c.syncFrom != c.local {
				c.logf(prio.Warn, "join %d: %s did not send its CIB %v: keeping ours (%v)", c.joinID, c.syncFrom, c.syncVer, c.cibVer)
				c.syncFrom = c.local
			}
			for _, n := range sortedKeys(c.phase) {
				if p := c.phase[n]; p != joinConfirmed {
					c.logf(prio.Warn, "join %d: %s did not complete its join", c.joinID, n)
					delete(c.phase, n)
					st := c.node(n)
					st.crmd, st.join = false, "down"
					st.inCCM = true
					c.dirty[n] = true
				}
			}
			c.checkJoin(now)
		}
	}
	if c.teRunning {
		if d, ok := c.eng.Deadline(); ok && t >= d {
			c.eng.Tick(now)
			c.drainTE(now)
		}
	}
	if c.planDue != 0 && t >= c.planDue {
		c.planDue = 0
		c.plan(now)
	}
}

// plan sends a PE request if one is wanted and may run now.
func (c *Controller) plan(now Time) {
	if !c.IsDC() || !c.joined || !c.peWanted || c.planOut || c.teRunning || c.config == nil {
		return
	}
	c.planID++
	c.planOut = true
	c.planAt = c.planGen
	c.peWanted = false
	c.logf(prio.Info, "PE run %d requested: %s", c.planID, c.peReason)
	c.pending().Plans = append(c.pending().Plans, PlanRequest{ID: c.planID, CIB: c.AppendCIB(nil)})
}

// Planned takes the graph of PE run id. A graph computed on a CIB that
// changed since is discarded and the PE asked again.
func (c *Controller) Planned(now Time, id int, g *pe.Graph, err error) {
	if !c.isDC || !c.planOut || id != c.planID {
		return
	}
	c.planOut = false
	if err != nil {
		c.logf(prio.Error, "PE run %d failed: %v", id, err)
		return
	}
	if c.peWanted || c.planGen != c.planAt {
		c.logf(prio.Info, "PE run %d discarded: the cluster changed", id)
		c.peWanted = true
		c.planDue = now.Mono
		return
	}
	c.eng.Start(g, now)
	c.teRunning = true
	c.drainTE(now)
}

// drainTE takes the engine's output: operations go to their node's LRM,
// fencing to the STONITH layer, records and fail counts into the status.
func (c *Controller) drainTE(now Time) {
	for c.eng != nil {
		rd := c.eng.Ready()
		runs := append([]te.Run(nil), rd.Run...)
		fence := append([]te.Run(nil), rd.Fence...)
		recs := append([]te.OpRecord(nil), rd.Records...)
		fails := append([]te.FailCount(nil), rd.FailCounts...)
		over := rd.Complete || rd.Replan || rd.Terminated
		replan, reason := rd.Replan, rd.ReplanReason
		for _, l := range rd.Logs.Lines {
			c.pending().Logs.Add(nil, l.Prio, string(l.Text))
		}
		c.eng.Advance()
		for _, r := range recs {
			c.teRecord(r)
		}
		for _, f := range fails {
			c.failCount(now, f)
		}
		var immediate []te.Result
		for _, r := range runs {
			a := r.Action
			k := actKey{r.Transition, a.ID}
			c.running[k] = a.Node
			op := Op{Rsc: a.HistRsc, Class: a.Class, Provider: a.Provider, Type: a.Type, Task: a.Task,
				IntervalMS: a.IntervalMS, TimeoutMS: r.TimeoutMS, Key: r.Key}
			if op.Rsc == "" {
				op.Rsc = a.Rsc
			}
			if _, member := c.members[a.Node]; !member {
				// Planned on a status the membership has overtaken, or on
				// an unclean node the PE cannot fence: it cannot run
				// there. The next plan waits a little (refused), or the
				// same graph would be refused again at once.
				c.refused = true
				delete(c.running, k)
				immediate = append(immediate, te.Result{Transition: r.Transition, Action: a.ID, RC: te.RCUnknownError,
					Status: te.ExecNotConnected, Reason: a.Node + " is not a member"})
			} else if a.Node == c.local {
				c.pending().Ops = append(c.pending().Ops, LRMOp{Op: op})
			} else {
				c.send(a.Node, Msg{Task: TaskLRMInvoke, Op: op})
			}
		}
		for _, r := range fence {
			a := r.Action
			c.running[actKey{r.Transition, a.ID}] = a.Node
			if a.Task == "stonith" {
				op := "reboot"
				if strings.HasSuffix(a.Key, "-off") {
					op = "off"
				}
				c.pending().Fence = append(c.pending().Fence, FenceRequest{Transition: r.Transition, Action: a.ID, Target: a.Node, Op: op})
			} else {
				// do_shutdown: the node's resources are stopped by the
				// graph already; it is expected down from now on (its
				// leaving is no loss to fence) and may stop.
				c.shutdownOK(a.Node)
				delete(c.running, actKey{r.Transition, a.ID})
				immediate = append(immediate, te.Result{Transition: r.Transition, Action: a.ID, Status: te.ExecDone})
			}
		}
		if over {
			c.teRunning = false
			clear(c.running)
			if replan {
				c.peWanted = true
				c.peReason = reason
				if c.refused {
					c.planDue = now.Mono + int64(c.to.Election)
				} else if c.planDue == 0 {
					c.planDue = now.Mono
				}
			}
			c.refused = false
		}
		if len(immediate) == 0 {
			return
		}
		for _, r := range immediate {
			c.eng.Result(r, now)
		}
	}
}

// teRecord writes an engine's record: the engine's own timeouts (no
// result came) and records of results already written keep the op-digest
// the result carried.
func (c *Controller) teRecord(r te.OpRecord) {
	st := c.status[r.Node]
	if st == nil || !st.inCCM {
		return
	}
	o := Op{Rsc: r.Rsc, Class: r.Class, Provider: r.Provider, Type: r.Type, Task: r.Operation, IntervalMS: r.IntervalMS,
		Key: r.TransitionKey, CallID: r.CallID, RC: r.RC, Status: int(r.Status), LastRCChange: r.LastRCChange,
		ExecMS: r.ExecMS, QueueMS: r.QueueMS, Reason: r.ExitReason}
	if h := st.lrm[r.Rsc]; h != nil {
		if old, ok := h.ops[r.ID]; ok && old.Key == o.Key && old.CallID == o.CallID {
			return // the result's own record, with its digest
		}
	}
	st.lrm.add(o)
	c.dirty[r.Node] = true
}

// failCount raises a fail count in the status and on its node.
func (c *Controller) failCount(now Time, f te.FailCount) {
	c.dcAttr(now, Attr{Node: f.Node, Name: f.Attr(), Value: f.Value()})
	c.dcAttr(now, Attr{Node: f.Node, Name: f.LastFailureAttr(), Value: strconv.FormatInt(f.LastFailure, 10)})
}

// OpResult takes a result of this node's LRM.
func (c *Controller) OpResult(now Time, o Op) {
	if o.Task == "" || o.Rsc == "" {
		return
	}
	c.hist.add(o)
	switch {
	case c.isDC:
		c.dcResult(now, c.local, o)
	case c.dc != "":
		c.send(c.dc, Msg{Task: TaskLRMResult, Op: o})
	}
}

// dcResult: a node's operation result reaches the DC.
func (c *Controller) dcResult(now Time, n string, o Op) {
	if st := c.status[n]; st != nil && st.inCCM {
		st.lrm.add(o)
		c.dirty[n] = true
	}
	action, transition, target := parseKey(o.Key)
	k := actKey{transition, action}
	if c.teRunning && c.running[k] == n && transition == c.eng.Transition() {
		delete(c.running, k)
		c.eng.Result(te.Result{Transition: transition, Action: action, RC: o.RC, Status: te.OpStatus(o.Status),
			CallID: o.CallID, ExecMS: o.ExecMS, QueueMS: o.QueueMS, Reason: o.Reason}, now)
		c.drainTE(now)
		return
	}
	failed := o.Status != 0 || o.RC != target
	if o.IntervalMS > 0 && o.Task == "monitor" && failed && o.Status != int(te.ExecCancelled) {
		// A recurring monitor found the resource failed.
		if c.eng == nil {
			c.eng = te.New(c.cfg.TE, nil)
		}
		ga := &pe.GraphAction{Kind: pe.ActionRsc, Task: o.Task, Key: o.Rsc + "_monitor_" + strconv.Itoa(o.IntervalMS),
			Rsc: o.Rsc, HistRsc: o.Rsc, Node: n, NodeID: c.nodeID(n), IntervalMS: o.IntervalMS, TargetRC: target,
			Class: o.Class, Provider: o.Provider, Type: o.Type}
		c.eng.MonitorFailed(ga, te.Result{Transition: transition, Action: action, RC: o.RC, Status: te.OpStatus(o.Status),
			CallID: o.CallID, ExecMS: o.ExecMS, QueueMS: o.QueueMS, Reason: o.Reason}, now)
		c.drainTE(now)
		c.want(now, o.Rsc+" failed on "+n)
		return
	}
	if o.IntervalMS > 0 && !failed {
		return // a recurring monitor's first success or a repeat: nothing changed
	}
	c.want(now, "result of "+o.Rsc+"_"+o.Task+" on "+n+" outside the transition")
}

// resultsInHistory hands the engine the results a joining node reports
// in its history for actions still in flight: results that finished
// while the node had no DC to send them to (during an election the DC
// won again).
func (c *Controller) resultsInHistory(now Time, n string, ops []Op) {
	if !c.teRunning {
		return
	}
	for _, o := range ops {
		action, transition, _ := parseKey(o.Key)
		k := actKey{transition, action}
		if c.running[k] == n && transition == c.eng.Transition() {
			delete(c.running, k)
			c.eng.Result(te.Result{Transition: transition, Action: action, RC: o.RC, Status: te.OpStatus(o.Status),
				CallID: o.CallID, ExecMS: o.ExecMS, QueueMS: o.QueueMS, Reason: o.Reason}, now)
			c.drainTE(now)
			if !c.teRunning {
				return
			}
		}
	}
}

// Shutdown asks to leave the cluster cleanly, as Pacemaker's controller
// does on SIGTERM: the shutdown attribute goes to the DC, whose PE moves
// this node's resources off and plans do_shutdown; Ready.ShutdownOK then
// says the process may stop. Without a DC there is nobody to ask.
func (c *Controller) Shutdown(now Time) {
	c.logf(prio.Notice, "shutdown requested")
	if c.dc == "" {
		c.pending().ShutdownOK = true
		return
	}
	c.SetAttr(now, Attr{Node: c.local, Name: "shutdown", Value: strconv.FormatInt(now.Wall, 10)})
}

// shutdownOK: the DC lets node n stop.
func (c *Controller) shutdownOK(n string) {
	if st := c.status[n]; st != nil {
		st.expected = "down"
		c.dirty[n] = true
	}
	if n == c.local {
		c.pending().ShutdownOK = true
	} else {
		c.send(n, Msg{Task: TaskShutdown})
	}
}

// FenceResult takes the STONITH layer's verdict on a FenceRequest.
func (c *Controller) FenceResult(now Time, f FenceRequest, ok bool) {
	if ok {
		c.logf(prio.Notice, "%s was fenced (%s)", f.Target, f.Op)
		st := c.node(f.Target)
		if !st.inCCM || f.Op == "off" {
			st.inCCM, st.crmd, st.join, st.expected = false, false, "down", "down"
			st.lrm, st.attrs = history{}, map[string]string{}
			c.dirty[f.Target] = true
		}
	}
	k := actKey{f.Transition, f.Action}
	if c.teRunning && c.running[k] == f.Target {
		delete(c.running, k)
		r := te.Result{Transition: f.Transition, Action: f.Action, Status: te.ExecDone}
		if !ok {
			r.RC, r.Status = te.RCUnknownError, te.ExecError
		}
		c.eng.Result(r, now)
		c.drainTE(now)
	}
	if ok {
		c.want(now, f.Target+" fenced")
	}
}

// SetAttr takes an attribute update from a local client (crm_attribute,
// crm_failcount): it goes to the DC, which writes it.
func (c *Controller) SetAttr(now Time, a Attr) {
	if a.Node == "" {
		a.Node = c.local
	}
	switch {
	case c.isDC:
		c.dcAttr(now, a)
	case c.dc != "":
		c.send(c.dc, Msg{Task: TaskAttrUpdate, Attrs: []Attr{a}})
	case a.Node == c.local && !a.Forever:
		// No DC: kept here, the next join carries it.
		c.setLocalAttr(a)
	default:
		c.logf(prio.Warn, "attribute %s for %s dropped: no DC", a.Name, a.Node)
	}
}

func (c *Controller) setLocalAttr(a Attr) {
	if a.Delete {
		delete(c.attrs, a.Name)
	} else {
		c.attrs[a.Name] = a.Value
	}
}

// dcAttr: the writer applies an update. value++ and value+=N are
// resolved against the value it holds (attrd's expansion); the node that
// owns a transient attribute gets the value it now holds.
func (c *Controller) dcAttr(now Time, a Attr) {
	if a.Forever {
		c.pending().ConfigAttrs = append(c.pending().ConfigAttrs, a)
		return
	}
	st := c.status[a.Node]
	if st == nil || !st.inCCM {
		c.logf(prio.Warn, "attribute %s for %s dropped: not a member", a.Name, a.Node)
		return
	}
	if a.Delete {
		delete(st.attrs, a.Name)
	} else {
		a.Value = expand(st.attrs[a.Name], a.Value)
		st.attrs[a.Name] = a.Value
	}
	c.dirty[a.Node] = true
	if a.Node == c.local {
		c.setLocalAttr(a)
	} else {
		c.send(a.Node, Msg{Task: TaskAttrSet, Attrs: []Attr{a}})
	}
	c.want(now, "attribute "+a.Name+" of "+a.Node+" changed")
}

// expand resolves value++ and value+=N against old (INFINITY stays, and
// an increment that reaches 1000000 is INFINITY).
func expand(old, v string) string {
	var inc int
	switch {
	case v == "value++":
		inc = 1
	case strings.HasPrefix(v, "value+="):
		n, err := strconv.Atoi(v[len("value+="):])
		if err != nil {
			return v
		}
		inc = n
	default:
		return v
	}
	if old == "INFINITY" || old == "+INFINITY" {
		return "INFINITY"
	}
	cur, _ := strconv.Atoi(old)
	if cur+inc >= 1000000 {
		return "INFINITY"
	}
	return strconv.Itoa(cur + inc)
}

// Receive takes a message from a peer's controller (from: its node).
func (c *Controller) Receive(now Time, from string, m *Msg) {
	if !c.started || from == c.local {
		return
	}
	if _, member := c.members[from]; !member {
		c.logf(prio.Debug, "ignoring %s from %s: not a member", m.Task, from)
		return
	}
	switch m.Task {
	case TaskVote:
		c.onVote(now, from, m)
	case TaskNoVote:
		if c.role == roleElecting && !c.elLost && m.Owner == c.local && m.ElectionID == c.elID {
			c.elNoVote[from] = true
			c.checkWin(now)
		}
	case TaskJoinOffer:
		if c.isDC {
			// Another DC in our membership: decide again.
			c.startElection(now, "join offer from "+from+" while DC")
			return
		}
		c.role, c.elDue, c.elLost = roleFollower, 0, true
		c.setDC(from)
		c.myJoinID = m.JoinID
		c.waitDue = now.Mono + int64(c.to.DCWait)
		c.send(from, Msg{Task: TaskJoinRequest, JoinID: m.JoinID, CIB: c.cibVer})
	case TaskJoinRequest:
		if c.IsDC() && m.JoinID == c.joinID && c.phase[from] == joinOffered {
			c.phase[from] = joinIntegrated
			if !c.synced && m.CIB.Compare(c.syncVer) > 0 {
				c.syncFrom, c.syncVer, c.syncAsked = from, m.CIB, false
			}
			c.checkJoin(now)
		}
	case TaskJoinAckNack:
		if from == c.dc && m.JoinID == c.myJoinID && m.Ack {
			c.waitDue = 0
			attrs := make([]Attr, 0, len(c.attrs))
			for _, k := range sortedKeys(c.attrs) {
				attrs = append(attrs, Attr{Node: c.local, Name: k, Value: c.attrs[k]})
			}
			c.send(from, Msg{Task: TaskJoinConfirm, JoinID: m.JoinID, Ops: c.hist.ops(), Attrs: attrs})
		}
	case TaskJoinConfirm:
		if c.IsDC() && m.JoinID == c.joinID && c.phase[from] == joinFinalized {
			c.phase[from] = joinConfirmed
			attrs := make(map[string]string, len(m.Attrs))
			for _, a := range m.Attrs {
				attrs[a.Name] = a.Value
			}
			c.confirmed(now, from, fromOps(m.Ops), attrs)
			c.resultsInHistory(now, from, m.Ops)
			c.checkJoin(now)
		}
	case TaskLRMInvoke:
		if from == c.dc || c.dc == "" && from == c.lastDC {
			c.pending().Ops = append(c.pending().Ops, LRMOp{Op: m.Op})
		}
	case TaskLRMResult:
		if c.isDC {
			c.dcResult(now, from, m.Op)
		}
	case TaskAttrUpdate:
		if c.isDC && len(m.Attrs) == 1 {
			c.dcAttr(now, m.Attrs[0])
		}
	case TaskShutdown:
		if from == c.dc {
			c.logf(prio.Notice, "the DC lets us stop")
			c.pending().ShutdownOK = true
		}
	case TaskAttrSet:
		if from == c.dc && len(m.Attrs) == 1 && m.Attrs[0].Node == c.local {
			c.setLocalAttr(m.Attrs[0])
		}
	case TaskSyncFrom:
		if from == c.dc && !c.isDC {
			c.logf(prio.Info, "the DC asks for our CIB %v (join %d)", c.cibVer, m.JoinID)
			p := c.pending()
			p.SendCIB, p.SyncDC = true, from
		}
	}
}

func (c *Controller) onVote(now Time, from string, m *Msg) {
	if c.beats(from, m.Version, c.members[from]) {
		c.send(from, Msg{Task: TaskNoVote, ElectionID: m.ElectionID, Owner: m.Owner})
		if c.role == roleElecting || c.isDC {
			c.logf(prio.Info, "election %d lost to %s", c.elID, from)
			c.loseElection(now)
		}
		// A follower keeps its DC: if the voter wins, its offer says so.
		return
	}
	// We beat the voter: it must hear so.
	switch {
	case c.role == roleElecting && !c.elLost, !c.isDC && c.dc != from && (c.dc != "" || c.elLost):
		// Our vote (of our election in progress, or of one we lost to a
		// better node that will offer the join) makes it lose.
		c.send(from, Msg{Task: TaskVote, ElectionID: c.elID, Owner: c.local, Version: c.version, Born: c.members[c.local]})
	default:
		// The DC re-asserts itself (and joins the voter), a node whose
		// DC votes (it restarted, or lost its role) or that has no DC
		// contests.
		c.startElection(now, "vote from "+from+", whom we beat")
	}
}

func (c *Controller) send(to string, m Msg) {
	c.pending().Sends = append(c.pending().Sends, Send{To: to, Msg: m})
}

func (c *Controller) nodeID(n string) string {
	if id, ok := c.cfg.NodeIDs[n]; ok {
		return id
	}
	return n
}

// flushStatus hands out the node_state elements that changed.
func (c *Controller) flushStatus() {
	p := c.pending()
	if c.rootDirty && c.isDC {
		p.RootChanged, p.HaveQuorum, p.DCUUID = true, c.quorum, c.nodeID(c.local)
	}
	c.rootDirty = false
	if len(c.dirty) == 0 {
		return
	}
	for _, n := range sortedKeys(c.dirty) {
		if st := c.status[n]; st != nil {
			id := c.nodeID(n)
			p.Status = append(p.Status, NodeStateXML{Node: n, ID: id, XML: appendNodeState(nil, id, n, st)})
		}
	}
	clear(c.dirty)
}

// AppendCIB appends the CIB the PE reads: the configuration as the CIB
// holds it and the DC's status section, with have-quorum and dc-uuid.
func (c *Controller) AppendCIB(dst []byte) []byte {
	dst = append(dst, `<cib crm_feature_set="`+FeatureSet+`" validate-with="pacemaker-3.9" have-quorum="`...)
	if c.quorum {
		dst = append(dst, '1')
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, `" dc-uuid="`...)
	dst = append(dst, c.nodeID(c.dc)...)
	dst = append(dst, `">`...)
	dst = append(dst, c.config...)
	dst = append(dst, "<status>"...)
	for _, n := range sortedKeys(c.status) {
		dst = appendNodeState(dst, c.nodeID(n), n, c.status[n])
	}
	return append(dst, "</status></cib>"...)
}

package ccm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Time is the moment an input happens at (layer's): Mono drives every
// timeout.
type Time = layer.Time

// Config is what a CCM needs to know at start.
type Config struct {
	// Nodes is every non-ping node of ha.cf, in any order; ccm numbers
	// them by sorted name.
	Nodes []string
	// Local is this node's name, one of Nodes.
	Local string
	// Keepalive is heartbeat's keepalive: every timeout derives from it.
	Keepalive time.Duration
	// Quorum is the plugin list (ha.cf `env quorum=`); "" is the default.
	Quorum string
	// Weights are the nodes' quorum weights (heartbeat's nodeweight,
	// 100 when absent).
	Weights map[string]int
	// Seed seeds the membership cookies; a driver gives a random one.
	Seed uint64
}

// Timeouts are ccm's, from keepalive K (ccm_configure_timeout): update
// and join U = 5K, version 9K, info to followers 18K, info from followers
// 12K, final list 18K + 5 ms.
type Timeouts struct {
	Update, Version, ToFollowers, FromFollowers, FinalList time.Duration
}

// TimeoutsFor derives ccm's timeouts from heartbeat's keepalive.
func TimeoutsFor(keepalive time.Duration) Timeouts {
	return Timeouts{
		Update:        5 * keepalive,
		Version:       9 * keepalive,
		ToFollowers:   18 * keepalive,
		FromFollowers: 12 * keepalive,
		FinalList:     18*keepalive + 5*time.Millisecond,
	}
}

// State is ccm's protocol state; its name is what STATE_INFO carries.
type State uint8

// States, in ccm's order.
const (
	StateNone State = iota
	StateVersionRequest
	StateJoining
	StateSentMemlistReq
	StateMemlistRes
	StateJoined
	StateWaitForMemList
	StateWaitForChange
	StateNewNodeWaitForMemList
)

var stateNames = [...]string{"CCM_STATE_NONE", "CCM_STATE_VERSION_REQUEST", "CCM_STATE_JOINING",
	"CCM_STATE_SENT_MEMLISTREQ", "CCM_STATE_MEMLIST_RES", "CCM_STATE_JOINED",
	"CCM_STATE_WAIT_FOR_MEM_LIST", "CCM_STATE_WAIT_FOR_CHANGE", "CCM_STATE_NEW_NODE_WAIT_FOR_MEM_LIST"}

func (s State) String() string { return stateNames[s] }

// partOfCluster: the states of a node that is in a membership (ccm's
// part_of_cluster), the ones whose STATE_INFO makes two memberships merge.
func partOfCluster(s State) bool { return s >= StateJoined }

// hasMembership: the states in which the node has a membership to report
// (a newcomer waiting for its first MEM_LIST is part of the cluster for
// ccm, but has none yet).
func hasMembership(s State) bool { return s >= StateJoined && s != StateNewNodeWaitForMemList }

func parseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventMembership: a new membership (or the same members with a new
	// instance or quorum).
	EventMembership EventKind = iota + 1
	// EventInflux: a round started; the last membership is in doubt
	// (clients get INFLUX, "not primary").
	EventInflux
)

// Member is one member of a membership.
type Member struct {
	Name  string
	Index int // ccm's node index: position by sorted name
	Born  int // the instance it joined in, as clients are told
}

// Event is what the layer reports to consumers (the client socket, the
// CRM). Members is sorted by index and owned by the event.
type Event struct {
	Kind     EventKind
	Instance int
	Members  []Member
	Quorum   bool
}

// Send is a ccm message to send: to every node (Dest "") or to one.
type Send struct {
	Dest string
	Msg  Msg
	// Wire is Msg encoded as the API server would hand it to heartbeat
	// (ccm's fields, dest, from_id, to_id, client_gen); valid until Advance.
	Wire wire.Message
}

// Ready is what the layer has decided since the last Advance.
type Ready struct {
	Sends  []Send
	Logs   []layer.LogLine
	Events []Event
}

type outBuf struct {
	sends  []Send
	log    layer.Log
	events []Event
}

func (o *outBuf) Reset() {
	for i := range o.sends {
		o.sends[i].Msg.Uptimes = o.sends[i].Msg.Uptimes[:0]
	}
	o.sends = o.sends[:0]
	o.log.Reset()
	o.events = o.events[:0]
}

// CCM is one node's consensus membership layer. Inputs must come from one
// goroutine, with non-decreasing Mono times.
type CCM struct {
	nodes   []string // sorted
	me      int
	to      Timeouts
	quorum  Quorum
	weights []int
	rnd     *rand.Rand
	order   *layer.Order

	live    []bool // heartbeat's view (me always)
	ccmGone []bool // the peer's ccm left (hbapi-clstat leave) and has not spoken since

	state    State
	major    int
	minor    int
	maxTrans int
	floor    int // highest instance that may name a member set with us in it (see skipInstance)
	cookie   string
	joined   int // the instance I joined in (my uptime), 0 if none
	leader   int // -1 when none
	members  Bitmap
	born     []int
	quorumV  int // 1, 0, -1 unknown

	joinReq   []int // VERSION_REQUEST: major of each node's PROTOVERSION, -1 none
	verTries  int
	respDrops int

	joinUp   []int // JOINING: uptime from each node's JOIN, -1 none
	resGot   []bool
	resList  []Bitmap
	resMaxT  []int
	rounds   int    // full rounds that failed in a row
	elected  int    // leader of the current full round, -1 before election
	chNode   int    // WAIT_FOR_CHANGE: the node leaving
	chJoin   bool   // WAIT_FOR_CHANGE: newcomers joining (chNew) rather than a leave
	chAcked  Bitmap // members that acknowledged the leave
	chNew    Bitmap // newcomers (ALIVE) of a join change
	chAcks   []Bitmap
	started  bool
	due      int64 // state timeout, 0 when none
	probeDue int64 // merge probe (STATE_INFO to live non-members), 0 when none

	out layer.Output[outBuf, *outBuf]
	msg Msg // decode scratch
}

// New checks cfg and returns a CCM that has not started.
func New(cfg Config) (*CCM, error) {
	if cfg.Keepalive <= 0 {
		return nil, fmt.Errorf("ccm: keepalive %v: must be positive", cfg.Keepalive)
	}
	q, err := ParseQuorum(cfg.Quorum)
	if err != nil {
		return nil, err
	}
	nodes := slices.Clone(cfg.Nodes)
	slices.Sort(nodes)
	nodes = slices.Compact(nodes)
	if len(nodes) > MaxNodes {
		return nil, fmt.Errorf("ccm: %d nodes: ccm's member bitmap holds at most %d", len(nodes), MaxNodes)
	}
	me, ok := slices.BinarySearch(nodes, cfg.Local)
	if !ok {
		return nil, fmt.Errorf("ccm: local node %q is not among the nodes %v", cfg.Local, nodes)
	}
	n := len(nodes)
	c := &CCM{
		nodes: nodes, me: me, to: TimeoutsFor(cfg.Keepalive), quorum: q,
		weights: make([]int, n), rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		live: make([]bool, n), ccmGone: make([]bool, n), born: make([]int, n),
		joinReq: make([]int, n), joinUp: make([]int, n), resGot: make([]bool, n),
		resList: make([]Bitmap, n), resMaxT: make([]int, n), chAcks: make([]Bitmap, n), leader: -1, elected: -1, quorumV: -1,
	}
	for i, name := range nodes {
		c.weights[i] = 100
		if w, ok := cfg.Weights[name]; ok {
			c.weights[i] = w
		}
	}
	c.live[me] = true
	return c, nil
}

// SetOrder makes the layer's log lines share a sequence with other
// layers' (layer.MergeLogs).
func (c *CCM) SetOrder(o *layer.Order) { c.order = o }

// Nodes returns the nodes by index (sorted names).
func (c *CCM) Nodes() []string { return c.nodes }

// LocalIndex is this node's index.
func (c *CCM) LocalIndex() int { return c.me }

// State is the protocol state.
func (c *CCM) State() State { return c.state }

// Membership returns the current membership (instance 0 when none) as
// clients are told it.
func (c *CCM) Membership() Event {
	if !hasMembership(c.state) {
		return Event{Kind: EventMembership}
	}
	return c.event()
}

// Ready hands out what the layer decided since the last Advance. Calling
// it again before Advance panics.
func (c *CCM) Ready() Ready {
	b := c.out.Ready()
	return Ready{Sends: b.sends, Logs: b.log.Lines, Events: b.events}
}

// Advance releases the last Ready's buffers.
func (c *CCM) Advance() { c.out.Advance() }

// HasReady reports whether there is output waiting.
func (c *CCM) HasReady() bool {
	b := c.out.Pending()
	return len(b.sends) > 0 || len(b.log.Lines) > 0 || len(b.events) > 0
}

// Deadline is when the layer next needs a Tick (Mono), if ever.
func (c *CCM) Deadline() (int64, bool) {
	d := c.due
	if c.probeDue != 0 && (d == 0 || c.probeDue < d) {
		d = c.probeDue
	}
	return d, d != 0
}

// Start begins: alone among live nodes, the node forms a membership at
// once; otherwise it asks who is there (PROTOVERSION). Feed NodeStatus of
// the nodes heartbeat knows alive first.
func (c *CCM) Start(t Time) {
	if c.started {
		return
	}
	c.started = true
	c.logf(prio.Info, "Hostname: %s", c.nodes[c.me])
	if c.aliveCount() == 1 {
		c.formAlone(t.Mono)
		return
	}
	c.enterVersionRequest(t.Mono)
}

// NodeStatus feeds heartbeat's verdict on a node: up (init, up, active)
// or dead.
func (c *CCM) NodeStatus(t Time, node string, up bool) {
	i, ok := c.index(node)
	if !ok || i == c.me || c.live[i] == up {
		return
	}
	c.live[i] = up
	if !c.started {
		return
	}
	if up {
		c.ccmGone[i] = false
		// ccm tells a node back from dead that it is in a membership, so
		// that two memberships merge. (ccm also does while it waits for
		// its first MEM_LIST; hbd does not: it has no membership, and the
		// receiver would dissolve its own for it.)
		if hasMembership(c.state) && !c.members.Has(i) {
			c.sendState(i)
		}
		c.checkVersion(t.Mono)
		return
	}
	c.leave(t.Mono, i)
}

// PeerLeft feeds an `hbapi-clstat st=leave from_id=ccm` from node: its
// ccm went away while its heartbeat stays up; ccm treats it as a leave.
func (c *CCM) PeerLeft(t Time, node string) {
	i, ok := c.index(node)
	if !ok || i == c.me || c.ccmGone[i] {
		return
	}
	c.ccmGone[i] = true
	if c.started && c.live[i] {
		c.leave(t.Mono, i)
	}
}

// Tick acts on the deadlines that are due at t.
func (c *CCM) Tick(t Time) {
	now := t.Mono
	if c.probeDue != 0 && now >= c.probeDue {
		c.probeDue = 0
		c.probe(now)
	}
	if c.due != 0 && now >= c.due {
		c.due = 0
		c.timeout(now)
	}
}

// Receive takes a ccm message heartbeat delivered (to_id ccm). The
// layer's own broadcasts, which heartbeat loops back, are ignored: it
// acted on them when sending. A message it cannot decode is an error and
// changes nothing.
func (c *CCM) Receive(t Time, m *wire.Message) error {
	msg := &c.msg
	if err := msg.Decode(m); err != nil {
		return err
	}
	return c.ReceiveMsg(t, msg)
}

// ReceiveMsg is Receive of an already decoded message (Src must be set).
func (c *CCM) ReceiveMsg(t Time, msg *Msg) error {
	from, ok := c.index(msg.Src)
	if !ok {
		return fmt.Errorf("ccm: %v from unknown node %q", msg.Type, msg.Src)
	}
	if from == c.me || !c.started {
		return nil
	}
	if msg.Dest != "" && msg.Dest != c.nodes[c.me] {
		return nil
	}
	if msg.NumNodes != len(c.nodes) {
		// ccm exits here; hbd keeps running and ignores the node.
		c.logf(prio.Error, "ccm_control_process: Node count from node %s does not agree: local count=%d, count in message=%d",
			msg.Src, len(c.nodes), msg.NumNodes)
		return nil
	}
	c.ccmGone[from] = false
	if msg.Major > c.maxTrans {
		c.maxTrans = msg.Major
	}
	c.handle(t.Mono, from, msg)
	return nil
}

func (c *CCM) handle(now int64, from int, msg *Msg) {
	switch msg.Type {
	case TypeProtoVersion:
		c.onProtoVersion(now, from, msg)
		return
	case TypeStateInfo:
		if c.state == StateNewNodeWaitForMemList && msg.Cookie == c.cookie {
			// A member of the membership we are joining (hbd: ccm
			// resets, and the newcomer's ALIVE is lost with it).
			return
		}
		if hasMembership(c.state) && c.members.Has(from) && msg.Major < c.major {
			// Sent before that member joined ours (delayed): stale.
			return
		}
		if st, ok := parseState(msg.State); ok && partOfCluster(st) && partOfCluster(c.state) &&
			(msg.Cookie != c.cookie || !c.members.Has(from)) {
			if !c.members.Has(from) && c.outranks(msg) {
				c.keepAgainst(now, from, msg)
				return
			}
			// A 3.0.6 sender (no size), or one of our members in another
			// membership (ours is stale): every node restarts, as in ccm.
			c.allRestart(now, msg.ClSize == 0 || c.members.Has(from))
		}
		return
	case TypeRestart:
		// hbd passes a RESTART on to its own members only: a broadcast
		// would also dissolve the membership that outranked us.
		c.allRestart(now, false)
		return
	case TypeProtoVersionResp:
		if c.state == StateVersionRequest {
			c.onResp(now, from, msg)
		}
		return
	}
	// Everything else belongs to our membership's context.
	if c.state == StateVersionRequest || c.state == StateNone || msg.Cookie != c.cookie || msg.Major < c.major {
		return
	}
	switch c.state {
	case StateJoined, StateWaitForChange, StateWaitForMemList:
		c.inMembership(now, from, msg)
	case StateNewNodeWaitForMemList:
		if msg.Type == TypeMemList && from == c.leader {
			c.adoptMemList(now, from, msg)
		}
	case StateJoining, StateSentMemlistReq, StateMemlistRes:
		c.inRound(now, from, msg)
	}
}

func (c *CCM) onProtoVersion(now int64, from int, msg *Msg) {
	switch {
	case c.state == StateVersionRequest:
		c.joinReq[from] = msg.Major
		c.checkVersion(now)
	case partOfCluster(c.state) && c.leader == c.me:
		c.sendResp(from)
	case c.state == StateJoining || c.state == StateSentMemlistReq || c.state == StateMemlistRes:
		// Answered once the round ends (ccm_send_join_reply).
		c.joinReq[from] = msg.Major
	}
}

// onResp: a leader answered our PROTOVERSION. A joiner waits (up to 3
// times) for a membership bigger than half the cluster before it joins a
// small one, so that a partition's bigger side wins.
func (c *CCM) onResp(now int64, from int, msg *Msg) {
	if c.respDrops < 3 && msg.ClSize+1 <= (len(c.nodes)+1)/2 {
		c.respDrops++
		c.state = StateNone
		c.due = now + int64(c.to.Update)
		return
	}
	c.respDrops = 0
	if msg.Major+1 <= c.floor {
		// Its MEM_LIST would give us an instance that may already name
		// another set with us in it: form alone above it and tell the
		// leader at once (STATE_INFO carries our instance), so that the
		// merge that follows starts above it.
		c.formAlone(now)
		c.sendState(from)
		return
	}
	c.major, c.minor, c.cookie, c.leader = msg.Major, 0, msg.Cookie, from
	c.send("", Msg{Type: TypeAlive})
	c.state = StateNewNodeWaitForMemList
	c.due = now + int64(c.to.Update)
}

func (c *CCM) inMembership(now int64, from int, msg *Msg) {
	switch msg.Type {
	case TypeAlive:
		if c.leader == c.me {
			c.addNewcomer(now, from, -1)
		} else if from != c.leader && (c.state == StateJoined || c.state == StateWaitForMemList && c.chJoin) {
			// ccm acknowledges only the first newcomer; hbd acknowledges
			// each, so that a leader can take several at once.
			c.send(c.nodes[c.leader], Msg{Type: TypeNewNode, Node: c.nodes[from]})
			if c.state == StateJoined {
				c.chJoin = true
				c.waitMemList(now)
			}
		}
	case TypeNodeLeaveNotice:
		node, ok := c.index(msg.Node)
		if ok && from == c.leader && c.leader != c.me && c.members.Has(node) && c.state == StateJoined {
			c.send(c.nodes[c.leader], Msg{Type: TypeNodeLeave, Node: msg.Node})
			c.chJoin = false
			c.waitMemList(now)
		}
	case TypeNewNode, TypeNodeLeave:
		if c.leader != c.me || !c.members.Has(from) {
			return
		}
		node, ok := c.index(msg.Node)
		join := msg.Type == TypeNewNode
		switch {
		case join && ok && node != c.me:
			c.addNewcomer(now, node, from)
		case c.state == StateJoined && ok && !c.alive(node) && node != c.me:
			c.beginChange(now, node, false, from)
		case c.state == StateWaitForChange && ok && node == c.chNode && !c.chJoin:
			c.chAcked.Set(from)
			c.checkChange(now)
		case c.state == StateWaitForChange && !join:
			// Not the change we wait for (3.0.6's NODE_LEAVE names the
			// leader): settle it with a full round. A NEW_NODE for another
			// newcomer is left for that newcomer to ask again.
			c.startRound(now, c.minor+1)
		}
	case TypeMemList:
		if from == c.leader {
			c.adoptMemList(now, from, msg)
		}
	case TypeJoin:
		if msg.Minor < c.minor {
			c.allRestart(now, true)
			return
		}
		if from == c.leader {
			// The leader gave up its change: no MEM_LIST was made.
			c.state = StateJoined
		}
		c.startRound(now, msg.Minor)
		c.joinUp[from] = msg.Uptime
		c.checkJoins(now)
	}
}

// beginChange: as leader, take node out of the membership once every
// other member acknowledged its leave.
func (c *CCM) beginChange(now int64, node int, join bool, acker int) {
	c.chNode, c.chJoin = node, false
	c.chAcked = Bitmap{}
	c.chAcked.Set(c.me)
	c.chAcked.Set(node)
	if acker >= 0 {
		c.chAcked.Set(acker)
	} else if c.needAcks(c.chAcked) {
		c.send("", Msg{Type: TypeNodeLeaveNotice, Node: c.nodes[node]})
	}
	c.state = StateWaitForChange
	c.due = now + int64(c.to.Update)
	c.checkChange(now)
}

// addNewcomer: as leader, a node asked to join (ALIVE, or a member's
// NEW_NODE for it); it comes in with every newcomer all members have
// acknowledged.
func (c *CCM) addNewcomer(now int64, node, acker int) {
	switch {
	case c.state == StateJoined:
		c.chJoin = true
		c.chNew = Bitmap{}
		c.state = StateWaitForChange
		c.due = now + int64(c.to.Update)
	case c.state != StateWaitForChange || !c.chJoin:
		return
	}
	if !c.chNew.Has(node) {
		c.chNew.Set(node)
		c.chAcks[node] = Bitmap{}
		c.chAcks[node].Set(c.me)
		c.chAcks[node].Set(node)
	}
	if acker >= 0 {
		c.chAcks[node].Set(acker)
	}
	c.checkChange(now)
}

func (c *CCM) needAcks(acked Bitmap) bool {
	for i := range c.nodes {
		if c.members.Has(i) && !acked.Has(i) {
			return true
		}
	}
	return false
}

// checkChange commits the change once every acknowledgement is in; at
// the timeout (final) a join change takes the newcomers that are fully
// acknowledged, if any.
func (c *CCM) checkChange(now int64) bool { return c.commitChange(now, false) }

func (c *CCM) commitChange(now int64, final bool) bool {
	newMembers := c.members
	newBorn := slices.Clone(c.born)
	next := c.major + 1
	if !c.chJoin {
		if c.needAcks(c.chAcked) {
			return false
		}
		newMembers[c.chNode/8] &^= 1 << (c.chNode % 8)
		newBorn[c.chNode] = 0
	} else {
		some := false
		for i := range c.nodes {
			if !c.chNew.Has(i) {
				continue
			}
			if c.needAcks(c.chAcks[i]) {
				if !final {
					return false
				}
				continue
			}
			some = true
			newMembers.Set(i)
			newBorn[i] = next
		}
		if !some {
			return false
		}
	}
	c.commitMemList(now, newMembers, newBorn)
	return true
}

// commitMemList: the leader's fast path, a MEM_LIST with the new members,
// their born values and a new cookie; instance + 1.
func (c *CCM) commitMemList(now int64, members Bitmap, born []int) {
	newCookie := c.newCookie()
	c.members = members
	copy(c.born, born)
	q := c.decideQuorum()
	m := Msg{Type: TypeMemList, MemList: members, Quorum: q, NewCookie: newCookie}
	for i := range c.nodes {
		if members.Has(i) {
			m.Uptimes = append(m.Uptimes, c.born[i])
		}
	}
	c.send("", m)
	c.install(now, c.major+1, newCookie, c.me, q)
}

func (c *CCM) adoptMemList(now int64, from int, msg *Msg) {
	if msg.NoMemList || !msg.MemList.Has(c.me) || msg.Major+1 <= c.floor {
		c.reset(now)
		return
	}
	c.members = msg.MemList
	k := 0
	for i := range c.nodes {
		c.born[i] = 0
		if c.members.Has(i) {
			if k < len(msg.Uptimes) {
				c.born[i] = msg.Uptimes[k]
			}
			k++
		}
	}
	c.install(now, msg.Major+1, msg.NewCookie, from, msg.Quorum)
}

// install makes a new membership current and reports it.
func (c *CCM) install(now int64, major int, cookie string, leader, quorum int) {
	c.major, c.minor, c.cookie, c.leader, c.quorumV = major, 0, cookie, leader, quorum
	c.skipInstance(major)
	if c.joined == 0 || c.born[c.me] != 0 {
		c.joined = c.born[c.me]
	}
	if c.joined == 0 {
		c.joined = major
		c.born[c.me] = major
	}
	c.state = StateJoined
	c.due = 0
	c.rounds = 0
	c.elected = -1
	c.probeDue = now + int64(c.to.Version)
	ev := c.event()
	c.out.Pending().events = append(c.out.Pending().events, ev)
	c.logf(prio.Debug, "%s", membershipText(ev))
	if c.leader == c.me {
		c.sendJoinReplies()
	}
}

func membershipText(ev Event) string {
	s := fmt.Sprintf("new membership: instance %d, quorum %v, members", ev.Instance, ev.Quorum)
	for _, m := range ev.Members {
		s += fmt.Sprintf(" %s(%d, born %d)", m.Name, m.Index, m.Born)
	}
	return s
}

func (c *CCM) event() Event {
	ev := Event{Kind: EventMembership, Instance: c.major, Quorum: c.quorumV == 1}
	n := c.members.Count()
	for i, name := range c.nodes {
		if c.members.Has(i) {
			b := c.born[i]
			if b == 0 || n == 1 {
				b = c.major
			}
			ev.Members = append(ev.Members, Member{Name: name, Index: i, Born: b})
		}
	}
	return ev
}

func (c *CCM) decideQuorum() int {
	m, mw, tw := 0, 0, 0
	for i := range c.nodes {
		tw += c.weights[i]
		if c.members.Has(i) {
			m++
			mw += c.weights[i]
		}
	}
	q, brk := c.quorum.Decide(m, mw, len(c.nodes), tw)
	if brk {
		c.logf(prio.Info, "Break tie for 2 nodes cluster")
	}
	if q {
		return 1
	}
	return 0
}

func (c *CCM) waitMemList(now int64) {
	c.state = StateWaitForMemList
	c.due = now + int64(c.to.Update)
}

// leave: heartbeat (or the peer's ccm) says node i is gone.
func (c *CCM) leave(now int64, i int) {
	switch c.state {
	case StateVersionRequest:
		c.joinReq[i] = -1
		c.checkVersion(now)
	case StateJoined:
		if !c.members.Has(i) {
			return
		}
		switch {
		case i == c.leader:
			c.startRound(now, c.minor+1)
		case c.leader == c.me:
			c.beginChange(now, i, false, -1)
		}
	case StateWaitForChange:
		if c.members.Has(i) || !c.chJoin && i == c.chNode {
			c.startRound(now, c.minor+1)
		}
	case StateWaitForMemList, StateNewNodeWaitForMemList:
		if i == c.leader {
			c.startRound(now, c.minor+1)
		}
	case StateJoining:
		c.checkJoins(now)
	case StateSentMemlistReq:
		c.checkResponses(now)
	case StateMemlistRes:
		if i == c.elected {
			c.startRound(now, c.minor+1)
		}
	}
}

// Full rounds: JOIN from everybody alive, the leader elected by seniority
// asks for connectivity (REQ_MEMLIST), each answers with the nodes it
// heard (RES_MEMLIST), the leader keeps the biggest set that all heard
// each other and announces it (FINAL_MEMLIST).

func (c *CCM) startRound(now int64, minor int) {
	c.abandon()
	if c.state == StateNewNodeWaitForMemList || c.state == StateVersionRequest || c.state == StateNone {
		c.reset(now)
		return
	}
	if hasMembership(c.state) {
		c.out.Pending().events = append(c.out.Pending().events, Event{Kind: EventInflux, Instance: c.major})
	}
	c.state = StateJoining
	c.minor = minor
	c.elected = -1
	for i := range c.joinUp {
		c.joinUp[i] = -1
		c.resGot[i] = false
	}
	c.joinUp[c.me] = c.joined
	c.probeDue = 0
	c.send("", Msg{Type: TypeJoin})
	c.due = now + int64(c.to.Update)
	c.checkJoins(now)
}

func (c *CCM) inRound(now int64, from int, msg *Msg) {
	switch msg.Type {
	case TypeJoin:
		if msg.Minor > c.minor || (msg.Minor == c.minor && c.state != StateJoining && c.joinUp[from] < 0) {
			if msg.Minor == c.minor {
				// A latecomer to a round already past its joins: a new one.
				c.startRound(now, c.minor+1)
				return
			}
			c.startRound(now, msg.Minor)
		}
		if msg.Minor == c.minor && c.state == StateJoining {
			c.joinUp[from] = msg.Uptime
			c.checkJoins(now)
		}
	case TypeReqMemlist:
		if msg.Minor != c.minor || c.state == StateSentMemlistReq {
			c.send(c.nodes[from], Msg{Type: TypeResMemlist, MaxTrans: c.floor, NoMemList: true})
			return
		}
		if c.elected < 0 {
			c.elected = c.elect()
		}
		if from != c.elected {
			c.send(c.nodes[from], Msg{Type: TypeResMemlist, MaxTrans: c.floor, NoMemList: true})
			return
		}
		c.send(c.nodes[from], Msg{Type: TypeResMemlist, MaxTrans: c.floor, MemList: c.heard()})
		c.state = StateMemlistRes
		c.due = now + int64(c.to.FinalList)
	case TypeResMemlist:
		if c.state != StateSentMemlistReq || msg.Minor != c.minor {
			return
		}
		c.resGot[from] = true
		c.resMaxT[from] = msg.MaxTrans
		c.resList[from] = msg.MemList
		if msg.NoMemList {
			c.resList[from] = Bitmap{}
		}
		c.checkResponses(now)
	case TypeFinalMemlist:
		if c.state != StateMemlistRes || from != c.elected {
			return
		}
		if msg.NoMemList || !msg.MemList.Has(c.me) || msg.MaxTrans <= c.floor {
			// (The last only from a leader that does not follow roundInstance.)
			c.reset(now)
			return
		}
		c.members = msg.MemList
		for i := range c.nodes {
			c.born[i] = 0
			if c.members.Has(i) && c.joinUp[i] > 0 {
				c.born[i] = c.joinUp[i]
			} else if c.members.Has(i) {
				c.born[i] = msg.MaxTrans
			}
		}
		c.install(now, msg.MaxTrans, msg.NewCookie, from, msg.Quorum)
	}
}

func (c *CCM) heard() Bitmap {
	var b Bitmap
	for i, u := range c.joinUp {
		if u >= 0 {
			b.Set(i)
		}
	}
	return b
}

func (c *CCM) checkJoins(now int64) {
	if c.state != StateJoining {
		return
	}
	for i := range c.nodes {
		if c.alive(i) && c.joinUp[i] < 0 {
			return
		}
	}
	c.electAndAsk(now)
}

// elect: the node with the smallest non-zero uptime; ties go to the
// greater name; an uptime of 0 always loses.
func (c *CCM) elect() int {
	best := -1
	for i, u := range c.joinUp {
		if u < 0 {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := c.joinUp[best]
		switch {
		case b == 0 && u > 0, u > 0 && u < b:
			best = i
		case u == b:
			best = i // a tie goes to the greater name: i > best
		}
	}
	return best
}

func (c *CCM) electAndAsk(now int64) {
	c.elected = c.elect()
	if c.elected != c.me {
		c.state = StateMemlistRes
		c.due = now + int64(c.to.FinalList)
		return
	}
	c.state = StateSentMemlistReq
	c.send("", Msg{Type: TypeReqMemlist})
	c.due = now + int64(c.to.FromFollowers)
	c.checkResponses(now)
}

func (c *CCM) checkResponses(now int64) {
	if c.state != StateSentMemlistReq {
		return
	}
	for i, u := range c.joinUp {
		if i != c.me && u >= 0 && c.alive(i) && !c.resGot[i] {
			return
		}
	}
	c.finalize(now)
}

// finalize: keep the biggest set of nodes that all heard each other
// (greedy clique from the leader), at the round's instance.
func (c *CCM) finalize(now int64) {
	mine := c.heard()
	adj := func(i, j int) bool {
		li, lj := mine, mine
		if i != c.me {
			li = c.resList[i]
		}
		if j != c.me {
			lj = c.resList[j]
		}
		return li.Has(j) && lj.Has(i)
	}
	var cand []int
	for i := range c.nodes {
		if i != c.me && c.resGot[i] && adj(i, c.me) {
			cand = append(cand, i)
		}
	}
	deg := func(i int) int {
		d := 0
		for _, j := range cand {
			if j != i && adj(i, j) {
				d++
			}
		}
		return d
	}
	slices.SortStableFunc(cand, func(a, b int) int { return deg(b) - deg(a) })
	var keep Bitmap
	keep.Set(c.me)
	for _, i := range cand {
		ok := true
		for j := range c.nodes {
			if keep.Has(j) && !adj(i, j) {
				ok = false
				break
			}
		}
		if ok {
			keep.Set(i)
		}
	}
	next := c.roundInstance()
	if next <= c.floor {
		// Only after a round led by a ccm that does not follow
		// roundInstance; our members cannot predict this number.
		next = c.floor + 1
	}
	c.members = keep
	for i := range c.nodes {
		c.born[i] = 0
		if keep.Has(i) {
			c.born[i] = c.joinUp[i]
			if c.born[i] <= 0 {
				c.born[i] = next
			}
		}
	}
	q := c.decideQuorum()
	newCookie := c.newCookie()
	c.send("", Msg{Type: TypeFinalMemlist, MaxTrans: next, MemList: keep, Quorum: q, NewCookie: newCookie})
	c.install(now, next, newCookie, c.me, q)
}

// Version request: ask who is there, answer nothing until a leader
// answers or everybody alive has asked (then the highest joiner forms a
// membership alone).

func (c *CCM) enterVersionRequest(now int64) {
	c.state = StateVersionRequest
	for i := range c.joinReq {
		c.joinReq[i] = -1
	}
	c.joinReq[c.me] = c.major
	c.send("", Msg{Type: TypeProtoVersion})
	c.due = now + int64(c.to.Version)
	c.checkVersion(now)
}

func (c *CCM) checkVersion(now int64) {
	if c.state != StateVersionRequest {
		return
	}
	for i := range c.nodes {
		if c.alive(i) && c.joinReq[i] < 0 {
			return
		}
	}
	if c.highestJoiner() {
		c.formAlone(now)
	}
}

func (c *CCM) highestJoiner() bool {
	for i, m := range c.joinReq {
		if i == c.me || m < 0 || !c.alive(i) {
			continue
		}
		if m > c.major || m == c.major && i > c.me {
			return false
		}
	}
	return true
}

func (c *CCM) formAlone(now int64) {
	var b Bitmap
	b.Set(c.me)
	c.members = b
	for i := range c.born {
		c.born[i] = 0
	}
	next := max(c.major, c.maxTrans, c.floor) + 1
	c.born[c.me] = next
	c.joined = next
	c.install(now, next, c.newCookie(), c.me, c.decideQuorum())
}

func (c *CCM) sendJoinReplies() {
	for i, m := range c.joinReq {
		if i != c.me && m >= 0 {
			c.sendResp(i)
			c.joinReq[i] = -1
		}
	}
}

func (c *CCM) sendResp(i int) {
	c.send(c.nodes[i], Msg{Type: TypeProtoVersionResp, ClSize: c.members.Count()})
}

func (c *CCM) sendState(i int) {
	m := Msg{Type: TypeStateInfo, State: StateJoined.String()}
	if hasMembership(c.state) {
		m.ClSize = c.members.Count()
	}
	c.send(c.nodes[i], m)
}

// outranks: hbd's merge. Two memberships met (STATE_INFO from a member of
// another): ccm dissolves both (RESTART) and rebuilds one node at a time,
// from the highest joiner alone — so the bigger side's members were
// delivered memberships without each other (node3 alone, then node3 with
// the healed node1, quorate, while node2 waited to join). Instead the
// side that outranks the other — more members, then the greater cookie —
// keeps its membership and the other side's nodes join it as newcomers.
// Only hbd's STATE_INFO says its size; a 3.0.6 sender's makes us restart.
func (c *CCM) outranks(msg *Msg) bool {
	if !hasMembership(c.state) || msg.ClSize <= 0 || msg.Cookie == c.cookie {
		return false
	}
	n := c.members.Count()
	return n > msg.ClSize || n == msg.ClSize && c.cookie > msg.Cookie
}

// keepAgainst: we keep our membership; the sender's side dissolves when
// our STATE_INFO reaches it. Its nodes may not join at an instance they
// already used (floor): its STATE_INFO carries its instance, and our
// leader first moves ours above it with a round among our members (the
// same members, a new instance).
func (c *CCM) keepAgainst(now int64, from int, msg *Msg) {
	c.sendState(from)
	if c.leader == c.me && c.state == StateJoined && msg.Major >= c.major+1 {
		c.startRound(now, max(c.minor+1, msg.Major-c.major))
	}
}

// allRestart: two memberships met (STATE_INFO from a member of another,
// or RESTART): a node alone resets; otherwise it tells the others to start
// over (RESTART: everybody when toAll, as ccm does, else our members) and
// does so itself.
func (c *CCM) allRestart(now int64, toAll bool) {
	if c.state == StateVersionRequest || c.state == StateNone {
		return
	}
	if hasMembership(c.state) {
		c.out.Pending().events = append(c.out.Pending().events, Event{Kind: EventInflux, Instance: c.major})
	}
	if c.members.Count() <= 1 || !partOfCluster(c.state) {
		c.reset(now)
		return
	}
	// A MEM_LIST we waited for may have been made without us.
	c.abandon()
	if toAll {
		c.send("", Msg{Type: TypeRestart})
	} else {
		for i := range c.nodes {
			if i != c.me && c.members.Has(i) {
				c.send(c.nodes[i], Msg{Type: TypeRestart})
			}
		}
	}
	c.members = Bitmap{}
	c.leader = -1
	c.probeDue = 0
	c.enterVersionRequest(now)
}

// reset drops everything and asks to join again (ccm_reset).
func (c *CCM) reset(now int64) {
	c.abandon()
	c.members = Bitmap{}
	c.leader, c.elected = -1, -1
	c.major, c.minor, c.cookie, c.joined, c.quorumV = 0, 0, "", 0, -1
	for i := range c.born {
		c.born[i] = 0
	}
	c.probeDue = 0
	c.respDrops = 0
	c.verTries = 0
	c.enterVersionRequest(now)
}

func (c *CCM) timeout(now int64) {
	switch c.state {
	case StateNone:
		c.enterVersionRequest(now)
	case StateVersionRequest:
		c.verTries++
		if c.verTries < 3 {
			c.enterVersionRequest(now)
			return
		}
		c.verTries = 0
		if c.highestJoiner() {
			c.formAlone(now)
			return
		}
		c.enterVersionRequest(now)
	case StateNewNodeWaitForMemList:
		c.reset(now)
	case StateWaitForMemList:
		c.startRound(now, c.minor+1)
	case StateWaitForChange:
		if !c.commitChange(now, true) {
			c.startRound(now, c.minor+1)
		}
	case StateJoining:
		c.electAndAsk(now)
	case StateSentMemlistReq:
		c.finalize(now)
	case StateMemlistRes:
		c.rounds++
		if c.rounds >= 3 {
			c.reset(now)
			return
		}
		c.startRound(now, c.minor+1)
	}
}

// roundInstance is the instance a full round makes: its membership's
// instance + 1 + the round's minor (1, 2, …). Every node in the round
// shares the membership (same cookie, so same instance) and the minor, so
// a member that misses the FINAL_MEMLIST knows the number exactly; the
// fast path's MEM_LIST takes instance + 1, the slot of minor 0. ccm takes
// the smallest ccmmaxt + 1, a number its members cannot know.
func (c *CCM) roundInstance() int { return c.major + 1 + c.minor }

// abandon: we leave a round or a change whose outcome we did not see;
// its leader may have made an instance with us in it (its MEM_LIST or
// FINAL_MEMLIST lost). Never make or install that instance ourselves, so
// that one instance number never names two member sets of which one
// lists a member of the other (hbd's addition: ccm reuses it).
func (c *CCM) abandon() {
	switch c.state {
	case StateMemlistRes:
		// roundInstance if the leader is hbd; a 3.0.6 leader takes the
		// smallest ccmmaxt + 1, at most our floor + 1 (what we sent),
		// which is not above it.
		c.skipInstance(max(c.roundInstance(), c.floor+1))
	case StateWaitForMemList, StateNewNodeWaitForMemList:
		// The MEM_LIST would carry our membership's cookie (it changes
		// with every instance), so its instance is ours + 1.
		c.skipInstance(c.major + 1)
	}
}

// skipInstance: instance i may name a member set with us in it; whatever
// we form or install from now on is above it.
func (c *CCM) skipInstance(i int) {
	c.maxTrans = max(c.maxTrans, i)
	c.floor = max(c.floor, i)
}

// probe: hbd's addition. ccm sends STATE_INFO only to a node coming back
// from dead, so two memberships formed while every node stayed alive
// (lost answers while joining) would never merge. A member tells each
// live non-member, every version timeout, that it is in a membership.
func (c *CCM) probe(now int64) {
	if c.state != StateJoined {
		return
	}
	for i := range c.nodes {
		if i != c.me && c.alive(i) && !c.members.Has(i) {
			c.sendState(i)
		}
	}
	c.probeDue = now + int64(c.to.Version)
}

func (c *CCM) alive(i int) bool { return i == c.me || c.live[i] && !c.ccmGone[i] }

func (c *CCM) aliveCount() int {
	n := 0
	for i := range c.nodes {
		if c.alive(i) {
			n++
		}
	}
	return n
}

func (c *CCM) index(name string) (int, bool) { return slices.BinarySearch(c.nodes, name) }

// send queues m with the header every message carries.
func (c *CCM) send(dest string, m Msg) {
	m.Major, m.Major2, m.NumNodes = c.major, c.major, len(c.nodes)
	m.Cookie, m.Uptime, m.Minor, m.Dest = c.cookie, c.joined, c.minor, dest
	if m.Type == TypeAlive {
		m.Uptime = 0
	}
	b := c.out.Pending()
	if len(b.sends) < cap(b.sends) {
		b.sends = b.sends[:len(b.sends)+1]
	} else {
		b.sends = append(b.sends, Send{})
	}
	s := &b.sends[len(b.sends)-1]
	s.Dest = dest
	up := s.Msg.Uptimes[:0]
	s.Msg = m
	s.Msg.Uptimes = append(up, m.Uptimes...)
	s.Wire.Reset()
	_ = s.Msg.Encode(&s.Wire) // a known type: cannot fail
}

const cookieLen = 14

// newCookie draws ccm's 14 printable characters ('!' … '~').
func (c *CCM) newCookie() string {
	var b [cookieLen]byte
	for i := range b {
		b[i] = byte('!' + c.rnd.IntN('~'-'!'+1))
	}
	return string(b[:])
}

func (c *CCM) logf(p prio.Level, format string, args ...any) {
	c.out.Pending().log.Addf(c.order, p, format, args...)
}

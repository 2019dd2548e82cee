package master

import (
	"errors"
	"math/rand/v2"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// phase is where the local node is in heartbeat's start sequence. Each
// phase changes what a few decisions do (which dead interval applies,
// whether comm-up is checked, whether anything runs at all); the
// transitions are in one place each: Start, checkCommUp, commNowUp,
// Shutdown.
type phase uint8

const (
	phaseNew      phase = iota // before Start
	phaseStarting              // inside Start: statuses init, up, up; comm-up not checked yet
	phaseWaiting               // up: waiting to hear from every node (initdead applies)
	phaseLinksUp               // every node heard from or dead; reqnodes outstanding
	phaseActive                // communications up, local status active
	phaseStopped               // after Shutdown: inert
)

var phaseNames = [...]string{"new", "starting", "waiting", "links-up", "active", "stopped"}

func (p phase) String() string { return phaseNames[p] }

// running reports whether inputs are processed.
func (p phase) running() bool { return p != phaseNew && p != phaseStopped }

// linksUp reports whether per-node dead intervals apply (before, initdead
// does for every node: heartbeat's COMM_LINKSUP).
func (p phase) linksUp() bool { return p == phaseLinksUp || p == phaseActive }

// node is heartbeat's node_info plus its seqtrack, for one configured node.
type node struct {
	name    string
	typ     NodeType
	status  Status
	uuid    [wire.UUIDLen]byte
	hasUUID bool
	links   []link

	anyPackets bool  // heard anything since start or death (comm-up)
	lastStatus int64 // local time of the last status (local_lastupdate)
	ownDead    int64 // its dead interval: advertised dt, or deadtime/deadping
	skipLate   bool  // restarted: the next status is not checked for lateness
	rmtTS      uint64
	statusSeq  uint64
	timer      int32 // tkNode

	// Sequence tracking.
	gen          uint64
	lastSeq      uint64
	haveSeq      bool
	seqGen       uint64 // the generation of the packet haveSeq was set by
	seqFloor     uint64 // highest seq taken in this generation (see shouldDrop)
	missing      []missingSeq
	firstMissing uint64
	ackTrigger   uint64 // we ACK its seqs ≡ this mod 10
	ackSeq       uint64 // the highest of our seqs it ACKed

	native bool // its latest status advertised the native format
	// beaconSeq is the newest status beacon's counter taken from it in
	// its generation gen (0: none yet).
	beaconSeq uint64
}

type link struct {
	name  string
	up    bool
	last  int64
	timer int32 // tkLink
}

type missingSeq struct {
	seq   uint64
	timer int32 // tkRexmit, -1 once requests stopped
}

// level is the scratch one nesting level of sending needs. Heartbeat
// sends from inside its receive path (an ACK, a reply) and runs every
// message it sends through that path again (loopback), so sends nest a
// few levels deep.
type level struct {
	out  wire.Message
	pkt  wire.Packet
	buf  []byte
	nbuf []byte // the native form of buf's message, when native is on
}

const maxLevel = 8

// Master is the cluster membership of one node as a deterministic state
// machine. See the package documentation.
type Master struct {
	cfg   Config
	keys  *wire.Keyring
	rnd   rand.Source
	nodes []node
	self  int
	media []MediumConfig
	// mediumLink[i] is the index, in a normal node's links, of the link
	// that medium i refreshes (-1 for ping media); ping nodes have one.
	mediumLink []int
	byName     map[string]int
	byUUID     map[[wire.UUIDLen]byte]int
	nodeList   string // "n1 n2 " for repnodes

	keepalive, deadtime, warntime, initdead, deadping, rexmitMax int64

	phase    phase
	now      int64
	wall     int64
	lastWall int64
	start    int64

	seq         uint64 // last seq given to a message
	advertised  int64  // dt we send
	flowControl bool
	paused      bool
	hist        history
	lowestAck   int // heartbeat's lowest_acknode, -1 when unknown
	reqFrom     int // reqnodes: the node index to start looking from

	tq          timerQueue
	statusTimer int32
	popTimer    int32
	reqTimer    int32
	histTimer   int32

	ctl   wire.Control
	load  []byte
	lv    [maxLevel]level
	depth int
	unz   wire.Message // a whole-compressed message, decompressed
	unzb  []byte

	out   output
	order layer.Order // numbers log lines (LogOrder)
	stats Stats

	native   bool   // sending native packets (see native.go)
	beacon   uint64 // last status beacon counter sent (see beacon.go)
	noBeacon bool   // a text (serial) medium is configured: no beacons
	// ownBeacon is set while our own beacon runs through our receive
	// path (the only beacon taken in heartbeat's form).
	ownBeacon bool
	srcIndex  uint16 // our index in the sorted node list, for native headers
	// rexPkt and rexNative re-encode retransmissions natively.
	rexPkt    wire.Packet
	rexNative []byte

	restarting bool  // PrepareRestart ran: membership only until exec
	upper      Upper // the layer above (resource ownership), or nil
}

var naLoad = []byte("n/a")

// New returns a master for cfg. It does nothing until Start.
func New(cfg Config) (*Master, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Master{
		cfg:         cfg,
		keys:        cfg.Keys,
		rnd:         cfg.Rand,
		media:       cfg.Media,
		byName:      make(map[string]int, len(cfg.Nodes)),
		byUUID:      make(map[[wire.UUIDLen]byte]int, len(cfg.Nodes)),
		keepalive:   int64(cfg.Keepalive),
		deadtime:    int64(cfg.Deadtime),
		warntime:    int64(cfg.Warntime),
		initdead:    int64(cfg.Initdead),
		deadping:    int64(cfg.Deadping),
		rexmitMax:   int64(cfg.MaxRexmitDelay),
		flowControl: true,
		lowestAck:   -1,
		load:        append([]byte(nil), naLoad...),
	}
	m.out.order = &m.order
	m.mediumLink = make([]int, len(cfg.Media))
	var normalLinks []string
	for i, md := range cfg.Media {
		m.mediumLink[i] = -1
		if md.Ping {
			continue
		}
		// Links are looked up by name: a second medium with the same
		// name refreshes the first one's link, and its own stays dead.
		for j, name := range normalLinks {
			if name == md.Name {
				m.mediumLink[i] = j
				break
			}
		}
		if m.mediumLink[i] < 0 {
			m.mediumLink[i] = len(normalLinks)
		}
		normalLinks = append(normalLinks, md.Name)
	}
	m.nodes = make([]node, len(cfg.Nodes))
	for i, nc := range cfg.Nodes {
		n := &m.nodes[i]
		n.name, n.typ, n.status = nc.Name, nc.Type, StatusInit
		n.ownDead = m.deadtime
		if nc.Type == Ping {
			n.ownDead = m.deadping
			for _, md := range cfg.Media {
				if md.Ping && md.Name == nc.Name {
					n.links = []link{{name: nc.Name}}
					break
				}
			}
		} else {
			n.links = make([]link, len(normalLinks))
			for j, name := range normalLinks {
				n.links[j].name = name
			}
			m.nodeList += nc.Name + " "
		}
		// Heartbeat draws every node's ACK trigger when it adds the node.
		n.ackTrigger = m.rnd.Uint64() % ackDiv
		n.timer = m.tq.alloc(tkNode, int32(i), 0)
		for j := range n.links {
			n.links[j].timer = m.tq.alloc(tkLink, int32(i), int32(j))
		}
		m.byName[nc.Name] = i
		if nc.Name == cfg.Local {
			m.self = i
		}
	}
	self := &m.nodes[m.self]
	self.uuid, self.hasUUID = cfg.UUID, cfg.UUID != [wire.UUIDLen]byte{}
	if self.hasUUID {
		m.byUUID[cfg.UUID] = m.self
	}
	m.statusTimer = m.tq.alloc(tkStatus, 0, 0)
	m.popTimer = m.tq.alloc(tkPopDeadtime, 0, 0)
	m.reqTimer = m.tq.alloc(tkReqNodes, 0, 0)
	m.histTimer = m.tq.alloc(tkHist, 0, 0)
	m.hist.init()
	m.initNative()
	m.ctl = wire.Control{
		Src:      []byte(cfg.Local),
		SrcUUID:  cfg.UUID,
		Gen:      cfg.Generation,
		TTL:      uint64(cfg.HopFudge + len(cfg.Nodes)),
		DestUUID: m.uuidOf,
	}
	return m, nil
}

// uuidOf is heartbeat's name→uuid table for destuuid: zero when unknown.
func (m *Master) uuidOf(name []byte) [wire.UUIDLen]byte {
	if i, ok := m.byName[string(name)]; ok {
		return m.nodes[i].uuid
	}
	return [wire.UUIDLen]byte{}
}

// enter records the time of an input. The monotonic clock never goes
// back; a caller that passes an older time is clamped to the last one.
func (m *Master) enter(t Time) { m.enterAfter(t, 0) }

// enterAfter is enter for an input that comes after the daemon was away
// for stall (0: unknown); a time gap of our own is noticed here, before
// anything is judged at the new time (see pause.go).
func (m *Master) enterAfter(t Time, stall int64) {
	if t.Mono > m.now || m.phase == phaseNew {
		if m.phase.running() {
			m.notePause(t.Mono, stall)
		}
		m.now = t.Mono
	}
	m.wall = t.Wall
}

// Start begins heartbeat's start sequence at t: status init with the
// raised dt, then "up" twice, then the periodic timers. It must be the
// first input.
func (m *Master) Start(t Time) {
	if m.phase != phaseNew {
		return
	}
	m.enter(t)
	m.start, m.lastWall = m.now, m.wall
	m.phase = phaseStarting
	if m.upper != nil {
		m.upper.Starting()
	}
	for i := range m.nodes {
		n := &m.nodes[i]
		n.lastStatus = m.now
		for j := range n.links {
			n.links[j].last = m.now
		}
	}
	// hb_add_deadtime(2000): advertise more for 5 s; sends status "init".
	m.advertised = advertisedDeadtime(m.deadtime, true)
	m.sendStatus()
	m.tq.Set(m.popTimer, m.now+startDeadtimeFor)
	m.setLocalStatus(StatusUp)
	m.sendStatus()
	m.phase = phaseWaiting
	for i := range m.nodes {
		m.armNode(i)
	}
	m.tq.Set(m.statusTimer, m.now+m.keepalive)
	m.tq.Set(m.histTimer, m.now+histSnapshotTick)
	m.checkCommUp()
	m.pump()
}

// Tick runs every timer due at t: status sends, dead nodes and links,
// retransmission requests, reqnodes retries. Call it at Ready().Deadline
// (earlier is harmless), after handing over every datagram that arrived
// up to t, so no heartbeat that did arrive is overlooked.
func (m *Master) Tick(t Time) {
	if !m.phase.running() {
		return
	}
	m.enter(t)
	if m.wall < m.lastWall {
		m.out.log(prio.Info, "Clock jumped backwards. Compensating.")
	}
	m.lastWall = m.wall
	for m.phase.running() {
		h, when, ok := m.tq.Next()
		if m.upper != nil {
			// The Upper's timers run in time order among ours, after
			// ours on equal deadlines (heartbeat's order).
			if uw, uok := m.upper.NextTimer(); uok && uw <= m.now && (!ok || uw < when) {
				m.upper.FireTimer()
				continue
			}
		}
		if !ok || when > m.now {
			break
		}
		m.tq.Stop(h)
		m.fire(h)
	}
	m.checkCommUp()
	m.pump()
}

func (m *Master) fire(h int32) {
	t := *m.tq.Data(h)
	switch t.kind {
	case tkStatus:
		m.sendStatus()
		m.tq.Set(h, nextPeriod(m.start, m.keepalive, m.now))
	case tkPopDeadtime:
		m.advertised = advertisedDeadtime(m.deadtime, false)
		m.sendStatus()
	case tkNode:
		m.checkNode(int(t.node))
	case tkLink:
		m.checkLink(int(t.node), int(t.arg))
	case tkRexmit:
		m.rexmitDue(h, int(t.node), t.seq)
	case tkReqNodes:
		m.sendReqNodes(m.reqFrom)
	case tkHist:
		m.hist.snapshot()
		m.tq.Set(h, nextPeriod(m.start, histSnapshotTick, m.now))
	}
}

// pump lets the Upper finish what an input started.
func (m *Master) pump() {
	if m.upper != nil {
		m.upper.Pump()
	}
}

// SetLoad sets the load average sent in the "ld" field: the first line of
// /proc/loadavg, which the daemon reads now and then.
func (m *Master) SetLoad(ld []byte) {
	for i, c := range ld {
		if c == '\n' || c == 0 {
			ld = ld[:i]
			break
		}
	}
	if len(ld) == 0 {
		ld = naLoad
	}
	m.load = append(m.load[:0], ld...)
}

var (
	// ErrNotRunning is returned by Send before Start, after Shutdown and
	// after PrepareRestart.
	ErrNotRunning = errors.New("master: not running")
	// ErrNoType is returned by Send for a message without a "t" field.
	ErrNoType = errors.New("master: message has no type")
)

// Send sends a message from a local client (the FIFO or the API) to the
// cluster: heartbeat's control fields are added (src, seq, hg, ts, …),
// it is processed locally like every message heartbeat sends, then
// queued for every medium. msg is not modified.
func (m *Master) Send(t Time, msg *wire.Message) error {
	if !m.phase.running() || m.restarting {
		return ErrNotRunning
	}
	m.enter(t)
	if msg.Type() == nil {
		return ErrNoType
	}
	out := m.msg()
	out.CopyFrom(msg)
	err := m.sendCluster(out)
	m.pump()
	return err
}

// SendText is Send for a message in classic (">>>"…"<<<") or netstring
// text, as scripts write it to heartbeat's FIFO. It is not authenticated.
func (m *Master) SendText(t Time, text []byte) error {
	if !m.phase.running() || m.restarting {
		return ErrNotRunning
	}
	m.enter(t)
	out := m.msg()
	if _, err := out.Decode(text); err != nil {
		return err
	}
	if out.Type() == nil {
		return ErrNoType
	}
	// The decoded fields are views into text: own them before adding.
	var tmp wire.Message
	tmp.CopyFrom(out)
	out.CopyFrom(&tmp)
	err := m.sendCluster(out)
	m.pump()
	return err
}

// Ready returns the outputs gathered since the last Ready. It stays
// valid, and unchanged, until Advance; what the master produces meanwhile
// is kept for the next Ready. Calling Ready again before Advance panics.
func (m *Master) Ready() *Ready {
	b := m.out.Ready()
	rd := &b.rd
	rd.Logs = b.log.Lines
	rd.Deadline = m.Deadline()
	rd.Paused = m.paused
	rd.Done = m.phase == phaseStopped
	return rd
}

// Deadline returns the monotonic time at which Tick must be called next
// (0 when nothing is pending): what the next Ready will say, unless
// inputs come first.
func (m *Master) Deadline() int64 {
	if _, when, ok := m.tq.Next(); ok {
		return when
	}
	return 0
}

// Advance tells the master that the last Ready has been handled: its
// buffers are reused. Without a Ready outstanding it does nothing.
func (m *Master) Advance() { m.out.Advance() }

// HasReady reports whether outputs are waiting for the next Ready (those
// produced while the last one was being handled, say); the deadline alone
// does not count.
func (m *Master) HasReady() bool { return !m.out.empty() }

// Stats returns the drop counters.
func (m *Master) Stats() Stats { return m.stats }

// NumNodes returns the number of configured nodes.
func (m *Master) NumNodes() int { return len(m.nodes) }

// NodeName returns node i's name.
func (m *Master) NodeName(i int) string { return m.nodes[i].name }

// NodeStatus returns node i's current status.
func (m *Master) NodeStatus(i int) Status { return m.nodes[i].status }

// Generation returns the last generation seen from node i (ours for the
// local node once its first status went out).
func (m *Master) Generation(i int) uint64 { return m.nodes[i].gen }

// Links returns the names of node i's links, in order.
func (m *Master) Links(i int) []string {
	names := make([]string, len(m.nodes[i].links))
	for j, l := range m.nodes[i].links {
		names[j] = l.name
	}
	return names
}

// LinkUp reports whether link j of node i is up.
func (m *Master) LinkUp(i, j int) bool { return m.nodes[i].links[j].up }

// Node returns the index of the node named name, or -1.
func (m *Master) Node(name string) int {
	if i, ok := m.byName[name]; ok {
		return i
	}
	return -1
}

// DeadInterval returns the dead interval the master applies to node i
// now: initdead before the links are up, then the node's advertised dt
// (deadtime or deadping until it sends one).
func (m *Master) DeadInterval(i int) int64 { return m.nodeDead(i) }

// CommUp reports whether communications are up (local status active).
func (m *Master) CommUp() bool { return m.phase == phaseActive }

// Missing returns how many of node i's sequenced messages are missing.
func (m *Master) Missing(i int) int { return len(m.nodes[i].missing) }

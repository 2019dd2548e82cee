package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/wire"
)

// Options describe a simulated cluster.
type Options struct {
	Nodes []string // node names, in ha.cf order
	Media []string // media (link) names; default one "eth0"
	// NoLoopback lists media on which a node does not hear its own
	// packets (ucast). Broadcast media loop back, as Linux delivers a
	// node's own broadcasts.
	NoLoopback []string

	Keepalive, Deadtime, Warntime, Initdead time.Duration
	MaxRexmitDelay                          time.Duration
	// Granularity is how late a node may wake after its deadline: wake-ups
	// round up to a multiple of it, like a timer wheel's slots. Default
	// 1 ms; a negative value means exact wake-ups.
	Granularity time.Duration

	Seed uint64
	// Wall0 is the wall clock (seconds) at virtual time 0.
	Wall0 int64
	// Method and Key sign every packet (default sha1 "simsecret").
	Method wire.Method
	Key    string
	// InnerAuth adds msgfmt classic's inner auth field.
	InnerAuth bool
	// Trace records every log line, event and sent packet (slower).
	Trace bool

	// Resources turns the resource protocol on (Groups, Failback); every
	// action then takes ActionTime on the node's simulated executor.
	Resources  bool
	Failback   own.FailbackMode
	Groups     []own.GroupConfig
	ActionTime time.Duration
	// Stonith configures a STONITH device on every node (see fence.go):
	// a reset takes FenceTime (default 1 s) and fails FenceFailures
	// times first.
	Stonith       bool
	FenceTime     time.Duration
	FenceFailures int

	// LAN models what a real network and host cost (nil: nothing costs
	// and only links delay).
	LAN *LAN
}

// LAN is a model of a local network and of its hosts' time per datagram,
// so that a large cluster's own traffic can slow it down: every medium is
// one broadcast domain carrying one datagram at a time (a switch copies
// each broadcast to every port, so every port carries them all), and every
// node has one CPU on which sending, receiving and its timers queue.
type LAN struct {
	// Bandwidth is each medium's rate in bits per second.
	Bandwidth int64
	// Overhead is the bytes a datagram costs on the wire beyond its
	// payload (Ethernet, IP and UDP headers, preamble and gap: 66 for
	// IPv4 broadcast).
	Overhead int
	// SendCost and RecvCost are the CPU time a node spends per datagram
	// it sends and per datagram it receives (system call, the kernel's
	// share, decoding and authentication).
	SendCost, RecvCost time.Duration
	// RecvQueue is how many datagrams may wait for a node: more are
	// dropped, as a full socket buffer drops them (0: no limit).
	RecvQueue int
}

// LANStats counts what the LAN model did.
type LANStats struct {
	Dropped  uint64 // datagrams dropped at a full receive queue
	Received uint64 // datagrams a node received (through the model)
	MaxQueue int    // the longest receive queue seen
	// MaxMediumWait is the longest a datagram waited for its medium.
	MaxMediumWait time.Duration
}

// Link is the behaviour of one directed link on one medium.
type Link struct {
	Down   bool    // drop everything (a partition)
	Loss   float64 // probability a packet is lost
	Dup    float64 // probability a packet arrives twice
	Delay  time.Duration
	Jitter time.Duration // extra delay, uniform in [0, Jitter): reorders
}

// Node is one simulated host.
type Node struct {
	Name    string
	Index   int
	M       *master.Master // nil while crashed
	O       *own.Own       // resource ownership above M (Options.Resources), or nil
	Gen     uint64         // the generation file: survives crashes
	Started int64          // when the current incarnation started
	Crashed int64          // when it last crashed (-1 if never)
	Stopped bool           // it shut down cleanly (Ready.Done)
	wake    int64          // next Tick of M, or -1
	owake   int64          // next Tick of O, or -1
	restart int64          // when it re-executes itself (EventRestart), or -1
	exec    executor

	quick    *own.Restart      // the next Start is a quick restart with this
	execAt   int64             // when a quick restart's old process stops, or -1
	window   int64             // how long the exec then takes
	failback *own.FailbackMode // a changed ha.cf's auto_failback (quick restart)
	native   master.NativeMode // its msgfmt: native off (heartbeat), auto or on

	fences    []fence    // its STONITH resets under way
	frozen    int64      // until when the daemon is not scheduled, or -1
	frozeWake int64      // when it had planned to wake as it froze
	report    bool       // it tells its master of the pause (Master.Paused)
	held      []delivery // what arrived meanwhile, in order

	busy int64      // LAN model: its CPU is busy until then
	rq   []delivery // LAN model: its receive queue, oldest first
}

// Running reports whether the node is up.
func (n *Node) Running() bool { return n.M != nil }

// Entry is one traced line.
type Entry struct {
	At   int64 // virtual ns
	Node int
	Kind EntryKind
	Text string
}

// EntryKind says what an Entry traces.
type EntryKind uint8

// Trace entry kinds.
const (
	TraceLog    EntryKind = iota // a log line
	TraceEvent                   // an event
	TraceSend                    // a datagram put on the network
	TraceAction                  // resource work queued or finished
)

// Sim is a simulated cluster.
type Sim struct {
	opt   Options
	Now   int64
	Nodes []*Node
	links [][][]Link // [from][to][medium]
	rng   *rand.Rand
	q     deliveries
	order uint64
	free  [][]byte
	rx    []byte // a shared broadcast's bytes as one receiver gets them
	seeds uint64

	scratch wire.Packet

	// Check holds the invariant checker; nil disables checking.
	Check *Checker
	// Trace is the transcript when Options.Trace is set.
	Trace []Entry
	// Sent counts datagrams put on the network; SentNative those of
	// them in the native format.
	Sent, SentNative uint64
	// Fences records every reset attempt of the simulated STONITH
	// devices.
	Fences []FenceRecord
	// LastSent holds, when tracing, the last datagram of each type each
	// node sent, keyed "node type" (to replay it later).
	LastSent map[string][]byte
	// OnEvent, when set, sees every event a node's master reports.
	OnEvent func(node int, e master.Event)
	// OnSend, when set, sees every packet a node's master sends.
	OnSend func(node int, p master.Packet)
	// LAN counts what the LAN model (Options.LAN) did.
	LAN LANStats

	mediumBusy []int64 // LAN model: each medium is busy until then
}

// delivery is a datagram in flight.
type delivery struct {
	at     int64
	order  uint64
	to     int // the receiver, or -1: a broadcast on the LAN model's medium, for every node
	from   int
	medium int
	data   []byte
	// shared: data is one broadcast's, shared by all its receivers and
	// never recycled (with the LAN model, a datagram is fanned out when
	// it arrives: one copy per receiver made at send time held N² bytes
	// in a burst, 60 GB at 1024 nodes).
	shared bool
	info   pktInfo
}

// deliveries is a min-heap by (at, order), through container/heap: the
// master's own timer heap is hand-written to stay allocation-free, the
// simulator need not be.
type deliveries []delivery

func (d deliveries) Len() int      { return len(d) }
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d deliveries) Less(i, j int) bool {
	if d[i].at != d[j].at {
		return d[i].at < d[j].at
	}
	return d[i].order < d[j].order
}
func (d *deliveries) Push(x any) { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	h := *d
	x := h[len(h)-1]
	*d = h[:len(h)-1]
	return x
}

func (d *deliveries) push(x delivery) { heap.Push(d, x) }
func (d *deliveries) pop() delivery   { return heap.Pop(d).(delivery) }

// New builds a cluster; no node is started.
func New(opt Options) (*Sim, error) {
	if len(opt.Media) == 0 {
		opt.Media = []string{"eth0"}
	}
	if opt.FenceTime == 0 {
		opt.FenceTime = time.Second
	}
	if opt.Granularity == 0 {
		opt.Granularity = time.Millisecond
	}
	if opt.Method == wire.NoMethod {
		opt.Method, opt.Key = wire.SHA1, "simsecret"
	}
	if opt.Wall0 == 0 {
		opt.Wall0 = 1_700_000_000
	}
	s := &Sim{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x5eed)), seeds: opt.Seed}
	s.mediumBusy = make([]int64, len(opt.Media))
	for i, name := range opt.Nodes {
		n := &Node{Name: name, Index: i, Gen: 1000 + uint64(i)*100, Crashed: -1, wake: -1, owake: -1, restart: -1, execAt: -1, frozen: -1}
		n.exec.init()
		s.Nodes = append(s.Nodes, n)
	}
	s.links = make([][][]Link, len(opt.Nodes))
	for i := range s.links {
		s.links[i] = make([][]Link, len(opt.Nodes))
		for j := range s.links[i] {
			s.links[i][j] = make([]Link, len(opt.Media))
		}
	}
	// Fail early on a bad configuration.
	m, err := master.New(s.config(0, 1))
	if err != nil {
		return nil, err
	}
	if opt.Resources {
		if _, err := own.New(s.ownConfig(0), m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Options returns the options the cluster was built with (defaults filled).
func (s *Sim) Options() Options { return s.opt }

func (s *Sim) config(i int, gen uint64) master.Config {
	keys := wire.NewKeyring()
	var key []byte
	if s.opt.Method != wire.CRC {
		key = []byte(s.opt.Key)
	}
	if err := keys.SetKey(1, s.opt.Method, key); err != nil {
		panic(err)
	}
	if err := keys.SetSigner(1); err != nil {
		panic(err)
	}
	var nodes []master.NodeConfig
	for _, n := range s.opt.Nodes {
		nodes = append(nodes, master.NodeConfig{Name: n})
	}
	var media []master.MediumConfig
	for _, md := range s.opt.Media {
		media = append(media, master.MediumConfig{Name: md})
	}
	s.seeds++
	var uuid [wire.UUIDLen]byte
	uuid[0], uuid[1], uuid[2] = 0x5a, byte(i), byte(i>>8) // hb_uuid survives restarts
	return master.Config{
		Local: s.opt.Nodes[i], UUID: uuid, Generation: gen,
		Nodes: nodes, Media: media,
		Keepalive: s.opt.Keepalive, Deadtime: s.opt.Deadtime, Warntime: s.opt.Warntime,
		Initdead: s.opt.Initdead, MaxRexmitDelay: s.opt.MaxRexmitDelay,
		HopFudge: 1, InnerAuth: s.opt.InnerAuth, Native: s.nativeOf(i),
		Keys: keys, Rand: rand.NewPCG(s.opt.Seed, s.seeds),
	}
}

func (s *Sim) ownConfig(i int) own.Config {
	failback := s.opt.Failback
	if n := s.Nodes; i < len(n) && n[i].failback != nil {
		failback = *n[i].failback
	}
	return own.Config{Failback: failback, Groups: s.opt.Groups, Stonith: s.opt.Stonith}
}

func (s *Sim) nativeOf(i int) master.NativeMode {
	if i < len(s.Nodes) {
		return s.Nodes[i].native
	}
	return master.NativeOff
}

// SetNative sets node i's native mode for its next start (the default is
// NativeOff: heartbeat's bytes, nothing advertised). The simulated media
// are datagram media: they carry the native form when a master makes one.
func (s *Sim) SetNative(i int, m master.NativeMode) { s.Nodes[i].native = m }

// Node returns the node named name, or nil.
func (s *Sim) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Time is the master input time for the simulator's now.
func (s *Sim) Time() master.Time {
	return master.Time{Mono: s.Now, Wall: s.opt.Wall0 + s.Now/int64(time.Second)}
}

// Link returns the link from → to on medium md, to change it.
func (s *Sim) Link(from, to, md int) *Link { return &s.links[from][to][md] }

// SetLinks applies f to every link from a node in from to a node in to
// (nil means every node), on every medium, or only on medium md ≥ 0.
func (s *Sim) SetLinks(from, to []int, md int, f func(*Link)) {
	all := func(l []int) []int {
		if l != nil {
			return l
		}
		var r []int
		for i := range s.Nodes {
			r = append(r, i)
		}
		return r
	}
	for _, a := range all(from) {
		for _, b := range all(to) {
			for k := range s.opt.Media {
				if md < 0 || md == k {
					f(&s.links[a][b][k])
				}
			}
		}
	}
}

// Heal restores every link to perfect.
func (s *Sim) Heal() {
	s.SetLinks(nil, nil, -1, func(l *Link) { *l = Link{} })
}

// Start starts node i (again, with the next generation, if it ran before).
func (s *Sim) Start(i int) error {
	n := s.Nodes[i]
	if n.Running() {
		return fmt.Errorf("%s is running", n.Name)
	}
	if n.Crashed >= 0 || n.Started > 0 || n.Stopped || n.quick != nil {
		n.Gen++ // heartbeat increments the generation file on every start
	}
	m, err := master.New(s.config(i, n.Gen))
	if err != nil {
		return err
	}
	var o *own.Own
	if s.opt.Resources {
		oc := s.ownConfig(i)
		oc.Restart, n.quick = n.quick, nil
		if o, err = own.New(oc, m); err != nil {
			return err
		}
	}
	n.quick = nil
	n.M, n.O, n.Started, n.Stopped = m, o, s.Now, false
	n.exec.queue, n.exec.due = n.exec.queue[:0], -1
	if s.Check != nil {
		s.Check.started(s, i)
	}
	m.Start(s.Time())
	s.drain(n)
	return nil
}

// Crash stops node i at once: nothing it knew survives but its generation.
func (s *Sim) Crash(i int) {
	n := s.Nodes[i]
	if !n.Running() {
		return
	}
	n.M, n.O, n.Crashed, n.wake, n.owake = nil, nil, s.Now, -1, -1
	for _, d := range n.rq {
		s.recycle(d)
	}
	n.rq = n.rq[:0]
	n.quick, n.execAt = nil, -1
	n.fences = n.fences[:0]
	s.unfreeze(n)
	// Running actions die with the daemon; what they started keeps running.
	n.exec.queue, n.exec.due = n.exec.queue[:0], -1
	if s.Check != nil {
		s.Check.crashed(s, i)
	}
}

// Inject delivers data to node i on medium md now, as if it came from the
// network (a replayed or forged packet).
func (s *Sim) Inject(i, md int, data []byte) {
	n := s.Nodes[i]
	if !n.Running() {
		return
	}
	n.M.Receive(s.Time(), md, data)
	s.drain(n)
}

// SendMessage has node i send a client message of type typ (FIFO-style).
func (s *Sim) SendMessage(i int, typ string, fields ...string) error {
	n := s.Nodes[i]
	if !n.Running() {
		return fmt.Errorf("%s is not running", n.Name)
	}
	var m wire.Message
	m.AddString(wire.FieldType, typ)
	for k := 0; k+1 < len(fields); k += 2 {
		m.AddString(fields[k], fields[k+1])
	}
	err := n.M.Send(s.Time(), &m)
	s.drain(n)
	return err
}

// drain takes node n's Ready (membership's, and ownership's above it):
// packets go on the network, actions to the executor, the rest is traced
// and checked.
func (s *Sim) drain(n *Node) {
	rd := n.M.Ready()
	var ord *own.Ready
	if n.O != nil {
		ord = n.O.Ready()
	}
	if s.opt.Trace {
		var ologs []master.LogLine
		if ord != nil {
			ologs = ord.Logs
		}
		layer.MergeLogs(func(l layer.LogLine) {
			s.Trace = append(s.Trace, Entry{At: s.Now, Node: n.Index, Kind: TraceLog, Text: l.String()})
		}, rd.Logs, ologs)
		for _, e := range rd.Events {
			s.Trace = append(s.Trace, Entry{At: s.Now, Node: n.Index, Kind: TraceEvent, Text: e.String()})
		}
	}
	if s.Check != nil {
		s.Check.events(s, n.Index, rd.Events)
	}
	if s.OnEvent != nil {
		for _, e := range rd.Events {
			s.OnEvent(n.Index, e)
		}
	}
	for _, e := range rd.Events {
		if e.Kind == master.EventRestart {
			// heartbeat's restart: exec after ceil(deadtime)+1 s.
			d := (int64(s.opt.Deadtime) + 999_999_999) / 1e9 * 1e9
			n.restart = s.Now + d + 1e9
		}
	}
	for _, p := range rd.Packets {
		s.send(n, p)
	}
	n.wake, n.owake = -1, -1
	if rd.Deadline > 0 {
		n.wake = s.roundUp(rd.Deadline)
	}
	if ord != nil {
		s.fenceRequests(n, ord.Fences)
		s.queueActions(n, ord.Actions)
		if ord.Deadline > 0 {
			n.owake = s.roundUp(ord.Deadline)
		}
		n.O.Advance()
	}
	done := rd.Done
	n.M.Advance()
	if done {
		n.M, n.O, n.Stopped, n.wake, n.owake = nil, nil, true, -1, -1
		s.unfreeze(n)
		if s.Check != nil {
			s.Check.stopped(s, n.Index)
		}
	}
}

// Shutdown asks node i to shut down (SIGTERM).
func (s *Sim) Shutdown(i int) {
	n := s.Nodes[i]
	if !n.Running() {
		return
	}
	n.M.Shutdown(s.Time())
	s.drain(n)
}

// SendText has node i's FIFO carry text (hb_standby, hb_takeover).
func (s *Sim) SendText(i int, text string) error {
	n := s.Nodes[i]
	if !n.Running() {
		return fmt.Errorf("%s is not running", n.Name)
	}
	err := n.M.SendText(s.Time(), []byte(text))
	s.drain(n)
	return err
}

func (s *Sim) roundUp(t int64) int64 {
	g := int64(s.opt.Granularity)
	if g <= 0 {
		return t
	}
	return (t + g - 1) / g * g
}

func (s *Sim) buf(b []byte) []byte {
	var d []byte
	if n := len(s.free); n > 0 {
		d, s.free = s.free[n-1][:0], s.free[:n-1]
	}
	return append(d, b...)
}

func (s *Sim) send(n *Node, p master.Packet) {
	from := n.Index
	s.Sent++
	if s.OnSend != nil {
		s.OnSend(from, p)
	}
	data := p.Data
	if p.Native != nil {
		data = p.Native
		s.SentNative++
	}
	var info pktInfo
	if s.Check != nil {
		info = s.parseInfo(&s.scratch, data)
	}
	if s.opt.Trace {
		typ, text := describe(p.Data)
		s.Trace = append(s.Trace, Entry{At: s.Now, Node: from, Kind: TraceSend, Text: text})
		if s.LastSent == nil {
			s.LastSent = map[string][]byte{}
		}
		s.LastSent[s.Nodes[from].Name+" "+typ] = append([]byte(nil), data...)
	}
	lan := s.opt.LAN
	var leave int64
	var shared []byte
	if lan != nil {
		leave = max(s.Now, n.busy) + int64(lan.SendCost)
		n.busy = leave
		shared = append([]byte(nil), data...)
	}
	for md := range s.opt.Media {
		if p.Medium != master.AllMedia && p.Medium != md {
			continue
		}
		onWire := s.Now // when the datagram has left on this medium
		if lan != nil {
			start := max(leave, s.mediumBusy[md])
			if w := time.Duration(start - leave); w > s.LAN.MaxMediumWait {
				s.LAN.MaxMediumWait = w
			}
			onWire = start + int64(len(data)+lan.Overhead)*8*int64(time.Second)/lan.Bandwidth
			s.mediumBusy[md] = onWire
			// One event for the whole broadcast: fanOut meets its
			// receivers' links when it has crossed the medium.
			s.order++
			s.q.push(delivery{at: onWire, order: s.order, to: -1, from: from, medium: md, data: shared, shared: true, info: info})
			continue
		}
		for to := range s.Nodes {
			if to == from && !s.loops(md) {
				continue
			}
			l := &s.links[from][to][md]
			for range s.copies(l) {
				at := onWire + s.delay(l)
				s.order++
				s.q.push(delivery{at: at, order: s.order, to: to, medium: md, data: s.buf(data), info: info})
			}
		}
	}
}

// copies is how many times a datagram crosses l: 0 when the link is down
// or loses it, 2 when it duplicates it.
func (s *Sim) copies(l *Link) int {
	if l.Down || (l.Loss > 0 && s.rng.Float64() < l.Loss) {
		return 0
	}
	if l.Dup > 0 && s.rng.Float64() < l.Dup {
		return 2
	}
	return 1
}

// delay is l's delay for one copy, jitter drawn.
func (s *Sim) delay(l *Link) int64 {
	d := int64(l.Delay)
	if l.Jitter > 0 {
		d += s.rng.Int64N(int64(l.Jitter))
	}
	return d
}

func (s *Sim) loops(md int) bool {
	for _, name := range s.opt.NoLoopback {
		if name == s.opt.Media[md] {
			return false
		}
	}
	return true
}

// RunFor advances virtual time by d.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(s.Now + int64(d)) }

// RunUntil advances virtual time to t, delivering packets and ticking
// nodes in time order. Datagrams due at an instant are delivered before
// the nodes tick at that instant, as a daemon drains its sockets first.
func (s *Sim) RunUntil(t int64) {
	for {
		next := t + 1
		if len(s.q) > 0 && s.q[0].at < next {
			next = s.q[0].at
		}
		for _, n := range s.Nodes {
			if n.frozen >= 0 {
				// Only its thaw wakes a frozen daemon.
				next = min(next, n.frozen)
			} else {
				if n.wake >= 0 && max(n.wake, n.busy) < next {
					next = max(n.wake, n.busy)
				}
				if n.owake >= 0 && n.owake < next {
					next = n.owake
				}
				if len(n.rq) > 0 && n.busy < next {
					next = n.busy
				}
				if n.exec.due >= 0 && n.exec.due < next {
					next = n.exec.due
				}
			}
			if n.restart >= 0 && n.restart < next {
				next = n.restart
			}
			if n.execAt >= 0 && n.execAt < next {
				next = n.execAt
			}
			if f := n.nextFence(); f >= 0 && f < next && n.frozen < 0 {
				next = f
			}
		}
		if next > t {
			break
		}
		if next > s.Now {
			s.Now = next
		}
		for _, n := range s.Nodes {
			if n.frozen >= 0 && n.frozen <= s.Now {
				s.thaw(n)
			}
		}
		if s.opt.LAN != nil {
			// A node whose CPU is free runs its due timers before the
			// datagrams queued for it, as a loop turn does: a backlog
			// must not starve its heartbeats.
			s.tickDue()
		}
		for len(s.q) > 0 && s.q[0].at <= s.Now {
			d := s.q.pop()
			if d.to < 0 {
				s.fanOut(d)
				continue
			}
			s.arrive(d)
		}
		if s.opt.LAN != nil {
			s.lanDeliver()
		}
		for _, n := range s.Nodes {
			if n.frozen < 0 && n.exec.due >= 0 && n.exec.due <= s.Now {
				s.finishAction(n)
			}
			if n.execAt >= 0 && n.execAt <= s.Now {
				s.exec(n)
			}
			if n.restart >= 0 && n.restart <= s.Now {
				n.restart = -1
				_ = s.Start(n.Index)
			}
			if n.frozen < 0 {
				s.runFences(n)
			}
		}
		s.tickDue()
		if s.Check != nil {
			s.Check.tick(s)
		}
	}
	s.Now = t
}

// tickDue ticks the layers of every running node whose deadline has come
// (and, with the LAN model, whose CPU is free).
func (s *Sim) tickDue() {
	for _, n := range s.Nodes {
		if !n.Running() || n.frozen >= 0 || n.busy > s.Now {
			continue
		}
		// Each layer has its own deadline; membership's Tick runs
		// the ownership timers due too, in time order among its own.
		if n.wake >= 0 && n.wake <= s.Now {
			n.M.Tick(s.Time())
			s.drain(n)
		}
		if n.O != nil && n.owake >= 0 && n.owake <= s.Now {
			n.O.Tick(s.Time())
			s.drain(n)
		}
	}
}

// arrive takes a datagram arriving for its receiver now: held while the
// receiver is frozen, queued with the LAN model, else handed over.
func (s *Sim) arrive(d delivery) {
	n := s.Nodes[d.to]
	if n.Running() && n.frozen >= 0 {
		n.held = append(n.held, d)
		return
	}
	if s.opt.LAN != nil && n.Running() {
		s.lanQueue(n, d)
		return
	}
	s.deliver(n, d)
}

// fanOut takes a LAN broadcast off its medium to every receiver its links
// let it reach, at once or after the link's delay.
func (s *Sim) fanOut(b delivery) {
	loops := s.loops(b.medium)
	for to := range s.Nodes {
		if to == b.from && !loops {
			continue
		}
		l := &s.links[b.from][to][b.medium]
		for range s.copies(l) {
			d := b
			d.to = to
			d.at += s.delay(l)
			if d.at <= s.Now {
				s.arrive(d)
				continue
			}
			s.order++
			d.order = s.order
			s.q.push(d)
		}
	}
}

// recycle keeps a datagram's buffer for the next send, unless it is a
// broadcast's that other receivers share.
func (s *Sim) recycle(d delivery) {
	if !d.shared {
		s.free = append(s.free, d.data)
	}
}

// lanQueue puts a datagram arriving for running node n in its receive
// queue, or drops it when the queue is full.
func (s *Sim) lanQueue(n *Node, d delivery) {
	if q := s.opt.LAN.RecvQueue; q > 0 && len(n.rq) >= q {
		s.LAN.Dropped++
		s.recycle(d)
		return
	}
	n.rq = append(n.rq, d)
	s.LAN.MaxQueue = max(s.LAN.MaxQueue, len(n.rq))
}

// lanDeliver hands each running node whose CPU is free the datagrams at
// the head of its receive queue, each taking RecvCost of its CPU.
func (s *Sim) lanDeliver() {
	for _, n := range s.Nodes {
		for len(n.rq) > 0 && n.busy <= s.Now && n.Running() && n.frozen < 0 {
			d := n.rq[0]
			n.rq = n.rq[1:]
			n.busy = s.Now + int64(s.opt.LAN.RecvCost)
			s.LAN.Received++
			s.deliver(n, d)
		}
	}
}

// deliver hands a datagram to a running node and recycles its buffer.
func (s *Sim) deliver(n *Node, d delivery) {
	if n.Running() {
		b := d.data
		if d.shared {
			// The receiver gets its own bytes, as from its socket.
			s.rx = append(s.rx[:0], b...)
			b = s.rx
		}
		n.M.Receive(s.Time(), d.medium, b)
		s.drain(n)
		if s.Check != nil {
			// After drain: a death reported while handling this packet
			// is judged on what came before it.
			s.Check.delivered(s, d)
		}
	}
	s.recycle(d)
}

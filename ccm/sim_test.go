package ccm

import (
	"container/heap"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// The simulator runs N CCMs over a simulated network in virtual time. The
// messages travel as the bytes heartbeat would carry (ccm's fields, src
// added, netstring form) and are decoded again on arrival. Heartbeat's
// layer is modelled by its verdicts: a peer that cannot be heard for
// deadtime is dead, one heard again is up (after a keepalive).

type simEvent struct {
	at   int64
	seq  uint64
	kind int // evDeliver, evTimer, evHB
	node int
	inc  int // node incarnation the event is for
	data []byte
}

const (
	evDeliver = iota
	evTimer
	evHB
)

type eventQ []*simEvent

func (q eventQ) Len() int { return len(q) }
func (q eventQ) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQ) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQ) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQ) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type simNode struct {
	c      *CCM
	alive  bool
	inc    int
	hbUp   []bool  // heartbeat's view of each peer
	heard  []int64 // when heartbeat last heard each peer
	timerD int64   // deadline a timer event is queued for
}

type simNet struct {
	t        testing.TB
	rnd      *rand.Rand
	names    []string
	nodes    []*simNode
	q        eventQ
	seq      uint64
	now      int64
	ka       time.Duration
	deadtime int64
	group    []int // partition group of each node: same group = connected
	loss     float64
	dup      float64
	maxDelay int64
	quorum   string
	msgs     int
	log      []string
	keepLog  bool
	seed     uint64
	// onEvent, if set, sees every event a node delivers.
	onEvent func(node int, ev Event)
}

func newSimNet(t testing.TB, seed uint64, n int) *simNet {
	s := &simNet{t: t, seed: seed, rnd: rand.New(rand.NewPCG(seed, 7)), ka: 100 * time.Millisecond, quorum: "majority"}
	s.deadtime = int64(5 * s.ka)
	s.maxDelay = int64(20 * time.Millisecond)
	// names in an order unlike their index, so sorting matters
	for i := range n {
		s.names = append(s.names, fmt.Sprintf("node%c", 'a'+byte(n-1-i)))
	}
	s.group = make([]int, n)
	for i := range n {
		s.nodes = append(s.nodes, &simNode{hbUp: make([]bool, n), heard: make([]int64, n)})
		_ = i
	}
	return s
}

func (s *simNet) push(e *simEvent) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

func (s *simNet) connected(i, j int) bool { return s.group[i] == s.group[j] }

func (s *simNet) start(i int, seed uint64) {
	nd := s.nodes[i]
	c, err := New(Config{Nodes: s.names, Local: s.names[i], Keepalive: s.ka, Quorum: s.quorum, Seed: seed})
	if err != nil {
		s.t.Fatal(err)
	}
	nd.c, nd.alive = c, true
	nd.inc++
	nd.timerD = 0
	t := Time{Mono: s.now}
	for j := range s.nodes {
		nd.hbUp[j] = false
		if j != i && s.nodes[j].alive && s.connected(i, j) {
			nd.hbUp[j] = true
			nd.heard[j] = s.now
			c.NodeStatus(t, s.names[j], true)
		}
	}
	c.Start(t)
	s.drain(i)
}

func (s *simNet) crash(i int) {
	s.nodes[i].alive = false
	s.nodes[i].c = nil
}

// hb: every keepalive, heartbeat's verdicts.
func (s *simNet) hb() {
	for i, nd := range s.nodes {
		if !nd.alive {
			continue
		}
		for j := range s.nodes {
			if j == i {
				continue
			}
			if s.nodes[j].alive && s.connected(i, j) {
				nd.heard[j] = s.now
				if !nd.hbUp[j] {
					nd.hbUp[j] = true
					nd.c.NodeStatus(Time{Mono: s.now}, s.names[j], true)
					s.drain(i)
				}
			} else if nd.hbUp[j] && s.now-nd.heard[j] >= s.deadtime {
				nd.hbUp[j] = false
				nd.c.NodeStatus(Time{Mono: s.now}, s.names[j], false)
				s.drain(i)
			}
		}
	}
}

func (s *simNet) drain(i int) {
	nd := s.nodes[i]
	c := nd.c
	rd := c.Ready()
	for k := range rd.Sends {
		sd := &rd.Sends[k]
		m := &sd.Wire
		m.AddString(FieldSrc, s.names[i])
		b, err := wire.AppendNetstring(nil, m)
		if err != nil {
			s.t.Fatalf("encode %v: %v", sd.Msg.Type, err)
		}
		s.msgs++
		if s.keepLog {
			s.log = append(s.log, fmt.Sprintf("%6d %s → %q %v maj=%d min=%d", s.now/1e6, s.names[i], sd.Dest, sd.Msg.Type, sd.Msg.Major, sd.Msg.Minor))
		}
		for j := range s.nodes {
			if j == i || sd.Dest != "" && sd.Dest != s.names[j] || !s.connected(i, j) {
				continue
			}
			copies := 1
			if s.rnd.Float64() < s.loss {
				copies = 0
			} else if s.rnd.Float64() < s.dup {
				copies = 2
			}
			for range copies {
				d := 1 + s.rnd.Int64N(s.maxDelay)
				s.push(&simEvent{at: s.now + d, kind: evDeliver, node: j, inc: s.nodes[j].inc, data: b})
			}
		}
	}
	if s.onEvent != nil {
		for _, e := range rd.Events {
			s.onEvent(i, e)
		}
	}
	if s.keepLog {
		for _, e := range rd.Events {
			s.log = append(s.log, fmt.Sprintf("%6d %s event %v inst=%d %v q=%v", s.now/1e6, s.names[i], e.Kind, e.Instance, e.Members, e.Quorum))
		}
	}
	c.Advance()
	if d, ok := c.Deadline(); ok && (nd.timerD == 0 || d < nd.timerD || nd.timerD < s.now) {
		nd.timerD = d
		s.push(&simEvent{at: d, kind: evTimer, node: i, inc: nd.inc})
	}
}

// runUntil processes events up to end, checking the invariants after
// each; it returns the first time at or after from when every node is
// alive and all agree on one membership of everybody (0 if never).
func (s *simNet) runUntil(end int64, from int64) int64 {
	var agreed int64
	for s.q.Len() > 0 && s.q[0].at <= end {
		e := heap.Pop(&s.q).(*simEvent)
		s.now = e.at
		nd := s.nodes[e.node]
		switch e.kind {
		case evHB:
			s.hb()
			s.push(&simEvent{at: s.now + int64(s.ka), kind: evHB})
		case evDeliver:
			if !nd.alive || nd.inc != e.inc {
				continue
			}
			var m wire.Message
			if _, err := m.Decode(e.data); err != nil {
				s.t.Fatal(err)
			}
			if err := nd.c.Receive(Time{Mono: s.now}, &m); err != nil {
				s.t.Fatal(err)
			}
			s.drain(e.node)
		case evTimer:
			if !nd.alive || nd.inc != e.inc {
				continue
			}
			if nd.timerD == e.at {
				nd.timerD = 0
			}
			nd.c.Tick(Time{Mono: s.now})
			s.drain(e.node)
		}
		s.check()
		if from > 0 && s.now >= from {
			if s.converged() {
				if agreed == 0 {
					agreed = s.now
				}
			} else {
				agreed = 0
			}
		}
	}
	s.now = end
	return agreed
}

// check: (1) a node that reports an instance listing another node, and
// that node, if it reports the same instance, report the same members
// (also when the other does not list the first: it missed the final word
// of a round and must not have made that instance again); (2) two memberships with a majority
// quorum share a member, and quorum is the majority rule's answer.
func (s *simNet) check() {
	type view struct {
		inst int
		set  Bitmap
		q    bool
	}
	n := len(s.nodes)
	views := make([]*view, n)
	for i, nd := range s.nodes {
		if nd.alive && hasMembership(nd.c.State()) {
			ev := nd.c.Membership()
			v := &view{inst: ev.Instance, q: ev.Quorum}
			for _, m := range ev.Members {
				v.set.Set(m.Index)
			}
			if want := v.set.Count() >= n/2+1; v.q != want {
				s.fail("%s: quorum %v with %d of %d members", s.names[i], v.q, v.set.Count(), n)
			}
			views[nd.c.LocalIndex()] = v
		}
	}
	for a := range n {
		for b := range n {
			va, vb := views[a], views[b]
			if a == b || va == nil || vb == nil {
				continue
			}
			if va.inst == vb.inst && va.set.Has(b) && va.set != vb.set {
				s.fail("instance %d: %s has %v, its member %s has %v", va.inst, s.nodes[0].c.nodes[a], va.set, s.nodes[0].c.nodes[b], vb.set)
			}
			if va.q && vb.q {
				var both Bitmap
				for k := range both {
					both[k] = va.set[k] & vb.set[k]
				}
				if both.Count() == 0 {
					s.fail("two disjoint memberships hold quorum: %v and %v", va.set, vb.set)
				}
			}
		}
	}
}

func (s *simNet) converged() bool {
	var inst int
	var cookie string
	for i, nd := range s.nodes {
		if !nd.alive || nd.c.State() != StateJoined || nd.c.members.Count() != len(s.nodes) {
			return false
		}
		if i == 0 {
			inst, cookie = nd.c.major, nd.c.cookie
		} else if nd.c.major != inst || nd.c.cookie != cookie {
			return false
		}
	}
	return true
}

func (s *simNet) fail(format string, args ...any) {
	s.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if s.keepLog {
		tail := s.log
		if len(tail) > 60 {
			tail = tail[len(tail)-60:]
		}
		msg += "\n" + strings.Join(tail, "\n")
	}
	s.t.Fatalf("seed %d, %d nodes, t=%dms: %s", s.seed, len(s.nodes), s.now/1e6, msg)
}

// convergenceBound is the time, from the moment the network heals and
// every node runs, within which all nodes must agree on one membership of
// everybody (keepalive K, N nodes, deadtime 5K, delays ≤ 20 ms):
//   - heartbeat's views are right after one keepalive (up) — a dead
//     verdict is not needed, nobody is gone;
//   - a round in progress ends by its longest timeout, the final list's
//     18K+5 ms, and may fail into up to 3 more full rounds (5K joins + 12K
//     answers + 18K final list each) before the node resets;
//   - two memberships meet through the merge probe (9K) and restart;
//   - the version request: up to 3 tries of 9K before the highest joiner
//     forms alone; each joiner drops up to 3 answers, re-asking after 5K;
//   - joiners are taken one at a time (a leader handles one change), a
//     joiner that lost the race re-asks after 5K: N-1 admissions of at
//     most 5K + 5K each.
//
// 1 + 18 + 3·35 + 9 + 27 + 15 + 10(N−1) keepalives, plus 20 ms of delay
// per message hop (counted generously as 1K per keepalive above).
func convergenceBound(n int, ka time.Duration) int64 {
	k := 1 + 18 + 3*35 + 9 + 27 + 15 + 10*(n-1)
	return int64(k) * 2 * int64(ka)
}

type schedule struct {
	n    int
	seed uint64
}

// runSchedule: random faults for a while, then the network heals, crashed
// nodes restart, and the cluster must converge within the bound.
func runSchedule(t testing.TB, seed uint64, n int, keepLog bool) int64 {
	s := newSimNet(t, seed, n)
	s.keepLog = keepLog
	r := s.rnd
	s.loss = []float64{0, 0.05, 0.2, 0.4}[r.IntN(4)]
	s.dup = []float64{0, 0.05, 0.2}[r.IntN(3)]
	s.push(&simEvent{at: int64(s.ka), kind: evHB})
	// start nodes at random moments in the first second
	starts := make([]int64, n)
	for i := range n {
		starts[i] = r.Int64N(int64(time.Second))
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(starts[a] - starts[b]) })
	for _, i := range order {
		s.runUntil(starts[i], 0)
		s.start(i, seed*100+uint64(i))
	}
	faultEnd := int64(time.Second) + r.Int64N(int64(20*time.Second))
	crashedAt := make([]int64, n)
	for s.now < faultEnd {
		next := s.now + r.Int64N(int64(3*time.Second))
		s.runUntil(next, 0)
		switch r.IntN(5) {
		case 0: // partition into two groups
			for i := range s.group {
				s.group[i] = r.IntN(2)
			}
		case 1: // heal
			for i := range s.group {
				s.group[i] = 0
			}
		case 2: // crash one
			i := r.IntN(n)
			if s.nodes[i].alive {
				s.crash(i)
				crashedAt[i] = s.now
			}
		case 3: // restart a crashed node, once heartbeat has seen it dead
			for i, nd := range s.nodes {
				if !nd.alive && s.now-crashedAt[i] > 2*s.deadtime {
					s.start(i, seed*100+uint64(i)+uint64(s.now))
					break
				}
			}
		case 4: // change loss
			s.loss = []float64{0, 0.05, 0.2, 0.4}[r.IntN(4)]
		}
	}
	// heal: quiet network, everybody back
	for i := range s.group {
		s.group[i] = 0
	}
	s.loss, s.dup = 0, 0
	for i, nd := range s.nodes {
		if !nd.alive {
			s.runUntil(max(s.now, crashedAt[i]+2*s.deadtime), 0)
			s.start(i, seed*100+uint64(i)+uint64(s.now))
		}
	}
	healed := s.now
	bound := convergenceBound(n, s.ka)
	agreed := s.runUntil(healed+bound, healed)
	if agreed == 0 {
		var st []string
		for _, nd := range s.nodes {
			st = append(st, fmt.Sprintf("%s:%v inst=%d members=%d", nd.c.nodes[nd.c.me], nd.c.State(), nd.c.major, nd.c.members.Count()))
		}
		s.fail("seed %d, %d nodes: no agreement %v after the heal: %v", seed, n, time.Duration(bound), st)
	}
	return agreed - healed
}

// TestSimulator runs a fixed set of random schedules (2–7 nodes, loss,
// duplication, delay, partitions, crashes); -ccm.seeds raises the count.
func TestSimulator(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	if *simSeeds > 0 {
		seeds = *simSeeds
	}
	var worst int64
	var worstN [8]time.Duration
	first := uint64(1)
	if *simSeed > 0 {
		first, seeds = *simSeed, 1
	}
	for seed := first; seed < first+uint64(seeds); seed++ {
		n := 2 + int(seed%6)
		d := runSchedule(t, seed, n, *simLog)
		worst = max(worst, d)
		worstN[n] = max(worstN[n], time.Duration(d))
	}
	t.Logf("%d schedules; slowest convergence after the heal: %v (bound for 7 nodes %v)",
		seeds, time.Duration(worst), time.Duration(convergenceBound(7, 100*time.Millisecond)))
	t.Logf("slowest by node count (2…7): %v", worstN[2:])
}

// TestSimulatorInstanceClashes replays the schedules in which, before
// full rounds took the instance roundInstance names, a node that missed
// the final word of a round made the same instance with another set
// while the round's members still listed it (and seed 8427: a RESTART
// while waiting for a MEM_LIST); 30560 and 31065 broke a safety margin
// tried instead.
func TestSimulatorInstanceClashes(t *testing.T) {
	for _, seed := range []uint64{177, 2459, 3106, 8427, 30560, 31065} {
		runSchedule(t, seed, 2+int(seed%6), false)
	}
}

var (
	simSeeds = flag.Int("ccm.seeds", 0, "number of simulator schedules (0: the default)")
	simSeed  = flag.Uint64("ccm.seed", 0, "run only this simulator seed")
	simLog   = flag.Bool("ccm.log", false, "keep a message log for failures")
)

package ccm

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

const ka = 100 * time.Millisecond

func at(ms int64) Time { return Time{Mono: ms * int64(time.Millisecond)} }

func mustNew(t *testing.T, cfg Config) *CCM {
	t.Helper()
	if cfg.Keepalive == 0 {
		cfg.Keepalive = ka
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func take(c *CCM) Ready {
	rd := c.Ready()
	out := Ready{Events: append([]Event(nil), rd.Events...)}
	for _, s := range rd.Sends {
		out.Sends = append(out.Sends, Send{Dest: s.Dest, Msg: s.Msg})
	}
	for _, l := range rd.Logs {
		l.Text = append([]byte(nil), l.Text...)
		out.Logs = append(out.Logs, l)
	}
	c.Advance()
	return out
}

func TestTimeoutsFromKeepalive(t *testing.T) {
	got := TimeoutsFor(100 * time.Millisecond)
	want := Timeouts{Update: 500 * time.Millisecond, Version: 900 * time.Millisecond,
		ToFollowers: 1800 * time.Millisecond, FromFollowers: 1200 * time.Millisecond, FinalList: 1805 * time.Millisecond}
	if got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Nodes: []string{"a"}, Local: "a", Keepalive: ka, Quorum: "majority:bogus"}, `quorum plugin "bogus"`},
		{Config{Nodes: []string{"a"}, Local: "b", Keepalive: ka}, "not among the nodes"},
		{Config{Nodes: []string{"a"}, Local: "a"}, "keepalive"},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// A node alone at start forms instance 1 at once; in a two-node cluster
// the default plugin list keeps quorum through twonodes, and says so as
// ccm does; with majority only it has none.
func TestAloneTwoNodes(t *testing.T) {
	c := mustNew(t, Config{Nodes: []string{"n2", "n1"}, Local: "n2"})
	c.Start(at(0))
	rd := take(c)
	if len(rd.Events) != 1 || rd.Events[0].Instance != 1 || !rd.Events[0].Quorum ||
		len(rd.Events[0].Members) != 1 || rd.Events[0].Members[0] != (Member{Name: "n2", Index: 1, Born: 1}) {
		t.Fatalf("events %+v", rd.Events)
	}
	var logs []string
	for _, l := range rd.Logs {
		logs = append(logs, l.String())
	}
	if !strings.Contains(strings.Join(logs, "\n"), "info: Break tie for 2 nodes cluster") {
		t.Errorf("logs %q", logs)
	}
	c = mustNew(t, Config{Nodes: []string{"n2", "n1"}, Local: "n2", Quorum: "majority"})
	c.Start(at(0))
	if rd := take(c); rd.Events[0].Quorum {
		t.Error("majority alone: quorum with 1 of 2")
	}
}

// Timeouts act at their deadline, not on a tick: the version request of a
// node that hears nobody is repeated exactly 9 keepalives later.
func TestDeadlineExact(t *testing.T) {
	c := mustNew(t, Config{Nodes: []string{"a", "b", "c"}, Local: "b"})
	c.NodeStatus(at(0), "a", true)
	c.NodeStatus(at(0), "c", true)
	c.Start(at(0))
	rd := take(c)
	if len(rd.Sends) != 1 || rd.Sends[0].Msg.Type != TypeProtoVersion {
		t.Fatalf("sent %+v", rd.Sends)
	}
	d, ok := c.Deadline()
	if !ok || d != int64(900*time.Millisecond) {
		t.Fatalf("deadline %v %v", time.Duration(d), ok)
	}
	c.Tick(Time{Mono: d - 1})
	if c.HasReady() {
		t.Fatal("acted before the deadline")
	}
	c.Tick(Time{Mono: d})
	if rd := take(c); len(rd.Sends) != 1 || rd.Sends[0].Msg.Type != TypeProtoVersion {
		t.Fatalf("at the deadline: %+v", rd.Sends)
	}
}

// Ready twice without Advance is a driver bug.
func TestReadyTwicePanics(t *testing.T) {
	c := mustNew(t, Config{Nodes: []string{"a"}, Local: "a"})
	c.Ready()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	c.Ready()
}

func TestElect(t *testing.T) {
	c := mustNew(t, Config{Nodes: []string{"a", "b", "c", "d"}, Local: "a"})
	for _, tc := range []struct {
		up   []int
		want int
	}{
		{[]int{3, 1, 2, -1}, 1},  // smallest born
		{[]int{0, 2, 2, -1}, 2},  // tie: the greater name
		{[]int{0, 0, 5, 0}, 2},   // born 0 always loses
		{[]int{0, 0, -1, 0}, 3},  // all 0: the greater name
		{[]int{-1, 4, -1, 4}, 3}, // absent nodes do not count
	} {
		copy(c.joinUp, tc.up)
		if got := c.elect(); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.up, got, tc.want)
		}
	}
}

func TestReceiveChecks(t *testing.T) {
	c := mustNew(t, Config{Nodes: []string{"a", "b", "c"}, Local: "a"})
	c.NodeStatus(at(0), "b", true)
	c.Start(at(0))
	take(c)
	m := func(src string, n int) *wire.Message {
		var w wire.Message
		(&Msg{Type: TypeProtoVersion, NumNodes: n}).Encode(&w)
		w.AddString(FieldSrc, src)
		return &w
	}
	if err := c.Receive(at(1), m("x", 3)); err == nil || !strings.Contains(err.Error(), `unknown node "x"`) {
		t.Errorf("unknown source: %v", err)
	}
	if err := c.Receive(at(1), m("b", 4)); err != nil {
		t.Fatal(err)
	}
	rd := take(c)
	if len(rd.Logs) != 1 || !strings.Contains(string(rd.Logs[0].Text), "Node count from node b does not agree: local count=3, count in message=4") {
		t.Errorf("logs %v", rd.Logs)
	}
	var bad wire.Message
	bad.AddString(FieldType, "CCM_TYPE_JOIN")
	bad.AddString(FieldSrc, "b")
	if err := c.Receive(at(1), &bad); err == nil || !strings.Contains(err.Error(), "field ccmmajor: missing") {
		t.Errorf("undecodable: %v", err)
	}
}

// cluster is a tiny harness: every send is delivered at once, unless
// drop says it is lost.
type cluster struct {
	t     *testing.T
	nodes map[string]*CCM
	names []string
	now   int64
	last  map[string]Event
	down  map[string]bool
	drop  func(from, to string, m Msg) bool
}

func newCluster(t *testing.T, names ...string) *cluster {
	cl := &cluster{t: t, nodes: map[string]*CCM{}, names: names, last: map[string]Event{}, down: map[string]bool{}}
	for i, n := range names {
		cl.nodes[n] = mustNew(t, Config{Nodes: names, Local: n, Seed: uint64(i + 1)})
	}
	for _, n := range names {
		for _, p := range names {
			if p != n {
				cl.nodes[n].NodeStatus(Time{}, p, true)
			}
		}
	}
	for _, n := range names {
		cl.nodes[n].Start(Time{})
	}
	return cl
}

func (cl *cluster) flush() {
	for moved := true; moved; {
		moved = false
		for _, n := range cl.names {
			c := cl.nodes[n]
			if cl.down[n] || !c.HasReady() {
				continue
			}
			moved = true
			rd := take(c)
			for _, e := range rd.Events {
				if e.Kind == EventMembership {
					cl.last[n] = e
				}
			}
			for _, s := range rd.Sends {
				for _, p := range cl.names {
					if p == n || cl.down[p] || s.Dest != "" && s.Dest != p || cl.drop != nil && cl.drop(n, p, s.Msg) {
						continue
					}
					var w wire.Message
					s.Msg.Encode(&w)
					w.AddString(FieldSrc, n)
					if err := cl.nodes[p].Receive(Time{Mono: cl.now}, &w); err != nil {
						cl.t.Fatal(err)
					}
				}
			}
		}
	}
}

func (cl *cluster) run(d time.Duration) {
	end := cl.now + int64(d)
	for {
		cl.flush()
		next := int64(-1)
		for _, n := range cl.names {
			if dl, ok := cl.nodes[n].Deadline(); ok && !cl.down[n] && (next < 0 || dl < next) {
				next = dl
			}
		}
		if next < 0 || next > end {
			break
		}
		cl.now = max(cl.now, next)
		for _, n := range cl.names {
			if !cl.down[n] {
				cl.nodes[n].Tick(Time{Mono: cl.now})
			}
		}
	}
	cl.now = end
}

// Three nodes started together agree on instance 3 with born values 1, 2,
// 3 (the highest node first, then the others through ALIVE); the kill of
// one gives the survivors instance 4 with quorum; the last one alone has
// no quorum; the rejoin brings everybody back.
func TestScenarioThreeNodes(t *testing.T) {
	cl := newCluster(t, "node1", "node2", "node3")
	cl.run(10 * time.Second)
	for _, n := range cl.names {
		if got := membersText(cl.last[n]); got != "3 node1/3,node2/2,node3/1 q=true" && got != "3 node1/2,node2/3,node3/1 q=true" {
			t.Errorf("%s after start: %s", n, got)
		}
	}
	// node1 dies
	cl.down["node1"] = true
	for _, n := range []string{"node2", "node3"} {
		cl.nodes[n].NodeStatus(Time{Mono: cl.now}, "node1", false)
	}
	cl.run(5 * time.Second)
	for _, n := range []string{"node2", "node3"} {
		if ev := cl.last[n]; len(ev.Members) != 2 || !ev.Quorum || ev.Instance != 4 {
			t.Errorf("%s after kill: %s", n, membersText(ev))
		}
	}
	// node2 dies: node3 alone, no quorum
	cl.down["node2"] = true
	cl.nodes["node3"].NodeStatus(Time{Mono: cl.now}, "node2", false)
	cl.run(5 * time.Second)
	if ev := cl.last["node3"]; len(ev.Members) != 1 || ev.Quorum || ev.Instance != 5 || ev.Members[0].Born != 5 {
		t.Errorf("node3 alone: %s", membersText(ev))
	}
	// both return as fresh processes
	for i, n := range []string{"node1", "node2"} {
		cl.down[n] = false
		cl.nodes[n] = mustNew(t, Config{Nodes: cl.names, Local: n, Seed: uint64(10 + i)})
		for _, p := range cl.names {
			if p != n {
				cl.nodes[n].NodeStatus(Time{Mono: cl.now}, p, true)
			}
		}
		cl.nodes["node3"].NodeStatus(Time{Mono: cl.now}, n, true)
	}
	for _, n := range []string{"node1", "node2"} {
		cl.nodes[n].Start(Time{Mono: cl.now})
	}
	cl.run(15 * time.Second)
	for _, n := range cl.names {
		if ev := cl.last[n]; len(ev.Members) != 3 || !ev.Quorum || ev.Instance != cl.last["node3"].Instance {
			t.Errorf("%s after rejoin: %s", n, membersText(ev))
		}
	}
}

// PeerLeft (hbapi-clstat leave of the peer's ccm) counts as a leave.
func TestPeerLeft(t *testing.T) {
	cl := newCluster(t, "a", "b")
	cl.run(5 * time.Second)
	if ev := cl.last["a"]; len(ev.Members) != 2 {
		t.Fatalf("start: %s", membersText(ev))
	}
	cl.down["b"] = true
	cl.nodes["a"].PeerLeft(Time{Mono: cl.now}, "b")
	cl.run(3 * time.Second)
	if ev := cl.last["a"]; len(ev.Members) != 1 || !ev.Quorum {
		t.Errorf("after b's ccm left: %s", membersText(ev))
	}
}

// A member waiting for its leader's MEM_LIST (it acknowledged a leave)
// that a STATE_INFO from another membership restarts never makes the
// instance the MEM_LIST may carry: its leader and the other member may
// hold it without it (the simulator's seed 8427 under the strict check:
// the lone node formed that instance alone while they listed it).
func TestRestartSkipsAwaitedInstance(t *testing.T) {
	cl := newCluster(t, "n1", "n2", "n3")
	cl.run(10 * time.Second)
	c := cl.nodes["n2"]
	ev := c.Membership()
	if len(ev.Members) != 3 || c.leader == c.me {
		t.Fatalf("start: %s, leader %d", membersText(ev), c.leader)
	}
	leader := c.nodes[c.leader]
	other := "n1"
	if leader == "n1" {
		other = "n3"
	}
	hdr := func(typ Type, from string) *Msg {
		return &Msg{Type: typ, Src: from, Major: ev.Instance, Major2: ev.Instance, NumNodes: 3, Cookie: c.cookie}
	}
	m := hdr(TypeNodeLeaveNotice, leader)
	m.Node = other
	if err := c.ReceiveMsg(Time{Mono: cl.now}, m); err != nil {
		t.Fatal(err)
	}
	if c.State() != StateWaitForMemList {
		t.Fatalf("after the leave notice: %v", c.State())
	}
	// The leader's MEM_LIST (instance+1, without other) is lost; a member
	// of another membership says it is one.
	m = hdr(TypeStateInfo, other)
	m.Cookie, m.State = "another-cookie", StateJoined.String()
	if err := c.ReceiveMsg(Time{Mono: cl.now}, m); err != nil {
		t.Fatal(err)
	}
	// Nobody answers any more: n2 ends alone.
	cl.down[leader], cl.down[other] = true, true
	cl.run(10 * time.Second)
	got := c.Membership()
	if len(got.Members) != 1 || got.Instance <= ev.Instance+1 {
		t.Errorf("n2 alone after the restart: %s; instance %d may name {%s,%s}", membersText(got), ev.Instance+1, leader, "n2")
	}
}

// A full round makes its membership's instance + 1 + its minor, which a
// member that misses the FINAL_MEMLIST knows, and never makes itself: the
// leader had heard of instance+1 elsewhere, the member had not (ccm, and
// hbd before: the leader took its highest instance seen + 1, the member
// skipped only its own + 1 and formed the leader's number alone while
// the leader listed it).
func TestLostFinalListInstance(t *testing.T) {
	cl := newCluster(t, "n1", "n2", "n3")
	cl.run(10 * time.Second)
	ev := cl.nodes["n1"].Membership()
	if len(ev.Members) != 3 {
		t.Fatalf("start: %s", membersText(ev))
	}
	old := cl.nodes["n1"].nodes[cl.nodes["n1"].leader]
	var surv []string
	for _, n := range cl.names {
		if n != old {
			surv = append(surv, n)
		}
	}
	// The survivors' round elects the smallest born, a tie to the greater
	// name.
	born := map[string]int{}
	for _, m := range ev.Members {
		born[m.Name] = m.Born
	}
	a, b := surv[0], surv[1]
	if born[b] < born[a] || born[b] == born[a] {
		a, b = b, a
	}
	// a hears, from the dying leader, of an instance one above the highest
	// b has seen (in a message it ignores).
	hi := cl.nodes[b].maxTrans + 1
	m := &Msg{Type: TypeProtoVersionResp, Src: old, Major: hi, Major2: hi, NumNodes: 3, ClSize: 3}
	if err := cl.nodes[a].ReceiveMsg(Time{Mono: cl.now}, m); err != nil {
		t.Fatal(err)
	}
	cl.down[old] = true
	// The FINAL_MEMLIST to b is lost, and so is what a sends b after it.
	lost := false
	cl.drop = func(from, to string, m Msg) bool {
		lost = lost || from == a && to == b && m.Type == TypeFinalMemlist
		return lost && from == a && to == b
	}
	for _, n := range surv {
		cl.nodes[n].NodeStatus(Time{Mono: cl.now}, old, false)
	}
	cl.flush()
	la := cl.nodes[a].Membership()
	if len(la.Members) != 2 {
		t.Fatalf("%s after the round: %s, want %s in", a, membersText(la), b)
	}
	if la.Instance != ev.Instance+2 {
		t.Errorf("%s after the round: %s, want instance %d (round 1)", a, membersText(la), ev.Instance+2)
	}
	// a goes away before b's final list timeout: b runs the next round
	// alone.
	cl.down[a] = true
	cl.nodes[b].NodeStatus(Time{Mono: cl.now}, a, false)
	cl.run(5 * time.Second)
	lb := cl.nodes[b].Membership()
	if len(lb.Members) == 0 || lb.Instance == la.Instance {
		t.Errorf("%s after the lost final list: %s; %s lists it at %s", b, membersText(lb), a, membersText(la))
	}
}

// A node that gave up on a MEM_LIST (its leader may hold instance+1 with
// it; here a RESTART came first) does not join, as a newcomer, a membership whose MEM_LIST would
// give it that instance: it forms alone above it and tells that leader
// at once (STATE_INFO with its instance), so that their merge starts
// above it.
func TestNewcomerSkipsAwaitedInstance(t *testing.T) {
	cl := newCluster(t, "n1", "n2", "n3")
	cl.run(10 * time.Second)
	c := cl.nodes["n2"]
	ev := c.Membership()
	if len(ev.Members) != 3 || c.leader == c.me {
		t.Fatalf("start: %s, leader %d", membersText(ev), c.leader)
	}
	leader := c.nodes[c.leader]
	other := "n1"
	if leader == "n1" {
		other = "n3"
	}
	now := Time{Mono: cl.now}
	hdr := func(typ Type, from, cookie string) *Msg {
		return &Msg{Type: typ, Src: from, Major: ev.Instance, Major2: ev.Instance, NumNodes: 3, Cookie: cookie}
	}
	m := hdr(TypeNodeLeaveNotice, leader, c.cookie)
	m.Node = other
	if err := c.ReceiveMsg(now, m); err != nil {
		t.Fatal(err)
	}
	// The leader's MEM_LIST is lost; other, which left, says to start
	// over (RESTART): n2 asks to join again.
	if err := c.ReceiveMsg(now, &Msg{Type: TypeRestart, Src: other, NumNodes: 3}); err != nil {
		t.Fatal(err)
	}
	take(c)
	if c.State() != StateVersionRequest {
		t.Fatalf("after the restart: %v", c.State())
	}
	// other answers from a membership of its own at the same instance.
	m = hdr(TypeProtoVersionResp, other, "other-cookie")
	m.ClSize = 2
	if err := c.ReceiveMsg(Time{Mono: cl.now}, m); err != nil {
		t.Fatal(err)
	}
	m = hdr(TypeMemList, other, "other-cookie")
	m.MemList.Set(0)
	m.MemList.Set(1)
	m.NewCookie = "new-cookie"
	m.Uptimes = []int{ev.Instance, ev.Instance + 1}
	if err := c.ReceiveMsg(Time{Mono: cl.now}, m); err != nil {
		t.Fatal(err)
	}
	rd := take(c)
	got := c.Membership()
	if got.Instance <= ev.Instance+1 {
		t.Errorf("n2 after %s's answer: %s; instance %d may name {%s,n2}", other, membersText(got), ev.Instance+1, leader)
	}
	told := false
	for _, s := range rd.Sends {
		told = told || s.Dest == other && s.Msg.Type == TypeStateInfo && s.Msg.Major == got.Instance
	}
	if !told {
		t.Errorf("n2 did not tell %s its instance: %+v", other, rd.Sends)
	}
}

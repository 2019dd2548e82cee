package controld

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe"
)

// The election's order is Pacemaker's: a lower feature set wins, then
// an earlier born instance, then the name that sorts first,
// case-insensitively.
func TestElectionOrder(t *testing.T) {
	c := New(Config{Local: "nodeb", Keepalive: time.Second})
	c.members = map[string]int{"nodeb": 5}
	cases := []struct {
		from, version string
		born          int
		beats         bool
	}{
		{"nodez", "3.0.14", 9, true},    // lower version, younger, greater name: wins
		{"nodea", "3.17.0", 1, false},   // higher version loses whatever else
		{"nodez", FeatureSet, 4, true},  // born earlier
		{"nodea", FeatureSet, 6, false}, // born later
		{"nodea", FeatureSet, 5, true},  // same born: the smaller name
		{"NODEA", FeatureSet, 5, true},  // case-insensitively
		{"nodec", FeatureSet, 5, false}, // a greater name loses
		{"nodec", FeatureSet + ".0", 5, false},
	}
	for _, k := range cases {
		if got := c.beats(k.from, k.version, k.born); got != k.beats {
			t.Errorf("%s (version %s, born %d) beats nodeb (born 5): %v, want %v", k.from, k.version, k.born, got, k.beats)
		}
	}
}

// With stonith-enabled, a node lost while it held resources is fenced
// before its resources start elsewhere, and after the fencing its
// node_state is down and clean (expected down, no history).
func TestSimFencesLostNode(t *testing.T) {
	s := newSimOpts(t, 5, 3, true)
	for i := range s.nodes {
		s.start(i)
	}
	s.run(3 * time.Second)
	s.settled()
	s.placedOnce(0)
	dc := s.dcOf(0)
	victim := -1
	for i, nd := range s.nodes {
		if i != dc && len(nd.running) > 0 {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("no resource on a node other than the DC: %v", s.where())
	}
	name := s.nodes[victim].name
	s.crash(victim)
	s.run(3 * time.Second)
	s.settled()
	s.placedOnce(0)
	if len(s.fenced) != 1 || s.fenced[0] != name {
		t.Fatalf("fenced %v, want [%s]", s.fenced, name)
	}
	cib := string(s.nodes[dc].c.AppendCIB(nil))
	i := strings.Index(cib, `<node_state id="`+name+`"`)
	if i < 0 {
		t.Fatalf("no node_state for %s", name)
	}
	st := cib[i:]
	st = st[:strings.Index(st, "</node_state>")]
	if !strings.Contains(st, `in_ccm="false" crmd="offline" join="down" expected="down"`) || strings.Contains(st, "lrm_rsc_op") {
		t.Errorf("fenced node's state:\n%s", st)
	}
}

// The DC's status holds what Pacemaker's does: node_state of each
// joined node, and for every operation an lrm_rsc_op with its key,
// magic, call id, rc, status, interval, times and digest — which the PE
// reads back as the resources' state.
func TestStatusSection(t *testing.T) {
	s := newSim(t, 9, 3)
	for i := range s.nodes {
		s.start(i)
	}
	s.run(3 * time.Second)
	s.settled()
	dc := s.nodes[s.dcOf(0)]
	cib := dc.c.AppendCIB(nil)
	text := string(cib)
	for _, nd := range s.nodes {
		if !strings.Contains(text, `<node_state id="`+nd.name+`" uname="`+nd.name+`" in_ccm="true" crmd="online" join="member" expected="member"`) {
			t.Errorf("no joined node_state for %s", nd.name)
		}
	}
	home := s.where()["r1"][0]
	for _, want := range []string{`id="r1_last_0" operation_key="r1_start_0" operation="start"`,
		`id="r1_monitor_10000" operation_key="r1_monitor_10000" operation="monitor"`,
		`on_node="` + home + `"`, `rc-code="0" op-status="0" interval="10000"`, `op-digest="digest-r1"`,
		`transition-magic="0:0;`, `have-quorum="1" dc-uuid="` + dc.name + `"`} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %s", want)
		}
	}
	// The CIB the DC's Ready outputs were written into holds the same
	// status: the PE finds nothing to do on either.
	for _, doc := range [][]byte{cib, s.cibs[s.dcOf(0)].Bytes()} {
		root, err := pe.ParseXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		c, err := pe.Unpack(root, s.tm().Wall)
		if err != nil {
			t.Fatal(err)
		}
		if res := pe.Schedule(c); len(res.Summary) != 0 {
			t.Errorf("PE plans %v on\n%s", res.Summary, doc)
		}
	}
	if !strings.Contains(string(s.cibs[s.dcOf(0)].Bytes()), `operation_key="r1_start_0"`) {
		t.Errorf("the written CIB lacks r1's start")
	}
}

// Several changes in one round make one PE run.
func TestPlanDebounced(t *testing.T) {
	s := newSim(t, 4, 3)
	for i := range s.nodes {
		s.start(i)
	}
	s.run(3 * time.Second)
	s.settled()
	c := s.nodes[s.dcOf(0)].c
	now := s.tm()
	c.SetAttr(now, Attr{Name: "a1", Value: "1"})
	c.SetAttr(now, Attr{Name: "a2", Value: "2"})
	c.ConfigChanged(now, []byte(s.config))
	if d, ok := c.Deadline(); !ok || d != now.Mono {
		t.Fatalf("deadline %d %v, want now", d, ok)
	}
	c.Tick(now)
	rd := c.Ready()
	if len(rd.Plans) != 1 {
		t.Errorf("%d PE runs for three changes in a round, want 1", len(rd.Plans))
	}
	c.Advance()
}

// Transient attributes go through the DC to the status and to their
// node, and die with a restart; permanent ones go to the nodes section.
func TestAttributes(t *testing.T) {
	s := newSim(t, 6, 3)
	for i := range s.nodes {
		s.start(i)
	}
	s.run(3 * time.Second)
	s.settled()
	dc := s.dcOf(0)
	other := (dc + 1) % 3
	name := s.nodes[other].name
	s.nodes[other].c.SetAttr(s.tm(), Attr{Name: "pingd", Value: "100"})
	s.nodes[other].c.SetAttr(s.tm(), Attr{Name: "hits", Value: "value++"})
	s.nodes[other].c.SetAttr(s.tm(), Attr{Name: "hits", Value: "value+=5"})
	s.nodes[other].c.SetAttr(s.tm(), Attr{Name: "standby", Value: "on", Forever: true})
	s.flush(other)
	s.run(time.Second)
	nvpair := func(k, v string) string {
		return `<nvpair id="status-` + name + `-` + k + `" name="` + k + `" value="` + v + `"/>`
	}
	cib := string(s.nodes[dc].c.AppendCIB(nil))
	for k, v := range map[string]string{"pingd": "100", "hits": "6"} {
		if !strings.Contains(cib, nvpair(k, v)) {
			t.Errorf("DC's status lacks %s=%s for %s", k, v, name)
		}
		if got := s.nodes[other].c.Attrs()[k]; got != v {
			t.Errorf("%s holds %s=%q, want %q", name, k, got, v)
		}
	}
	if len(s.configAttrs) != 1 || s.configAttrs[0] != (Attr{Node: name, Name: "standby", Value: "on", Forever: true}) {
		t.Errorf("nodes-section updates %+v", s.configAttrs)
	}
	if want := `<nvpair id="nodes-` + name + `-standby" name="standby" value="on"/>`; !strings.Contains(string(s.cibs[dc].Bytes()), want) {
		t.Errorf("the DC's CIB lacks %s", want)
	}
	s.crash(other)
	s.run(2 * time.Second)
	s.start(other)
	s.run(3 * time.Second)
	s.settled()
	cib = string(s.nodes[dc].c.AppendCIB(nil))
	if strings.Contains(cib, `name="pingd"`) || len(s.nodes[other].c.Attrs()) != 0 {
		t.Errorf("transient attributes survived %s's restart", name)
	}
}

func TestExpand(t *testing.T) {
	for _, c := range []struct{ old, v, want string }{
		{"", "value++", "1"}, {"3", "value++", "4"}, {"3", "value+=10", "13"}, {"INFINITY", "value++", "INFINITY"},
		{"999999", "value++", "INFINITY"}, {"3", "7", "7"}, {"3", "value+=x", "value+=x"},
	} {
		if got := expand(c.old, c.v); got != c.want {
			t.Errorf("expand(%q, %q) = %q, want %q", c.old, c.v, got, c.want)
		}
	}
}

// harness routes messages between controllers at once, in virtual time
// that only moves when told; operations complete when run() is called.
type harness struct {
	t      *testing.T
	now    Time
	cs     map[string]*Controller
	names  []string
	held   map[string][]Op // operations waiting to run, by node
	truth  map[string]map[string]bool
	calls  int
	config []byte
}

func newHarness(t *testing.T, config string, names ...string) *harness {
	h := &harness{t: t, now: Time{Mono: 1e9, Wall: 1700000000}, cs: map[string]*Controller{}, names: names,
		held: map[string][]Op{}, truth: map[string]map[string]bool{}, config: []byte(config)}
	for _, n := range names {
		h.add(n)
	}
	return h
}

func (h *harness) add(n string) {
	c := New(Config{Local: n, Keepalive: 100 * time.Millisecond})
	c.ConfigChanged(h.now, h.config)
	c.Start(h.now)
	h.cs[n] = c
	h.truth[n] = map[string]bool{}
}

func (h *harness) membership(inst int, quorum bool, members ...Member) {
	for _, m := range members {
		h.cs[m.Name].Membership(h.now, Membership{Instance: inst, Members: members, Quorum: quorum})
	}
}

// pump routes everything until no controller has output.
func (h *harness) pump() {
	for guard := 0; guard < 10000; guard++ {
		quiet := true
		for _, n := range sortedKeys(h.cs) {
			c := h.cs[n]
			if d, ok := c.Deadline(); ok && d <= h.now.Mono {
				c.Tick(h.now)
			}
			rd := c.Ready()
			sends, ops, plans := append([]Send(nil), rd.Sends...), append([]LRMOp(nil), rd.Ops...), append([]PlanRequest(nil), rd.Plans...)
			c.Advance()
			for _, s := range sends {
				quiet = false
				for _, to := range sortedKeys(h.cs) {
					if to != n && (s.To == "" || s.To == to) {
						m := s.Msg
						h.cs[to].Receive(h.now, n, &m)
					}
				}
			}
			for _, o := range ops {
				quiet = false
				h.held[n] = append(h.held[n], o.Op)
			}
			for _, p := range plans {
				quiet = false
				root, err := pe.ParseXML(p.CIB)
				if err != nil {
					h.t.Fatal(err)
				}
				cl, err := pe.Unpack(root, h.now.Wall)
				if err != nil {
					h.t.Fatal(err)
				}
				c.Planned(h.now, p.ID, pe.BuildGraph(pe.Schedule(cl), root), nil)
			}
		}
		if quiet {
			return
		}
	}
	h.t.Fatal("harness: no quiescence")
}

// run executes node n's held operations.
func (h *harness) run(n string) {
	ops := h.held[n]
	h.held[n] = nil
	for _, o := range ops {
		h.calls++
		r := o
		r.CallID = h.calls
		switch o.Task {
		case "start":
			h.truth[n][o.Rsc] = true
		case "stop":
			delete(h.truth[n], o.Rsc)
		case "monitor":
			if !h.truth[n][o.Rsc] {
				r.RC = 7
			}
		}
		h.cs[n].OpResult(h.now, r)
	}
}

// settle pumps and runs operations until nothing is held.
func (h *harness) settle() {
	for range 100 {
		h.pump()
		busy := false
		for _, n := range sortedKeys(h.held) {
			if len(h.held[n]) > 0 {
				busy = true
				h.run(n)
			}
		}
		if !busy {
			return
		}
	}
	h.t.Fatal("harness: operations do not settle")
}

// An operation that ends while its node has no DC (an election runs)
// reaches the engine through the node's history in the join, when the
// same DC wins again: the transition completes without waiting for the
// action's timeout (it waited for timeout + cluster-delay before).
func TestResultDuringElection(t *testing.T) {
	cfg := `<configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
		`<nodes><node id="nodea" uname="nodea"/><node id="nodeb" uname="nodeb"/><node id="nodec" uname="nodec"/></nodes><resources>` +
		`<primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="r1-m" name="monitor" interval="10s"/></operations></primitive>` +
		`</resources><constraints><rsc_location id="l1" rsc="r1" node="nodeb" score="100"/></constraints></configuration>`
	h := newHarness(t, cfg, "nodea", "nodeb")
	h.membership(1, true, Member{"nodea", 1}, Member{"nodeb", 1})
	h.settle()
	a := h.cs["nodea"]
	if !a.Idle() || !h.truth["nodeb"]["r1"] {
		t.Fatalf("start: DC idle %v, r1 on nodeb %v", a.Idle(), h.truth["nodeb"]["r1"])
	}
	// r1 fails on nodeb: the DC plans its recovery; the stop is held.
	delete(h.truth["nodeb"], "r1")
	h.calls++
	h.cs["nodeb"].OpResult(h.now, Op{Rsc: "r1", Class: "ocf", Provider: "heartbeat", Type: "Dummy", Task: "monitor",
		IntervalMS: 10000, Key: "9:1:0:nodea", CallID: h.calls, RC: 7})
	h.pump()
	if len(h.held["nodeb"]) != 1 || h.held["nodeb"][0].Task != "stop" {
		t.Fatalf("held on nodeb: %+v, want the stop", h.held["nodeb"])
	}
	// nodec joins: everyone votes; nodeb has no DC while the stop ends.
	h.add("nodec")
	for _, n := range []string{"nodea", "nodeb", "nodec"} {
		h.cs[n].Membership(h.now, Membership{Instance: 2, Quorum: true,
			Members: []Member{{"nodea", 1}, {"nodeb", 1}, {"nodec", 2}}})
	}
	if h.cs["nodeb"].DC() != "" {
		t.Fatalf("nodeb's DC during the election: %q", h.cs["nodeb"].DC())
	}
	h.run("nodeb")
	h.settle()
	if !a.IsDC() || !a.Idle() {
		t.Fatalf("after the election: nodea DC %v, idle %v (the stop's result never reached the engine)", a.IsDC(), a.Idle())
	}
	if !h.truth["nodeb"]["r1"] {
		t.Errorf("r1 not recovered on nodeb: %v", h.truth)
	}
}

// A node that leaves cleanly (Shutdown) has its resources moved off
// before it may stop, is expected down, and is not fenced when it
// leaves; the DC can leave the same way: the new DC learns from the
// replicated status that it left cleanly (without it, it fenced the old
// DC as a node never seen).
func TestSimGracefulShutdown(t *testing.T) {
	s := newSimOpts(t, 8, 5, true)
	for i := range s.nodes {
		s.start(i)
	}
	s.run(3 * time.Second)
	s.settled()
	dc := s.dcOf(0)
	for _, leaving := range []int{(dc + 1) % 5, dc} {
		name := s.nodes[leaving].name
		s.nodes[leaving].c.Shutdown(s.tm())
		s.flush(leaving)
		for step := 0; !s.stopOK[leaving]; step++ {
			if step > 100 {
				s.fail("%s was never let stop", name)
			}
			s.run(50 * time.Millisecond)
		}
		if len(s.nodes[leaving].running) != 0 {
			t.Errorf("%s may stop while it runs %v", name, s.nodes[leaving].running)
		}
		s.crash(leaving)
		s.run(3 * time.Second)
		if len(s.fenced) != 0 {
			t.Fatalf("fenced %v after a clean shutdown of %s", s.fenced, name)
		}
		s.settled()
		s.placedOnce(0)
	}
}

// A PE answer to a request made before an election the DC won again is
// discarded: its graph would run on the status the join replaces, before
// the join is complete.
func TestPlanBeforeElectionDiscarded(t *testing.T) {
	cfg := `<configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
		`<nodes><node id="nodea" uname="nodea"/><node id="nodeb" uname="nodeb"/></nodes><resources>` +
		`<primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>`
	h := newHarness(t, cfg, "nodea")
	h.membership(1, true, Member{"nodea", 1})
	h.settle()
	a := h.cs["nodea"]
	if !a.Idle() {
		t.Fatal("nodea is not an idle DC")
	}
	// A change (a new resource): the PE request goes out and is not
	// answered yet.
	h.config = []byte(strings.Replace(string(h.config), "</resources>",
		`<primitive id="r2" class="ocf" provider="heartbeat" type="Dummy"/></resources>`, 1))
	a.ConfigChanged(h.now, h.config)
	a.Tick(h.now)
	rd := a.Ready()
	if len(rd.Plans) != 1 {
		t.Fatalf("%d plans", len(rd.Plans))
	}
	stale := rd.Plans[0]
	a.Advance()
	// An election (nodeb joins) that nodea wins again; the join is not
	// complete (nodeb has not answered) when the stale answer comes.
	h.cs["nodeb"] = New(Config{Local: "nodeb", Keepalive: 100 * time.Millisecond})
	h.cs["nodeb"].ConfigChanged(h.now, h.config)
	h.cs["nodeb"].Start(h.now)
	b := h.cs["nodeb"]
	m := Membership{Instance: 2, Quorum: true, Members: []Member{{"nodea", 1}, {"nodeb", 2}}}
	a.Membership(h.now, m)
	b.Membership(h.now, m)
	// Votes only: the join offer is never delivered.
	for range 10 {
		for _, pair := range [][2]*Controller{{a, b}, {b, a}} {
			from, to := pair[0], pair[1]
			rd := from.Ready()
			sends := append([]Send(nil), rd.Sends...)
			from.Advance()
			for _, snd := range sends {
				if snd.Msg.Task == TaskVote || snd.Msg.Task == TaskNoVote {
					msg := snd.Msg
					to.Receive(h.now, from.local, &msg)
				}
			}
		}
	}
	if !a.IsDC() || a.joined {
		t.Fatalf("nodea: DC %v, join complete %v; want the DC with its join pending", a.IsDC(), a.joined)
	}
	root, _ := pe.ParseXML(stale.CIB)
	cl, _ := pe.Unpack(root, h.now.Wall)
	g := pe.BuildGraph(pe.Schedule(cl), root)
	if len(g.Actions) == 0 {
		t.Fatal("the stale plan has no actions: the test tests nothing")
	}
	a.Planned(h.now, stale.ID, g, nil)
	rd = a.Ready()
	if a.teRunning || hasInvoke(rd) {
		t.Fatalf("a graph planned before the election runs during the join: %+v", rd.Ops)
	}
	a.Advance()
}

func hasInvoke(rd *Ready) bool {
	if len(rd.Ops) > 0 {
		return true
	}
	for _, s := range rd.Sends {
		if s.Msg.Task == TaskLRMInvoke {
			return true
		}
	}
	return false
}

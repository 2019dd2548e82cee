package ccm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// TestHealKeepsMajority: one node of three is cut off, then the partition
// heals. The two nodes that were never apart must never be delivered a
// membership without each other, and the healed node comes back into
// theirs; the simulator's checks hold throughout (one instance, one set;
// no two disjoint quorate memberships). Before, ccm's merge (RESTART,
// then the highest joiner alone) delivered the majority's leader a
// membership of itself alone, then with the healed node, quorate, while
// the other member had not been given any new one — two quorate views
// sharing a node (netns TestCRMPartitionNewestCIB: the CRM started a
// resource on the healed node while the other member still ran it).
// The cut-off node either stays up (its lone instance then runs above the
// majority's) or restarts while still cut off, as in the netns test.
func TestHealKeepsMajority(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		for cut := range 3 {
			for _, restart := range []bool{false, true} {
				healOne(t, seed, cut, restart)
			}
		}
	}
}

func healOne(t *testing.T, seed uint64, cut int, restart bool) {
	t.Helper()
	s := newSimNet(t, seed, 3)
	s.keepLog = true
	s.push(&simEvent{at: int64(s.ka), kind: evHB})
	for i := range 3 {
		s.runUntil(int64(i)*int64(50*time.Millisecond), 0)
		s.start(i, seed*100+uint64(i))
	}
	if s.runUntil(int64(30*time.Second), 1) == 0 {
		s.fail("no membership of all at start")
	}
	// The partition: cut alone, the two others together.
	var majority []int
	for i := range 3 {
		if i != cut {
			s.group[i] = 1
			majority = append(majority, i)
		}
	}
	s.runUntil(s.now+int64(10*time.Second), 0)
	for _, i := range majority {
		if ev := s.nodes[i].c.Membership(); len(ev.Members) != 2 || !ev.Quorum {
			s.fail("%s in the partition: %v", s.names[i], ev)
		}
	}
	if restart {
		s.crash(cut)
		s.runUntil(s.now+2*s.deadtime, 0)
		s.start(cut, seed*100+uint64(cut)+uint64(s.now))
		s.runUntil(s.now+int64(3*time.Second), 0)
	}
	// The heal: from here, every membership delivered to a majority
	// node must list the other one.
	var bad []string
	cutIdx := s.nodes[cut].c.LocalIndex() // ccm's index (by name), not the simulator's
	s.onEvent = func(node int, ev Event) {
		if ev.Kind != EventMembership || node == cut {
			return
		}
		for _, m := range ev.Members {
			if m.Index != s.nodes[node].c.LocalIndex() && m.Index != cutIdx {
				return
			}
		}
		bad = append(bad, fmt.Sprintf("t=%dms %s: instance %d %v quorum %v", s.now/1e6, s.names[node], ev.Instance, ev.Members, ev.Quorum))
	}
	s.group[cut] = 1
	healed := s.now
	agreed := s.runUntil(healed+convergenceBound(3, s.ka), healed)
	if len(bad) > 0 {
		s.fail("cut %s (restarted %v): a never-separated member left out after the heal:\n%s",
			s.names[cut], restart, strings.Join(bad, "\n"))
	}
	if agreed == 0 {
		s.fail("cut %s (restarted %v): no membership of all after the heal", s.names[cut], restart)
	}
}

// The merge rules one node applies (hbd's, see outranks): a STATE_INFO
// from a smaller membership keeps ours and answers with our size; one
// without a size (ccm 3.0.6) restarts everybody as ccm does; a RESTART is
// passed on to our own members only, so that it never reaches the
// membership that outranked the sender's.
func TestMergeRules(t *testing.T) {
	cl := newCluster(t, "n1", "n2", "n3", "n4", "n5")
	cl.down["n5"] = true
	for _, n := range cl.names[:4] {
		cl.nodes[n].NodeStatus(Time{}, "n5", false)
	}
	cl.run(20 * time.Second)
	for _, n := range cl.names[:4] {
		if ev := cl.nodes[n].Membership(); len(ev.Members) != 4 {
			t.Fatalf("%s at start: %s", n, membersText(ev))
		}
	}
	info := func(c *CCM, size int) *Msg {
		ev := c.Membership()
		return &Msg{Type: TypeStateInfo, Src: "n5", Major: ev.Instance, Major2: ev.Instance, NumNodes: 5,
			Cookie: "other-cookie", State: StateJoined.String(), ClSize: size}
	}
	now := Time{Mono: cl.now}

	c := cl.nodes["n2"]
	before := c.Membership()
	c.NodeStatus(now, "n5", true)
	take(c)
	if err := c.ReceiveMsg(now, info(c, 1)); err != nil {
		t.Fatal(err)
	}
	rd := take(c)
	if got := c.Membership(); c.State() != StateJoined || got.Instance != before.Instance || len(got.Members) != 4 {
		t.Errorf("STATE_INFO of a membership of 1: %v %s, want ours kept", c.State(), membersText(got))
	}
	if len(rd.Sends) != 1 || rd.Sends[0].Dest != "n5" || rd.Sends[0].Msg.Type != TypeStateInfo || rd.Sends[0].Msg.ClSize != 4 {
		t.Errorf("answer to a smaller membership: %+v, want STATE_INFO with size 4 to n5", rd.Sends)
	}

	c = cl.nodes["n3"]
	c.NodeStatus(now, "n5", true)
	take(c)
	if err := c.ReceiveMsg(now, info(c, 0)); err != nil {
		t.Fatal(err)
	}
	rd = take(c)
	if c.State() != StateVersionRequest || len(rd.Sends) == 0 || rd.Sends[0].Msg.Type != TypeRestart || rd.Sends[0].Dest != "" {
		t.Errorf("STATE_INFO of 3.0.6 (no size): %v, sent %+v, want RESTART to all", c.State(), rd.Sends)
	}

	c = cl.nodes["n4"]
	if err := c.ReceiveMsg(now, &Msg{Type: TypeRestart, Src: "n5", NumNodes: 5}); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, s := range take(c).Sends {
		if s.Msg.Type == TypeRestart {
			to = append(to, s.Dest)
		}
	}
	if strings.Join(to, " ") != "n1 n2 n3" {
		t.Errorf("RESTART passed on to %q, want our members n1 n2 n3 only", to)
	}
}

// STATE_INFO carries hbd's member count in ccmclsize; a 3.0.6 one has
// none (0), and a malformed one is refused.
func TestStateInfoSize(t *testing.T) {
	for _, size := range []int{0, 3} {
		var m wire.Message
		in := Msg{Type: TypeStateInfo, NumNodes: 3, Cookie: "c", State: StateJoined.String(), ClSize: size}
		if err := in.Encode(&m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m.Get(FieldClSize); ok != (size > 0) {
			t.Errorf("size %d: ccmclsize present %v", size, ok)
		}
		var out Msg
		if err := out.Decode(&m); err != nil || out.ClSize != size {
			t.Errorf("size %d: decoded %d, %v", size, out.ClSize, err)
		}
		m.AddString(FieldClSize, "x")
		if size == 0 {
			if err := out.Decode(&m); err == nil {
				t.Error("ccmclsize x decoded")
			}
		}
	}
}

package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

// beaconCluster starts three nodes in the given native modes and lets
// them settle.
func beaconCluster(t *testing.T, modes ...master.NativeMode) (*Sim, *Checker) {
	t.Helper()
	s, err := New(Options{Nodes: []string{"a", "b", "c"}, Keepalive: 50 * time.Millisecond,
		Deadtime: 300 * time.Millisecond, Initdead: time.Second, Seed: 11, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(s)
	for i, m := range modes {
		s.SetNative(i, m)
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(3 * time.Second)
	return s, c
}

// sentSince counts the datagrams traced since entry from, by the first
// word of their description (the type), and those with a seq.
func sentSince(s *Sim, from int) (types map[string]int, withSeq int) {
	types = map[string]int{}
	for _, e := range s.Trace[from:] {
		if e.Kind != TraceSend {
			continue
		}
		typ, _, _ := strings.Cut(e.Text, " ")
		types[typ]++
		if strings.Contains(e.Text, " seq=") {
			withSeq++
		}
	}
	return types, withSeq
}

// Between hbd nodes sending native, an idle cluster sends statuses only,
// as beacons without a seq: no ACK, no history slot. A cluster with a
// heartbeat node keeps heartbeat's sequenced statuses and their ACKs.
func TestBeaconsIdle(t *testing.T) {
	s, c := beaconCluster(t, master.NativeAuto, master.NativeAuto, master.NativeAuto)
	from := len(s.Trace)
	s.RunFor(2 * time.Second)
	types, withSeq := sentSince(s, from)
	if types["status"] < 100 || len(types) != 1 || withSeq != 0 {
		t.Errorf("all native, idle: sent %v, %d with a seq; want statuses only, none with a seq", types, withSeq)
	}
	if len(c.Violations) > 0 {
		t.Fatalf("violations: %v", c.Violations)
	}

	s, c = beaconCluster(t, master.NativeAuto, master.NativeAuto, master.NativeOff)
	from = len(s.Trace)
	s.RunFor(2 * time.Second)
	types, withSeq = sentSince(s, from)
	if types["NS_ackmsg"] == 0 || withSeq != types["status"] {
		t.Errorf("with a heartbeat node: sent %v, %d with a seq; want sequenced statuses and ACKs", types, withSeq)
	}
	if len(c.Violations) > 0 {
		t.Fatalf("violations: %v", c.Violations)
	}
}

// A reliable message lost at the end of a burst (nothing sequenced
// follows it) still reaches every node: the next beacon tells its highest
// seq, and the receiver asks for what it missed.
func TestBeaconsTailLoss(t *testing.T) {
	s, c := beaconCluster(t, master.NativeAuto, master.NativeAuto, master.NativeAuto)
	got := map[int]int{}
	s.OnEvent = func(node int, e master.Event) {
		if e.Kind == master.EventMessage && strings.Contains(string(e.Msg), "hbtest") {
			got[node]++
		}
	}
	s.SetLinks([]int{0}, []int{1}, -1, func(l *Link) { l.Down = true })
	if err := s.SendMessage(0, "hbtest", "n", "1"); err != nil {
		t.Fatal(err)
	}
	s.Heal()
	s.RunFor(time.Second)
	if got[1] != 1 || got[2] != 1 {
		t.Fatalf("the message reached b %d times and c %d times, want once each", got[1], got[2])
	}
	if s.Nodes[0].M.Stats().Retransmitted == 0 {
		t.Error("a retransmitted nothing")
	}
	if len(c.Violations) > 0 {
		t.Fatalf("violations: %v", c.Violations)
	}
}

package sim

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

// A rolling upgrade from heartbeat (native off: its bytes, nothing
// advertised) to hbd (native auto), one node at a time, and back: no node
// sends native while one node it knows has not advertised it, every node
// does once all have, a heartbeat node coming back switches them back,
// and no step costs a false death (the checker watches).
func TestNativeRollingUpgrade(t *testing.T) {
	s, err := New(Options{Nodes: []string{"a", "b", "c"}, Keepalive: 50 * time.Millisecond,
		Deadtime: 300 * time.Millisecond, Initdead: time.Second, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(s)
	for i := range s.Nodes {
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(3 * time.Second)
	native := func() []bool {
		var out []bool
		for _, n := range s.Nodes {
			out = append(out, n.Running() && n.M.Native())
		}
		return out
	}
	upgrade := func(i int, m master.NativeMode) {
		t.Helper()
		s.Shutdown(i)
		s.RunFor(time.Second)
		s.SetNative(i, m)
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
		s.RunFor(3 * time.Second)
	}
	for step := range 2 {
		before := s.SentNative
		upgrade(step, master.NativeAuto)
		if s.SentNative != before {
			t.Fatalf("step %d: %d native packets sent while node c runs heartbeat", step, s.SentNative-before)
		}
		if got := native(); got[0] || got[1] || got[2] {
			t.Fatalf("step %d: native %v with a heartbeat node in the cluster", step, got)
		}
	}
	upgrade(2, master.NativeAuto)
	if got := native(); !got[0] || !got[1] || !got[2] {
		t.Fatalf("all nodes advertise native, yet native = %v", got)
	}
	sent, nat := s.Sent, s.SentNative
	s.RunFor(2 * time.Second)
	if s.Sent-sent != s.SentNative-nat {
		t.Fatalf("all native: %d of %d packets in heartbeat's form", (s.Sent-sent)-(s.SentNative-nat), s.Sent-sent)
	}
	// Downgrade b back to heartbeat: a and c switch back on its first
	// status, and b joins without a death.
	upgrade(1, master.NativeOff)
	if got := native(); got[0] || got[1] || got[2] {
		t.Fatalf("after the downgrade, native = %v", got)
	}
	for i, n := range s.Nodes {
		for j := range s.Nodes {
			if st := n.M.NodeStatus(j); st != master.StatusActive {
				t.Errorf("node %d sees node %d %s", i, j, st)
			}
		}
	}
	if len(c.Violations) > 0 {
		t.Fatalf("violations: %v", c.Violations)
	}
}

package sim

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master/own"
)

func fenceSim(t *testing.T, failures int, fenceTime time.Duration) *Sim {
	t.Helper()
	s, err := New(Options{Nodes: []string{"a", "b"}, Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond,
		Initdead: time.Second, Resources: true, Failback: own.FailbackOn, ActionTime: 50 * time.Millisecond,
		Groups: []own.GroupConfig{{Key: "ga", Node: "a"}}, Stonith: true, FenceFailures: failures, FenceTime: fenceTime, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Start(0)
	_ = s.Start(1)
	s.RunFor(20 * time.Second)
	if !s.Nodes[0].Holds("ga") || s.Nodes[1].Holds("ga") {
		t.Fatal("a does not hold its group after start")
	}
	return s
}

// §10.2/§10.5 with STONITH: the survivor resets the dead holder and takes
// its group only once the reset succeeded; failed resets are retried
// every 5 s and nothing is taken over meanwhile.
func TestFenceBeforeTakeover(t *testing.T) {
	for _, fails := range []int{0, 2} {
		s := fenceSim(t, fails, time.Second)
		crashed := s.Now
		s.Crash(0)
		for s.Now < crashed+int64(time.Minute) {
			s.RunFor(10 * time.Millisecond)
			ok := len(s.Fences) > 0 && s.Fences[len(s.Fences)-1].OK
			if s.Nodes[1].Holds("ga") || s.Nodes[1].Pending() > 0 {
				if !ok {
					t.Fatalf("%d failures: b took the group before a was reset (resets %v)", fails, s.Fences)
				}
				break
			}
		}
		s.RunFor(5 * time.Second)
		if !s.Nodes[1].Holds("ga") {
			t.Fatalf("%d failures: b never took the group (resets %v)", fails, s.Fences)
		}
		if len(s.Fences) != fails+1 || s.Fences[0].By != 1 || s.Fences[0].Target != 0 {
			t.Fatalf("%d failures: resets %v", fails, s.Fences)
		}
		if fails > 0 {
			if gap := s.Fences[1].At - s.Fences[0].At; gap < int64(5*time.Second) {
				t.Errorf("retry after %v, heartbeat waits 5 s", time.Duration(gap))
			}
		}
	}
}

// A full partition with a device on both sides: each resets the other;
// the first reset to complete powers its target off, so one node is left
// and it holds the group.
func TestFenceSplitBrain(t *testing.T) {
	s := fenceSim(t, 0, time.Second)
	s.SetLinks([]int{0, 1}, []int{0, 1}, -1, func(l *Link) { l.Down = true })
	s.RunFor(10 * time.Second)
	running := 0
	for _, n := range s.Nodes {
		if n.Running() {
			running++
			if !n.Holds("ga") {
				t.Errorf("the survivor %s does not hold the group", n.Name)
			}
		}
	}
	if running != 1 {
		t.Fatalf("%d nodes running after both fenced each other (resets %v)", running, s.Fences)
	}
}

// A peer that talks again before its reset completes (the partition
// healed) is not reset.
func TestFenceCancelledWhenPeerReturns(t *testing.T) {
	s := fenceSim(t, 0, 10*time.Second)
	s.SetLinks([]int{0, 1}, []int{0, 1}, -1, func(l *Link) { l.Down = true })
	s.RunFor(2 * time.Second)
	if !s.Nodes[0].O.Fencing(1) || !s.Nodes[1].O.Fencing(0) {
		t.Fatal("no reset under way after the partition")
	}
	s.Heal()
	s.RunFor(20 * time.Second)
	if len(s.Fences) != 0 {
		t.Fatalf("resets after the partition healed: %v", s.Fences)
	}
	for _, n := range s.Nodes {
		if !n.Running() {
			t.Errorf("%s was powered off", n.Name)
		}
	}
}

package own_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/master/sim"
)

// quickCluster is two nodes, node1 holding ip1 and node2 web2, settled.
func quickCluster(t *testing.T, failback own.FailbackMode) *sim.Sim {
	t.Helper()
	s, err := sim.New(sim.Options{
		Nodes: []string{"node1", "node2"}, Keepalive: 100 * time.Millisecond,
		Deadtime: 500 * time.Millisecond, Initdead: 2 * time.Second, Seed: 7,
		Resources: true, Failback: failback, ActionTime: 100 * time.Millisecond,
		Groups: []own.GroupConfig{{Key: "ip1", Node: "node1"}, {Key: "web2", Node: "node2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Nodes {
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(6 * time.Second)
	return s
}

func TestPrepareRestartWhatItReturns(t *testing.T) {
	for _, tc := range []struct {
		failback own.FailbackMode
		holding  string
	}{
		{own.FailbackOn, "local"},
		{own.FailbackOff, "local"},
		{own.FailbackLegacy, ""}, // heartbeat passes no -C in legacy mode
	} {
		s := quickCluster(t, tc.failback)
		m := s.Nodes[0].O
		rs, err := m.PrepareRestart(s.Time())
		if err != nil {
			t.Fatalf("failback %d: %v", tc.failback, err)
		}
		if rs.Holding != tc.holding || !slices.Equal(rs.Groups, []string{"ip1"}) {
			t.Errorf("failback %d: got %+v, want holding %q groups [ip1]", tc.failback, rs, tc.holding)
		}
		again, err := m.PrepareRestart(s.Time())
		if err != nil || again.Holding != rs.Holding || !slices.Equal(again.Groups, rs.Groups) {
			t.Errorf("failback %d: second call %+v, %v; want the first result", tc.failback, again, err)
		}
		if !s.Nodes[0].M.Restarting() {
			t.Errorf("failback %d: not restarting after PrepareRestart", tc.failback)
		}
	}
}

// After PrepareRestart the old master keeps the node alive but does no
// resource work and accepts no client messages or shutdown.
func TestPrepareRestartThenMembershipOnly(t *testing.T) {
	s := quickCluster(t, own.FailbackOn)
	n := s.Nodes[0]
	if _, err := n.O.PrepareRestart(s.Time()); err != nil {
		t.Fatal(err)
	}
	if err := s.SendMessage(0, "hbd-test"); !errors.Is(err, master.ErrNotRunning) {
		t.Errorf("Send after PrepareRestart: %v, want ErrNotRunning", err)
	}
	s.Shutdown(0)
	if !n.Running() {
		t.Fatal("Shutdown stopped a restarting master")
	}
	// node2 dies: the old process must not take its group over (the new
	// process will, when it finds node2 dead).
	s.Crash(1)
	s.RunFor(3 * time.Second)
	if !n.Running() || n.Pending() != 0 || n.Holds("web2") {
		t.Errorf("restarting master did resource work: pending %d, holds web2 %v", n.Pending(), n.Holds("web2"))
	}
}

func TestPrepareRestartDelayed(t *testing.T) {
	s, err := sim.New(sim.Options{
		Nodes: []string{"node1", "node2"}, Keepalive: 100 * time.Millisecond,
		Deadtime: 500 * time.Millisecond, Seed: 7, Resources: true, Failback: own.FailbackOn,
		ActionTime: 300 * time.Millisecond,
		Groups:     []own.GroupConfig{{Key: "ip1", Node: "node1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(0); err != nil {
		t.Fatal(err)
	}
	m := s.Nodes[0].O
	if _, err := m.PrepareRestart(s.Time()); !errors.Is(err, own.ErrRestartDelayed) {
		t.Errorf("before comm-up: %v, want ErrRestartDelayed", err)
	}
	// Alone after initdead: it takes ip1; while that runs, still delayed.
	for s.Nodes[0].Pending() == 0 && s.Now < int64(30*time.Second) {
		s.RunFor(10 * time.Millisecond)
	}
	if s.Nodes[0].Pending() == 0 {
		t.Fatal("ip1 was never taken")
	}
	if _, err := m.PrepareRestart(s.Time()); !errors.Is(err, own.ErrRestartDelayed) {
		t.Errorf("while taking ip1: %v, want ErrRestartDelayed", err)
	}
	if s.Nodes[0].M.Restarting() {
		t.Error("a delayed PrepareRestart changed state")
	}
	s.RunFor(time.Second)
	if rs, err := m.PrepareRestart(s.Time()); err != nil || !slices.Equal(rs.Groups, []string{"ip1"}) {
		t.Errorf("once settled: %+v, %v; want [ip1]", rs, err)
	}
}

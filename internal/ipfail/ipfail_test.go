package ipfail

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// rig is one machine with a settable ping count and stability, recording
// what it sends and logs.
type rig struct {
	m      *Machine
	pings  int
	stable bool
	sent   []Send
	logs   []string
}

const keepalive = 100 * time.Millisecond

func newRig(pings int, failback bool) *rig {
	r := &rig{pings: pings, stable: true}
	r.m = New(Config{
		Self: "node1", Partner: "node2", Keepalive: keepalive, AutoFailback: failback,
		PingCount: func() int { return r.pings },
		Stable:    func() bool { return r.stable },
		Send:      func(s Send) { r.sent = append(r.sent, s) },
		Log:       func(_ prio.Level, msg string) { r.logs = append(r.logs, msg) },
	})
	return r
}

func (r *rig) take() []Send { s := r.sent; r.sent = nil; return s }

func (r *rig) logged(t *testing.T, want string) {
	t.Helper()
	if !slices.ContainsFunc(r.logs, func(l string) bool { return strings.Contains(l, want) }) {
		t.Errorf("no log line %q in %q", want, r.logs)
	}
}

// Every trigger sends our count to the partner, and only those do.
func TestTriggersAskPartner(t *testing.T) {
	for _, c := range []struct {
		name string
		in   func(m *Machine)
		ask  bool
	}{
		{"own link dead", func(m *Machine) { m.LinkStatus(0, "node1", "eth0", "dead") }, true},
		{"partner's link dead", func(m *Machine) { m.LinkStatus(0, "node2", "eth1", "dead") }, true},
		{"ping node's link dead", func(m *Machine) { m.LinkStatus(0, "198.18.0.13", "198.18.0.13", "dead") }, true},
		{"link up", func(m *Machine) { m.LinkStatus(0, "node2", "eth1", "up") }, false},
		{"ping node back", func(m *Machine) { m.NodeStatus(0, "198.18.0.13", "ping") }, true},
		{"node dead", func(m *Machine) { m.NodeStatus(0, "node2", "dead") }, false},
		{"node active", func(m *Machine) { m.NodeStatus(0, "node2", "active") }, false},
		{"partner's ipfail joins", func(m *Machine) { m.PeerJoined(0, "node2") }, true},
		{"our own join", func(m *Machine) { m.PeerJoined(0, "node1") }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(2, true)
			c.in(r.m)
			got := r.take()
			want := []Send(nil)
			if c.ask {
				want = []Send{{Type: TypeNumPing, To: "node2", NumPing: 2}}
			}
			if !slices.Equal(got, want) {
				t.Errorf("sent %v, want %v", got, want)
			}
		})
	}
}

// The comparison: more → tell the partner it is dead; fewer → delayed
// giveup of all; equal → abort_giveup, cancel our own pending giveup,
// else give foreign groups back if auto_failback is on.
func TestCompareCounts(t *testing.T) {
	for _, c := range []struct {
		name          string
		mine, theirs  int
		failback      bool
		pending       bool
		wantSend      []Send
		wantGiveup    string // set asked for after 2×keepalive, "" none
		wantLogSubstr string
	}{
		{"more", 2, 1, true, false, []Send{{Type: TypeYouDead, To: "node2"}}, "", "Telling other node that we have more visible ping nodes."},
		{"fewer", 0, 1, true, false, nil, "all", "Giving up because we have less visible ping nodes."},
		{"equal, failback on", 1, 1, true, false, []Send{{Type: TypeAbort, To: "node2"}}, "foreign", "Giving up foreign resources (auto_failback)."},
		{"equal, failback off", 1, 1, false, false, []Send{{Type: TypeAbort, To: "node2"}}, "", "Ping node count is balanced."},
		{"equal, giveup pending", 1, 1, true, true, []Send{{Type: TypeAbort, To: "node2"}}, "", "Aborted delayed giveup"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(c.mine, c.failback)
			if c.pending {
				r.m.YouAreDead(0)
			}
			r.m.NumPing(0, c.theirs)
			if got := r.take(); !slices.Equal(got, c.wantSend) {
				t.Errorf("sent %v, want %v", got, c.wantSend)
			}
			r.logged(t, c.wantLogSubstr)
			r.m.Tick(int64(2*keepalive) - 1)
			if got := r.take(); len(got) != 0 {
				t.Errorf("sent %v before 2×keepalive", got)
			}
			r.m.Tick(int64(2 * keepalive))
			got := r.take()
			if c.wantGiveup == "" {
				if len(got) != 0 || r.m.Deadline() != 0 {
					t.Errorf("sent %v, deadline %d; want nothing", got, r.m.Deadline())
				}
				return
			}
			want := []Send{{Type: TypeStandby, Rsc: c.wantGiveup}}
			if !slices.Equal(got, want) {
				t.Errorf("after 2×keepalive sent %v, want %v", got, want)
			}
		})
	}
}

// you_are_dead gives everything up after 2×keepalive; an abort_giveup
// in between cancels it.
func TestYouAreDeadAndAbort(t *testing.T) {
	r := newRig(0, true)
	r.m.YouAreDead(0)
	r.logged(t, "Delayed giveup in 0 seconds.")
	if d := r.m.Deadline(); d != int64(2*keepalive) {
		t.Fatalf("deadline %v, want 2×keepalive", time.Duration(d))
	}
	r.m.AbortGiveup(int64(keepalive))
	r.m.Tick(int64(3 * keepalive))
	if got := r.take(); len(got) != 0 {
		t.Errorf("aborted giveup still sent %v", got)
	}
	r.m.AbortGiveup(int64(4 * keepalive))
	r.logged(t, "No giveup timer to abort.")
}

// A giveup that fires while our resources are in transition waits for
// the partner's next stable resource message, then counts again 10 s
// later; resource messages with an info field or from others do not count.
func TestGiveupWaitsForStability(t *testing.T) {
	r := newRig(0, true)
	r.stable = false
	r.m.YouAreDead(0)
	r.m.Tick(int64(2 * keepalive))
	if got := r.take(); len(got) != 0 {
		t.Fatalf("sent %v while in transition", got)
	}
	at := int64(time.Second)
	r.m.Resources(at, "node3", "1", false)
	r.m.Resources(at, "node2", "1", true) // info=… : not the one ipfail waits for
	r.m.Resources(at, "node2", "0", false)
	if r.m.Deadline() != 0 {
		t.Fatalf("recheck scheduled by a message that does not count")
	}
	r.m.Resources(at, "node2", "1", false)
	if d := r.m.Deadline(); d != at+int64(10*time.Second) {
		t.Fatalf("recheck at %v, want 10 s after the stable message", time.Duration(d-at))
	}
	r.m.Tick(at + int64(10*time.Second))
	want := []Send{{Type: TypeNumPing, To: "node2", NumPing: 0}}
	if got := r.take(); !slices.Equal(got, want) {
		t.Errorf("recheck sent %v, want %v", got, want)
	}
}

// Two machines wired back to back arbitrate: the one that lost its ping
// node asks to go standby, the other does not; with equal counts
// neither gives up all.
func TestPairArbitrates(t *testing.T) {
	for _, c := range []struct{ p1, p2 int }{{0, 1}, {1, 0}, {1, 1}, {2, 1}} {
		t.Run(fmt.Sprintf("%d-%d", c.p1, c.p2), func(t *testing.T) {
			a, b := newRig(c.p1, false), newRig(c.p2, false)
			b.m.cfg.Self, b.m.cfg.Partner = "node2", "node1"
			deliver := func(to *rig, s Send) {
				switch s.Type {
				case TypeNumPing:
					to.m.NumPing(0, s.NumPing)
				case TypeYouDead:
					to.m.YouAreDead(0)
				case TypeAbort:
					to.m.AbortGiveup(0)
				}
			}
			a.m.LinkStatus(0, "node1", "eth0", "dead")
			for range 4 {
				for _, s := range a.take() {
					deliver(b, s)
				}
				for _, s := range b.take() {
					deliver(a, s)
				}
			}
			a.m.Tick(int64(time.Second))
			b.m.Tick(int64(time.Second))
			standby := func(r *rig) bool {
				return slices.Contains(r.sent, Send{Type: TypeStandby, Rsc: "all"})
			}
			if got, want := standby(a), c.p1 < c.p2; got != want {
				t.Errorf("node1 standby %v, want %v", got, want)
			}
			if got, want := standby(b), c.p2 < c.p1; got != want {
				t.Errorf("node2 standby %v, want %v", got, want)
			}
		})
	}
}

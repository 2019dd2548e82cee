package metrics

import (
	"math"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

var (
	testNodes = []string{"node1", "node2", "gw"}
	testLinks = map[string][]string{"node1": {"eth0", "eth1"}, "node2": {"eth0", "eth1"}, "gw": {"gw"}}
)

func newTest(t *testing.T) *Metrics {
	t.Helper()
	m := New("node1", testNodes, testLinks)
	serve(t, m)
	return m
}

func TestInitialState(t *testing.T) {
	m := newTest(t)
	s := scrape(t, m)
	if v := s.value(t, "hbd_info", "node=node1"); v != 1 {
		t.Errorf("hbd_info{node=node1} = %v", v)
	}
	for _, n := range testNodes {
		s.oneHot(t, "hbd_node_status", "status", "init", statuses, "node="+n)
		for _, l := range testLinks[n] {
			if v := s.value(t, "hbd_link_up", "node="+n, "link="+l); v != 0 {
				t.Errorf("link %s:%s up = %v before any event", n, l, v)
			}
		}
		if c := s.histogram(t, "hbd_heartbeat_interval_seconds", "node="+n).GetSampleCount(); c != 0 {
			t.Errorf("node %s: %d intervals before any heartbeat", n, c)
		}
	}
	s.oneHot(t, "hbd_resources_held", "holding", "none", holdings)
	for _, r := range dropReasons {
		if v := s.value(t, "hbd_packets_dropped_total", "reason="+r); v != 0 {
			t.Errorf("dropped{%s} = %v", r, v)
		}
	}
	// The runtime and process collectors are in the same registry.
	if _, ok := s["go_goroutines"]; !ok {
		t.Error("no go_goroutines: Go collector missing")
	}
	if _, ok := s["process_resident_memory_bytes"]; !ok {
		t.Error("no process_resident_memory_bytes: process collector missing")
	}
}

func TestNodeAndLinkStatus(t *testing.T) {
	m := newTest(t)
	m.NodeStatus(1, "up")
	m.NodeStatus(1, "active")
	m.NodeStatus(2, "ping")
	m.NodeStatus(0, "active")
	m.LinkStatus(1, 1, true)
	m.LinkStatus(2, 0, true)
	m.LinkStatus(2, 0, false)
	// Out of range: ignored, no panic.
	m.NodeStatus(3, "up")
	m.NodeStatus(-1, "up")
	m.LinkStatus(0, 2, true)
	m.LinkStatus(5, 0, true)
	s := scrape(t, m)
	s.oneHot(t, "hbd_node_status", "status", "active", statuses, "node=node2")
	s.oneHot(t, "hbd_node_status", "status", "ping", statuses, "node=gw")
	s.oneHot(t, "hbd_node_status", "status", "active", statuses, "node=node1")
	want := map[[2]string]float64{{"node2", "eth1"}: 1}
	for _, n := range testNodes {
		for _, l := range testLinks[n] {
			if v := s.value(t, "hbd_link_up", "node="+n, "link="+l); v != want[[2]string{n, l}] {
				t.Errorf("link %s:%s = %v, want %v", n, l, v, want[[2]string{n, l}])
			}
		}
	}
	// A word heartbeat peers may send that hbd has no name for; then dead.
	m.NodeStatus(1, "standby")
	s = scrape(t, m)
	s.oneHot(t, "hbd_node_status", "status", "other", statuses, "node=node2")
	m.NodeStatus(1, "dead")
	s = scrape(t, m)
	s.oneHot(t, "hbd_node_status", "status", "dead", statuses, "node=node2")
}

func TestHeartbeat(t *testing.T) {
	m := newTest(t)
	intervals := []time.Duration{2 * time.Second, 1900 * time.Millisecond, 2100 * time.Millisecond, 31 * time.Second}
	const dead = 30 * time.Second
	var sum float64
	for _, iv := range intervals {
		m.Heartbeat(1, iv, dead-iv)
		sum += iv.Seconds()
	}
	m.Heartbeat(9, time.Second, time.Second) // ignored
	s := scrape(t, m)
	h := s.histogram(t, "hbd_heartbeat_interval_seconds", "node=node2")
	if h.GetSampleCount() != uint64(len(intervals)) || math.Abs(h.GetSampleSum()-sum) > 1e-9 {
		t.Errorf("intervals: count %d sum %v, want %d %v", h.GetSampleCount(), h.GetSampleSum(), len(intervals), sum)
	}
	// 1.9 s and 2 s are ≤ 2; 2.1 s is not; 31 s only in ≤ 60.
	if got := bucketCount(t, h, 2); got != 2 {
		t.Errorf("intervals ≤ 2 s: %d, want 2", got)
	}
	if got := bucketCount(t, h, 30); got != 3 {
		t.Errorf("intervals ≤ 30 s: %d, want 3", got)
	}
	// The gauge is the last margin: negative, node 2 was overdue.
	if v := s.value(t, "hbd_deadline_margin_seconds", "node=node2"); v != -1 {
		t.Errorf("margin = %v, want -1", v)
	}
	mh := s.histogram(t, "hbd_heartbeat_margin_seconds", "node=node2")
	if mh.GetSampleCount() != uint64(len(intervals)) || bucketCount(t, mh, 0) != 1 || bucketCount(t, mh, 20) != 1 || bucketCount(t, mh, 30) != 4 {
		t.Errorf("margins: count %d, ≤0: %d, ≤20: %d, ≤30: %d; want 4, 1, 1, 4",
			mh.GetSampleCount(), bucketCount(t, mh, 0), bucketCount(t, mh, 20), bucketCount(t, mh, 30))
	}
	if c := s.histogram(t, "hbd_heartbeat_interval_seconds", "node=node1").GetSampleCount(); c != 0 {
		t.Errorf("node1 has %d intervals: another node's heartbeats leaked", c)
	}
}

func TestStatsDifferences(t *testing.T) {
	m := newTest(t)
	m.Stats(master.Stats{Received: 10, Malformed: 1, AuthFailed: 2, UnknownSender: 3, Replays: 4, Duplicates: 5, NotForUs: 6, Retransmitted: 7, RexmitAsked: 8})
	m.Stats(master.Stats{Received: 25, Malformed: 1, AuthFailed: 4, UnknownSender: 3, Replays: 4, Duplicates: 9, NotForUs: 6, Retransmitted: 7, RexmitAsked: 9})
	check := func(what string, want map[string]float64) {
		t.Helper()
		s := scrape(t, m)
		got := map[string]float64{
			"received":       s.value(t, "hbd_packets_received_total"),
			"auth":           s.value(t, "hbd_auth_failures_total"),
			"malformed":      s.value(t, "hbd_packets_dropped_total", "reason=malformed"),
			"unknown_sender": s.value(t, "hbd_packets_dropped_total", "reason=unknown_sender"),
			"replay":         s.value(t, "hbd_packets_dropped_total", "reason=replay"),
			"duplicate":      s.value(t, "hbd_packets_dropped_total", "reason=duplicate"),
			"not_for_us":     s.value(t, "hbd_packets_dropped_total", "reason=not_for_us"),
			"rexmit":         s.value(t, "hbd_retransmissions_total"),
			"asked":          s.value(t, "hbd_rexmit_requests_total"),
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", what, k, got[k], v)
			}
		}
	}
	// Cumulative inputs: the counters equal the last input, not the sum.
	check("cumulative", map[string]float64{"received": 25, "auth": 4, "malformed": 1, "unknown_sender": 3, "replay": 4, "duplicate": 9, "not_for_us": 6, "rexmit": 7, "asked": 9})
	// A new master counts from zero: the counters go on growing.
	m.Stats(master.Stats{Received: 3, Duplicates: 1})
	check("after a reset", map[string]float64{"received": 28, "duplicate": 10, "auth": 4})
}

func TestActionsHoldingLogDrops(t *testing.T) {
	m := newTest(t)
	m.Action(true, "mach_down", 1500*time.Millisecond, 0)
	m.Action(true, "mach_down", 500*time.Millisecond, 1)
	m.Action(false, "shutdown", 3*time.Second, 0)
	m.Action(false, "something new", time.Second, 0)
	m.Holding("transition")
	m.Holding("all")
	m.Holding("bogus") // ignored
	m.LogDropped(5)
	m.LogDropped(12)
	s := scrape(t, m)
	for _, c := range []struct {
		kind, reason, result string
		want                 float64
	}{
		{"take", "mach_down", "ok", 1},
		{"take", "mach_down", "failed", 1},
		{"give", "shutdown", "ok", 1},
		{"give", "other", "ok", 1},
		{"give", "mach_down", "ok", 0},
		{"take", "shutdown", "ok", 0},
	} {
		if v := s.value(t, "hbd_resource_actions_total", "kind="+c.kind, "reason="+c.reason, "result="+c.result); v != c.want {
			t.Errorf("actions{%s,%s,%s} = %v, want %v", c.kind, c.reason, c.result, v, c.want)
		}
	}
	tk := s.histogram(t, "hbd_resource_action_seconds", "kind=take")
	gv := s.histogram(t, "hbd_resource_action_seconds", "kind=give")
	if tk.GetSampleCount() != 2 || tk.GetSampleSum() != 2 || gv.GetSampleCount() != 2 || gv.GetSampleSum() != 4 {
		t.Errorf("take %d/%vs, give %d/%vs; want 2/2s, 2/4s", tk.GetSampleCount(), tk.GetSampleSum(), gv.GetSampleCount(), gv.GetSampleSum())
	}
	s.oneHot(t, "hbd_resources_held", "holding", "all", holdings)
	if v := s.value(t, "hbd_log_lines_dropped_total"); v != 12 {
		t.Errorf("log lines dropped = %v, want 12 (cumulative input)", v)
	}
}

// Label values are escaped as the text format asks: a scrape parsed by
// Prometheus' own parser gives back every byte of an odd node name.
func TestLabelEscaping(t *testing.T) {
	odd := "n\"1\\x\ny"
	m := New(odd, []string{odd}, map[string][]string{odd: {"eth0"}})
	serve(t, m)
	s := scrape(t, m)
	if v := s.value(t, "hbd_info", "node="+odd); v != 1 {
		t.Errorf("hbd_info{node=%q} = %v", odd, v)
	}
	s.oneHot(t, "hbd_node_status", "status", "init", statuses, "node="+odd)
}

// A value on a bucket's bound counts in that bucket (le), one above it in
// the next; sum and count follow.
func TestHistogramBounds(t *testing.T) {
	m := newTest(t)
	m.Heartbeat(1, 100*time.Millisecond, time.Second)
	m.Heartbeat(1, 101*time.Millisecond, time.Second)
	m.Heartbeat(1, time.Hour, time.Second)
	h := scrape(t, m).histogram(t, "hbd_heartbeat_interval_seconds", "node=node2")
	if got := bucketCount(t, h, 0.05); got != 0 {
		t.Errorf("le=0.05: %d", got)
	}
	if got := bucketCount(t, h, 0.1); got != 1 {
		t.Errorf("le=0.1: %d, want 1", got)
	}
	if got := bucketCount(t, h, 0.25); got != 2 {
		t.Errorf("le=0.25: %d, want 2", got)
	}
	if got := bucketCount(t, h, 60); got != 2 {
		t.Errorf("le=60: %d, want 2 (an hour is above every bound)", got)
	}
	if h.GetSampleCount() != 3 || math.Abs(h.GetSampleSum()-3600.201) > 1e-9 {
		t.Errorf("count %d sum %v, want 3 and 3600.201", h.GetSampleCount(), h.GetSampleSum())
	}
}

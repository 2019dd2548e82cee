package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// Two real masters on one broadcast medium; node1's metrics are fed as
// the daemon feeds them (OnHeartbeat, events, Stats) and scraped over
// HTTP. What the scrape says must be what the master says.
func TestFedByMaster(t *testing.T) {
	names := []string{"node1", "node2"}
	links := map[string][]string{"node1": {"eth0"}, "node2": {"eth0"}}
	met := New("node1", names, links)
	serve(t, met)

	var beats int
	var ivSum float64
	var lastMargin time.Duration
	ms := make([]*master.Master, 2)
	for i, name := range names {
		keys := wire.NewKeyring()
		if err := keys.SetKey(1, wire.SHA1, []byte("secret")); err != nil {
			t.Fatal(err)
		}
		if err := keys.SetSigner(1); err != nil {
			t.Fatal(err)
		}
		cfg := master.Config{
			Local: name, UUID: [16]byte{byte(i + 1)}, Generation: 1,
			Nodes:     []master.NodeConfig{{Name: "node1"}, {Name: "node2"}},
			Media:     []master.MediumConfig{{Name: "eth0"}},
			Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: 2 * time.Second,
			Keys: keys, Rand: rand.NewPCG(1, uint64(i)),
		}
		if i == 0 {
			cfg.OnHeartbeat = func(node int, iv, dead int64) {
				beats++
				ivSum += time.Duration(iv).Seconds()
				lastMargin = time.Duration(dead - iv)
				met.Heartbeat(node, time.Duration(iv), lastMargin)
			}
		}
		m, err := master.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = m
	}
	a := ms[0]
	now := int64(1e9)
	tm := func() master.Time { return master.Time{Mono: now, Wall: 1_795_316_771 + now/1e9} }
	up := []bool{true, true} // node2 crashes when false
	var inflight [][]byte
	// take hands a master's output on: packets to the network, node1's
	// events to the metrics, as node.Node does.
	take := func(i int) {
		rd := ms[i].Ready()
		for _, p := range rd.Packets {
			if up[i] {
				inflight = append(inflight, slices.Clone(p.Data))
			}
		}
		if i == 0 {
			for _, e := range rd.Events {
				switch e.Kind {
				case master.EventNodeStatus:
					met.NodeStatus(e.Node, string(e.New))
				case master.EventLinkStatus:
					met.LinkStatus(e.Node, slices.Index(a.Links(e.Node), e.Link), e.LinkUp)
				}
			}
			met.Stats(a.Stats())
		}
		ms[i].Advance()
	}
	flush := func() {
		take(0)
		take(1)
		for len(inflight) > 0 {
			p := inflight[0]
			inflight = inflight[1:]
			for to := range ms {
				ms[to].Receive(tm(), 0, p)
			}
			// A copy with a broken signature, and the packet again.
			if p[len(p)/2] != 'x' {
				bad := slices.Clone(p)
				bad[len(bad)/2] = 'x'
				a.Receive(tm(), 0, bad)
			}
			a.Receive(tm(), 0, p)
			take(0)
			take(1)
		}
	}
	for i := range ms {
		ms[i].Start(tm())
	}
	flush()
	runUntil := func(end int64) {
		for now < end {
			next := end
			for i := range ms {
				if d := ms[i].Deadline(); d > 0 && d < next {
					next = d
				}
			}
			now = max(now, next)
			for i := range ms {
				if d := ms[i].Deadline(); d > 0 && d <= now {
					ms[i].Tick(tm())
				}
			}
			flush()
		}
	}
	runUntil(8e9)

	s := scrape(t, met)
	s.oneHot(t, "hbd_node_status", "status", "active", statuses, "node=node1")
	s.oneHot(t, "hbd_node_status", "status", "active", statuses, "node=node2")
	if v := s.value(t, "hbd_link_up", "node=node2", "link=eth0"); v != 1 {
		t.Errorf("node2's eth0 up = %v", v)
	}
	st := a.Stats()
	if st.AuthFailed == 0 || st.Duplicates == 0 {
		t.Fatalf("the harness sent no forgeries or duplicates: %+v", st)
	}
	for name, want := range map[string]uint64{
		"hbd_packets_received_total": st.Received,
		"hbd_auth_failures_total":    st.AuthFailed,
	} {
		if v := s.value(t, name); v != float64(want) {
			t.Errorf("%s = %v, master says %d", name, v, want)
		}
	}
	if v := s.value(t, "hbd_packets_dropped_total", "reason=duplicate"); v != float64(st.Duplicates) {
		t.Errorf("duplicates = %v, master says %d", v, st.Duplicates)
	}
	h := s.histogram(t, "hbd_heartbeat_interval_seconds", "node=node2")
	if beats < 50 || h.GetSampleCount() != uint64(beats) || math.Abs(h.GetSampleSum()-ivSum) > 1e-6 {
		t.Errorf("intervals: %d observed (sum %v), OnHeartbeat called %d times (sum %v)", h.GetSampleCount(), h.GetSampleSum(), beats, ivSum)
	}
	// On a lossless network no status comes later than a keepalive after
	// the one before (the start sends three at once).
	if n := bucketCount(t, h, 0.1); n != uint64(beats) {
		t.Errorf("%d of %d intervals within the keepalive, want all", n, beats)
	}
	if v := s.value(t, "hbd_deadline_margin_seconds", "node=node2"); v != lastMargin.Seconds() || v <= 0 {
		t.Errorf("margin gauge = %v, last margin %v", v, lastMargin)
	}

	// node2 crashes: node1 declares it and its link dead.
	up[1] = false
	runUntil(now + int64(time.Second))
	if a.NodeStatus(1) != master.StatusDead {
		t.Fatalf("node2 is %s a second after its crash", a.NodeStatus(1))
	}
	s = scrape(t, met)
	s.oneHot(t, "hbd_node_status", "status", "dead", statuses, "node=node2")
	if v := s.value(t, "hbd_link_up", "node=node2", "link=eth0"); v != 0 {
		t.Errorf("node2's eth0 up = %v after its crash", v)
	}
}

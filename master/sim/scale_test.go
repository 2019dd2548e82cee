package sim

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// scaleBase and scaleSizes are the cluster sizes TestScale runs: CI runs
// 128 and 256 (about 20 s together on a quiet 2-vCPU VM); larger ones are
// asked for by hand, e.g. go test -run 'TestScale$' -v -scale 512,1024
// ./master/sim. On that VM 512 nodes take about 1 minute and a 1.2 GB
// heap, 1024 about 10 minutes of CPU and 2.4 GB: run them under a memory
// limit (-scalemaxheap, GOMEMLIMIT) on a shared machine.
var scaleBase = flag.Int("scalebase", 128, "the cluster size TestScale always runs")

// scaleMaxHeap stops a run whose live heap grows past it (bytes), writing
// a heap profile to -scaleheapprof first when that is set.
var (
	scaleMaxHeap  = flag.Uint64("scalemaxheap", 0, "stop a TestScale run whose heap grows past this many bytes")
	scaleHeapProf = flag.String("scaleheapprof", "", "write a heap profile here when -scalemaxheap stops a run")
)

var scaleSizes = flag.String("scale", "256", "extra cluster sizes TestScale runs (comma-separated), e.g. 512,1024")

// scaleStagger is the time between two nodes' starts in TestScale, as
// operators start nodes one after another: -scalestagger 0 starts them all
// at once (a reboot of every host).
var scaleStagger = flag.Duration("scalestagger", 20*time.Millisecond, "time between two nodes' starts in TestScale")

// scaleLAN is a gigabit LAN of hosts like the rig's 2-vCPU VMs: a
// received datagram costs 8 µs of CPU (the 64-node profile: 3.7 % of a
// core for about 4 700 datagrams/s), a sent broadcast 20 µs (the kernel
// copies it to every port in the sender's context), and a 4 MiB receive
// buffer holds about 4 000 datagrams.
var scaleLAN = LAN{
	Bandwidth: 1_000_000_000,
	Overhead:  66,
	SendCost:  20 * time.Microsecond,
	RecvCost:  8 * time.Microsecond,
	RecvQueue: 4096,
}

// scaleResult is what one scale run measured.
type scaleResult struct {
	nodes                 int
	format                string
	keepalive, deadtime   time.Duration
	stagger               time.Duration // between two nodes' starts
	coldConverge          time.Duration // last node's start → every node sees every node active
	healConverge          time.Duration // heal → the same again
	perNodeRate           float64       // datagrams sent per second per node, idle
	recvRate              float64       // datagrams received per second per node, idle
	falseDeaths           int           // dead verdicts about a node the observer could hear
	trueDeaths            int           // dead verdicts across the partition
	dropped               uint64
	maxQueue              int
	wall                  time.Duration
	converged, reconverge bool
	peakHeap              uint64            // the largest live heap sampled (runtime.MemStats.HeapAlloc)
	arrived               uint64            // datagrams that reached a receive queue (received or dropped there)
	events                uint64            // datagram events queued (one per broadcast and medium)
	maxInFlight           int               // the most datagram events queued at once (sampled)
	sentByType            map[string]uint64 // datagrams sent by message type, the whole run
	rexmitAsked, resent   uint64            // retransmission requests sent and packets resent, all nodes
}

func (r scaleResult) String() string {
	conv := func(ok bool, d time.Duration) string {
		if !ok {
			return "not within the run"
		}
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%d nodes, %s, keepalive %v / deadtime %v, started %v apart: cold start converged in %s after the last start, after the heal in %s; "+
		"idle %.1f datagrams/s sent and %.0f received per node; false deaths %d (%d across the partition); "+
		"%d dropped at full receive queues (longest queue %d); %d retransmission requests, %d resent; "+
		"%d datagrams arrived, %d events (at most %d queued), peak heap %d MB; sent %v; %v of real time",
		r.nodes, r.format, r.keepalive, r.deadtime, r.stagger, conv(r.converged, r.coldConverge), conv(r.reconverge, r.healConverge),
		r.perNodeRate, r.recvRate, r.falseDeaths, r.trueDeaths, r.dropped, r.maxQueue, r.rexmitAsked, r.resent,
		r.arrived, r.events, r.maxInFlight, r.peakHeap>>20, r.sentByType, r.wall.Round(time.Second))
}

// allActive reports whether every node runs and sees every node active.
func allActive(s *Sim) bool {
	for _, n := range s.Nodes {
		if !n.Running() {
			return false
		}
		for j := range s.Nodes {
			if n.M.NodeStatus(j) != master.StatusActive {
				return false
			}
		}
	}
	return true
}

// runUntilActive runs s until every node sees every node active, in steps
// of step, for at most limit; it returns how long that took. after runs
// after every step.
func runUntilActive(s *Sim, step, limit time.Duration, after func()) (time.Duration, bool) {
	start := s.Now
	for s.Now-start < int64(limit) {
		s.RunFor(step)
		after()
		if allActive(s) {
			return time.Duration(s.Now - start), true
		}
	}
	return time.Duration(s.Now - start), false
}

// runScale starts n nodes together on the modelled LAN, lets them settle,
// measures the idle traffic, splits the cluster in two halves until each
// declares the other dead, heals it and waits for it to converge again.
// Every dead verdict about a running node the observer could hear is
// false.
func runScale(tb testing.TB, n int, native master.NativeMode, keepalive, deadtime, stagger time.Duration) scaleResult {
	start := time.Now()
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("n%04d", i))
	}
	lan := scaleLAN
	s, err := New(Options{
		Nodes: names, Keepalive: keepalive, Deadtime: deadtime, Initdead: 2 * deadtime,
		Seed: uint64(n), LAN: &lan,
	})
	if err != nil {
		tb.Fatal(err)
	}
	r := scaleResult{nodes: n, keepalive: keepalive, deadtime: deadtime, stagger: stagger, format: "heartbeat's form"}
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		r.peakHeap = max(r.peakHeap, ms.HeapAlloc)
		r.maxInFlight = max(r.maxInFlight, len(s.q))
		if *scaleMaxHeap > 0 && ms.HeapAlloc > *scaleMaxHeap {
			if *scaleHeapProf != "" {
				if f, err := os.Create(*scaleHeapProf); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			tb.Fatalf("heap %d MB at %v (virtual), %d in flight, %d delivered: over -scalemaxheap",
				ms.HeapAlloc>>20, time.Duration(s.Now), len(s.q), s.order)
		}
	}
	r.sentByType = map[string]uint64{}
	var pkt wire.Packet
	s.OnSend = func(_ int, p master.Packet) {
		typ := "?"
		if pkt.Decode(p.Data) == nil {
			typ = string(pkt.Msg.Type())
		}
		r.sentByType[typ]++
	}
	half := func(i int) bool { return i < n/2 }
	partitioned := false
	if native != master.NativeOff {
		r.format = "native"
	}
	s.OnEvent = func(a int, e master.Event) {
		if e.Kind != master.EventNodeStatus || e.New != master.StatusDead || e.Node == a {
			return
		}
		if !s.Nodes[e.Node].Running() {
			return // not started yet: a true verdict
		}
		if partitioned && half(a) != half(e.Node) {
			r.trueDeaths++
			return
		}
		r.falseDeaths++
		if r.falseDeaths <= 3 {
			tb.Logf("false death at %v: %s declared %s dead", time.Duration(s.Now), names[a], names[e.Node])
		}
	}
	for i := range n {
		if i > 0 {
			s.RunFor(stagger)
		}
		if i%16 == 0 {
			sample()
		}
		s.SetNative(i, native)
		if err := s.Start(i); err != nil {
			tb.Fatal(err)
		}
	}
	step := keepalive
	limit := 20*deadtime + time.Duration(n)*keepalive/8
	tb.Logf("%d nodes started at %v (virtual), %v real", n, time.Duration(s.Now), time.Since(start).Round(time.Second))
	r.coldConverge, r.converged = runUntilActive(s, step, limit, sample)
	tb.Logf("cold start converged %v after the last start, %v real; sent %v", r.coldConverge, time.Since(start).Round(time.Second), r.sentByType)

	// Idle traffic, once settled.
	s.RunFor(deadtime)
	sent, recv, t0 := s.Sent, s.LAN.Received, s.Now
	s.RunFor(10 * keepalive)
	secs := time.Duration(s.Now - t0).Seconds()
	r.perNodeRate = float64(s.Sent-sent) / secs / float64(n)
	r.recvRate = float64(s.LAN.Received-recv) / secs / float64(n)

	// Partition into two halves, until each has declared the other dead.
	partitioned = true
	var a, b []int
	for i := range n {
		if half(i) {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	cut := func(l *Link) { l.Down = true }
	s.SetLinks(a, b, -1, cut)
	s.SetLinks(b, a, -1, cut)
	s.RunFor(2 * deadtime)
	s.Heal()
	tb.Logf("healed at %v (virtual), %v real", time.Duration(s.Now), time.Since(start).Round(time.Second))
	r.healConverge, r.reconverge = runUntilActive(s, step, limit, sample)
	partitioned = false
	s.RunFor(deadtime) // deaths just after convergence count too
	sample()
	r.dropped, r.maxQueue = s.LAN.Dropped, s.LAN.MaxQueue
	r.arrived, r.events = s.LAN.Received+s.LAN.Dropped, s.order
	for _, nd := range s.Nodes {
		if nd.M != nil {
			st := nd.M.Stats()
			r.rexmitAsked += st.RexmitAsked
			r.resent += st.Retransmitted
		}
	}
	r.wall = time.Since(start)
	return r
}

// scaleForm picks the statuses' form: hbd's native beacons (the default),
// or heartbeat's sequenced statuses with their ACKs (-scaleform heartbeat).
var scaleForm = flag.String("scaleform", "native", "TestScale's format: native (beacons) or heartbeat")

// TestScale runs clusters of 128 and 256 hbd nodes (msgfmt native) sending
// beacons on the modelled LAN (real master code, real bytes): each must
// converge after a cold start and after a partition heals, with no false
// death. The cold start ends in a burst that every size meets: the last
// node's start lets every node ask for the node list at once (reqnodes, and
// the repnodes answers), and every node ACKs one in ten of each peer's
// sequenced messages, so about N²/5 ACKs are broadcast within a second
// (12 650 at 256 nodes, 52 564 at 512) and the receive queues overflow; the test
// shows the cluster rides it out. -scale sets the larger clusters (512 and
// 1024 converge too); -scaleform heartbeat runs heartbeat's form,
// whose ACKs grow with the square of the cluster (minutes at 128 nodes).
func TestScale(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("long under -race or -short")
	}
	// msgfmt native, as an all-hbd cluster of this size runs: in auto a
	// node sends heartbeat's form until it has heard every node.
	mode := master.NativeOn
	if *scaleForm == "heartbeat" {
		mode = master.NativeOff
	}
	sizes := []int{*scaleBase}
	for _, f := range strings.Split(*scaleSizes, ",") {
		var k int
		if _, err := fmt.Sscan(f, &k); err == nil && k > 0 {
			sizes = append(sizes, k)
		}
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := runScale(t, n, mode, time.Second, 5*time.Second, *scaleStagger)
			t.Log(r)
			if !r.converged || !r.reconverge {
				t.Errorf("did not converge: %v", r)
			}
			if r.falseDeaths > 0 {
				t.Errorf("%d false deaths", r.falseDeaths)
			}
			if r.trueDeaths == 0 {
				t.Error("no dead verdict across the partition: the partition did not happen")
			}
		})
	}
}

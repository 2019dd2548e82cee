package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hbd-ha/hbd/bench/report"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// benchFast (BENCH=Cluster/fast): single-digit milliseconds. Kill -9
// detection and failover to the VIP at keepalive 2 ms / deadtime 6 ms and
// 3 ms / 9 ms with realtime on (the client probes every 1 ms, so the
// probe does not dominate), runs() kills each; then an idle 2 ms / 6 ms
// pair watched for HBD_FAST_IDLE (default 10 minutes) for false deaths
// and late-heartbeat warnings, with the heartbeats' arrival times at a
// quiet third host (kernel timestamps) and two machine-freeze probes
// beside it (priority 50, and the loop's own); each false verdict is
// placed against them (was the peer silent on the wire too, or did only
// the judge miss it? was the CPU taken below priority 50, or held by the
// daemon's own process?). HBD_FAST_ONLY=idle or
// =latency runs one half.
//
// The benchmark's own threads run at the lowest real-time priority, below
// the daemons' loops (which realtime puts one step higher): on a loaded
// machine a normal-class test process reads the daemons' log lines and
// stamps the probe's answers hundreds of milliseconds late, and would
// measure itself instead of the daemons.
func benchFast(b *testing.B) {
	observeAtRT(b)
	only := os.Getenv("HBD_FAST_ONLY")
	if only != "idle" {
		for _, c := range []latencyCase{{"hbd", "2ms", "6ms", true, false}, {"hbd", "3ms", "9ms", true, false}} {
			b.Run("latency/"+c.keepalive+"-"+c.deadtime+"-rt", func(b *testing.B) { fastLatency(b, c) })
		}
	}
	if only != "latency" {
		b.Run("idle/2ms-6ms-rt", func(b *testing.B) { fastIdle(b, "2ms", "6ms", envDur("HBD_FAST_IDLE", 10*time.Minute)) })
	}
}

// fastLatency is latencyRuns for millisecond deadtimes on a shared
// machine: runs() clean kills of the VIP's holder, each timed from kill -9
// to the survivor's dead verdict (detection) and to the VIP answering from
// it (failover). A run is not counted, and is logged as disturbed, when
// the pair was not clean at the kill (a false death while settling, the
// VIP answering from node2 too) or a figure did not come within 5 s. Each
// run logs the load and the longest machine freeze (a real-time probe on
// every CPU) from a deadtime before the kill to the end of the run.
func fastLatency(b *testing.B, c latencyCase) {
	dt, _ := time.ParseDuration(c.deadtime)
	observeAtRT(b)
	b.Logf("load before: %s", loadAvg())
	p := newPair(b, c)
	n1, n2 := p.nodes[0], p.nodes[1]
	fr := watchFreezes(b, time.Millisecond)
	var det, fo []float64
	disturbed := 0
	back := time.Now()
	for len(det) < runs() && disturbed < 2*runs() {
		if _, ok := waitAnswer(p.probe, "node1", back, 30*time.Second); !ok {
			// Stuck after a false death (both restarting, the VIP
			// elsewhere): start the pair afresh.
			disturbed++
			b.Logf("VIP: no answer from node1 within 30 s; restarting both nodes")
			for _, d := range p.nodes {
				if d.Running() {
					d.Kill9()
				}
				p.removeVIP(d)
			}
			back = time.Now()
			for _, d := range p.nodes {
				d.Start()
			}
			if _, ok := waitAnswer(p.probe, "node1", back, 60*time.Second); !ok {
				b.Fatalf("VIP: no answer from node1 within 60 s of a fresh start")
			}
		}
		settled := time.Now()
		time.Sleep(p.settle)
		observeAtRT(b)
		killed := time.Now()
		if why := unclean(p, settled, killed); why != "" {
			disturbed++
			b.Logf("not killing: %s; waiting for the pair to settle", why)
			time.Sleep(10 * time.Second)
			back = time.Now()
			continue
		}
		killed = n1.Kill9()
		d, okd := waitLine(n2, p.dead, killed, 5*time.Second)
		a, oka := waitAnswer(p.probe, "node2", killed, 5*time.Second)
		end := killed.Add(5 * time.Second)
		if okd && oka {
			end = d.At
			if a.At.After(end) {
				end = a.At
			}
		}
		f := fr.longest(killed.Add(-dt), end)
		if okd && oka {
			det = append(det, ms(d.At.Sub(killed)))
			fo = append(fo, ms(a.At.Sub(killed)))
			b.Logf("run %d: detection %.1f ms, failover %.1f ms; load %s; longest machine freeze %v",
				len(det)-1, det[len(det)-1], fo[len(fo)-1], loadAvg(), f)
		} else {
			disturbed++
			b.Logf("disturbed run: dead verdict %v, VIP from node2 %v within 5 s; load %s; longest machine freeze %v", okd, oka, loadAvg(), f)
		}
		p.removeVIP(n1)
		back = time.Now()
		n1.Start()
	}
	base := report.Latency{Daemon: c.daemon, Nodes: 2, Keepalive: c.keepalive, Deadtime: c.deadtime, Note: c.note()}
	dl, fl := base, base
	dl.Metric, dl.SamplesMS = "detection", det
	fl.Metric, fl.SamplesMS = "failover", fo
	rec := &report.File{Latency: []report.Latency{dl, fl}}
	record(b, rec)
	for _, l := range rec.Latency {
		b.ReportMetric(report.Quantile(l.SamplesMS, 0.99), l.Metric+"-p99-ms")
		b.Logf("%s %s/%s realtime %s: p50 %.1f p99 %.1f max %.1f ms over %d runs (%d disturbed runs not counted); load after %s",
			c.daemon, c.keepalive, c.deadtime, l.Metric, report.Quantile(l.SamplesMS, 0.5), report.Quantile(l.SamplesMS, 0.99),
			report.Quantile(l.SamplesMS, 1), len(l.SamplesMS), disturbed, loadAvg())
	}
}

// unclean says why the pair is not in the state a kill should find (""
// when it is): a dead verdict since settled, or node2 answering for the
// VIP in the last 100 ms.
func unclean(p *pair, settled, now time.Time) string {
	for _, d := range p.nodes {
		if l, ok := d.Log.Find("is dead", settled); ok {
			return d.Name + ": " + l.Text
		}
	}
	if a, ok := p.probe.First("node2", now.Add(-100*time.Millisecond)); ok {
		return "the VIP answered from node2 at " + a.At.Format("15:04:05.000")
	}
	return ""
}

// waitAnswer is Prober.WaitFrom without failing the benchmark.
func waitAnswer(p *clustertest.Prober, from string, since time.Time, timeout time.Duration) (clustertest.Answer, bool) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if a, ok := p.First(from, since); ok {
			return a, true
		}
	}
	return clustertest.Answer{}, false
}

// waitLine is LogWatch.Wait without failing the benchmark.
func waitLine(d *clustertest.Daemon, s string, since time.Time, timeout time.Duration) (clustertest.Line, bool) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if l, ok := d.Log.Find(s, since); ok {
			return l, true
		}
	}
	return clustertest.Line{}, false
}

// fastIdle watches an idle realtime pair at keepalive/deadtime for dur.
func fastIdle(b *testing.B, keepalive, deadtime string, dur time.Duration) {
	ka, _ := time.ParseDuration(keepalive)
	dt, _ := time.ParseDuration(deadtime)
	net := netnstest.New(b, netnstest.Config{Hosts: 3})
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: keepalive, Deadtime: deadtime, Initdead: "10", Realtime: true}
	var nodes []*clustertest.Daemon
	for i := 1; i <= 2; i++ {
		nodes = append(nodes, clustertest.NewHBD(b, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) }))
	}
	arr := meterArrivals(b, net.Host(3), net.Host(1).Addr(0), net.Host(2).Addr(0))
	started := time.Now()
	for _, d := range nodes {
		d.Start()
	}
	nodes[0].Log.Wait(b, "Status update for node node2: status active", started, 30*time.Second)
	nodes[1].Log.Wait(b, "Status update for node node1: status active", started, 30*time.Second)
	time.Sleep(6 * time.Second) // the starting nodes' raised deadtime is over
	// Two freeze probes: at priority 50, and at the loop's own priority
	// (what holds off the loop but not the first is below 50). Each
	// keeps every freeze over half a keepalive, so a verdict's line says
	// what both saw in its window; a freeze explains a verdict when
	// longer than deadtime − keepalive (the daemons cannot outlast it).
	observeAtRT(b)
	loopPrio, err := sysio.SchedPriorityMin()
	if err != nil {
		b.Fatal(err)
	}
	loopPrio += 2 // the fast loop's with no rtprio in ha.cf (node: fastRTPrio, realtimeThreads)
	fr := watchFreezes(b, ka/2)
	frLoop := watchFreezesAt(b, ka/2, loopPrio)
	cpu0 := cpuBusy()
	load0 := loadAvg()
	u0 := []usage{daemonUsage(nodes[0].Host, "hbd"), daemonUsage(nodes[1].Host, "hbd")}
	rb0 := []uint64{hbdRcvbufErrors(nodes[0]), hbdRcvbufErrors(nodes[1])}
	t0 := time.Now()
	time.Sleep(dur)
	t1 := time.Now()
	u1 := []usage{daemonUsage(nodes[0].Host, "hbd"), daemonUsage(nodes[1].Host, "hbd")}
	rb1 := []uint64{hbdRcvbufErrors(nodes[0]), hbdRcvbufErrors(nodes[1])}
	cpu1 := cpuBusy()
	for i := range nodes {
		b.Logf("%s: CPU %.1f %% of a core (all threads); UDP receive-buffer drops in its namespace %d", nodes[i].Name,
			(u1[i].cpu-u0[i].cpu).Seconds()/t1.Sub(t0).Seconds()*100, rb1[i]-rb0[i])
	}
	freezes, probeLate := fr.stop()
	loopFreezes, loopLate := frLoop.stop()
	for _, d := range nodes {
		d.Stop() // logs the loop's timing histograms
	}
	b.Logf("machine: load %s → %s, CPUs busy %.0f %% (all processes, over the run)", load0, loadAvg(), cpu1.busySince(cpu0))
	for _, p := range []struct {
		name string
		late []float64
		fs   []freeze
	}{{"priority 50", probeLate, freezes}, {fmt.Sprintf("priority %d, the loop's", loopPrio), loopLate, loopFreezes}} {
		b.Logf("freeze probe at %s (SCHED_RR on every CPU, 1 ms sleeps): lateness p50 %.3f p99 %.3f p99.9 %.3f max %.2f ms; %d freezes > %v, %d > %v",
			p.name, report.Quantile(p.late, 0.5), report.Quantile(p.late, 0.99), report.Quantile(p.late, 0.999), report.Quantile(p.late, 1),
			countOver(p.fs, dt-ka), dt-ka, countOver(p.fs, ka/2), ka/2)
	}
	// Every "is dead" line, and the events they make: a false death
	// logs its verdict more than once (is dead, returning after
	// partition, is dead again) until the peer is seen active, one event.
	tally := matchVerdicts(nodes, "is dead", "status active", t0, t1, freezes, dt-ka, dt)
	tally.placeSilences(nodes, map[string][]time.Time{"node1": arr.all(0), "node2": arr.all(1)}, ka, dt)
	tally.placeProbes(freezes, loopFreezes, dt-ka, dt)
	for _, v := range tally.verdicts {
		b.Logf("%s: %s: %s (%s)", v.node, v.line.At.Format("15:04:05.000"), v.line.Text, v.why)
		b.Logf("    %s", v.probes.describe())
		if v.wire.placed {
			b.Logf("    %s", v.wire.describe(verdictPeer(v.line.Text), ka, dt, v.line.At))
		}
		for _, l := range v.wire.own {
			b.Logf("    %s", l)
		}
	}
	wire, knew := tally.count(classWire)
	judge, _ := tally.count(classJudge)
	b.Logf("unmatched false deaths by where the silence was (third host's gap in the peer's statuses ≥ %v or not): %d %s (the sender or the path was late; the sender logged its own pause as the gap ended in %d), %d %s; the third host's socket dropped %d statuses",
		dt-ka, wire, classWire, knew, judge, classJudge, arr.dropped())
	deadLines, lates := 0, 0
	for _, d := range nodes {
		var worstLate int
		for _, l := range d.Log.Since(t0) {
			if !l.At.Before(t1) && !strings.Contains(l.Text, "loop timing") {
				continue
			}
			switch {
			case strings.Contains(l.Text, "is dead"):
				deadLines++
			case strings.Contains(l.Text, "Late heartbeat"):
				lates++
				if i := strings.Index(l.Text, "interval "); i >= 0 {
					v, _ := strconv.Atoi(strings.Fields(l.Text[i+9:])[0])
					worstLate = max(worstLate, v)
				}
			case strings.Contains(l.Text, "loop timing"):
				b.Logf("%s: %s", d.Name, l.Text)
			}
		}
		b.Logf("%s: late-heartbeat warnings: worst interval %d ms", d.Name, worstLate)
	}
	over20 := countOver(freezes, 20*time.Millisecond) // the soak table's column
	rec := &report.File{}
	for i, from := range []string{"node1", "node2"} {
		at := arr.since(i, t0, t1)
		g := gapsMS(at)
		e := sendErrorsMS(at, ka)
		b.Logf("%s → quiet host: %d heartbeats; gaps p50 %.3f p99 %.3f p99.9 %.3f max %.2f ms; send-time error p50 %.3f p99 %.3f p99.9 %.3f max %.2f ms",
			from, len(at), report.Quantile(g, 0.5), report.Quantile(g, 0.99), report.Quantile(g, 0.999), report.Quantile(g, 1),
			report.Quantile(e, 0.5), report.Quantile(e, 0.99), report.Quantile(e, 0.999), report.Quantile(e, 1))
		if i == 0 {
			rec.Soak = append(rec.Soak, report.Soak{Daemon: "hbd", Keepalive: keepalive, Deadtime: deadtime, Note: "realtime, idle",
				Seconds: t1.Sub(t0).Seconds(), FalseDeaths: len(tally.verdicts), Matched: tally.matched, Unmatched: tally.unmatched(),
				PeerStalled: tally.peerStalled(), LoopProbe: tally.loopExplained, WireSilent: wire, JudgeOnly: judge, ExplainMS: float64(dt-ka) / 1e6, Heartbeats: len(at),
				GapsMS:        []float64{report.Quantile(g, 0.5), report.Quantile(g, 0.99), report.Quantile(g, 0.999), report.Quantile(g, 1)},
				MachineStalls: over20, MachineStallMS: report.Quantile(probeLate, 1)})
		}
	}
	b.Logf("idle %s/%s realtime, %v: %d false deaths (%d \"is dead\" lines), %d after a machine freeze > %v in the deadtime before or during the peer's restart, %d not (%d with the peer's own loop stall over %v); %d late-heartbeat warnings (both nodes)",
		keepalive, deadtime, t1.Sub(t0).Round(time.Second), len(tally.verdicts), deadLines, tally.matched, dt-ka, tally.unmatched(), tally.peerStalled(), dt-ka, lates)
	hi, restart, loop, neither := tally.byProbe()
	b.Logf("false deaths by probe: %d explained by the priority-50 probe's freeze > %v, %d by the peer's restart, %d by the loop-priority (%d) probe's alone (the machine below priority 50), %d by neither (the daemon's own process)",
		hi, dt-ka, restart, loop, loopPrio, neither)
	record(b, rec)
	if neither > 0 {
		b.Errorf("%d false deaths explained by neither freeze probe (priority 50 or the loop's, %d)", neither, loopPrio)
	}
}

// countOver is how many of fs are longer than d.
func countOver(fs []freeze, d time.Duration) int {
	n := 0
	for _, f := range fs {
		if f.len > d {
			n++
		}
	}
	return n
}

// arrivals records when datagrams from a few sources reach a quiet host's
// heartbeat port, stamped by the kernel (SO_TIMESTAMPNS).
type arrivals struct {
	mu    sync.Mutex
	from  []netip.Addr
	at    [][]time.Time
	drops uint32 // datagrams the socket dropped for want of buffer (SO_RXQ_OVFL): gaps the wire did not have
}

func meterArrivals(b testing.TB, h *netnstest.Host, from ...netip.Addr) *arrivals {
	b.Helper()
	a := &arrivals{from: from, at: make([][]time.Time, len(from))}
	var conn *net.UDPConn
	var err error
	h.Run(func() { conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: 694}) })
	if err != nil {
		b.Fatal(err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	raw.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
		if err == nil {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
		}
		if err == nil {
			// 10 minutes of two senders must not overflow while the reader sleeps.
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<20)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	go func() {
		buf, oob := make([]byte, 65536), make([]byte, 128)
		for {
			n, oobn, _, src, err := conn.ReadMsgUDPAddrPort(buf, oob)
			if err != nil {
				return
			}
			i := slices.Index(a.from, src.Addr().Unmap())
			// Statuses only: the ACKs an idle node also sends are not on
			// the keepalive's schedule.
			if i < 0 || !bytes.Contains(buf[:n], []byte("status")) {
				continue
			}
			at := time.Now()
			var drops uint32
			if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					switch {
					case m.Header.Level != syscall.SOL_SOCKET:
					case m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= 16:
						ts := *(*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
						at = time.Unix(ts.Sec, ts.Nsec)
					case m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4:
						// The socket's running total, sent only once nonzero.
						drops = *(*uint32)(unsafe.Pointer(&m.Data[0]))
					}
				}
			}
			a.mu.Lock()
			a.at[i] = append(a.at[i], at)
			a.drops = max(a.drops, drops)
			a.mu.Unlock()
		}
	}()
	return a
}

// since returns source i's status arrivals in [t0, t1).
func (a *arrivals) since(i int, t0, t1 time.Time) []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Time
	for _, t := range a.at[i] {
		if !t.Before(t0) && t.Before(t1) {
			out = append(out, t)
		}
	}
	return out
}

// all returns source i's status arrivals, in time order.
func (a *arrivals) all(i int) []time.Time {
	a.mu.Lock()
	out := slices.Clone(a.at[i])
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y time.Time) int { return x.Compare(y) })
	return out
}

// dropped is how many datagrams the quiet host's socket dropped so far.
func (a *arrivals) dropped() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.drops
}

// hbdRcvbufErrors is the UDP receive-buffer drops counter of d's
// namespace, read through its hbd process (0 when none runs).
func hbdRcvbufErrors(d *clustertest.Daemon) uint64 {
	if pids := commPIDs(d.Host, "hbd"); len(pids) > 0 {
		return udpRcvbufErrors(pids[0])
	}
	return 0
}

// gapsMS returns the intervals between consecutive arrivals, in ms.
func gapsMS(at []time.Time) []float64 {
	var out []float64
	for i := 1; i < len(at); i++ {
		if g := at[i].Sub(at[i-1]); g > 0 {
			out = append(out, float64(g.Microseconds())/1000)
		}
	}
	return out
}

// sendErrorsMS estimates how late each datagram left against the
// sender's schedule: statuses go out on a lattice of period (start + k ×
// keepalive), so an arrival's offset from the lattice is the sender's
// lateness plus a constant path delay. The lattice's phase is taken as
// each second's 1st-percentile offset (which also follows the drift
// between the sender's monotonic clock and the kernel's timestamps).
// The offset is taken modulo period, so it is never a period or more: a
// send a period or more late is counted as that lateness minus whole
// periods (a 5 ms late send at 2 ms reads 1 ms) and shows only as a gap
// in gapsMS. Use it for jitter within a period, not for late sends.
func sendErrorsMS(at []time.Time, period time.Duration) []float64 {
	if len(at) == 0 {
		return nil
	}
	const margin = 100 * time.Microsecond // early wobble allowed around the phase
	block := int(time.Second / period)
	base := at[0]
	var out []float64
	for start := 0; start < len(at); start += block {
		blk := at[start:min(len(at), start+block)]
		offs := make([]float64, len(blk))
		for j, t := range blk {
			d := (t.Sub(base) + margin) % period
			if d < 0 {
				d += period
			}
			offs[j] = float64(d-margin) / 1e6
		}
		low := report.Quantile(offs, 0.01)
		for _, o := range offs {
			out = append(out, o-low)
		}
		base = base.Add(time.Duration(low * 1e6))
	}
	return out
}

// freeze is one stall of the machine-freeze probe.
type freeze struct {
	at  time.Time // when the probe woke, late
	len time.Duration
}

func (f freeze) String() string {
	if f.at.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%v at %s", f.len.Round(100*time.Microsecond), f.at.Format("15:04:05.000"))
}

// freezeWatch is clustertest.StallWatch's probe with the time of every
// freeze kept, so that a false death can be matched to one: a SCHED_RR
// process pinned on every CPU sleeping 1 ms at a time (freezeprobe, in
// C: a Go probe thread, leaving its sleep, may spin at its real-time
// priority until the garbage collector has scanned its stack from a
// lower-priority thread the probe keeps off the CPU; that froze a
// 10-minute run).
type freezeWatch struct {
	mu    sync.Mutex
	all   []freeze // as they happen, for longest
	min   time.Duration
	procs []*exec.Cmd
	outs  []chan freezeResult
	done  bool
}

type freezeResult struct {
	freezes []freeze
	late    []float64 // ms, every wake-up (to 10 µs)
}

const freezeProbeSrc = "freezeprobe/freezeprobe.c"

func watchFreezes(b testing.TB, min time.Duration) *freezeWatch {
	b.Helper()
	return watchFreezesAt(b, min, 50)
}

// watchFreezesAt is watchFreezes with the probe at SCHED_RR priority prio.
func watchFreezesAt(b testing.TB, min time.Duration, prio int) *freezeWatch {
	b.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		b.Fatal("the freeze probe needs gcc (Debian package gcc)")
	}
	bin := filepath.Join(b.TempDir(), "freezeprobe")
	if out, err := exec.Command(gcc, "-O2", "-o", bin, freezeProbeSrc).CombinedOutput(); err != nil {
		b.Fatalf("building the freeze probe: %v\n%s", err, out)
	}
	w := &freezeWatch{min: min}
	b.Cleanup(func() { w.stop() })
	for cpu := range runtime.NumCPU() {
		cmd := exec.Command(bin, strconv.Itoa(cpu), strconv.Itoa(prio), strconv.FormatInt(int64(min), 10))
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			b.Fatalf("freeze probe on CPU %d did not start", cpu)
		}
		w.procs = append(w.procs, cmd)
		res := make(chan freezeResult, 1)
		w.outs = append(w.outs, res)
		go w.read(sc, res)
	}
	return w
}

// read takes one probe's output until its end.
func (w *freezeWatch) read(sc *bufio.Scanner, res chan<- freezeResult) {
	var r freezeResult
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		a, _ := strconv.ParseInt(f[1], 10, 64)
		v, _ := strconv.ParseInt(f[2], 10, 64)
		switch f[0] {
		case "F":
			fz := freeze{time.Unix(0, a), time.Duration(v)}
			r.freezes = append(r.freezes, fz)
			w.mu.Lock()
			w.all = append(w.all, fz)
			w.mu.Unlock()
		case "H":
			ms := (float64(a) + 5e3) / 1e6 // the 10 µs bucket's middle
			for range v {
				r.late = append(r.late, ms)
			}
		}
	}
	res <- r
}

// longest returns the longest freeze that overlapped [from, to].
func (w *freezeWatch) longest(from, to time.Time) freeze {
	w.mu.Lock()
	defer w.mu.Unlock()
	return longestIn(w.all, from, to)
}

// stop ends the watch: every freeze over min on any CPU, in time order,
// and every wake-up's lateness in ms. Later calls return nothing.
func (w *freezeWatch) stop() ([]freeze, []float64) {
	if w.done {
		return nil, nil
	}
	w.done = true
	for _, p := range w.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	var fs []freeze
	var late []float64
	for i, p := range w.procs {
		r := <-w.outs[i]
		p.Wait()
		fs = append(fs, r.freezes...)
		late = append(late, r.late...)
	}
	slices.SortFunc(fs, func(a, b freeze) int { return a.at.Compare(b.at) })
	return fs, late
}

// restartedBefore reports whether a node other than d began a shutdown
// or restart in the 10 s before at.
func restartedBefore(nodes []*clustertest.Daemon, d *clustertest.Daemon, at time.Time) bool {
	for _, o := range nodes {
		if o == d {
			continue
		}
		for _, l := range o.Log.Since(at.Add(-10 * time.Second)) {
			if l.At.After(at) {
				break
			}
			if strings.Contains(l.Text, "shutdown in progress") || strings.Contains(l.Text, "Restarting heartbeat") {
				return true
			}
		}
	}
	return false
}

// observeAtRT puts every thread of the test process under SCHED_RR at the
// lowest priority (threads created later start in the normal class, so
// it is called again before each measurement).
func observeAtRT(b testing.TB) {
	prio, err := sysio.SchedPriorityMin()
	if err == nil {
		_, err = sysio.SchedSetRRAll(prio)
	}
	if err != nil {
		b.Logf("the benchmark stays in the normal class (%v): its timestamps may lag on a loaded machine", err)
	}
}

// loadAvg is /proc/loadavg's first three fields: the machine is shared.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// cpuTimes is /proc/stat's first line: busy and total jiffies.
type cpuTimes struct{ busy, total float64 }

func cpuBusy() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var c cpuTimes
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		c.total += v
		if i != 3 && i != 4 { // idle, iowait
			c.busy += v
		}
	}
	return c
}

func (c cpuTimes) busySince(before cpuTimes) float64 {
	if c.total <= before.total {
		return math.NaN()
	}
	return (c.busy - before.busy) / (c.total - before.total) * 100
}

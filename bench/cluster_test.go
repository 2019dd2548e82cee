package bench

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/bench/report"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// resultsPath is where BenchmarkCluster merges its figures (relative to
// the package directory, where go test runs); hbd-benchplot reads it.
const resultsPath = "results/results.json"

// record merges one figure into the results file at once, so an
// interrupted run keeps what it measured.
func record(b testing.TB, f *report.File) {
	b.Helper()
	f.Machine = machine()
	f.Updated = time.Now().UTC()
	if err := os.MkdirAll(filepath.Dir(resultsPath), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := report.Save(resultsPath, f); err != nil {
		b.Fatal(err)
	}
}

// machine names the machine the figures come from.
func machine() string {
	var u syscall.Utsname
	syscall.Uname(&u)
	rel := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		rel = append(rel, byte(c))
	}
	return fmt.Sprintf("%d vCPU, Linux %s, %s", runtime.NumCPU(), rel, runtime.Version())
}

// envDur reads a duration from the environment.
func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// sizes are the cluster sizes of the steady-state runs (HBD_BENCH_SIZES,
// comma-separated; default 2,8,32,64,128). Clusters of more than two
// nodes run at keepalive HBD_BENCH_KEEPALIVE (default 100ms).
func sizes() []int {
	out := []int{2, 8, 32, 64, 128}
	if v := os.Getenv("HBD_BENCH_SIZES"); v != "" {
		out = nil
		for _, f := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 2 {
				out = append(out, n)
			}
		}
	}
	return out
}

// pair is two nodes holding a VIP (preferred: node1) and a client host.
type pair struct {
	daemon string
	net    *netnstest.Net
	nodes  []*clustertest.Daemon
	probe  *clustertest.Prober
	dead   string // the survivor's log line that says the peer is dead
	settle time.Duration
}

// latencyCase is one configuration of the side-by-side latency runs.
type latencyCase struct {
	daemon              string // hbd, heartbeat, keepalived
	keepalive, deadtime string // keepalived: advert interval, master-down interval
	realtime            bool
	switchover          bool
}

func (c latencyCase) note() string {
	if c.realtime {
		return "realtime"
	}
	return ""
}

// newPair starts a two-node cluster of c's daemon with the VIP on node1
// (auto_failback on; keepalived: node1 has the higher priority and
// preempts), and waits until the VIP answers from node1.
func newPair(b *testing.B, c latencyCase) *pair {
	b.Helper()
	p := &pair{daemon: c.daemon, net: netnstest.New(b, netnstest.Config{Hosts: 3}), dead: "node node1: is dead", settle: 6 * time.Second}
	vip := clustertest.VIP()
	switch c.daemon {
	case "keepalived":
		clustertest.RequireKeepalived(b)
		adv, _ := time.ParseDuration(c.keepalive)
		for i, prio := range []int{150, 100} {
			p.nodes = append(p.nodes, clustertest.NewKeepalived(b, p.net.Host(i+1), fmt.Sprintf("node%d", i+1), prio, adv, vip))
		}
		p.dead, p.settle = "Entering MASTER STATE", time.Second
	default:
		spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime,
			Initdead: "10", Realtime: c.realtime, Extra: "auto_failback on\n"}
		mk := clustertest.NewHBD
		if c.daemon == "heartbeat" {
			clustertest.RequireHeartbeat(b)
			mk = clustertest.NewHeartbeat
		} else {
			spec.Extra += "hbd_self_fence /bin/true\n"
		}
		for i := 1; i <= 2; i++ {
			d := mk(b, p.net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(p.net, i, log) })
			d.WriteFile("haresources", "node1 IPaddr2::"+vip.String()+"/24/eth0\n", 0o644)
			p.nodes = append(p.nodes, d)
		}
	}
	for _, d := range p.nodes {
		clustertest.Serve(b, d.Host, d.Name)
	}
	p.probe = clustertest.Probe(b, p.net.Host(3), vip)
	start := time.Now()
	for _, d := range p.nodes {
		d.Start()
	}
	p.probe.WaitFrom(b, "node1", start, 60*time.Second)
	return p
}

// removeVIP stands for the killed node's machine rebooting: the address
// it held goes.
func (p *pair) removeVIP(d *clustertest.Daemon) {
	d.Host.Exec("ip", "addr", "del", clustertest.VIP().String()+"/24", "dev", "eth0")
}

// BenchmarkCluster is the side-by-side harness (make bench-cluster): hbd,
// heartbeat 3.0.6 and keepalived on the same network-namespace rig.
// Each figure is merged into bench/results/results.json as soon as it is
// measured; cmd/hbd-benchplot prints the table and draws the plots.
// Run with -benchtime 1x; parts can be picked with -bench, e.g.
// 'Cluster/latency' or 'Cluster/steady/hbd'.
func BenchmarkCluster(b *testing.B) {
	b.Run("latency", benchLatency)
	b.Run("steady", benchSteady)
	b.Run("soak", benchSoak)
	b.Run("profile", benchProfile)
	b.Run("fast", benchFast)
	b.Run("rig", benchRig)
}

// benchLatency: two nodes and a client; runs() kills of the VIP's holder
// (kill -9): detection (kill → the survivor's dead verdict in its log)
// and failover (kill → the VIP answering from the survivor); then, where
// asked, runs() graceful switchovers (hb_standby; keepalived: SIGTERM)
// timed to the VIP answering from the peer.
func benchLatency(b *testing.B) {
	for _, c := range []latencyCase{
		{"hbd", "5ms", "15ms", true, false},
		{"hbd", "10ms", "30ms", false, false},
		{"hbd", "20ms", "100ms", false, false},
		{"hbd", "100ms", "500ms", false, true},
		{"heartbeat", "20ms", "100ms", false, false},
		{"heartbeat", "100ms", "500ms", false, true},
		{"keepalived", "10ms", "", false, false},
		{"keepalived", "100ms", "", false, true},
	} {
		name := c.daemon + "/" + c.keepalive
		if c.deadtime != "" {
			name += "-" + c.deadtime
		}
		if c.realtime {
			name += "-rt"
		}
		b.Run(name, func(b *testing.B) { latencyRuns(b, c) })
	}
}

func latencyRuns(b *testing.B, c latencyCase) {
	p := newPair(b, c)
	n1, n2 := p.nodes[0], p.nodes[1]
	deadtime := c.deadtime
	if c.daemon == "keepalived" {
		adv, _ := time.ParseDuration(c.keepalive)
		deadtime = masterDown(adv).Round(time.Millisecond / 10).String()
	}
	var det, fo []float64
	back := time.Now()
	for run := range runs() {
		p.probe.WaitFrom(b, "node1", back, 60*time.Second)
		time.Sleep(p.settle)
		killed := n1.Kill9()
		d := n2.Log.Wait(b, p.dead, killed, 30*time.Second)
		a := p.probe.WaitFrom(b, "node2", killed, 30*time.Second)
		det = append(det, ms(d.At.Sub(killed)))
		fo = append(fo, ms(a.At.Sub(killed)))
		p.removeVIP(n1)
		back = time.Now()
		n1.Start()
		b.Logf("run %d: detection %.1f ms, failover %.1f ms", run, det[run], fo[run])
	}
	base := report.Latency{Daemon: c.daemon, Nodes: 2, Keepalive: c.keepalive, Deadtime: deadtime, Note: c.note()}
	dl, fl := base, base
	dl.Metric, dl.SamplesMS = "detection", det
	fl.Metric, fl.SamplesMS = "failover", fo
	rec := &report.File{Latency: []report.Latency{dl, fl}}
	if c.switchover {
		sl := base
		sl.Metric = "switchover"
		for run := range runs() {
			p.probe.WaitFrom(b, "node1", back, 60*time.Second)
			time.Sleep(p.settle)
			asked := time.Now()
			if c.daemon == "keepalived" {
				n1.Stop() // SIGTERM: it sends a priority-0 advert
			} else {
				standby(b, n1, "all")
			}
			a := p.probe.WaitFrom(b, "node2", asked, 30*time.Second)
			sl.SamplesMS = append(sl.SamplesMS, ms(a.At.Sub(asked)))
			time.Sleep(p.settle / 3)
			back = time.Now()
			if c.daemon == "keepalived" {
				n1.Start()
			} else {
				standby(b, n2, "all")
			}
			b.Logf("switchover %d: %.1f ms", run, sl.SamplesMS[run])
		}
		rec.Latency = append(rec.Latency, sl)
	}
	record(b, rec)
	for _, l := range rec.Latency {
		b.ReportMetric(report.Quantile(l.SamplesMS, 0.99), l.Metric+"-p99-ms")
		b.Logf("%s %s: p50 %.1f p99 %.1f max %.1f ms over %d", c.daemon, l.Metric,
			report.Quantile(l.SamplesMS, 0.5), report.Quantile(l.SamplesMS, 0.99), report.Quantile(l.SamplesMS, 1), len(l.SamplesMS))
	}
}

// standby runs heartbeat's hb_standby against a daemon's FIFO, as an
// operator would.
func standby(b *testing.B, d *clustertest.Daemon, set string) {
	b.Helper()
	cmd := exec.Command("/usr/share/heartbeat/hb_standby", set)
	cmd.Env = append(os.Environ(), "HA_FIFO="+d.FIFO(), "HA_LOGFILE="+filepath.Join(d.Dir, "standby.log"), "HA_LOGFACILITY=none", "HA_DEBUGLOG=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("hb_standby: %v\n%s", err, out)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// steadyCase is one steady-state measurement.
type steadyCase struct {
	daemon              string
	nodes               int
	keepalive, deadtime string
	watch               time.Duration
}

// benchSteady: N idle nodes (keepalived: a VRRP pair); after they settle,
// each node's CPU (all its daemon's threads and processes), RSS, and
// what it sends, over the watch; and any death meanwhile (false deaths).
func benchSteady(b *testing.B) {
	watch := envDur("HBD_BENCH_WATCH", 30*time.Second)
	big := envDur("HBD_BENCH_BIG_WATCH", 5*time.Minute)
	var cases []steadyCase
	for _, ka := range []string{"10ms", "100ms"} {
		cases = append(cases, steadyCase{"hbd", 2, ka, "", watch}, steadyCase{"heartbeat", 2, ka, "", watch}, steadyCase{"keepalived", 2, ka, "", watch})
	}
	ka := cmp.Or(os.Getenv("HBD_BENCH_KEEPALIVE"), "100ms")
	for _, n := range sizes() {
		if n == 2 {
			continue
		}
		w := watch
		if n >= 128 {
			w = big
		}
		cases = append(cases, steadyCase{"hbd", n, ka, "", w})
		if n <= 32 {
			cases = append(cases, steadyCase{"heartbeat", n, ka, "", watch})
		}
	}
	for _, c := range cases {
		// Deadtime: 10 keepalives, at least 100 ms (heartbeat's 20/100
		// is its fastest stable setting).
		ka, _ := time.ParseDuration(c.keepalive)
		c.deadtime = fmt.Sprintf("%dms", max(10*ka, 100*time.Millisecond).Milliseconds())
		b.Run(fmt.Sprintf("%s/%d/%s", c.daemon, c.nodes, c.keepalive), func(b *testing.B) { steadyRun(b, c) })
	}
}

func steadyRun(b *testing.B, c steadyCase) {
	var nodes []*clustertest.Daemon
	var net *netnstest.Net
	comm, deadLine := "hbd", "is dead"
	switch c.daemon {
	case "keepalived":
		clustertest.RequireKeepalived(b)
		comm, deadLine = "keepalived", "Entering MASTER STATE"
		net = netnstest.New(b, netnstest.Config{Hosts: 2})
		adv, _ := time.ParseDuration(c.keepalive)
		for i, prio := range []int{150, 100} {
			nodes = append(nodes, clustertest.NewKeepalived(b, net.Host(i+1), fmt.Sprintf("node%d", i+1), prio, adv, clustertest.VIP()))
		}
	default:
		net = netnstest.New(b, netnstest.Config{Hosts: c.nodes})
		spec := clustertest.Spec{Nodes: c.nodes, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime, Initdead: "30"}
		mk := clustertest.NewHBD
		if c.daemon == "heartbeat" {
			clustertest.RequireHeartbeat(b)
			mk, comm = clustertest.NewHeartbeat, "heartbeat"
		}
		for i := 1; i <= c.nodes; i++ {
			nodes = append(nodes, mk(b, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) }))
		}
	}
	started := time.Now()
	for _, d := range nodes {
		d.Start()
	}
	if c.daemon == "keepalived" {
		nodes[0].Log.Wait(b, "Entering MASTER STATE", started, 30*time.Second)
	} else {
		// Every node has heard every other (node1 and the last one:
		// the last to start), and the starting nodes' raised deadtime
		// (5 s) is over.
		for _, d := range []*clustertest.Daemon{nodes[0], nodes[len(nodes)-1]} {
			for _, o := range nodes {
				if o != d {
					d.Log.Wait(b, "Status update for node "+o.Name+": status active", started, 120*time.Second)
				}
			}
		}
	}
	time.Sleep(8 * time.Second)
	type sample struct {
		u      usage
		pk, by uint64
	}
	take := func() []sample {
		s := make([]sample, len(nodes))
		for i, d := range nodes {
			s[i].u = daemonUsage(d.Host, comm)
			s[i].pk, s[i].by = txCounters(b, d.Host)
		}
		return s
	}
	t0, s0 := time.Now(), take()
	time.Sleep(c.watch)
	t1, s1 := time.Now(), take()
	secs := t1.Sub(t0).Seconds()
	st := report.Steady{Daemon: c.daemon, Nodes: c.nodes, Keepalive: c.keepalive, Seconds: secs, CPUPercentMin: 1e9}
	var rss float64
	var user, sys float64
	for i := range nodes {
		user += (s1[i].u.user - s0[i].u.user).Seconds() / secs * 100 / float64(len(nodes))
		sys += (s1[i].u.sys - s0[i].u.sys).Seconds() / secs * 100 / float64(len(nodes))
		cpu := (s1[i].u.cpu - s0[i].u.cpu).Seconds() / secs * 100
		st.CPUPercent = max(st.CPUPercent, cpu)
		st.CPUPercentMin = min(st.CPUPercentMin, cpu)
		rss += float64(s1[i].u.rssKB) / 1024
		st.Procs = max(st.Procs, s1[i].u.procs)
		st.PacketsPerSec += float64(s1[i].pk-s0[i].pk) / secs
		st.BytesPerSec += float64(s1[i].by-s0[i].by) / secs
	}
	n := float64(len(nodes))
	st.RSSMB, st.PacketsPerSec, st.BytesPerSec = rss/n, st.PacketsPerSec/n, st.BytesPerSec/n
	for _, d := range nodes {
		for _, l := range d.Log.Since(t0) {
			if strings.Contains(l.Text, deadLine) && l.At.Before(t1) {
				st.FalseDeaths++
				b.Logf("%s: %s", d.Name, l.Text)
			}
		}
	}
	b.Logf("mean per node: user %.2f%%, system %.2f%% (ticks); node1 RSS: anon %d kB, file %d kB", user, sys, s1[0].u.anonKB, s1[0].u.fileKB)
	if st.FalseDeaths > 0 {
		b.Errorf("%d false deaths in %v", st.FalseDeaths, c.watch)
	}
	record(b, &report.File{Steady: []report.Steady{st}})
	b.ReportMetric(st.CPUPercent, "cpu-%")
	b.ReportMetric(st.RSSMB, "rss-MB")
	b.Logf("%s, %d nodes, keepalive %s, %.0f s: CPU per node %.2f%% (min %.2f%%), RSS %.1f MB in %d processes, %.0f packets/s, %.0f B/s sent; %d false deaths",
		c.daemon, c.nodes, c.keepalive, secs, st.CPUPercent, st.CPUPercentMin, st.RSSMB, st.Procs, st.PacketsPerSec, st.BytesPerSec, st.FalseDeaths)
}

// benchSoak: hbd pairs at keepalive 10 ms / deadtime 30 ms and 5 ms /
// 15 ms, both with realtime on (heartbeat's default), and two keepalived
// VRRP pairs (advert 10 ms, master-down 36.1 ms), one as keepalived runs
// by default (normal class) and one at real-time priority
// (vrrp_rt_priority), side by side for HBD_SOAK
// (default 10 minutes) while a CPU hog keeps every core busy and a
// real-time probe on every CPU records the machine's own freezes. Every
// false verdict (hbd: "is dead"; keepalived: a backup entering MASTER
// while the master lives) is matched against the freezes that could
// explain it (matchVerdicts). It measures the gaps between each hbd
// node1's heartbeats as a quiet host receives them (kernel timestamps).
func benchSoak(b *testing.B) {
	dur := envDur("HBD_SOAK", 10*time.Minute)
	observeAtRT(b) // the log tails must not lag behind the hog
	type soak struct {
		c               latencyCase
		nodes           []*clustertest.Daemon
		gaps            *gapMeter // nil for keepalived (VRRP is not on the heartbeat port)
		verdict, reset  string    // the false verdict's log line; the peer's return
		explain, window time.Duration
	}
	var soaks []*soak
	for _, c := range []latencyCase{{"hbd", "10ms", "30ms", true, false}, {"hbd", "5ms", "15ms", true, false}} {
		ka, _ := time.ParseDuration(c.keepalive)
		dt, _ := time.ParseDuration(c.deadtime)
		net := netnstest.New(b, netnstest.Config{Hosts: 3})
		spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime, Initdead: "10", Realtime: c.realtime,
			Extra: "hbd_self_fence /bin/true\n"}
		s := &soak{c: c, verdict: "is dead", reset: "status active", explain: dt - ka, window: dt}
		for i := 1; i <= 2; i++ {
			s.nodes = append(s.nodes, clustertest.NewHBD(b, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) }))
		}
		s.gaps = meterGaps(b, net.Host(3), net.Host(1).Addr(0))
		started := time.Now()
		for _, d := range s.nodes {
			d.Start()
		}
		s.nodes[0].Log.Wait(b, "Status update for node node2: status active", started, 30*time.Second)
		soaks = append(soaks, s)
	}
	if _, err := exec.LookPath(clustertest.KeepalivedBin); err == nil {
		const adv = 10 * time.Millisecond
		down := masterDown(adv)
		// rtprio 0: keepalived's default; 1: the lowest real-time priority,
		// where a realtime hbd at this keepalive runs.
		for _, rtprio := range []int{0, 1} {
			net := netnstest.New(b, netnstest.Config{Hosts: 2})
			s := &soak{c: latencyCase{daemon: "keepalived", keepalive: adv.String(), deadtime: down.Round(time.Millisecond / 10).String(), realtime: rtprio > 0},
				verdict: "Entering MASTER STATE", reset: "Entering BACKUP STATE", explain: down - adv, window: down}
			for i, prio := range []int{150, 100} {
				s.nodes = append(s.nodes, clustertest.NewKeepalivedRT(b, net.Host(i+1), fmt.Sprintf("node%d", i+1), prio, adv, clustertest.VIP(), rtprio))
			}
			started := time.Now()
			for _, d := range s.nodes {
				d.Start()
			}
			s.nodes[0].Log.Wait(b, "Entering MASTER STATE", started, 30*time.Second)
			soaks = append(soaks, s)
		}
	} else {
		b.Logf("keepalived is not installed: no keepalived row")
	}
	time.Sleep(6 * time.Second)
	explain := time.Hour
	for _, s := range soaks {
		explain = min(explain, s.explain)
	}
	stop := clustertest.CPUHog(b)
	observeAtRT(b)
	fr := watchFreezes(b, explain)
	load0 := loadAvg()
	t0 := time.Now()
	time.Sleep(dur)
	t1 := time.Now()
	load1 := loadAvg()
	freezes, late := fr.stop()
	stop()
	over20 := 0
	for _, f := range freezes {
		if f.len > 20*time.Millisecond {
			over20++
		}
	}
	worst := report.Quantile(late, 1)
	b.Logf("machine: load %s → %s (hog on); the freeze probe woke over 20 ms late %d times, worst %.1f ms; %d freezes over %v",
		load0, load1, over20, worst, len(freezes), explain)
	rec := &report.File{}
	for _, s := range soaks {
		tally := matchVerdicts(s.nodes, s.verdict, s.reset, t0, t1, freezes, s.explain, s.window)
		for _, v := range tally.verdicts {
			b.Logf("%s %s/%s %s: %s: %s (%s)", s.c.daemon, s.c.keepalive, s.c.deadtime, v.node, v.line.At.Format("15:04:05.000"), v.line.Text, v.why)
		}
		r := report.Soak{Daemon: s.c.daemon, Keepalive: s.c.keepalive, Deadtime: s.c.deadtime, Note: s.c.note(), Seconds: t1.Sub(t0).Seconds(),
			FalseDeaths: len(tally.verdicts), Matched: tally.matched, Unmatched: tally.unmatched(), PeerStalled: tally.peerStalled(), ExplainMS: ms(s.explain),
			MachineStalls: over20, MachineStallMS: worst}
		if s.gaps != nil {
			g := s.gaps.gaps(t0)
			r.Heartbeats = len(g) + 1
			r.GapsMS = []float64{report.Quantile(g, 0.5), report.Quantile(g, 0.99), report.Quantile(g, 0.999), report.Quantile(g, 1)}
		}
		rec.Soak = append(rec.Soak, r)
		gaps := "no heartbeat gaps (VRRP)"
		if len(r.GapsMS) == 4 {
			gaps = fmt.Sprintf("gaps p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms", r.GapsMS[0], r.GapsMS[1], r.GapsMS[2], r.GapsMS[3])
		}
		b.Logf("soak %s %s/%s %s: %v, %d heartbeats, %d false verdicts (%d after a freeze > %v or the peer's restart, %d not, %d of them after the peer's own loop stall), %s",
			s.c.daemon, s.c.keepalive, s.c.deadtime, s.c.note(), t1.Sub(t0).Round(time.Second), r.Heartbeats, r.FalseDeaths, r.Matched, s.explain.Round(time.Millisecond/10), r.Unmatched, r.PeerStalled, gaps)
		if s.c.daemon == "hbd" && r.Unmatched > 0 {
			b.Errorf("soak hbd %s/%s: %d false deaths with no machine freeze over %v behind them", s.c.keepalive, s.c.deadtime, r.Unmatched, s.explain)
		}
	}
	record(b, rec)
}

// benchProfile: a 64-node hbd cluster (HBD_PROFILE_NODES) at keepalive
// 100 ms (HBD_PROFILE_KEEPALIVE; deadtime 10 keepalives, at least 1 s);
// node1 writes CPU and allocation profiles of 60 s of steady running
// (HBD_PROFILE_WATCH) and its shutdown to bench/results/profiles.
func benchProfile(b *testing.B) {
	n := 64
	if v, err := strconv.Atoi(os.Getenv("HBD_PROFILE_NODES")); err == nil && v >= 2 {
		n = v
	}
	ka := cmp.Or(os.Getenv("HBD_PROFILE_KEEPALIVE"), "100ms")
	kad, err := time.ParseDuration(ka)
	if err != nil {
		b.Fatalf("HBD_PROFILE_KEEPALIVE: %v", err)
	}
	// Deadtime: 10 keepalives, at least 1 s.
	dead := fmt.Sprintf("%dms", max(10*kad, time.Second).Milliseconds())
	dir, err := filepath.Abs("results/profiles")
	if err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	net := netnstest.New(b, netnstest.Config{Hosts: n})
	spec := clustertest.Spec{Nodes: n, Media: "bcast", Keepalive: ka, Deadtime: dead, Initdead: "30"}
	var nodes []*clustertest.Daemon
	for i := 1; i <= n; i++ {
		d := clustertest.NewHBD(b, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) })
		if i == 1 {
			d.Env = []string{"HBD_PPROF_DIR=" + dir}
		}
		nodes = append(nodes, d)
	}
	started := time.Now()
	for _, d := range nodes {
		d.Start()
	}
	for _, o := range nodes[1:] {
		nodes[0].Log.Wait(b, "Status update for node "+o.Name+": status active", started, 120*time.Second)
	}
	time.Sleep(envDur("HBD_PROFILE_WATCH", time.Minute))
	nodes[0].Stop()
	for _, f := range []string{"cpu.pprof", "allocs.pprof"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			b.Errorf("no profile %s: %v", f, err)
		}
	}
	b.Logf("profiles in %s: go tool pprof -top %s/cpu.pprof", dir, dir)
}

package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/bench/report"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/logtail"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// crmBench is one configuration of BenchmarkPacemaker.
type crmBench struct {
	pacemaker           bool
	tokenMS             int    // Pacemaker: totem.token
	keepalive, deadtime string // hbd
	ocfIP               bool   // hbd: the VIP through ocf:heartbeat:IPaddr2, forked, as Pacemaker runs it
	ocfBuiltin          bool   // hbd: the VIP as ocf:heartbeat:IPaddr2, run by the built-in IP agent
	restore             bool   // only the monitor failure → restore runs, the VIP monitored every restoreMonitor
}

func (c crmBench) name() string {
	var n string
	switch {
	case c.pacemaker:
		n = fmt.Sprintf("pacemaker/token-%d", c.tokenMS)
	case c.ocfIP:
		n = "hbd/" + c.keepalive + "-" + c.deadtime + "-IPaddr2"
	case c.ocfBuiltin:
		n = "hbd/" + c.keepalive + "-" + c.deadtime + "-IPaddr2-builtin"
	default:
		n = "hbd/" + c.keepalive + "-" + c.deadtime
	}
	if c.restore {
		n = "restore/" + n
	}
	return n
}

// restoreMonitor is the VIP's monitor interval in the restore runs, the
// same for both systems.
const restoreMonitor = "1s"

// crmMonitor is both recurring monitors' interval (the VIP's and the
// Dummy's), the same for both systems.
const crmMonitor = "10s"

// crmRuns is how many kills (and moves) each configuration is measured
// over: HBD_BENCH_RUNS, default 5 (a Pacemaker node takes seconds to
// come back and rejoin).
func crmRuns() int {
	if n, err := strconv.Atoi(os.Getenv("HBD_BENCH_RUNS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// BenchmarkPacemaker sets hbd's cluster resource manager (pacemaker on)
// beside the real Pacemaker 2.1.5 + Corosync 3.1.7 on the same rig, with
// the same scenario: two nodes (HBD_BENCH_CRM_NODES=3 for three), a group
// of a VIP and an OCF Dummy, each monitored every 10 s, preferring node1,
// stonith off; a client connects to the VIP once a millisecond.
// Pacemaker runs at token 1000 and 500 ms (and 3000, its default, with
// HBD_BENCH_TOKENS=3000,1000,500), the VIP through
// ocf:heartbeat:IPaddr2; hbd at keepalive 10 ms / deadtime 30 ms and
// 100 ms / 1 s, the VIP through its built-in IP agent (and at 10 ms /
// 30 ms through the same forked IPaddr2 as Pacemaker, and through
// ocf:heartbeat:IPaddr2 run by the built-in agent, the daemon's default
// under pacemaker on). Per configuration:
//
//   - idle: CPU (every process of the node, the agents it forked
//     included) and RSS (the daemons' processes) per node over
//     HBD_BENCH_WATCH (default 30 s), after the group started;
//   - move: crm_resource --move of the group to node2 on node1 → the VIP
//     answering from node2; --clear → back (Pacemaker's tool in node1's
//     namespaces, hbd's hbctl crm_resource through node1's CIB socket);
//   - failover: kill -9 of every process of node1, which holds the group
//     and is not the DC → the VIP answering from node2. The killed node's
//     address is then removed (its machine rebooting), the node started
//     again, and the group comes back to it;
//   - restore (sub-benchmarks restore/…, a cluster of their own with the
//     VIP monitored every second: the first token, hbd at 10 ms / 30 ms
//     with each VIP agent): the VIP removed by hand from node1's eth0 at
//     a random point of the monitor's interval → the VIP answering from
//     node1 again (both systems restart the group in place: fail count
//     under migration-threshold), the detection from node1's log.
//
// Figures go to bench/results/results.json as daemon
// "pacemaker+corosync" (keepalive "token N ms") and "hbd" with the note
// "pacemaker on". Needs root, Debian's pacemaker, corosync and
// resource-agents; about 10 minutes:
//
//	make bench-cluster BENCH=Pacemaker
func BenchmarkPacemaker(b *testing.B) {
	var cases []crmBench
	tokens := []int{1000, 500}
	if v := os.Getenv("HBD_BENCH_TOKENS"); v != "" {
		tokens = nil
		for _, f := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
				tokens = append(tokens, n)
			}
		}
	}
	for _, t := range tokens {
		cases = append(cases, crmBench{pacemaker: true, tokenMS: t})
	}
	cases = append(cases, crmBench{keepalive: "10ms", deadtime: "30ms"}, crmBench{keepalive: "10ms", deadtime: "30ms", ocfIP: true},
		crmBench{keepalive: "10ms", deadtime: "30ms", ocfBuiltin: true}, crmBench{keepalive: "100ms", deadtime: "1000ms"})
	// Monitor failure → restored in place: a cluster of its own per
	// system (the 1 s monitor would change the idle figures), the first
	// Pacemaker token and hbd's 10 ms / 30 ms with each of its VIP agents.
	restores := []crmBench{{keepalive: "10ms", deadtime: "30ms"}, {keepalive: "10ms", deadtime: "30ms", ocfIP: true},
		{keepalive: "10ms", deadtime: "30ms", ocfBuiltin: true}}
	if len(tokens) > 0 {
		restores = append([]crmBench{{pacemaker: true, tokenMS: tokens[0]}}, restores...)
	}
	for _, c := range restores {
		c.restore = true
		cases = append(cases, c)
	}
	for _, c := range cases {
		b.Run(c.name(), func(b *testing.B) { crmBenchRun(b, c) })
	}
}

// crmNode is one node of either system, as the benchmark drives it.
type crmNode interface {
	kill9() time.Time
	start()
}

// hbdCRM adapts clustertest's hbd daemon.
type hbdCRM struct{ d *clustertest.Daemon }

func (h hbdCRM) kill9() time.Time { return h.d.Kill9() }
func (h hbdCRM) start()           { h.d.Start() }

func crmNodes() int {
	if n, err := strconv.Atoi(os.Getenv("HBD_BENCH_CRM_NODES")); err == nil && n >= 2 {
		return n
	}
	return 2
}

func crmBenchRun(b *testing.B, c crmBench) {
	if c.pacemaker {
		requirePacemaker(b)
	} else if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/Dummy"); err != nil {
		b.Skip("resource-agents' Dummy is not installed")
	}
	nn := crmNodes()
	nw := netnstest.New(b, netnstest.Config{Hosts: nn + 1})
	vip := clustertest.VIP()
	var hosts []*netnstest.Host
	var names []string
	for i := 1; i <= nn; i++ {
		hosts = append(hosts, nw.Host(i))
		names = append(names, fmt.Sprintf("node%d", i))
	}
	var nodes []crmNode
	var pcmk []*pcmkNode
	var hbds []*clustertest.Daemon
	keep := notLauncher
	vipMonitor := crmMonitor
	if c.restore {
		vipMonitor = restoreMonitor
	}
	if c.pacemaker {
		s := pcmkSpec{nodes: hosts, tokenMS: c.tokenMS, monitor: crmMonitor, vip: vip.String(), prefer: "node1"}
		cib := benchCIB(pcmkVIP(vip.String(), vipMonitor), crmMonitor, "node1", nil)
		for i := 1; i <= nn; i++ {
			n := newPcmkNode(b, s, i, cib)
			pcmk = append(pcmk, n)
			nodes = append(nodes, n)
		}
	} else {
		spec := clustertest.Spec{Nodes: nn, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime, Initdead: "5",
			Extra: "pacemaker on\nhbd_self_fence /bin/true\n"}
		ip := fmt.Sprintf(`<primitive id="vip" class="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia"><nvpair id="vip-1" name="1" value="%s/24/eth0"/></instance_attributes><operations><op id="vip-monitor" name="monitor" interval="%s" timeout="20s"/></operations></primitive>`, vip, vipMonitor)
		if c.ocfIP || c.ocfBuiltin {
			ip = pcmkVIP(vip.String(), vipMonitor)
		}
		if c.ocfIP {
			// Pacemaker's way: the script forked for every operation.
			spec.Extra += "hbd_ocf_ip_agent script\n"
		}
		cib := benchCIB(ip, crmMonitor, "node1", names)
		for i := 1; i <= nn; i++ {
			d := clustertest.NewHBD(b, hosts[i-1], names[i-1], func(log string) string { return spec.HaCF(nw, i, log) })
			crm := filepath.Join(d.Dir, "state", "crm")
			os.MkdirAll(crm, 0o750)
			if err := os.WriteFile(filepath.Join(crm, "cib.xml"), []byte(cib), 0o600); err != nil {
				b.Fatal(err)
			}
			// Each node's Dummy keeps its state in a directory of its own.
			rt := filepath.Join(d.Dir, "rsctmp")
			os.MkdirAll(rt, 0o755)
			d.Env = []string{"HA_RSCTMP=" + rt}
			hbds = append(hbds, d)
			nodes = append(nodes, hbdCRM{d})
		}
	}
	for i, h := range hosts {
		clustertest.Serve(b, h, names[i])
	}
	probe := clustertest.Probe(b, nw.Host(nn+1), vip)
	start := time.Now()
	// node2 first, so that it is the DC and node1, the holder, is not.
	for i := len(nodes) - 1; i >= 0; i-- {
		nodes[i].start()
		if i == len(nodes)-1 {
			time.Sleep(2 * time.Second)
		}
	}
	a := probe.WaitFrom(b, "node1", start, 120*time.Second)
	b.Logf("%s: the VIP answered from node1 %v after the start", c.name(), a.At.Sub(start).Round(time.Millisecond))

	daemon, ka, dt, note := "hbd", c.keepalive, c.deadtime, "pacemaker on"
	if c.pacemaker {
		daemon, ka, dt, note = "pacemaker+corosync", fmt.Sprintf("token %dms", c.tokenMS), fmt.Sprintf("consensus %dms", c.tokenMS*12/10), ""
	} else if c.ocfIP {
		note = "pacemaker on, IPaddr2"
	} else if c.ocfBuiltin {
		note = "pacemaker on, IPaddr2 in-process"
	}
	// Settled: a starting hbd node has its peers wait deadtime + 2 s
	// for its first seconds, and Pacemaker's DC goes idle after the
	// start's transition.
	settle := 8 * time.Second
	time.Sleep(settle)
	if c.restore {
		crmRestore(b, c, hosts[0], probe, vip.String(), pcmk, hbds, report.Latency{Daemon: daemon, Nodes: nn, Keepalive: ka, Deadtime: dt, Note: note})
		return
	}
	crmNodeList(b, c, pcmk, hbds, 0, "all up")

	// Idle.
	watch := envDur("HBD_BENCH_WATCH", 30*time.Second)
	var pk, by [2][]uint64 // sent on eth0 per node, at t0 and t1
	take := func() (t, rss []int64, procs []int) {
		k := 0
		if pk[0] != nil {
			k = 1
		}
		for _, h := range hosts {
			tk, r, p := nodeTicks(h, keep)
			t, rss, procs = append(t, tk), append(rss, r), append(procs, p)
			np, nb := txCounters(b, h)
			pk[k], by[k] = append(pk[k], np), append(by[k], nb)
		}
		return
	}
	st := report.Steady{Daemon: daemon, Nodes: nn, Keepalive: ka, Note: note, CPUPercentMin: 1e9}
	deaths := func() int {
		n := 0
		for i := range hosts {
			if c.pacemaker {
				// corosync's new membership without a node.
				b, _ := os.ReadFile(filepath.Join(pcmk[i].dir, "corosync.log"))
				n += strings.Count(string(b), "Members left")
			} else {
				n += strings.Count(hbds[i].Log.Text(), "is dead")
			}
		}
		return n
	}
	// The client is quiet meanwhile: its connections would be counted as
	// the holder's traffic.
	probe.Stop()
	load, _ := os.ReadFile("/proc/loadavg")
	t0 := time.Now()
	d0 := deaths()
	s0, _, _ := take()
	time.Sleep(watch)
	t1 := time.Now()
	s1, rss, procs := take()
	st.FalseDeaths = deaths() - d0
	secs := t1.Sub(t0).Seconds()
	st.Seconds = secs
	var rssSum float64
	for i := range hosts {
		cpu := float64(s1[i]-s0[i]) * 10 / 1000 / secs * 100 // ticks of 10 ms
		st.CPUPercent = max(st.CPUPercent, cpu)
		st.CPUPercentMin = min(st.CPUPercentMin, cpu)
		rssSum += float64(rss[i]) / 1024
		st.PacketsPerSec += float64(pk[1][i]-pk[0][i]) / secs / float64(nn)
		st.BytesPerSec += float64(by[1][i]-by[0][i]) / secs / float64(nn)
		st.Procs = max(st.Procs, procs[i])
		b.Logf("idle %s: %.2f%% of a core, RSS %.1f MB in %d processes", names[i], cpu, float64(rss[i])/1024, procs[i])
	}
	st.RSSMB = rssSum / float64(nn)
	b.Logf("idle: %d false deaths (hbd: dead verdicts; Pacemaker: corosync memberships with a node left) over %.0f s; load average before: %s",
		st.FalseDeaths, secs, strings.TrimSpace(string(load)))
	record(b, &report.File{Steady: []report.Steady{st}})
	probe = clustertest.Probe(b, nw.Host(nn+1), vip)
	probe.WaitFrom(b, "node1", time.Now(), 30*time.Second)

	base := report.Latency{Daemon: daemon, Nodes: nn, Keepalive: ka, Deadtime: dt, Note: note}
	rec := &report.File{}
	// Moves: each system's own crm_resource on node1 (Pacemaker's in
	// node1's namespaces; hbd's, hbctl crm_resource, through node1's CIB
	// socket), timed from the command's start.
	crmResource := func(args ...string) (string, error) {
		if c.pacemaker {
			return pcmk[0].tool(append([]string{"crm_resource"}, args...)...)
		}
		cmd := exec.Command(hbctlBin(b), append([]string{"crm_resource"}, args...)...)
		// <rundir>/heartbeat/cib_rw, beside lrmd's sockets.
		cmd.Env = append(os.Environ(), "HBD_CIB_SOCKET="+filepath.Join(hbds[0].Dir, "run", "heartbeat", "cib_rw"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	{
		mv, back := base, base
		mv.Metric, back.Metric = "move", "move back"
		for run := range crmRuns() {
			asked := time.Now()
			if out, err := crmResource("--move", "--resource", "grp", "--node", "node2"); err != nil {
				b.Fatalf("crm_resource --move: %v\n%s", err, out)
			}
			a := probe.WaitFrom(b, "node2", asked, 60*time.Second)
			mv.SamplesMS = append(mv.SamplesMS, ms(a.At.Sub(asked)))
			time.Sleep(settle)
			asked = time.Now()
			if out, err := crmResource("--clear", "--resource", "grp"); err != nil {
				b.Fatalf("crm_resource --clear: %v\n%s", err, out)
			}
			a = probe.WaitFrom(b, "node1", asked, 60*time.Second)
			back.SamplesMS = append(back.SamplesMS, ms(a.At.Sub(asked)))
			b.Logf("move %d: %.1f ms, back %.1f ms", run, mv.SamplesMS[run], back.SamplesMS[run])
			time.Sleep(settle)
		}
		rec.Latency = append(rec.Latency, mv, back)
	}

	// Failovers: kill -9 of node1, the holder. One kill first, not
	// measured, so that node2 is the DC in every measured one (which
	// node was elected at the start differs between the systems).
	killed := nodes[0].kill9()
	waitAway(b, probe, "node1", killed, 60*time.Second)
	hosts[0].Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0")
	time.Sleep(time.Second)
	back := time.Now()
	nodes[0].start()
	fo := base
	fo.Metric = "failover"
	for run := range crmRuns() {
		probe.WaitFrom(b, "node1", back, 120*time.Second)
		time.Sleep(settle)
		killed = nodes[0].kill9()
		a := waitAway(b, probe, "node1", killed, 60*time.Second)
		fo.SamplesMS = append(fo.SamplesMS, ms(a.At.Sub(killed)))
		b.Logf("failover %d: %.1f ms", run, fo.SamplesMS[run])
		if run == 0 {
			crmNodeList(b, c, pcmk, hbds, 1, "node1 killed")
		}
		// The killed node's machine reboots: its address goes.
		hosts[0].Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0")
		time.Sleep(time.Second)
		back = time.Now()
		nodes[0].start()
	}
	probe.WaitFrom(b, "node1", back, 120*time.Second)
	rec.Latency = append(rec.Latency, fo)
	record(b, rec)
	reportLatencies(b, c, rec.Latency)
	b.ReportMetric(st.CPUPercent, "idle-cpu-%")
	b.ReportMetric(st.RSSMB, "rss-MB")
}

// crmRestore measures a monitor failure → the service restored in place
// (fail count 1, under migration-threshold: both systems restart the
// group on node1): the VIP removed by hand from node1's eth0 at a random
// point of its monitor's interval → the VIP answering from node1 again.
// Detection is the first log line of node1's naming the VIP after the
// removal (Pacemaker's controller logs the monitor's result; hbd logs
// the stop that follows it), as the log's reader saw it: repair is the
// rest. Figures: "monitor restore", "monitor detect" as report
// latencies.
func crmRestore(b *testing.B, c crmBench, holder *netnstest.Host, probe *clustertest.Prober, vip string,
	pcmk []*pcmkNode, hbds []*clustertest.Daemon, base report.Latency) {
	// The monitor's failure as node1 logs it: Pacemaker's controller
	// on the executor's result, hbd's LRM when a recurring monitor's
	// return code changes.
	var log *logtail.Tail
	mark := "Result of monitor operation for vip on node1: not running"
	if c.pacemaker {
		log = logtail.Start(filepath.Join(pcmk[0].dir, "pacemaker.log"))
		defer log.Stop()
	} else {
		log = hbds[0].Log.Tail
		mark = "on vip every " + restoreMonitor + ": return code 7"
	}
	period, _ := time.ParseDuration(restoreMonitor)
	rs, det := base, base
	rs.Metric, det.Metric = "monitor restore", "monitor detect"
	// Under a heavy load a 10 ms / 30 ms pair may flap and move the VIP
	// meanwhile: such a run is skipped, not counted.
	for try := 0; len(rs.SamplesMS) < crmRuns() && try < 3*crmRuns(); try++ {
		probe.WaitFrom(b, "node1", time.Now(), 60*time.Second)
		time.Sleep(time.Duration(rand.Int64N(int64(period))))
		removed := time.Now()
		if out, err := holder.Exec("ip", "addr", "del", vip+"/24", "dev", "eth0"); err != nil {
			b.Logf("restore, try %d: ip addr del: %v (%s): the VIP is not on node1, skipped", try, err, strings.TrimSpace(string(out)))
			time.Sleep(3 * time.Second)
			continue
		}
		// A connection begun before the removal may still be answered
		// just after it; none begun after can be before the restore.
		a := probe.WaitFrom(b, "node1", time.Now().Add(2*time.Millisecond), 60*time.Second)
		total := ms(a.At.Sub(removed))
		rs.SamplesMS = append(rs.SamplesMS, total)
		d := -1.0
		if l, ok := log.Find(mark, removed); ok && l.At.Before(a.At) {
			d = ms(l.At.Sub(removed))
			det.SamplesMS = append(det.SamplesMS, d)
		}
		b.Logf("restore %d: %.1f ms (failure logged after %.1f ms, then %.1f ms to the VIP answering)", len(rs.SamplesMS)-1, total, d, total-d)
		time.Sleep(3 * time.Second)
	}
	if len(rs.SamplesMS) == 0 {
		b.Fatalf("no restore measured in %d tries", 3*crmRuns())
	}
	rec := &report.File{Latency: []report.Latency{rs}}
	if len(det.SamplesMS) > 0 {
		rec.Latency = append(rec.Latency, det)
	}
	record(b, rec)
	reportLatencies(b, c, rec.Latency)
}

// waitAway returns the first answer from another node than from after
// since (with three nodes, either survivor may take the group).
func waitAway(b *testing.B, p *clustertest.Prober, from string, since time.Time, timeout time.Duration) clustertest.Answer {
	b.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, a := range p.Since(since) {
			if a.From != from {
				return a
			}
		}
	}
	b.Fatalf("VIP: no answer from a node other than %s within %v", from, timeout)
	return clustertest.Answer{}
}

// crmNodeList logs what crm_node prints on node i (0-based) for -l, -p,
// -n, -i and -q: Pacemaker's own tool in the node's namespaces, or hbd's
// (hbctl crm_node) against the node's CCM socket, so that the two can be
// compared on live clusters.
func crmNodeList(b *testing.B, c crmBench, pcmk []*pcmkNode, hbds []*clustertest.Daemon, i int, when string) {
	for _, flag := range []string{"-l", "-p", "-n", "-i", "-q"} {
		var out string
		var err error
		if c.pacemaker {
			out, err = pcmk[i].tool("crm_node", flag)
		} else {
			// hbd's API socket is <rundir>/heartbeat/register, ccm's beside it.
			sock := filepath.Join(hbds[i].Dir, "run", "heartbeat", "ccm", "ccm")
			cmd := exec.Command(hbctlBin(b), "crm_node", flag)
			cmd.Env = append(os.Environ(), "HBD_CCM_SOCKET="+sock)
			var o []byte
			o, err = cmd.CombinedOutput()
			out = string(o)
		}
		b.Logf("crm_node %s on node%d, %s (exit %v): %q", flag, i+1, when, err, out)
	}
	if c.pacemaker {
		dc, _ := pcmk[i].tool("crmadmin", "-D")
		b.Logf("node%d, %s: %s", i+1, when, strings.TrimSpace(dc))
	}
}

var hbctlPath string

// hbctlBin builds hbctl once.
func hbctlBin(b *testing.B) string {
	if hbctlPath != "" {
		return hbctlPath
	}
	p := filepath.Join(os.TempDir(), fmt.Sprintf("hbd-bench-hbctl-%d", os.Getpid()))
	if out, err := exec.Command("go", "build", "-o", p, "github.com/hbd-ha/hbd/cmd/hbctl").CombinedOutput(); err != nil {
		b.Fatalf("build hbctl: %v\n%s", err, out)
	}
	hbctlPath = p
	return p
}

// reportLatencies reports each latency's median as a metric and logs its
// median and range.
func reportLatencies(b *testing.B, c crmBench, ls []report.Latency) {
	for _, l := range ls {
		b.ReportMetric(report.Quantile(l.SamplesMS, 0.5), strings.ReplaceAll(l.Metric, " ", "-")+"-p50-ms")
		b.Logf("%s %s: median %.1f ms, range %.1f–%.1f over %d", c.name(), l.Metric,
			report.Quantile(l.SamplesMS, 0.5), report.Quantile(l.SamplesMS, 0), report.Quantile(l.SamplesMS, 1), len(l.SamplesMS))
	}
}

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/bench/report"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// benchRig (BENCH=Cluster/rig): real hbd nodes at scale, started as an
// operator starts them. For each size in HBD_RIG_NODES (comma-separated,
// default 64): N nodes at keepalive 100 ms, deadtime 2 s, warntime 1 s,
// initdead 30 s, one started every HBD_RIG_STAGGER (default 250 ms);
// the time until every node sees every other active; then
// HBD_RIG_WATCH (default 5 minutes) watched: dead verdicts, each node's
// CPU (all its threads) every HBD_RIG_STEP (default 10 s) and RSS; and,
// to tell why a size fails, the UDP receive-buffer drops in every
// namespace and the longest loop stall any node logged. HBD_RIG_ENV
// (NAME=value ..., e.g. GOMAXPROCS=1) is added to every daemon's
// environment, for experiments. Not in CI: it
// takes minutes and the whole machine.
func benchRig(b *testing.B) {
	sizes := []int{64}
	if v := os.Getenv("HBD_RIG_NODES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 2 {
				sizes = append(sizes, n)
			}
		}
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { rigRun(b, n) })
	}
}

// rigView is what one node's log says of its peers: active or dead, and
// when it last changed.
type rigView struct {
	active  map[string]bool
	at      time.Time // the latest change
	deaths  int       // verdicts on a peer once seen active
	scanned int       // log lines read so far
}

// update reads d's new log lines.
func (v *rigView) update(d *clustertest.Daemon, since time.Time) {
	lines := d.Log.Since(since)
	for _, l := range lines[min(v.scanned, len(lines)):] {
		if rest := afterMark(l.Text, "Status update for node "); rest != "" {
			if name, st, ok := strings.Cut(rest, ": status "); ok {
				v.active[name] = st == "active"
				v.at = l.At
			}
		} else if s := afterMark(l.Text, "WARN: node "); s != "" && strings.HasSuffix(s, ": is dead") {
			name := strings.TrimSuffix(s, ": is dead")
			if v.active[name] {
				v.deaths++
			}
			v.active[name] = false
			v.at = l.At
		}
	}
	v.scanned = len(lines)
}

// afterMark returns what follows mark in s, or "".
func afterMark(s, mark string) string {
	if i := strings.Index(s, mark); i >= 0 {
		return s[i+len(mark):]
	}
	return ""
}

func (v *rigView) allActive(n int) bool {
	c := 0
	for _, a := range v.active {
		if a {
			c++
		}
	}
	return c == n-1
}

func rigRun(b *testing.B, n int) {
	stagger := envDur("HBD_RIG_STAGGER", 250*time.Millisecond)
	watch := envDur("HBD_RIG_WATCH", 5*time.Minute)
	step := envDur("HBD_RIG_STEP", 10*time.Second)
	const ka, dead = "100ms", "2"
	b.Logf("load before: %s", loadAvg())
	net := netnstest.New(b, netnstest.Config{Hosts: n})
	spec := clustertest.Spec{Nodes: n, Media: "bcast", Keepalive: ka, Deadtime: dead, Warntime: "1", Initdead: "30",
		Extra: "hbd_self_fence /bin/true\n"}
	nodes := make([]*clustertest.Daemon, n)
	views := make([]*rigView, n)
	for i := range n {
		nodes[i] = clustertest.NewHBD(b, net.Host(i+1), fmt.Sprintf("node%d", i+1), func(log string) string { return spec.HaCF(net, i+1, log) })
		nodes[i].Env = strings.Fields(os.Getenv("HBD_RIG_ENV"))
		views[i] = &rigView{active: map[string]bool{}}
	}
	observeAtRT(b)
	started := time.Now()
	for i, d := range nodes {
		if i > 0 {
			time.Sleep(time.Until(started.Add(time.Duration(i) * stagger)))
		}
		d.Start()
	}
	lastStart := time.Now()
	b.Logf("%d nodes started over %v", n, lastStart.Sub(started).Round(time.Millisecond))
	var allAt time.Time
	for deadline := lastStart.Add(envDur("HBD_RIG_JOIN", 3*time.Minute)); time.Now().Before(deadline); time.Sleep(time.Second) {
		all := true
		var latest time.Time
		for i, d := range nodes {
			views[i].update(d, started)
			all = all && views[i].allActive(n)
			if views[i].at.After(latest) {
				latest = views[i].at
			}
		}
		if all {
			allAt = latest
			break
		}
	}
	r := report.Rig{Nodes: n, Keepalive: ka, Deadtime: dead + "s", StaggerMS: ms(stagger), CurveStepS: step.Seconds()}
	for _, v := range views {
		r.StartDeaths += v.deaths
	}
	if allAt.IsZero() {
		short := 0
		for _, v := range views {
			if !v.allActive(n) {
				short++
			}
		}
		r.LoopStallMS, r.RcvbufErrors, r.Load = rigStall(nodes, started), rigRcvbuf(nodes), loadAvg()
		b.Logf("%d nodes do not see all %d active %v after the last start; %d dead verdicts on seen peers; rcvbuf drops %d; worst loop stall %.0f ms; load %s",
			short, n, time.Since(lastStart).Round(time.Second), r.StartDeaths, r.RcvbufErrors, r.LoopStallMS, r.Load)
		record(b, &report.File{Rig: []report.Rig{r}})
		b.Fatalf("%d nodes never all active", n)
	}
	r.AllActiveS = allAt.Sub(started).Seconds()
	b.Logf("all %d nodes see all active %.1f s after the first start (%.1f s after the last); %d dead verdicts meanwhile; load %s",
		n, r.AllActiveS, allAt.Sub(lastStart).Seconds(), r.StartDeaths, loadAvg())

	pids := make([][]int, n)
	for i, d := range nodes {
		pids[i] = commPIDs(d.Host, "hbd")
	}
	prev := make([]time.Duration, n)
	first := make([]time.Duration, n)
	for i := range nodes {
		prev[i], _ = pidUsage(pids[i])
		first[i] = prev[i]
	}
	t0 := time.Now()
	tPrev := t0
	for time.Since(t0) < watch {
		time.Sleep(min(step, time.Until(t0.Add(watch))))
		now := time.Now()
		var sum float64
		for i := range nodes {
			c, _ := pidUsage(pids[i])
			sum += (c - prev[i]).Seconds() / now.Sub(tPrev).Seconds() * 100
			prev[i] = c
		}
		r.CPUCurve = append(r.CPUCurve, sum/float64(n))
		tPrev = now
	}
	t1 := time.Now()
	r.Seconds = t1.Sub(t0).Seconds()
	var rss float64
	for i := range nodes {
		c, kb := pidUsage(pids[i])
		cpu := (c - first[i]).Seconds() / r.Seconds * 100
		r.CPUPercent += cpu / float64(n)
		r.CPUPercentMax = max(r.CPUPercentMax, cpu)
		rss += float64(kb) / 1024 / float64(n)
	}
	r.RSSMB = rss
	for _, d := range nodes {
		for _, l := range d.Log.Since(t0) {
			if l.At.Before(t1) && strings.Contains(l.Text, "is dead") {
				r.FalseDeaths++
				b.Logf("%s: %s", d.Name, l.Text)
			}
		}
	}
	r.LoopStallMS, r.RcvbufErrors, r.Load = rigStall(nodes, started), rigRcvbuf(nodes), loadAvg()
	record(b, &report.File{Rig: []report.Rig{r}})
	curve := make([]string, len(r.CPUCurve))
	for i, c := range r.CPUCurve {
		curve[i] = fmt.Sprintf("%.2f", c)
	}
	b.Logf("%d nodes, %v watched: %d false deaths; CPU per node %.2f %% of a core (busiest %.2f %%), RSS %.1f MB; rcvbuf drops %d; worst loop stall %.0f ms; load %s",
		n, t1.Sub(t0).Round(time.Second), r.FalseDeaths, r.CPUPercent, r.CPUPercentMax, r.RSSMB, r.RcvbufErrors, r.LoopStallMS, r.Load)
	b.Logf("CPU per node, mean over nodes, every %v: %s", step, strings.Join(curve, " "))
	b.ReportMetric(r.CPUPercent, "cpu-%")
	b.ReportMetric(r.AllActiveS, "all-active-s")
	if r.FalseDeaths > 0 {
		b.Errorf("%d nodes: %d false deaths in %v", n, r.FalseDeaths, watch)
	}
}

// commPIDs lists the processes named comm in h's namespace.
func commPIDs(h *netnstest.Host, comm string) []int {
	var out []int
	for _, pid := range h.PIDs() {
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(c)) == comm {
			out = append(out, pid)
		}
	}
	return out
}

// pidUsage sums the CPU time of every thread of pids (schedstat) and
// their resident memory.
func pidUsage(pids []int) (cpu time.Duration, rssKB int64) {
	for _, pid := range pids {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
		for _, t := range tasks {
			if b, err := os.ReadFile(t); err == nil {
				f, _, _ := strings.Cut(string(b), " ")
				ns, _ := strconv.ParseInt(f, 10, 64)
				cpu += time.Duration(ns)
			}
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if s := afterMark(string(st), "VmRSS:"); s != "" {
			f, _, _ := strings.Cut(strings.TrimSpace(s), " ")
			kb, _ := strconv.ParseInt(f, 10, 64)
			rssKB += kb
		}
	}
	return cpu, rssKB
}

// rigStall is the longest "event loop stalled for N ms" any node logged
// since since.
func rigStall(nodes []*clustertest.Daemon, since time.Time) float64 {
	worst := 0
	for _, d := range nodes {
		for _, l := range d.Log.Since(since) {
			if s := afterMark(l.Text, "event loop stalled for "); s != "" {
				f, _, _ := strings.Cut(s, " ")
				if v, err := strconv.Atoi(f); err == nil {
					worst = max(worst, v)
				}
			}
		}
	}
	return float64(worst)
}

// rigRcvbuf sums UDP RcvbufErrors (/proc/net/snmp) over the nodes'
// namespaces, read through each daemon's /proc entry.
func rigRcvbuf(nodes []*clustertest.Daemon) uint64 {
	var total uint64
	for _, d := range nodes {
		pids := commPIDs(d.Host, "hbd")
		if len(pids) == 0 {
			continue
		}
		total += udpRcvbufErrors(pids[0])
	}
	return total
}

// udpRcvbufErrors reads RcvbufErrors from the Udp: lines of a process's
// /proc/PID/net/snmp (its network namespace's counters).
func udpRcvbufErrors(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/snmp", pid))
	if err != nil {
		return 0
	}
	var head []string
	for _, l := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(l, "Udp: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if head == nil {
			head = f
			continue
		}
		for i, h := range head {
			if h == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseUint(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

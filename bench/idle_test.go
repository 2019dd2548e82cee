package bench

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// BenchmarkIdle says where an idle node's CPU and wake-ups go: an hbd
// pair and a keepalived pair (master and backup) side by side in one run,
// each thread's CPU and context switches over the watch, and the packets
// each node sent. A wake-up is a voluntary context switch: the thread
// slept (a wait, a futex, a nanosleep) and something woke it; an
// involuntary one is a preemption.
//
//	go test -run '^$' -bench Idle -benchtime 1x -v ./bench
//
// HBD_IDLE_KEEPALIVE: keepalives, comma-separated (10ms,100ms), each
// optionally with its deadtime (12ms/36ms: hbd at that deadtime, and
// keepalived at the advert whose master-down interval is closest to it,
// for a comparison at equal detection time; without one, hbd's deadtime
// is 10 keepalives, at least 100 ms, and keepalived adverts every
// keepalive);
// HBD_IDLE_WATCH: the window (20s); HBD_IDLE_MEDIA: bcast, mcast or ucast;
// HBD_IDLE_WAITS: the loop's waits to put side by side, one hbd pair
// each (HBD_LOOP_WAIT: runtime,raw; "" for the daemon's own choice), each
// optionally with its GOMAXPROCS and then more environment after colons
// (raw:1, :1, runtime::HBD_X=1+HBD_Y=2), and prefixed "rt/" for a pair
// with realtime on, as heartbeat's ha.cf has by default (rt/, rt/runtime),
// and "nobeacon/" (after any "rt/") for a pair with hbd_beacon_socket off;
// HBD_IDLE_HOLD: keep the clusters up this long after the watch, their
// pids logged, for strace or perf by hand.
func BenchmarkIdle(b *testing.B) {
	kas := strings.Split(cmp.Or(os.Getenv("HBD_IDLE_KEEPALIVE"), "10ms,100ms"), ",")
	watch := envDur("HBD_IDLE_WATCH", 20*time.Second)
	hold := envDur("HBD_IDLE_HOLD", time.Nanosecond)
	media := cmp.Or(os.Getenv("HBD_IDLE_MEDIA"), "bcast")
	for _, ka := range kas {
		b.Run(ka, func(b *testing.B) { idleRun(b, ka, media, watch, hold) })
	}
}

type idleDaemon struct {
	name, comm string
	d          *clustertest.Daemon
}

func idleRun(b *testing.B, keepalive, media string, watch, hold time.Duration) {
	clustertest.RequireKeepalived(b)
	keepalive, deadtime, equal := strings.Cut(keepalive, "/")
	ka, err := time.ParseDuration(keepalive)
	if err != nil {
		b.Fatal(err)
	}
	advert := ka
	if equal {
		dt, err := time.ParseDuration(deadtime)
		if err != nil {
			b.Fatal(err)
		}
		advert = keepalivedAdvert(dt)
	} else {
		deadtime = fmt.Sprintf("%dms", max(10*ka, 100*time.Millisecond).Milliseconds())
	}
	b.Logf("hbd keepalive %s, deadtime %s; keepalived advert %v (master-down %v)", keepalive, deadtime, advert, masterDown(advert).Round(time.Millisecond/10))
	spec := clustertest.Spec{Nodes: 2, Media: media, Keepalive: keepalive, Deadtime: deadtime, Initdead: "30"}
	var ds []idleDaemon
	for _, v := range strings.Split(cmp.Or(os.Getenv("HBD_IDLE_WAITS"), "runtime,raw"), ",") {
		spec := spec
		w, rt := strings.CutPrefix(v, "rt/")
		spec.Realtime = rt
		if w2, off := strings.CutPrefix(w, "nobeacon/"); off {
			w = w2
			spec.Extra += "hbd_beacon_socket off\n"
		}
		wait, procs, _ := strings.Cut(w, ":")
		procs, extra, _ := strings.Cut(procs, ":")
		name := "hbd-" + cmp.Or(v, "default")
		if v == "rt/" {
			name = "hbd-rt/default"
		}
		hnet := netnstest.New(b, netnstest.Config{Hosts: 2})
		for i := 1; i <= 2; i++ {
			d := clustertest.NewHBD(b, hnet.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(hnet, i, log) })
			d.Env = append(d.Env, "HBD_LOOP_WAIT="+wait)
			if extra != "" {
				d.Env = append(d.Env, strings.Split(extra, "+")...)
			}
			if procs != "" {
				d.Env = append(d.Env, "GOMAXPROCS="+procs)
			}
			ds = append(ds, idleDaemon{name + " node" + strconv.Itoa(i), "hbd", d})
		}
	}
	knet := netnstest.New(b, netnstest.Config{Hosts: 2})
	kmaster := len(ds)
	for i, prio := range []int{150, 100} {
		role := []string{"master", "backup"}[i]
		d := clustertest.NewKeepalived(b, knet.Host(i+1), role, prio, advert, clustertest.VIP())
		ds = append(ds, idleDaemon{"keepalived " + role, "keepalived", d})
	}
	started := time.Now()
	for _, d := range ds {
		d.d.Start()
	}
	ds[kmaster].d.Log.Wait(b, "Entering MASTER STATE", started, 30*time.Second)
	for i := 0; i < kmaster; i += 2 {
		ds[i].d.Log.Wait(b, "Status update for node node2: status active", started, 60*time.Second)
		ds[i+1].d.Log.Wait(b, "Status update for node node1: status active", started, 60*time.Second)
	}
	time.Sleep(8 * time.Second)

	s0 := make([]idleSample, len(ds))
	for i, d := range ds {
		s0[i] = takeIdle(b, d)
	}
	t0 := time.Now()
	time.Sleep(watch)
	secs := time.Since(t0).Seconds()
	for i, d := range ds {
		s1 := takeIdle(b, d)
		var cpu time.Duration
		var vol, invol uint64
		type row struct {
			name       string
			cpu        time.Duration
			vol, invol uint64
		}
		var rows []row
		for tid, t1 := range s1.threads {
			t0, ok := s0[i].threads[tid]
			if !ok || t0.vol > t1.vol || t0.invol > t1.invol || t0.cpu > t1.cpu {
				t0 = idleThread{name: t1.name} // a thread of the same id, new since
			}
			r := row{t1.name + "/" + strconv.Itoa(tid), t1.cpu - t0.cpu, t1.vol - t0.vol, t1.invol - t0.invol}
			cpu += r.cpu
			vol += r.vol
			invol += r.invol
			rows = append(rows, r)
		}
		sort.Slice(rows, func(a, c int) bool { return rows[a].cpu > rows[c].cpu })
		b.Logf("%-18s %s: CPU %.3f%% of a core, wake-ups %.0f/s, preemptions %.1f/s, packets sent %.1f/s, threads %d",
			d.name, keepalive, cpu.Seconds()/secs*100, float64(vol)/secs, float64(invol)/secs,
			float64(s1.packets-s0[i].packets)/secs, len(rows))
		for _, r := range rows {
			if r.cpu == 0 && r.vol == 0 && r.invol == 0 {
				continue
			}
			b.Logf("    %-22s CPU %.3f%%, wake-ups %.1f/s, preemptions %.1f/s", r.name, r.cpu.Seconds()/secs*100, float64(r.vol)/secs, float64(r.invol)/secs)
		}
		b.ReportMetric(cpu.Seconds()/secs*100, strings.ReplaceAll(d.name, " ", "-")+"-cpu-%")
	}
	for _, d := range ds[:kmaster] {
		for _, l := range d.d.Log.Since(t0) {
			if strings.Contains(l.Text, "is dead") {
				b.Errorf("%s: false death: %s", d.name, l.Text)
			}
			// The loop's lateness, coarsely: a stall past
			// StallThreshold, a gap past warntime.
			if strings.Contains(l.Text, "stalled") || strings.Contains(l.Text, "Late heartbeat") {
				b.Logf("%s: %s", d.name, l.Text)
			}
		}
	}
	if hold > time.Second {
		for _, d := range ds {
			b.Logf("%s: pid %d", d.name, d.d.Pid())
		}
		time.Sleep(hold)
	}
}

type idleThread struct {
	name       string
	cpu        time.Duration // schedstat's run time
	vol, invol uint64        // voluntary and involuntary context switches
}

type idleSample struct {
	threads map[int]idleThread
	packets uint64
}

// takeIdle reads every thread of every process of d's command in its
// namespace.
func takeIdle(b *testing.B, d idleDaemon) idleSample {
	s := idleSample{threads: map[int]idleThread{}}
	s.packets, _ = txCounters(b, d.d.Host)
	for _, pid := range d.d.Host.PIDs() {
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(c)) != d.comm {
			continue
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
		for _, t := range tasks {
			tid, _ := strconv.Atoi(filepath.Base(t))
			var th idleThread
			if c, err := os.ReadFile(t + "/comm"); err == nil {
				th.name = strings.TrimSpace(string(c))
			}
			if st, err := os.ReadFile(t + "/schedstat"); err == nil {
				if f := strings.Fields(string(st)); len(f) > 0 {
					ns, _ := strconv.ParseInt(f[0], 10, 64)
					th.cpu = time.Duration(ns)
				}
			}
			if f, err := os.Open(t + "/status"); err == nil {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					if v, ok := strings.CutPrefix(sc.Text(), "voluntary_ctxt_switches:"); ok {
						th.vol, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
					} else if v, ok := strings.CutPrefix(sc.Text(), "nonvoluntary_ctxt_switches:"); ok {
						th.invol, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
					}
				}
				f.Close()
			}
			s.threads[tid] = th
		}
	}
	return s
}

// masterDown is VRRP's master-down interval for the backup's priority of
// 100: 3 × advert + skew, (256 − 100)/256 × advert.
func masterDown(advert time.Duration) time.Duration { return 3*advert + advert*156/256 }

// keepalivedAdvert is the advert, in keepalived's steps of 10 ms and at
// least 10 ms, whose master-down interval is closest to deadtime.
func keepalivedAdvert(deadtime time.Duration) time.Duration {
	const step = 10 * time.Millisecond
	best := step
	for a := step; a <= deadtime; a += step {
		if (masterDown(a) - deadtime).Abs() < (masterDown(best) - deadtime).Abs() {
			best = a
		}
	}
	return best
}

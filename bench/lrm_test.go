package bench

import (
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/rsc/lrm"
)

// BenchmarkLRMRestore measures a monitor-detected failure and its repair
// on one node, as the Measure section sets them against Pacemaker
// 2.1.5 + Corosync 3.1.7 (VIP removed by hand, 1 s monitor: detected
// after 461–475 ms, answering again after 608–632 ms): the VIP
// 198.18.0.100 is removed by hand at a random point of the monitor's
// interval; the LRM's recurring monitor reports it (rc 7), and on that
// verdict the caller stops and starts the resource in place (what the
// haresources monitor and a CRM's recovery do). A client on the link
// connects to the VIP once a millisecond. Figures: removal → verdict,
// verdict → stop and start done (the LRM's part), verdict → the VIP
// answering again, and removal → answering; for the
// built-in IP agent and for the real IPaddr2 (OCF, forked). HBD_BENCH_RUNS
// removals each (default 10); run with -benchtime 1x.
func BenchmarkLRMRestore(b *testing.B) {
	for _, c := range []struct {
		name     string
		builtin  bool
		interval time.Duration
	}{
		{"builtin/1s", true, time.Second},
		{"IPaddr2/1s", false, time.Second},
		{"builtin/10s", true, 10 * time.Second},
	} {
		b.Run(c.name, func(b *testing.B) { benchLRMRestore(b, c.builtin, c.interval) })
	}
}

func lrmRuns() int {
	if n, err := strconv.Atoi(os.Getenv("HBD_BENCH_RUNS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// lrmEvent is a result as the loop saw it, stamped on arrival.
type lrmEvent struct {
	at  time.Time
	res lrm.Result
}

func benchLRMRestore(b *testing.B, builtin bool, interval time.Duration) {
	if !builtin {
		if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"); err != nil {
			b.Skip("resource-agents' IPaddr2 is not installed")
		}
	}
	nw := netnstest.New(b, netnstest.Config{Hosts: 2})
	holder, client := nw.Host(1), nw.Host(2)
	vip := clustertest.VIP()
	clustertest.Serve(b, holder, "node1")
	p := clustertest.Probe(b, client, vip)
	defer p.Stop()

	events := make(chan lrmEvent, 64)
	var lr *lrm.LRM
	var mu sync.Mutex
	var fns []func()
	l, err := loop.New(loop.Options{WakeHandler: func() {
		lr.Poll()
		mu.Lock()
		run := fns
		fns = nil
		mu.Unlock()
		for _, f := range run {
			f()
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	opt := lrm.Options{Loop: l, Wake: l.Wake, KillGrace: time.Second,
		IP: &lrm.IPAgent{In: holder.Run}, Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HA_LOGD=no", "HA_RSCTMP=" + b.TempDir()}}
	rsc := lrm.Resource{ID: "vip", Class: lrm.ClassHeartbeat, Type: "IPaddr2", Params: []lrm.Param{{Name: "1", Value: vip.String() + "/24/eth0"}}}
	if !builtin {
		// The real agent, forked inside the holder's namespace.
		root := b.TempDir()
		os.MkdirAll(filepath.Join(root, "resource.d", "netns"), 0o755)
		os.MkdirAll(filepath.Join(root, "lib"), 0o755)
		os.Symlink("/usr/lib/ocf/lib/heartbeat", filepath.Join(root, "lib", "heartbeat"))
		sh := "#!/bin/sh\nexec ip netns exec " + holder.Name() + " /usr/lib/ocf/resource.d/heartbeat/IPaddr2 \"$@\"\n"
		os.WriteFile(filepath.Join(root, "resource.d", "netns", "IPaddr2"), []byte(sh), 0o755)
		opt.OCFRoot = root
		rsc = lrm.Resource{ID: "vip", Class: lrm.ClassOCF, Provider: "netns", Type: "IPaddr2",
			Params: []lrm.Param{{Name: "ip", Value: vip.String()}, {Name: "cidr_netmask", Value: "24"}, {Name: "nic", Value: "eth0"}}}
	}
	// On a failed monitor: stop, then start, queued at once on the loop.
	opt.Done = func(r *lrm.Result) {
		now := time.Now()
		if r.Op == "monitor" && r.Interval > 0 && r.RC == lrm.RCNotRunning {
			lr.Perform(lrm.Op{Rsc: "vip", Name: "stop", Timeout: 20 * time.Second})
			lr.Perform(lrm.Op{Rsc: "vip", Name: "start", Timeout: 20 * time.Second})
		}
		select {
		case events <- lrmEvent{now, *r}:
		default:
		}
	}
	lr = lrm.New(opt)
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	// do runs f on the loop and waits for it.
	do := func(f func()) {
		ch := make(chan struct{})
		mu.Lock()
		fns = append(fns, func() { f(); close(ch) })
		mu.Unlock()
		l.Wake()
		<-ch
	}
	defer func() {
		do(func() { lr.Close() })
		l.Stop()
		<-done
		l.Close()
		waitQuiet(b, holder)
	}()
	do(func() {
		lr.Add(rsc)
		lr.Perform(lrm.Op{Rsc: "vip", Name: "start", Timeout: 20 * time.Second})
		lr.Perform(lrm.Op{Rsc: "vip", Name: "monitor", Interval: interval, Timeout: 20 * time.Second})
	})
	p.WaitFrom(b, "node1", time.Now().Add(-time.Minute), 30*time.Second)

	var detect, inPlace, restore, total []time.Duration
	for i := 0; i < lrmRuns(); i++ {
		// A random point of the monitor's interval.
		time.Sleep(interval/2 + time.Duration(rand.Int64N(int64(interval))))
		for len(events) > 0 {
			<-events
		}
		var removed time.Time
		holder.Run(func() {
			link, err := netlink.LinkByName("eth0")
			if err == nil {
				err = netlink.AddrDel(link, &netlink.Addr{IPNet: &net.IPNet{IP: vip.AsSlice(), Mask: net.CIDRMask(24, 32)}})
			}
			removed = time.Now()
			if err != nil {
				b.Error(err)
			}
		})
		var verdict time.Time
		for verdict.IsZero() {
			select {
			case e := <-events:
				if e.res.Op == "monitor" && e.res.RC == lrm.RCNotRunning {
					verdict = e.at
				}
			case <-time.After(3 * interval):
				b.Fatalf("no failed monitor within %v of the removal", 3*interval)
			}
		}
		var started time.Time
		for started.IsZero() {
			select {
			case e := <-events:
				if e.res.Op == "start" {
					if e.res.RC != lrm.RCOK {
						b.Fatalf("restart: rc %d: %s", e.res.RC, e.res.Output)
					}
					started = e.at
				}
			case <-time.After(30 * time.Second):
				b.Fatal("no start within 30 s of the verdict")
			}
		}
		a := p.WaitFrom(b, "node1", verdict, 30*time.Second)
		inPlace = append(inPlace, started.Sub(verdict))
		detect = append(detect, verdict.Sub(removed))
		restore = append(restore, a.At.Sub(verdict))
		total = append(total, a.At.Sub(removed))
	}
	q := func(d []time.Duration, f float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(f*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(detect, 0.5), "detect-p50-ms")
	b.ReportMetric(q(inPlace, 0.5), "restart-p50-ms")
	b.ReportMetric(q(restore, 0.5), "restore-p50-ms")
	b.ReportMetric(q(total, 0.5), "total-p50-ms")
	b.Logf("%d removals: removal → failed monitor p50 %.1f max %.1f ms; verdict → stop and start done p50 %.2f max %.2f ms; verdict → VIP answering p50 %.2f max %.2f ms; removal → answering p50 %.1f max %.1f ms",
		len(detect), q(detect, 0.5), q(detect, 1), q(inPlace, 0.5), q(inPlace, 1), q(restore, 0.5), q(restore, 1), q(total, 0.5), q(total, 1))
}

// waitQuiet waits for the agent's background send_arp to end, so that
// the namespace can go.
func waitQuiet(b testing.TB, h *netnstest.Host) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(h.PIDs()) > 0; time.Sleep(20 * time.Millisecond) {
	}
}

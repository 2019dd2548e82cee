package lrm

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/loop"
)

var soak = flag.Duration("lrm.soak", 0, "run the 1000-resource tests this long with 10 s monitors (e.g. -args -lrm.soak=10m)")

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// noop is an in-process agent that costs nothing: the LRM's own work
// is all there is to measure.
type noop struct{}

func (noop) Run(ctx context.Context, r *Resource, op string, params []Param) (int, string) {
	return RCOK, ""
}

// 1000 resources with recurring monitors on one LRM, for 10 s with 1 s
// monitors (CI; in-process agents that cost nothing, so that the LRM's
// own work is measured): no file descriptor or goroutine is left behind
// by the runs, and the loop's work is reported (what Poll takes to
// finish runs, the loop's lateness). -lrm.soak=10m runs it that long
// with 10 s monitors, and TestThousandIPMonitorsSoak: 1000 VIPs of the
// built-in IP agent (in a network namespace, root), as the issue asks.
func TestThousandMonitorsNoop(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	interval, dur := time.Second, 10*time.Second
	if *soak > 0 {
		interval, dur = 10*time.Second, *soak
	}
	g := newRig(t, func(o *Options) { o.Builtins = map[string]Builtin{"ocf:test:noop": noop{}} })
	thousand(t, g, func(i int) Resource {
		return Resource{ID: "r" + strconv.Itoa(i), Class: ClassOCF, Provider: "test", Type: "noop"}
	}, interval, dur)
}

func TestThousandIPMonitorsSoak(t *testing.T) {
	if *soak <= 0 {
		t.Skip("-args -lrm.soak=DURATION runs it")
	}
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	ip := &IPAgent{ARPCount: 1, ARPInterval: time.Millisecond, In: h.Run}
	g := newRig(t, func(o *Options) { o.IP = ip })
	thousand(t, g, func(i int) Resource {
		return Resource{ID: "vip" + strconv.Itoa(i), Class: ClassHeartbeat, Type: "IPaddr2",
			Params: []Param{{"1", fmt.Sprintf("198.19.%d.%d/24/eth0", i/250, i%250+1)}}}
	}, 10*time.Second, *soak)
}

// The built-in IP agent's runs leave no descriptor (netlink, packet
// sockets) or goroutine (ARP bursts) behind: 5 VIPs monitored every
// 10 ms, restarted now and then.
func TestIPAgentNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	ip := &IPAgent{ARPCount: 2, ARPInterval: time.Millisecond, In: h.Run}
	g := newRig(t, func(o *Options) { o.IP = ip })
	const n = 5
	for i := 0; i < n; i++ {
		g.add(Resource{ID: "vip" + strconv.Itoa(i), Class: ClassHeartbeat, Type: "IPaddr2",
			Params: []Param{{"1", fmt.Sprintf("198.18.0.%d/24/eth0", 100+i)}}})
	}
	cycle := func() {
		for i := 0; i < n; i++ {
			check(t, g.run(Op{Rsc: "vip" + strconv.Itoa(i), Name: "start"}), RCOK, StatusDone)
		}
		var ids []int
		for i := 0; i < n; i++ {
			ids = append(ids, g.perform(Op{Rsc: "vip" + strconv.Itoa(i), Name: "monitor", Interval: 10 * time.Millisecond, Timeout: 5 * time.Second}))
		}
		for k := 0; k < 10; k++ {
			for _, id := range ids {
				check(t, g.wait(id, 10*time.Second), RCOK, StatusDone)
			}
		}
		for i, id := range ids {
			g.do(func() { g.lrm.Cancel("vip"+strconv.Itoa(i), id) })
			check(t, g.run(Op{Rsc: "vip" + strconv.Itoa(i), Name: "stop"}), RCOK, StatusDone)
		}
	}
	cycle()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	fds0, gr0 := openFDs(t), runtime.NumGoroutine()
	for k := 0; k < 3; k++ {
		cycle()
	}
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	fds1, gr1 := openFDs(t), runtime.NumGoroutine()
	t.Logf("fds %d → %d, goroutines %d → %d over %d runs", fds0, fds1, gr0, gr1, 3*n*12)
	if fds1 > fds0+2 || gr1 > gr0+2 {
		t.Errorf("fds %d → %d, goroutines %d → %d", fds0, fds1, gr0, gr1)
	}
}

// quantile says "over 20ms" past the histogram's last edge.
func quantile(h *loop.Hist, q float64) string {
	if d := h.Quantile(q); d >= 0 {
		return "≤" + d.String()
	}
	return "over " + loop.HistEdges[len(loop.HistEdges)-1].String()
}

func thousand(t *testing.T, g *rig, mk func(int) Resource, interval, dur time.Duration) {
	const n = 1000
	ids := make([]string, n)
	for i := range ids {
		r := mk(i)
		ids[i] = r.ID
		g.add(r)
	}
	starts := map[int]bool{}
	g.do(func() {
		for _, id := range ids {
			c, err := g.lrm.Perform(Op{Rsc: id, Name: "start", Timeout: 20 * time.Second})
			if err != nil {
				t.Error(err)
			}
			starts[c] = true
		}
	})
	for len(starts) > 0 {
		select {
		case r := <-g.res:
			if starts[r.CallID] {
				check(t, r, RCOK, StatusDone)
				delete(starts, r.CallID)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%d starts not done in 60 s", len(starts))
		}
	}
	g.do(func() {
		for i, id := range ids {
			// Spread over the interval, as a CRM's staggered starts are.
			g.lrm.Perform(Op{Rsc: id, Name: "monitor", Interval: interval, Timeout: 20 * time.Second,
				StartDelay: time.Duration(i) * interval / n})
		}
	})
	var ru0 syscall.Rusage
	var st0 loop.Stats
	fds0, gr0 := 0, 0
	var start time.Time
	warm := time.After(interval + interval/2) // every monitor has run once
	end := time.After(interval + interval/2 + dur)
	runs, failed := 0, 0
	var worst time.Duration
loop:
	for {
		select {
		case r := <-g.res:
			runs++
			if r.RC != RCOK || r.Status != StatusDone {
				if failed++; failed <= 5 {
					t.Errorf("%s: rc %d status %v: %s", r.Rsc, r.RC, r.Status, r.Output)
				}
			}
			if r.ExecTime > worst {
				worst = r.ExecTime
			}
		case <-warm:
			runtime.GC()
			fds0, gr0 = openFDs(t), runtime.NumGoroutine()
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			st0 = g.l.Stats()
			g.wakeMax.Store(0)
			g.wakeCPUMax.Store(0)
			for i := range g.wakeHist {
				g.wakeHist[i].Store(0)
			}
			start, runs = time.Now(), 0
		case <-end:
			break loop
		}
	}
	el := time.Since(start)
	runtime.GC()
	fds1, gr1 := openFDs(t), runtime.NumGoroutine()
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	st1 := g.l.Stats()
	var s Stats
	g.do(func() { g.lrm.Stats(&s) })
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	var wake loop.Hist
	for i := range g.wakeHist {
		wake[i] = g.wakeHist[i].Load()
	}
	late := st1.Late
	for i := range late {
		late[i] -= st0.Late[i]
	}
	t.Logf("%d resources, %v monitors, %v measured: %d monitor runs (%.0f/s), slowest %v; CPU %v (%.1f%% of a core, agents in-process)",
		n, interval, el.Round(time.Millisecond), runs, float64(runs)/el.Seconds(), worst.Round(time.Microsecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/el.Seconds())
	t.Logf("Poll (finishing runs on the loop): %d calls, p99 %v, max %v (max %v of the loop thread's CPU); loop lateness p50 %v p99 %v p99.9 %v max %v, stalls over 10 ms %d",
		wake.Total(), quantile(&wake, 0.99), time.Duration(g.wakeMax.Load()), time.Duration(g.wakeCPUMax.Load()).Round(time.Microsecond), quantile(&late, 0.5), quantile(&late, 0.99), quantile(&late, 0.999), st1.MaxStall, st1.Stalls-st0.Stalls)
	t.Logf("fds %d → %d, goroutines %d → %d; LRM: %d monitor failures, %d resources, %d recurring", fds0, fds1, gr0, gr1, s.MonitorFailures, s.Resources, s.Recurring)
	if runs < int(dur/interval)*n/4 {
		t.Errorf("%d monitor runs in %v of %v monitors on %d resources", runs, el, interval, n)
	}
	// Runs in flight (MaxChildren agents, an ARP burst) come and go; a
	// leak per run would be thousands.
	if fds1 > fds0+10 {
		t.Errorf("file descriptors grew from %d to %d", fds0, fds1)
	}
	if gr1 > gr0+10 {
		t.Errorf("goroutines grew from %d to %d", gr0, gr1)
	}
	if s.MonitorFailures != 0 {
		t.Errorf("%d monitor failures", s.MonitorFailures)
	}
}

package bench

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// BenchmarkIdleBeacon puts two idle hbd pairs side by side in one run:
// one with beacon sockets (hbd_beacon_socket on, the default), one
// without, and reports each node's wake-ups (voluntary context switches,
// all threads) and CPU over the watch, as BenchmarkIdle does.
//
//	go test -run '^$' -bench IdleBeacon -benchtime 1x -v ./bench
//
// HBD_IDLE_KEEPALIVE, HBD_IDLE_WATCH and HBD_IDLE_MEDIA as for
// BenchmarkIdle; HBD_IDLE_BEACON_RT=1 runs the pairs with realtime on.
func BenchmarkIdleBeacon(b *testing.B) {
	kas := strings.Split(cmp.Or(os.Getenv("HBD_IDLE_KEEPALIVE"), "10ms,100ms"), ",")
	watch := envDur("HBD_IDLE_WATCH", 20*time.Second)
	media := cmp.Or(os.Getenv("HBD_IDLE_MEDIA"), "bcast")
	for _, ka := range kas {
		b.Run(ka, func(b *testing.B) { beaconIdleRun(b, ka, media, watch) })
	}
}

func beaconIdleRun(b *testing.B, keepalive, media string, watch time.Duration) {
	ka, err := time.ParseDuration(keepalive)
	if err != nil {
		b.Fatal(err)
	}
	deadtime := fmt.Sprintf("%dms", max(10*ka, 100*time.Millisecond).Milliseconds())
	var ds []idleDaemon
	for _, v := range []struct{ name, extra string }{{"beacon-socket", ""}, {"no-beacon-socket", "hbd_beacon_socket off\n"}} {
		spec := clustertest.Spec{Nodes: 2, Media: media, Keepalive: keepalive, Deadtime: deadtime, Initdead: "30",
			Realtime: os.Getenv("HBD_IDLE_BEACON_RT") != "", Extra: v.extra}
		hnet := netnstest.New(b, netnstest.Config{Hosts: 2})
		for i := 1; i <= 2; i++ {
			d := clustertest.NewHBD(b, hnet.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(hnet, i, log) })
			ds = append(ds, idleDaemon{fmt.Sprintf("%s node%d", v.name, i), "hbd", d})
		}
	}
	started := time.Now()
	for _, d := range ds {
		d.d.Start()
	}
	for i := 0; i < len(ds); i += 2 {
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
		for tid, t1 := range s1.threads {
			t0, ok := s0[i].threads[tid]
			if !ok || t0.vol > t1.vol || t0.invol > t1.invol || t0.cpu > t1.cpu {
				t0 = idleThread{}
			}
			cpu += t1.cpu - t0.cpu
			vol += t1.vol - t0.vol
			invol += t1.invol - t0.invol
		}
		b.Logf("%-26s %s: CPU %.3f%% of a core, wake-ups %.0f/s, preemptions %.1f/s, packets sent %.1f/s",
			d.name, keepalive, cpu.Seconds()/secs*100, float64(vol)/secs, float64(invol)/secs,
			float64(s1.packets-s0[i].packets)/secs)
		b.ReportMetric(float64(vol)/secs, strings.ReplaceAll(d.name, " ", "-")+"-wakeups/s")
		b.ReportMetric(cpu.Seconds()/secs*100, strings.ReplaceAll(d.name, " ", "-")+"-cpu-%")
		for _, l := range d.d.Log.Since(t0) {
			if strings.Contains(l.Text, "is dead") {
				b.Errorf("%s: false death: %s", d.name, l.Text)
			}
		}
	}
}

package bench

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func TestMain(m *testing.M) {
	code := clustertest.Main(m)
	if hbctlPath != "" {
		os.Remove(hbctlPath) // built once by BenchmarkPacemaker
	}
	os.Exit(code)
}

// runs is how many kills each configuration is measured over
// (HBD_BENCH_RUNS, default 20).
func runs() int {
	if n, err := strconv.Atoi(os.Getenv("HBD_BENCH_RUNS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// BenchmarkDetection measures detection latency: from kill -9 of one node
// of two to the survivor's "node …: is dead" line, p50/p99/max over runs()
// kills. The victim's last heartbeat left up to one keepalive before the
// kill, so the floor is deadtime − keepalive. Run with -benchtime 1x.
func BenchmarkDetection(b *testing.B) {
	for _, c := range []struct {
		name                string
		heartbeat           bool
		keepalive, deadtime string
		realtime            bool
	}{
		{"hbd/5ms-15ms", false, "5ms", "15ms", true},
		{"hbd/10ms-30ms", false, "10ms", "30ms", true},
		{"hbd/100ms-500ms", false, "100ms", "500ms", false},
		{"heartbeat/100ms-500ms", true, "100ms", "500ms", false},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.heartbeat {
				clustertest.RequireHeartbeat(b)
			}
			spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime,
				Initdead: "10", Realtime: c.realtime}
			net := netnstest.New(b, netnstest.Config{Hosts: 2})
			mk := clustertest.NewHBD
			if c.heartbeat {
				mk = clustertest.NewHeartbeat
			}
			observer := mk(b, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
			victim := mk(b, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) })
			observer.Start()
			var lat []time.Duration
			for range runs() {
				since := time.Now()
				victim.Start()
				observer.Log.Wait(b, "Status update for node node2: status active", since, 30*time.Second)
				// A starting node asks for deadtime + 2 s for 5 s.
				time.Sleep(6 * time.Second)
				killed := victim.Kill9()
				l := observer.Log.Wait(b, "node node2: is dead", killed, 30*time.Second)
				lat = append(lat, l.At.Sub(killed))
			}
			slices.Sort(lat)
			p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(p(0.5)), "p50-ms")
			b.ReportMetric(ms(p(0.99)), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
			b.ReportMetric(ms(lat[0]), "min-ms")
			b.Logf("%s: detection over %d kills: min %.1f p50 %.1f p99 %.1f max %.1f ms (deadtime %s)",
				c.name, len(lat), ms(lat[0]), ms(p(0.5)), ms(p(0.99)), ms(lat[len(lat)-1]), c.deadtime)
		})
	}
}

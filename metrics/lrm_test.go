package metrics

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// TestLRMSeries: the LRM's counts and run times as Prometheus reads them;
// the histogram grows by the difference between snapshots, so a scrape
// after two refreshes counts every run once.
func TestLRMSeries(t *testing.T) {
	var none Metrics
	none.LRM(func(*lrm.Stats) { t.Fatal("LRM refreshed without LRMEnable") })
	m := New("node1", testNodes, testLinks)
	m.LRMEnable([]string{"heartbeat", "lsb", "ocf", "stonith"})
	serve(t, m)
	var lat lrm.Latency
	lat.Class = "ocf"
	observe := func(d time.Duration) {
		i := 0
		for i < len(lrm.LatencyBounds) && d > lrm.LatencyBounds[i] {
			i++
		}
		lat.Counts[i]++
		lat.N++
		lat.Sum += d
	}
	observe(3 * time.Millisecond)
	stats := lrm.Stats{
		Ops:             []lrm.OpCount{{Class: "ocf", Op: "monitor", RC: 7, Status: lrm.StatusDone, N: 2}},
		MonitorFailures: 2, Resources: 3, Running: 1, Recurring: 2,
	}
	fill := func(s *lrm.Stats) {
		ops := append(s.Ops[:0], stats.Ops...)
		*s = stats
		s.Ops = ops
		s.Latency = append(s.Latency[:0], lat)
	}
	m.LRM(fill)
	observe(300 * time.Millisecond)
	observe(30 * time.Second)
	stats.Ops[0].N = 3
	m.LRM(fill)

	sc := scrape(t, m)
	if v := sc.value(t, "hbd_lrm_operations_total", "class=ocf", "op=monitor", "rc=7", "status="+lrm.StatusDone.String()); v != 3 {
		t.Errorf("operations_total = %v, want 3", v)
	}
	for name, want := range map[string]float64{"hbd_lrm_monitor_failures_total": 2, "hbd_lrm_resources": 3, "hbd_lrm_running": 1, "hbd_lrm_recurring": 2} {
		if v := sc.value(t, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	h := sc.histogram(t, "hbd_lrm_operation_seconds", "class=ocf")
	if h.GetSampleCount() != 3 {
		t.Errorf("operation_seconds count = %d, want 3 (each run once)", h.GetSampleCount())
	}
	if got := bucketCount(t, h, 0.005); got != 1 {
		t.Errorf("bucket le=0.005 = %d, want 1", got)
	}
	if got := bucketCount(t, h, 0.5); got != 2 {
		t.Errorf("bucket le=0.5 = %d, want 2", got)
	}
	if s := h.GetSampleSum(); s < 30.3 || s > 30.31 {
		t.Errorf("operation_seconds sum = %v, want 30.303", s)
	}
	if h := sc.histogram(t, "hbd_lrm_operation_seconds", "class=lsb"); h.GetSampleCount() != 0 {
		t.Errorf("lsb count = %d, want 0", h.GetSampleCount())
	}
}

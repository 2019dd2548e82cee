package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// lrmSeries serves the LRM's counters (hbd_lrm_*): the loop refreshes a
// snapshot after the LRM finished operations, a scrape reads it. The run
// time histograms are series of their own, one per agent class, grown by
// the difference between two snapshots.
type lrmSeries struct {
	mu   sync.Mutex
	snap lrm.Stats
	// last holds the latency buckets already added, by class.
	last    map[string]lrm.Latency
	latency map[string]*histogram
}

// lrmBounds are lrm.LatencyBounds in seconds, the histogram's buckets.
var lrmBounds = func() []float64 {
	b := make([]float64, len(lrm.LatencyBounds))
	for i, d := range lrm.LatencyBounds {
		b[i] = d.Seconds()
	}
	return b
}()

// LRMEnable registers the LRM's series for its agent classes (the LRM
// runs in the daemon). Call it before Serve.
func (m *Metrics) LRMEnable(classes []string) {
	s := &lrmSeries{last: map[string]lrm.Latency{}, latency: map[string]*histogram{}}
	f := m.reg.family("hbd_lrm_operation_seconds", "Run time of the LRM's finished operations, by agent class.", typeHistogram, "class")
	for _, c := range classes {
		s.latency[c] = f.histogram(lrmBounds, c)
	}
	m.lrm = s
	m.reg.collect = append(m.reg.collect, s.collect)
}

// LRM takes a snapshot of the LRM's counters through fill (the LRM's
// Stats method); from the loop. Once the set of counted operations stops
// growing it allocates nothing.
func (m *Metrics) LRM(fill func(*lrm.Stats)) {
	s := m.lrm
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fill(&s.snap)
	for i := range s.snap.Latency {
		cur := &s.snap.Latency[i]
		h := s.latency[cur.Class]
		if h == nil {
			continue
		}
		prev := s.last[cur.Class]
		if cur.N < prev.N { // a new LRM: count from zero
			prev = lrm.Latency{}
		}
		for b := range cur.Counts {
			if d := cur.Counts[b] - prev.Counts[b]; d > 0 && b < len(h.buckets) {
				h.buckets[b].Add(d)
			}
		}
		h.sum.Add(time.Duration(cur.Sum - prev.Sum).Seconds())
		s.last[cur.Class] = *cur
	}
}

func (s *lrmSeries) collect(add addFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	opLabels := []string{"class", "op", "rc", "status"}
	for _, o := range s.snap.Ops {
		add("hbd_lrm_operations_total", "The LRM's finished operations by agent class, operation, rc and status.", typeCounter,
			opLabels, []string{o.Class, o.Op, strconv.Itoa(o.RC), o.Status.String()}, float64(o.N))
	}
	add("hbd_lrm_monitor_failures_total", "Recurring monitors that did not find their resource running.", typeCounter, nil, nil, float64(s.snap.MonitorFailures))
	add("hbd_lrm_timeouts_total", "LRM operations ended by their timeout.", typeCounter, nil, nil, float64(s.snap.Timeouts))
	add("hbd_lrm_cancelled_total", "LRM operations cancelled before or while running.", typeCounter, nil, nil, float64(s.snap.Cancelled))
	add("hbd_lrm_resources", "Resources the LRM knows.", typeGauge, nil, nil, float64(s.snap.Resources))
	add("hbd_lrm_running", "LRM operations running now.", typeGauge, nil, nil, float64(s.snap.Running))
	add("hbd_lrm_queued", "LRM operations waiting for their resource or a child slot.", typeGauge, nil, nil, float64(s.snap.Queued))
	add("hbd_lrm_recurring", "Recurring operations between runs.", typeGauge, nil, nil, float64(s.snap.Recurring))
}

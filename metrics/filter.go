package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// FilterSource is what the packet filter reports (hbd_bpf_filter): the
// kernel filter's counters by verdict, read at scrape time from its map
// (safe from any goroutine), or nil without a kernel filter.
type FilterSource func() (counts []uint64, ok bool)

// filterCollector serves hbd_filter_packets_total{verdict} and
// hbd_filter_kernel: the user-space counts come from the loop through
// atomics, the kernel's straight from its map.
type filterCollector struct {
	verdicts []string
	user     []atomic.Uint64
	kernel   FilterSource
	packets  *prometheus.Desc
	active   *prometheus.Desc
}

// Filter registers the filter's series. verdicts names the counters'
// indexes (bpf.Reason order); kernel may be nil.
func (m *Metrics) Filter(verdicts []string, kernel FilterSource) {
	c := &filterCollector{
		verdicts: verdicts,
		user:     make([]atomic.Uint64, len(verdicts)),
		kernel:   kernel,
		packets:  prometheus.NewDesc("hbd_filter_packets_total", "Datagrams the packet filter judged, by verdict (pass, or why it dropped them), in the kernel and in user space.", []string{"verdict"}, nil),
		active:   prometheus.NewDesc("hbd_filter_kernel", "1 while the eBPF socket filter is attached, 0 when filtering in user space.", nil, nil),
	}
	m.filter = c
	m.reg.MustRegister(c)
}

// FilterUser records the user-space counts (cumulative), from the loop.
func (m *Metrics) FilterUser(counts []uint64) {
	if m.filter == nil {
		return
	}
	for i := range min(len(counts), len(m.filter.user)) {
		m.filter.user[i].Store(counts[i])
	}
}

func (c *filterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.packets
	ch <- c.active
}

func (c *filterCollector) Collect(ch chan<- prometheus.Metric) {
	var kc []uint64
	ok := false
	if c.kernel != nil {
		kc, ok = c.kernel()
	}
	for i, v := range c.verdicts {
		n := c.user[i].Load()
		if ok && i < len(kc) {
			n += kc[i]
		}
		ch <- prometheus.MustNewConstMetric(c.packets, prometheus.CounterValue, float64(n), v)
	}
	on := 0.0
	if ok {
		on = 1
	}
	ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, on)
}

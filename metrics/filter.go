package metrics

import (
	"sync/atomic"
)

// FilterSource is what the packet filter reports (hbd_bpf_filter): the
// kernel filter's counters by verdict, read at scrape time from its map
// (safe from any goroutine), or nil without a kernel filter.
type FilterSource func() (counts []uint64, ok bool)

// filterSeries serves hbd_filter_packets_total{verdict} and
// hbd_filter_kernel: the user-space counts come from the loop through
// atomics, the kernel's straight from its map.
type filterSeries struct {
	verdicts []string
	user     []atomic.Uint64
	kernel   FilterSource
}

// Filter registers the filter's series. verdicts names the counters'
// indexes (bpf.Reason order); kernel may be nil. Call it before Serve.
func (m *Metrics) Filter(verdicts []string, kernel FilterSource) {
	c := &filterSeries{
		verdicts: verdicts,
		user:     make([]atomic.Uint64, len(verdicts)),
		kernel:   kernel,
	}
	m.filter = c
	m.reg.collect = append(m.reg.collect, c.collect)
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

var verdictLabel = []string{"verdict"}

func (c *filterSeries) collect(add addFunc) {
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
		add("hbd_filter_packets_total", "Datagrams the packet filter judged, by verdict (pass, or why it dropped them), in the kernel and in user space.",
			typeCounter, verdictLabel, []string{v}, float64(n))
	}
	on := 0.0
	if ok {
		on = 1
	}
	add("hbd_filter_kernel", "1 while the eBPF socket filter is attached, 0 when filtering in user space.", typeGauge, nil, nil, on)
}

package metrics

import "sync/atomic"

// ccmSeries serves the built-in CCM's membership (hbd_ccm_*): the loop
// stores, scrapes load.
type ccmSeries struct {
	instance, members, quorum atomic.Int64
}

// CCMEnable registers the membership series (the built-in CCM runs).
// Call it before Serve.
func (m *Metrics) CCMEnable() {
	c := &ccmSeries{}
	m.ccm = c
	m.reg.collect = append(m.reg.collect, c.collect)
}

// CCM records a membership: its instance (0: none), member count and
// quorum; from the loop.
func (m *Metrics) CCM(instance, members int, quorum bool) {
	if m.ccm == nil {
		return
	}
	q := int64(0)
	if quorum {
		q = 1
	}
	m.ccm.instance.Store(int64(instance))
	m.ccm.members.Store(int64(members))
	m.ccm.quorum.Store(q)
}

func (c *ccmSeries) collect(add addFunc) {
	add("hbd_ccm_instance", "The CCM membership's instance number (0 before the first membership).", typeGauge, nil, nil, float64(c.instance.Load()))
	add("hbd_ccm_members", "Members of the CCM membership.", typeGauge, nil, nil, float64(c.members.Load()))
	add("hbd_ccm_quorum", "1 while the CCM membership has quorum.", typeGauge, nil, nil, float64(c.quorum.Load()))
}

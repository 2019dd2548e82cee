package metrics

// MonitorSeries are the haresources monitoring's counters per group
// (hbd_monitor): failed monitors, restarts in place and give-ups. The
// loop increments them; scrapes read them.
type MonitorSeries struct {
	failures, restarts, giveUps []*counter
}

// MonitorEnable registers the monitoring series of groups (their keys,
// the label "group"). Call it before Serve.
func (m *Metrics) MonitorEnable(groups []string) *MonitorSeries {
	s := &MonitorSeries{}
	f := m.reg.family("hbd_monitor_failures_total", "Failed monitors of a haresources group's resources.", typeCounter, "group")
	r := m.reg.family("hbd_monitor_restarts_total", "Restarts in place of a haresources group's resources after a failed monitor.", typeCounter, "group")
	g := m.reg.family("hbd_monitor_giveups_total", "Times a haresources group was given up after failed monitors.", typeCounter, "group")
	for _, k := range groups {
		s.failures = append(s.failures, f.counter(k))
		s.restarts = append(s.restarts, r.counter(k))
		s.giveUps = append(s.giveUps, g.counter(k))
	}
	return s
}

// Failure, Restart and GiveUp count one event of group i (the index in
// MonitorEnable's list); a nil series counts nothing.
func (s *MonitorSeries) Failure(i int) { s.inc(func() []*counter { return s.failures }, i) }
func (s *MonitorSeries) Restart(i int) { s.inc(func() []*counter { return s.restarts }, i) }
func (s *MonitorSeries) GiveUp(i int)  { s.inc(func() []*counter { return s.giveUps }, i) }

func (s *MonitorSeries) inc(of func() []*counter, i int) {
	if s == nil {
		return
	}
	if cs := of(); i >= 0 && i < len(cs) {
		cs[i].Inc()
	}
}

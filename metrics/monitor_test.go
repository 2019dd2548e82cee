package metrics

import "testing"

func TestMonitorSeries(t *testing.T) {
	var none *MonitorSeries
	none.Failure(0) // monitoring without metrics: no panic
	m := New("node1", testNodes, testLinks)
	s := m.MonitorEnable([]string{"198.18.0.100", "IPaddr2::198.18.0.101/24/eth0"})
	serve(t, m)
	s.Failure(1)
	s.Failure(1)
	s.Restart(1)
	s.GiveUp(1)
	s.Failure(0)
	s.Failure(7) // not a group: ignored
	sc := scrape(t, m)
	for _, c := range []struct {
		name, group string
		want        float64
	}{
		{"hbd_monitor_failures_total", "198.18.0.100", 1},
		{"hbd_monitor_restarts_total", "198.18.0.100", 0},
		{"hbd_monitor_failures_total", "IPaddr2::198.18.0.101/24/eth0", 2},
		{"hbd_monitor_restarts_total", "IPaddr2::198.18.0.101/24/eth0", 1},
		{"hbd_monitor_giveups_total", "IPaddr2::198.18.0.101/24/eth0", 1},
	} {
		if v := sc.value(t, c.name, "group="+c.group); v != c.want {
			t.Errorf("%s{group=%q} = %v, want %v", c.name, c.group, v, c.want)
		}
	}
}

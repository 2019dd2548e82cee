package metrics

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

// Every loop-side call allocates nothing, whatever it changes.
func TestLoopSideAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	m := New("node1", testNodes, testLinks)
	i := 0
	var st master.Stats
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"NodeStatus", func() { i++; m.NodeStatus(i%3, statuses[i%len(statuses)]) }},
		{"NodeStatus unknown word", func() { i++; m.NodeStatus(1, "standby") }},
		{"LinkStatus", func() { i++; m.LinkStatus(i%2, i%2, i%3 == 0) }},
		{"Heartbeat", func() { i++; m.Heartbeat(i%3, time.Duration(i)*time.Millisecond, time.Duration(30e9-i)) }},
		{"Stats", func() {
			st.Received += 3
			st.Duplicates++
			st.AuthFailed++
			m.Stats(st)
		}},
		{"Action", func() { i++; m.Action(i%2 == 0, reasons[i%len(reasons)], time.Duration(i)*time.Millisecond, i%3) }},
		{"Action unknown why", func() { m.Action(true, "new-step", time.Second, 0) }},
		{"Holding", func() { i++; m.Holding(holdings[i%len(holdings)]) }},
		{"LogDropped", func() { i++; m.LogDropped(uint64(i)) }},
		{"out of range", func() { m.NodeStatus(7, "up"); m.LinkStatus(0, 9, true); m.Heartbeat(-1, 0, 0) }},
	} {
		if n := testing.AllocsPerRun(1000, c.f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", c.name, n)
		}
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	m := New("node1", testNodes, testLinks)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.Heartbeat(1, time.Duration(2e9+i%1000), time.Duration(28e9-i%1000))
	}
}

// The whole loop-side cost of one received status: interval, margin and
// the stats of the datagram.
func BenchmarkReceivedStatus(b *testing.B) {
	m := New("node1", testNodes, testLinks)
	b.ReportAllocs()
	var st master.Stats
	for b.Loop() {
		st.Received++
		m.Heartbeat(1, 2*time.Second, 28*time.Second)
		m.Stats(st)
	}
}

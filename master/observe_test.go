package master

import (
	"testing"
	"time"
)

type heartbeatCall struct {
	node           int
	interval, dead int64
}

// OnHeartbeat sees each accepted status of a peer with the interval the
// lateness check measured and the dead interval in force; not duplicates,
// not our own statuses, not the status that brings a dead node back.
func TestOnHeartbeat(t *testing.T) {
	p := newPair(t)
	for p.now < 7e9 { // past the raised start dt: b advertises deadtime
		p.step()
	}
	a, b := p.m[0], p.m[1]
	var calls []heartbeatCall
	// Set as New would have copied it from Config.
	a.cfg.OnHeartbeat = func(node int, interval, dead int64) {
		calls = append(calls, heartbeatCall{node, interval, dead})
	}
	dead := int64(testConfig(t, "node1", 1).Deadtime)

	// statusesAt runs b's keepalive at t and returns its packets.
	statusesAt := func(t int64) [][]byte {
		b.Tick(Time{Mono: t, Wall: p.wall + t/1e9})
		var out [][]byte
		for _, pk := range b.Ready().Packets {
			out = append(out, append([]byte(nil), pk.Data...))
		}
		discard(b)
		return out
	}
	// a runs its timers up to at, as its daemon would: a status that
	// arrives long after a's own missed deadlines would be a pause of a's.
	tickTo := func(at int64) {
		for d := a.Deadline(); d != 0 && d <= at; d = a.Deadline() {
			a.Tick(Time{Mono: d, Wall: p.wall + d/1e9})
			discard(a)
		}
	}
	deliver := func(at int64, pkts [][]byte) {
		tickTo(at)
		for _, pk := range pkts {
			a.Receive(Time{Mono: at, Wall: p.wall + at/1e9}, 0, pk)
		}
		discard(a)
	}
	keepalive := int64(100 * time.Millisecond)
	sent := p.now
	last := p.now // a got b's last status during the steps above, at p.now
	var want []heartbeatCall
	// Arrival jitter: the interval is the arrival gap, not the send gap.
	for _, delay := range []int64{0, 30e6, 5e6, 80e6} {
		sent += keepalive
		pkts := statusesAt(sent)
		at := sent + delay
		deliver(at, pkts)
		want = append(want, heartbeatCall{1, at - last, dead})
		last = at
		// The same datagrams again are duplicates: not reported.
		deliver(at+1e6, pkts)
	}
	// a's own status, looped back through its receive path: not reported.
	tickTo(last + keepalive)
	assertCalls(t, "steady", calls, want)

	// b falls silent until a declares it dead; its next status brings it
	// back (no deadline was running), the one after that is measured.
	calls, want = nil, nil
	silentUntil := last + dead
	tickTo(silentUntil)
	if a.NodeStatus(1) != StatusDead {
		t.Fatalf("node2 is %s after %v of silence, want dead", a.NodeStatus(1), time.Duration(dead))
	}
	sent = silentUntil + keepalive
	deliver(sent, statusesAt(sent))
	if a.NodeStatus(1) == StatusDead {
		t.Fatal("node2 still dead after its status")
	}
	deliver(sent+keepalive, statusesAt(sent+keepalive))
	want = append(want, heartbeatCall{1, keepalive, dead})
	assertCalls(t, "after death", calls, want)
}

func assertCalls(t *testing.T, what string, got, want []heartbeatCall) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d calls %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: call %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// A master without the hook and one with a hook that allocates nothing
// receive a status at the same cost: nothing.
func TestOnHeartbeatAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	p := newPair(t)
	for p.now < 7e9 {
		p.step()
	}
	var n int
	var sum int64
	p.m[0].cfg.OnHeartbeat = func(_ int, interval, _ int64) { n++; sum += interval }
	if a := testing.AllocsPerRun(500, p.step); a != 0 {
		t.Errorf("steady state with OnHeartbeat: %v allocations per step, want 0", a)
	}
	if n == 0 || sum <= 0 {
		t.Errorf("OnHeartbeat called %d times (intervals sum %d) during 500 steps", n, sum)
	}
}

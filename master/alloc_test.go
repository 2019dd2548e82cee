package master

import (
	"testing"
	"time"
)

// The steady state allocates nothing: a status received from a peer, our
// own status sent every keepalive (encoded, looped back, kept for
// retransmission), ACKs both ways, and the deadline bookkeeping.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	p := newPair(t)
	// Past the raised start dt and through every history slot once.
	for p.now < 7e9 || p.m[0].hist.hiseq < 2*maxMsgHist {
		p.step()
	}
	if !p.m[0].CommUp() || p.m[0].NodeStatus(1) != StatusActive {
		t.Fatalf("not steady: comm up %v, node2 %s", p.m[0].CommUp(), p.m[0].NodeStatus(1))
	}
	sentBefore := p.m[0].seq
	if n := testing.AllocsPerRun(1000, p.step); n != 0 {
		t.Errorf("steady state: %v allocations per step, want 0", n)
	}
	if p.m[0].seq-sentBefore < 500 {
		t.Errorf("only %d messages sent during the measurement", p.m[0].seq-sentBefore)
	}
	if p.m[0].NodeStatus(1) != StatusActive || p.m[1].NodeStatus(0) != StatusActive {
		t.Error("a node died during the measurement")
	}
}

// Receiving a peer's status alone, and sending ours alone.
func TestReceiveAndSendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	p := newPair(t)
	for p.now < 7e9 || p.m[0].hist.hiseq < 2*maxMsgHist {
		p.step()
	}
	a, b := p.m[0], p.m[1]
	// Statuses from b, made ahead; a receives them in order.
	var pkts [][]byte
	now := p.now
	for range 1100 {
		now += int64(100 * time.Millisecond)
		b.Tick(Time{Mono: now, Wall: p.wall})
		for _, pk := range b.Ready().Packets {
			pkts = append(pkts, append([]byte(nil), pk.Data...))
		}
		discard(b)
	}
	i := 0
	recv := func() {
		p.now += int64(time.Millisecond)
		a.Receive(p.time(), 0, pkts[i])
		i++
		discard(a)
	}
	if n := testing.AllocsPerRun(1000, recv); n != 0 {
		t.Errorf("Receive: %v allocations, want 0", n)
	}
	send := func() {
		a.sendStatus()
		discard(a)
	}
	if n := testing.AllocsPerRun(1000, send); n != 0 {
		t.Errorf("send status: %v allocations, want 0", n)
	}
}

func BenchmarkSteadyState(b *testing.B) {
	p := newPair(b)
	for p.now < 7e9 || p.m[0].hist.hiseq < 2*maxMsgHist {
		p.step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.step()
	}
}

func BenchmarkReceiveStatus(b *testing.B) {
	p := newPair(b)
	for p.now < 7e9 {
		p.step()
	}
	a, peer := p.m[0], p.m[1]
	const n = 4096
	pkts := make([][]byte, 0, n)
	now := p.now
	for len(pkts) < n {
		now += int64(100 * time.Millisecond)
		peer.Tick(Time{Mono: now, Wall: p.wall})
		for _, pk := range peer.Ready().Packets {
			pkts = append(pkts, append([]byte(nil), pk.Data...))
		}
		discard(peer)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == len(pkts) {
			b.StopTimer()
			// Start over with a fresh receiver: the peer's seqs are used up.
			p = newPair(b)
			for p.now < 7e9 {
				p.step()
			}
			a = p.m[0]
			i = 0
			b.StartTimer()
		}
		p.now += int64(time.Millisecond)
		a.Receive(p.time(), 0, pkts[i])
		discard(a)
		i++
	}
}

// BenchmarkSendStatus is the send path alone: build, sign, encode, loop
// back, keep for retransmission. The peer is taken as dead so that the
// ACK window slides instead of filling (nobody ACKs in this benchmark).
func BenchmarkSendStatus(b *testing.B) {
	p := newPair(b)
	for p.now < 7e9 || p.m[0].hist.hiseq < 2*maxMsgHist {
		p.step()
	}
	a := p.m[0]
	a.markDead(1)
	discard(a)
	b.ReportAllocs()
	for b.Loop() {
		a.sendStatus()
		discard(a)
	}
}

package master

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// testConfig is a cluster of the given nodes seen from local, one bcast
// medium, keepalive 100 ms, deadtime 500 ms, sha1 auth.
func testConfig(tb testing.TB, local string, seed uint64, nodes ...string) Config {
	tb.Helper()
	keys := wire.NewKeyring()
	if err := keys.SetKey(3, wire.SHA1, []byte("hbt-testbed-secret")); err != nil {
		tb.Fatal(err)
	}
	if err := keys.SetSigner(3); err != nil {
		tb.Fatal(err)
	}
	c := Config{
		Local:      local,
		Generation: 0x6b025c24,
		Media:      []MediumConfig{{Name: "eth0"}},
		Keepalive:  100 * time.Millisecond,
		Deadtime:   500 * time.Millisecond,
		Initdead:   2 * time.Second,
		HopFudge:   1,
		InnerAuth:  true,
		Keys:       keys,
		Rand:       rand.NewPCG(seed, 1),
	}
	for i, n := range nodes {
		c.Nodes = append(c.Nodes, NodeConfig{Name: n})
		if n == local {
			c.UUID[0], c.UUID[1] = 0xa0, byte(i+1)
		}
	}
	return c
}

// pair is two masters wired back to back over one broadcast medium that
// loops back, with preallocated buffers so the harness itself allocates
// nothing in steady state.
type pair struct {
	m    [2]*Master
	now  int64
	wall int64
	// Two generations of in-flight datagrams: those being delivered and
	// those their delivery produced.
	cur, next batch
}

type batch struct {
	to   []int
	bufs [][]byte
	n    int
}

func newPair(tb testing.TB) *pair {
	tb.Helper()
	p := &pair{now: 1e9, wall: 1_795_316_771}
	for i, name := range []string{"node1", "node2"} {
		m, err := New(testConfig(tb, name, uint64(i+1), "node1", "node2"))
		if err != nil {
			tb.Fatal(err)
		}
		p.m[i] = m
	}
	for _, b := range []*batch{&p.cur, &p.next} {
		b.to = make([]int, 64)
		b.bufs = make([][]byte, 64)
		for i := range b.bufs {
			b.bufs[i] = make([]byte, 0, 1024)
		}
	}
	for i := range p.m {
		p.m[i].Start(p.time())
	}
	p.flush()
	return p
}

func (p *pair) time() Time { return Time{Mono: p.now, Wall: p.wall + p.now/1e9} }

// collect copies m's packets into the queue (to both: bcast loops back).
func (p *pair) collect(i int) {
	rd := p.m[i].Ready()
	b := &p.next
	for _, pk := range rd.Packets {
		for to := range 2 {
			if b.n == len(b.bufs) {
				panic("pair: out of buffers")
			}
			b.bufs[b.n] = append(b.bufs[b.n][:0], pk.Data...)
			b.to[b.n] = to
			b.n++
		}
	}
	p.m[i].Advance()
}

// flush delivers until nothing is in flight.
func (p *pair) flush() {
	p.collect(0)
	p.collect(1)
	for p.next.n > 0 {
		p.cur, p.next = p.next, p.cur
		p.next.n = 0
		for i := range p.cur.n {
			p.m[p.cur.to[i]].Receive(p.time(), 0, p.cur.bufs[i])
		}
		p.collect(0)
		p.collect(1)
	}
}

// step advances to the next deadline of either master and runs it.
func (p *pair) step() {
	next := p.m[0].Deadline()
	if d := p.m[1].Deadline(); d < next {
		next = d
	}
	if next > p.now {
		p.now = next
	}
	for i := range p.m {
		if p.m[i].Deadline() <= p.now {
			p.m[i].Tick(p.time())
		}
	}
	p.flush()
}

// discard drops what m has to say: the outstanding Ready, or else what is
// pending.
func discard(m *Master) {
	if !m.out.Outstanding() {
		m.Ready()
	}
	m.Advance()
}

// taken holds the Ready a test took and has not Advanced yet.
var taken = map[*Master]*Ready{}

// ready returns m's Ready: the one a test already took, if outstanding.
func ready(m *Master) *Ready {
	if rd := taken[m]; rd != nil && m.out.Outstanding() {
		return rd
	}
	rd := m.Ready()
	taken[m] = rd
	return rd
}

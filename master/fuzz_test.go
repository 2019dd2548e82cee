package master

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// snapshot is everything of the membership state a packet could change.
type snapshot struct {
	status []Status
	links  []bool
	gens   []uint64
	miss   []int
	seq    []uint64
	commUp bool
}

func snap(m *Master) snapshot {
	var s snapshot
	for i := range m.nodes {
		n := &m.nodes[i]
		s.status = append(s.status, n.status)
		for _, l := range n.links {
			s.links = append(s.links, l.up)
		}
		s.gens = append(s.gens, n.gen)
		s.miss = append(s.miss, len(n.missing))
		s.seq = append(s.seq, n.lastSeq)
	}
	s.commUp = m.CommUp()
	return s
}

func (s snapshot) equal(o snapshot) bool {
	return slices.Equal(s.status, o.status) && slices.Equal(s.links, o.links) && slices.Equal(s.gens, o.gens) &&
		slices.Equal(s.miss, o.miss) && slices.Equal(s.seq, o.seq) && s.commUp == o.commUp
}

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("../testdata/vectors/bcast-sha1/*.bin")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(">>>\nt=status\nst=active\nsrc=node2\nseq=1\nhg=1\nts=1\n<<<\n\x00"))
	f.Add([]byte("###\n11:(0)t=status,%%%\n3:1 x,"))
}

// FuzzReceive: arbitrary bytes never panic the master, and bytes that do
// not authenticate change nothing and make it say nothing.
func FuzzReceive(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := newPair(t)
		p.step()
		m := p.m[0]
		before := snap(m)
		var pkt wire.Packet
		authentic := pkt.Decode(b) == nil && m.keys.Verify(&pkt) == nil
		m.Receive(p.time(), 0, b)
		rd := m.Ready()
		if !authentic {
			if !before.equal(snap(m)) {
				t.Fatalf("unauthenticated packet changed the state")
			}
			if len(rd.Packets)+len(rd.Logs)+len(rd.Events) != 0 {
				t.Fatalf("unauthenticated packet produced output: %d packets, logs %v", len(rd.Packets), rd.Logs)
			}
		}
		// And the master keeps working afterwards.
		discard(m)
		for range 3 {
			p.step()
		}
	})
}

// FuzzReceiveSigned: arbitrary messages, correctly signed, as a peer with
// the key (or a buggy heartbeat) could send them, never panic the master
// and never stop it from working.
func FuzzReceiveSigned(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var msg wire.Message
		if _, err := msg.Decode(b); err != nil {
			return
		}
		p := newPair(t)
		p.step()
		m := p.m[0]
		signed, err := m.keys.AppendPacket(nil, &msg, false)
		if err != nil {
			return
		}
		m.Receive(p.time(), 0, signed)
		discard(m)
		for range 20 {
			p.step()
		}
		if !m.phase.running() {
			t.Fatal("master stopped")
		}
	})
}

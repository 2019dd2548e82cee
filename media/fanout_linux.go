package media

import (
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// Fanout sends one packet to every medium of a set, as heartbeat's
// write loop does (one write per medium), but with one system call for
// the datagrams that can share a socket: the ucast media of one interface
// (a "ucast eth0 <peer>" line per peer) go out with one sendmmsg on the
// first one's send socket, each to its own peer. Their send sockets are
// alike (IP_TOS lowdelay, bound to the interface, unbound otherwise), so
// only the source port of the datagrams changes, which heartbeat never
// checks. Every other medium sends alone: a bcast or mcast medium has one
// destination, and a lone ucast has nothing to batch.
//
// The loop owns a Fanout, as it owns the media.
type Fanout struct {
	steps []fanStep
}

// fanStep is one medium sent alone, or a group of ucast media sent with
// one sendmmsg (at the position of the group's first member).
type fanStep struct {
	m       Medium
	members []*udp
	batch   *sysio.Batch
}

// NewFanout groups ms, in their order, for Send.
func NewFanout(ms []Medium) *Fanout {
	f := &Fanout{}
	byIface := map[string]int{} // interface → its group's step
	for _, m := range ms {
		u, ok := m.(*udp)
		if !ok || u.Type() != "ucast" || u.iface == "" {
			f.steps = append(f.steps, fanStep{m: m})
			continue
		}
		if i, ok := byIface[u.iface]; ok {
			f.steps[i].members = append(f.steps[i].members, u)
			continue
		}
		byIface[u.iface] = len(f.steps)
		f.steps = append(f.steps, fanStep{m: m, members: []*udp{u}})
	}
	for i := range f.steps {
		s := &f.steps[i]
		if len(s.members) < 2 {
			s.members = nil
			continue
		}
		s.batch = sysio.NewBatch(make([][]byte, len(s.members)))
	}
	return f
}

// Batched returns how many media share another's system call: 0 when
// Send costs one call per medium.
func (f *Fanout) Batched() int {
	k := 0
	for _, s := range f.steps {
		if len(s.members) > 1 {
			k += len(s.members) - 1
		}
	}
	return k
}

// Send puts a packet on every medium: pkt(m) is what medium m carries
// (the same bytes for every member of a group, which are all ucast), and
// fail is told of each medium whose send failed, with the error its own
// Send would have returned. Neither allocates while sends succeed.
func (f *Fanout) Send(pkt func(Medium) []byte, fail func(Medium, error)) {
	for i := range f.steps {
		s := &f.steps[i]
		if s.batch == nil {
			if err := s.m.Send(pkt(s.m)); err != nil {
				fail(s.m, err)
			}
			continue
		}
		p := pkt(s.m)
		for _, u := range s.members {
			s.batch.Queue(p, u.dst)
		}
		s.sendGroup(fail)
	}
}

// sendGroup sends a group's queued datagrams on its first member's
// socket, blaming each failure on the member whose peer it was for.
func (s *fanStep) sendGroup(fail func(Medium, error)) {
	fd := s.members[0].wfd
	next := 0 // the member the next queued datagram is for
	for s.batch.Queued() > 0 {
		sent, err := s.batch.SendBatch(fd)
		next += sent
		if err != nil {
			u := s.members[next]
			fail(u, u.err("send to "+u.dst.String(), err))
			next++
			continue
		}
		if s.batch.Queued() > 0 {
			// The socket buffer is full: what sendto says for each.
			for _, u := range s.members[next:] {
				fail(u, u.err("send to "+u.dst.String(), unix.EAGAIN))
			}
			s.batch.Reset()
		}
	}
}

package sim

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

// A burst of broadcasts on the LAN model costs one queued event each, not
// one per receiver: a cold start's ACKs at 1024 nodes once queued 200
// million copies. Every receiver still gets every datagram, byte for
// byte, and a partition cut while a datagram is on the wire drops it.
func TestLANBroadcastQueuedOnce(t *testing.T) {
	const n, burst = 32, 100
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("n%02d", i))
	}
	lan := LAN{Bandwidth: 1_000_000_000, Overhead: 66, SendCost: 20 * time.Microsecond, RecvCost: 8 * time.Microsecond, RecvQueue: 4096}
	s, err := New(Options{Nodes: names, Keepalive: time.Second, Deadtime: 5 * time.Second, Initdead: 10 * time.Second, LAN: &lan})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s.SetNative(i, master.NativeOn)
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := runUntilActive(s, time.Second, time.Minute, func() {}); !ok {
		t.Fatal("did not converge")
	}
	got := make([]int, n)
	s.OnEvent = func(node int, e master.Event) {
		if e.Kind == master.EventMessage && bytes.Contains(e.Msg, []byte("burst")) {
			got[node]++
		}
	}
	sent, q0 := s.Sent, len(s.q)
	for range burst {
		if err := s.SendMessage(0, "burst", "data", "0123456789abcdef"); err != nil {
			t.Fatal(err)
		}
	}
	if q, sends := len(s.q)-q0, int(s.Sent-sent); q > sends {
		t.Errorf("%d events queued for %d broadcasts to %d nodes: want one per broadcast", q, sends, n)
	}
	s.RunFor(time.Second)
	for i, c := range got {
		if c != burst {
			t.Errorf("%s got %d of the %d messages", names[i], c, burst)
		}
	}
	if st := s.Nodes[1].M.Stats(); st.AuthFailed != 0 || st.Malformed != 0 {
		t.Errorf("a receiver failed %d authentications, %d decodes", st.AuthFailed, st.Malformed)
	}

	// Cut node 0 off while its datagram crosses the medium: the receivers
	// meet the link as the datagram arrives, and it is lost.
	clear(got)
	if err := s.SendMessage(0, "burst"); err != nil {
		t.Fatal(err)
	}
	s.SetLinks([]int{0}, nil, -1, func(l *Link) { l.Down = true })
	s.RunFor(100 * time.Millisecond)
	for i, c := range got[1:] {
		if c != 0 {
			t.Errorf("%s got a message sent across a link cut before it arrived", names[i+1])
		}
	}
}

package sim

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// TestSimultaneousStopAfterFailback is CTS's last step on two nodes with
// auto_failback on: a node returns, gets its group back, and both are
// stopped at once, at any moment of the hand-off (every 25 ms over 4 s,
// with and without reordering). Both must finish their shutdown: a peer
// that announced shutdone holds nothing and will do nothing more, so a
// shutdown delayed for resource activity must not wait for it.
//
// With packet loss as well, heartbeat's protocol can still wedge here (a
// late retransmission of a standby message is processed after the
// exchange it belonged to); the 60-minute emergency timer ends that, as
// in heartbeat.
func TestSimultaneousStopAfterFailback(t *testing.T) {
	for _, jitter := range []time.Duration{0, 3 * time.Millisecond} {
		for _, act := range []time.Duration{0, 10 * time.Millisecond, 150 * time.Millisecond} {
			for delay := time.Duration(0); delay < 4*time.Second; delay += 25 * time.Millisecond {
				s, err := New(Options{
					Keepalive: 50 * time.Millisecond, Deadtime: 300 * time.Millisecond, Initdead: 3 * time.Second,
					Seed: uint64(delay), Method: wire.CRC, Resources: true, Failback: master.FailbackOn,
					ActionTime: act,
					Nodes:      []string{"node1", "node2"},
					Groups:     []master.GroupConfig{{Key: "a", Node: "node1"}, {Key: "b", Node: "node2"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				s.SetLinks(nil, nil, -1, func(l *Link) { l.Jitter = jitter })
				if err := s.Start(1); err != nil {
					t.Fatal(err)
				}
				s.RunFor(15 * time.Second) // node2 alone holds both
				if err := s.Start(0); err != nil {
					t.Fatal(err)
				}
				s.RunFor(delay)
				s.Shutdown(0)
				s.Shutdown(1)
				s.RunFor(30 * time.Second)
				for _, n := range s.Nodes {
					if n.Running() {
						t.Errorf("jitter %v, actions %v, stop %v after the return: %s still runs 30 s after its shutdown began", jitter, act, delay, n.Name)
					}
				}
			}
		}
	}
}

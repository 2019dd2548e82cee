package master

import (
	"testing"
	"time"
)

// A node that falls silent within its first 5 s is declared dead only
// after deadtime + 2 s: its statuses advertise that dt (heartbeat's
// hb_add_deadtime(2000) until hb_pop_deadtime), and peers apply the dt a
// node advertises. From then on the node is declared dead after deadtime.
// A kill -9 of a node that has just started therefore takes 2 s longer to
// detect, whatever the node was doing; heartbeat 3.0.6 peers do the same.
func TestStartGraceDeadtime(t *testing.T) {
	cfg := testConfig(t, "node1", 1)
	keepalive, deadtime := int64(cfg.Keepalive), int64(cfg.Deadtime)
	for _, c := range []struct {
		name     string
		silentAt int64 // after the start, when node2 sends its last status
		dead     int64 // the dead interval node1 must apply
	}{
		{"within its first 5 s", int64(time.Second), deadtime + int64(2*time.Second)},
		{"after its first 5 s", int64(7 * time.Second), deadtime},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t)
			silent := p.now + c.silentAt
			for p.now < silent {
				p.step()
			}
			// node2 is gone: only node1's timers run, and its packets
			// go nowhere.
			a := p.m[0]
			var deadAt int64
			for deadAt == 0 && p.now < silent+int64(time.Minute) {
				if d := a.Deadline(); d > p.now {
					p.now = d
				}
				a.Tick(p.time())
				for _, ev := range a.Ready().Events {
					if ev.Kind == EventNodeStatus && ev.NodeName == "node2" && ev.New == StatusDead {
						deadAt = p.now
					}
				}
				a.Advance()
			}
			// node2's last status went out within a keepalive before
			// silent; node1 declares it dead one dead interval after.
			after := deadAt - silent
			if deadAt == 0 || after <= c.dead-keepalive || after > c.dead {
				t.Fatalf("node2 silent %v after its start: declared dead %v later, want in (%v, %v]",
					time.Duration(c.silentAt), time.Duration(after), time.Duration(c.dead-keepalive), time.Duration(c.dead))
			}
		})
	}
}

package master

import (
	"strings"
	"testing"
	"time"
)

func TestPauseStart(t *testing.T) {
	for _, c := range []struct {
		name                  string
		now, prev, due, stall int64
		ok                    bool
		want                  int64
	}{
		{"missed deadline", 1000, 100, 200, 0, true, 200},
		{"loop measured more", 1000, 100, 200, 850, true, 150},
		{"never before the previous input", 1000, 300, 200, 0, true, 300},
		{"stall reaches back past it", 1000, 300, 900, 5000, true, 300},
		{"deadline not passed", 1000, 100, 2000, 0, true, 1000},
		{"no deadline, no stall", 1000, 100, 0, 0, false, 1000},
	} {
		if got := pauseStart(c.now, c.prev, c.due, c.ok, c.stall); got != c.want {
			t.Errorf("%s: pauseStart = %d, want %d", c.name, got, c.want)
		}
	}
}

// frozen runs the pair with a not scheduled from now for pause: b keeps
// ticking (and stops for good at crashAt, if > 0); what b sends waits for
// a. Then a runs again: the reported stall if report, the waiting
// datagrams, its timers. It returns when a runs again, a's logs then, and
// when a declared node2 dead (0 if it did not).
func frozen(t *testing.T, p *pair, pause, crashAt int64, report bool) (end int64, logs string, diedAt int64) {
	t.Helper()
	a, b := p.m[0], p.m[1]
	wake := a.Deadline()
	end = p.now + pause
	var held [][]byte
	for {
		d := b.Deadline()
		if d > end || (crashAt > 0 && d >= crashAt) {
			break
		}
		b.Tick(Time{Mono: d, Wall: p.wall + d/1e9})
		for _, pk := range b.Ready().Packets {
			held = append(held, append([]byte(nil), pk.Data...))
		}
		discard(b)
	}
	at := Time{Mono: end, Wall: p.wall + end/1e9}
	var sb strings.Builder
	take := func() {
		rd := a.Ready()
		for _, l := range rd.Logs {
			sb.WriteString(l.String() + "\n")
		}
		for _, e := range rd.Events {
			if e.Kind == EventNodeStatus && e.New == StatusDead {
				diedAt = end
			}
		}
		discard(a)
	}
	if report {
		a.Paused(at, time.Duration(end-wake))
		take()
	}
	for _, pk := range held {
		a.Receive(at, 0, pk)
		take()
	}
	a.Tick(at)
	take()
	p.now = end
	return end, sb.String(), diedAt
}

// A pause of ours while the peer keeps sending costs the peer nothing,
// whether the daemon reports it or the master sees it in the times.
func TestPauseNotCountedAgainstPeers(t *testing.T) {
	dead := int64(testConfig(t, "node1", 1).Deadtime)
	for _, c := range []struct {
		name   string
		pause  int64
		report bool
	}{
		{"0.8 deadtime", dead * 8 / 10, false},
		{"0.8 deadtime reported", dead * 8 / 10, true},
		{"3 deadtimes", 3 * dead, false},
		{"3 deadtimes reported", 3 * dead, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t)
			for p.now < 7e9 {
				p.step()
			}
			_, logs, diedAt := frozen(t, p, c.pause, 0, c.report)
			if diedAt != 0 {
				t.Errorf("node2 declared dead as a ran again")
			}
			if !strings.Contains(logs, "WARN: Local scheduling pause of ") || !strings.Contains(logs, " ms: not counting it against peers") {
				t.Errorf("logs after the pause:\n%s", logs)
			}
			if strings.Contains(logs, "Late heartbeat: Node node2") {
				t.Errorf("node2's statuses judged late across our pause:\n%s", logs)
			}
			a := p.m[0]
			if a.NodeStatus(1) != StatusActive || !a.LinkUp(1, 0) {
				t.Fatalf("node2 is %s, link up %v, right after the pause", a.NodeStatus(1), a.LinkUp(1, 0))
			}
			for until := p.now + 2*dead; p.now < until; {
				p.step()
				if a.NodeStatus(1) != StatusActive {
					t.Fatalf("node2 is %s at %d, after the pause", a.NodeStatus(1), p.now)
				}
			}
			if n := a.Stats().Pauses; n != 1 {
				t.Errorf("Stats().Pauses = %d, want 1", n)
			}
		})
	}
}

// A peer that dies during our pause is declared dead no later than its
// dead interval after we run again, and never before the dead interval
// since it was last heard.
func TestPeerDiesDuringPause(t *testing.T) {
	dead := int64(testConfig(t, "node1", 1).Deadtime)
	for _, c := range []struct {
		name       string
		pause, die int64 // the peer's last tick, from the pause's start
	}{
		{"dies at once", 3 * dead, 1},
		{"dies midway", 3 * dead, dead},
		{"dies late in a short pause", dead * 8 / 10, dead * 6 / 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t)
			for p.now < 7e9 {
				p.step()
			}
			a := p.m[0]
			lastHeard := p.now
			end, _, diedAt := frozen(t, p, c.pause, p.now+c.die, true)
			for now := end; now <= end+2*dead && diedAt == 0; {
				d := a.Deadline()
				discard(a)
				now = d
				a.Tick(Time{Mono: now, Wall: p.wall + now/1e9})
				if a.NodeStatus(1) == StatusDead {
					diedAt = now
				}
			}
			switch {
			case diedAt == 0:
				t.Fatalf("node2 never declared dead within 2 deadtimes of the pause's end")
			case diedAt > end+dead:
				t.Errorf("node2 declared dead %v after the pause's end, bound is the deadtime %v", time.Duration(diedAt-end), time.Duration(dead))
			case diedAt < lastHeard+dead:
				t.Errorf("node2 declared dead %v after it was last heard, before the deadtime", time.Duration(diedAt-lastHeard))
			}
		})
	}
}

// Lateness up to a keepalive is ordinary: nothing is forgiven or logged.
func TestShortLatenessIsNoPause(t *testing.T) {
	p := newPair(t)
	for p.now < 7e9 {
		p.step()
	}
	a := p.m[0]
	d := a.Deadline()
	late := d + int64(100*time.Millisecond)
	a.Paused(Time{Mono: late, Wall: p.wall}, 100*time.Millisecond)
	a.Tick(Time{Mono: late, Wall: p.wall})
	if strings.Contains(logsOf(a), "pause") || a.Stats().Pauses != 0 {
		t.Errorf("a keepalive late counted as a pause: %q", logsOf(a))
	}
}

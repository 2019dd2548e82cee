package controld

import (
	"strings"
	"testing"
	"time"
)

func deadtimeConfig(v string) []byte {
	return []byte(`<configuration><crm_config><cluster_property_set id="o">` +
		`<nvpair id="o1" name="stonith-enabled" value="false"/>` +
		`<nvpair id="o2" name="dc-deadtime" value="` + v + `"/>` +
		`</cluster_property_set></crm_config><nodes/><resources/><constraints/></configuration>`)
}

// drain takes the controller's Ready: whether it sent a vote, and its logs.
func drain(c *Controller) (voted bool, logs []string) {
	rd := c.Ready()
	for _, s := range rd.Sends {
		voted = voted || s.Msg.Task == TaskVote
	}
	for _, l := range rd.Logs.Lines {
		logs = append(logs, l.String())
	}
	c.Advance()
	return voted, logs
}

// runUntil ticks c at its deadlines up to end; it returns when c first
// became the DC (-1 if not).
func runUntil(c *Controller, now *Time, end time.Duration) time.Duration {
	for {
		drain(c)
		if c.DC() == c.local {
			return time.Duration(now.Mono)
		}
		d, ok := c.Deadline()
		if !ok || d > int64(end) {
			now.Mono = int64(end)
			return -1
		}
		now.Mono = max(now.Mono, d)
		c.Tick(*now)
	}
}

func startAlone(t *testing.T, config []byte) (*Controller, *Time, []string) {
	t.Helper()
	c := New(Config{Local: "nodea", Keepalive: 100 * time.Millisecond})
	now := &Time{Mono: 0}
	if config != nil {
		c.ConfigChanged(*now, config)
	}
	c.Membership(*now, Membership{Instance: 1, Quorum: true, Members: []Member{{"nodea", 1}}})
	c.Start(*now)
	_, logs := drain(c)
	return c, now, logs
}

// A node that starts alone with dc-deadtime=5s waits 5 s for a DC
// before it elects itself (Pacemaker's start-up wait).
func TestDCDeadtimeStartWait(t *testing.T) {
	c, now, _ := startAlone(t, deadtimeConfig("5s"))
	if at := runUntil(c, now, 4900*time.Millisecond); at >= 0 {
		t.Fatalf("elected itself at %v, before dc-deadtime 5s", at)
	}
	if at := runUntil(c, now, 6*time.Second); at != 5*time.Second {
		t.Fatalf("elected at %v, want at 5s", at)
	}
}

// Without dc-deadtime, the node elects itself within the keepalive-derived
// wait (hbd's sub-second default), and refused values keep that default
// with a line naming the option.
func TestDCDeadtimeDefaultAndRefused(t *testing.T) {
	def := TimeoutsFor(100 * time.Millisecond).DCWait
	for _, v := range []string{"", "2h", "-5s", "0", "abc", "P1D", "99999999999999h"} {
		var cfg []byte
		if v != "" {
			cfg = deadtimeConfig(v)
		}
		c, now, logs := startAlone(t, cfg)
		if c.to.DCWait != def {
			t.Errorf("dc-deadtime=%q: DC wait %v, want the default %v", v, c.to.DCWait, def)
		}
		if at := runUntil(c, now, def); at < 0 {
			t.Errorf("dc-deadtime=%q: not the DC within %v", v, def)
		}
		logged := strings.Contains(strings.Join(logs, "\n"), `ignoring dc-deadtime="`+v+`"`)
		if logged != (v != "") {
			t.Errorf("dc-deadtime=%q: refusal logged %v; logs:\n%s", v, logged, strings.Join(logs, "\n"))
		}
	}
}

// A node that lost an election and hears from no DC votes again after
// dc-deadtime, not after the keepalive-derived wait.
func TestDCDeadtimeAfterLoss(t *testing.T) {
	c := New(Config{Local: "nodeb", Keepalive: 100 * time.Millisecond})
	now := Time{}
	c.Membership(now, Membership{Instance: 1, Quorum: true, Members: []Member{{"nodea", 1}, {"nodeb", 1}}})
	c.Start(now) // no dc-deadtime yet: votes at once
	if voted, _ := drain(c); !voted {
		t.Fatal("nodeb did not vote at start")
	}
	c.ConfigChanged(now, deadtimeConfig("5s"))
	c.Receive(now, "nodea", &Msg{Task: TaskVote, ElectionID: 1, Owner: "nodea", Version: FeatureSet, Born: 1})
	drain(c)
	for {
		d, ok := c.Deadline()
		if !ok {
			t.Fatal("nodeb has no deadline: it would never vote again")
		}
		now.Mono = d
		c.Tick(now)
		if voted, _ := drain(c); voted {
			if got := time.Duration(now.Mono); got != 5*time.Second {
				t.Fatalf("voted again at %v, want after dc-deadtime 5s", got)
			}
			return
		}
	}
}

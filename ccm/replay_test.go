package ccm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// replay feeds one node's CCM the captured messages the real ccm on that
// node received (from the other nodes, broadcast or sent to it), at their
// capture times, with heartbeat's verdicts given by hb, and returns what
// it sent.
type replay struct {
	t    *testing.T
	c    *CCM
	me   string
	sent []Msg
	evs  []Event
	now  int64
	from float64 // capture time before which messages are not fed
}

func newReplay(t *testing.T, me string) *replay {
	c, err := New(Config{Nodes: []string{"node1", "node2", "node3"}, Local: me, Keepalive: 100 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &replay{t: t, c: c, me: me}
}

func (r *replay) advance(to int64) {
	for {
		d, ok := r.c.Deadline()
		if !ok || d > to {
			break
		}
		r.now = d
		r.c.Tick(Time{Mono: d})
		r.drain()
	}
	r.now = to
}

func (r *replay) drain() {
	rd := r.c.Ready()
	for _, s := range rd.Sends {
		m := s.Msg
		m.Uptimes = append([]int(nil), m.Uptimes...)
		r.sent = append(r.sent, m)
	}
	r.evs = append(r.evs, rd.Events...)
	r.c.Advance()
}

// run feeds every captured CCM message of phases to the node, calling
// before(t) ahead of each message for heartbeat's verdicts.
func (r *replay) run(phases string, before func(sec float64)) {
	idx, err := os.ReadFile(filepath.Join(vectorDir, "index.tsv"))
	if err != nil {
		r.t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(idx)), "\n")[1:] {
		c := strings.Split(line, "\t")
		if !strings.HasPrefix(c[6], "CCM_TYPE_") || !strings.Contains(phases, c[2]) || c[8] == r.me || c[13] != "-" && c[13] != r.me {
			continue
		}
		sec, _ := strconv.ParseFloat(c[1], 64)
		if sec < r.from {
			continue
		}
		before(sec)
		r.advance(int64(sec * 1e9))
		data, err := os.ReadFile(filepath.Join(vectorDir, c[0]))
		if err != nil {
			r.t.Fatal(err)
		}
		var p wire.Packet
		if err := p.Decode(data); err != nil {
			r.t.Fatal(err)
		}
		if err := r.c.Receive(Time{Mono: r.now}, &p.Msg); err != nil {
			r.t.Fatalf("%s: %v", c[0], err)
		}
		r.drain()
	}
}

func (r *replay) lastMembership() Event {
	for i := len(r.evs) - 1; i >= 0; i-- {
		if r.evs[i].Kind == EventMembership {
			return r.evs[i]
		}
	}
	return Event{}
}

func (r *replay) sentTypes() []Type {
	var ts []Type
	for _, m := range r.sent {
		ts = append(ts, m.Type)
	}
	return ts
}

func membersText(ev Event) string {
	var parts []string
	for _, m := range ev.Members {
		parts = append(parts, m.Name+"/"+strconv.Itoa(m.Born))
	}
	return strconv.Itoa(ev.Instance) + " " + strings.Join(parts, ",") + " q=" + strconv.FormatBool(ev.Quorum)
}

// TestReplayNode2: node2 of the capture, fed what the real node1 and
// node3 sent. At startup it drops node3's answers three times (node3's
// membership is not bigger than half the cluster), joins with ALIVE,
// acknowledges node1 with NEW_NODE and ends in instance 3 as the real
// clients saw it; at the kill of node1 it answers the leader's notice,
// takes part in node3's full round (its RES_MEMLIST as the real one:
// maxt 3, members {node2,node3}) and ends in instance 4.
func TestReplayNode2(t *testing.T) {
	r := newReplay(t, "node2")
	started, killed := false, false
	r.run("startup kill1", func(sec float64) {
		if !started {
			r.c.NodeStatus(Time{Mono: int64(sec * 1e9)}, "node1", true)
			r.c.NodeStatus(Time{Mono: int64(sec * 1e9)}, "node3", true)
			r.c.Start(Time{Mono: int64(sec * 1e9)})
			r.drain()
			started = true
		}
		if sec >= 15.38 && !killed {
			r.advance(int64(sec * 1e9))
			r.c.NodeStatus(Time{Mono: r.now}, "node1", false)
			r.drain()
			if got := membersText(r.lastMembership()); got != "3 node1/3,node2/2,node3/1 q=true" {
				t.Errorf("after startup: %s, the real clients saw instance 3 with born node3 1, node2 2, node1 3", got)
			}
			killed = true
		}
	})
	if got := membersText(r.lastMembership()); got != "4 node2/2,node3/1 q=true" {
		t.Errorf("after kill1: %s", got)
	}
	var alive, newNode, leave, res bool
	for _, m := range r.sent {
		switch m.Type {
		case TypeAlive:
			alive = alive || m.Cookie == "8\">h`{'qykH$L|" && m.Major == 1 && m.Uptime == 0
		case TypeNewNode:
			newNode = newNode || m.Node == "node1" && m.Dest == "node3" && m.Major == 2
		case TypeNodeLeave:
			leave = leave || m.Dest == "node3" && m.Major == 3
		case TypeResMemlist:
			var want Bitmap
			want.Set(1)
			want.Set(2)
			res = m.Dest == "node3" && m.MaxTrans == 3 && m.MemList == want && m.Minor == 1 && m.Uptime == 2
		}
	}
	if !alive || !newNode || !leave || !res {
		t.Errorf("sent %v (ALIVE %v, NEW_NODE %v, NODE_LEAVE %v, RES_MEMLIST %v)", r.sentTypes(), alive, newNode, leave, res)
	}
}

// TestReplayNode1Rejoin: a fresh node1 joins the real node2+node3
// membership: node3's answer (cluster of 2 of 3) is taken at once, ALIVE,
// and node3's MEM_LIST makes instance 7 with all three. (The members'
// STATE_INFO came before node1's ccm started, at 41.19 s.)
func TestReplayNode1Rejoin(t *testing.T) {
	r := newReplay(t, "node1")
	r.from = 41.1
	started := false
	r.run("rejoin1", func(sec float64) {
		if !started {
			r.c.NodeStatus(Time{Mono: int64(sec * 1e9)}, "node2", true)
			r.c.NodeStatus(Time{Mono: int64(sec * 1e9)}, "node3", true)
			r.c.Start(Time{Mono: int64(sec * 1e9)})
			r.drain()
			started = true
		}
	})
	if got := membersText(r.lastMembership()); !strings.HasPrefix(got, "7 node1/7,node2/") || !strings.HasSuffix(got, "q=true") {
		t.Errorf("after rejoin1: %s; sent %v", got, r.sentTypes())
	}
}

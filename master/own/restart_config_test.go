package own

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// stack is a membership for node1 of node1, node2 with an Own above it
// for c.
func stack(t *testing.T, c Config) (*master.Master, *Own, error) {
	t.Helper()
	keys := wire.NewKeyring()
	if err := keys.SetKey(3, wire.SHA1, []byte("hbt-testbed-secret")); err != nil {
		t.Fatal(err)
	}
	if err := keys.SetSigner(3); err != nil {
		t.Fatal(err)
	}
	m, err := master.New(master.Config{
		Local: "node1", Generation: 0x6b025c24,
		Nodes:     []master.NodeConfig{{Name: "node1"}, {Name: "node2"}},
		Media:     []master.MediumConfig{{Name: "eth0"}},
		Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: 2 * time.Second,
		HopFudge: 1, InnerAuth: true, Keys: keys, Rand: rand.NewPCG(1, 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := New(c, m)
	return m, o, err
}

// logsOf returns the stack's log lines since the last call, in order.
func logsOf(m *master.Master, o *Own) []string {
	var out []string
	rd, ord := m.Ready(), o.Ready()
	layer.MergeLogs(func(l layer.LogLine) { out = append(out, l.String()) }, rd.Logs, ord.Logs)
	m.Advance()
	o.Advance()
	return out
}

// A bad -C is a configuration error; a group the old process held that
// the new haresources no longer has is reported, not managed.
func TestRestartConfig(t *testing.T) {
	c := Config{Failback: FailbackOn, Groups: []GroupConfig{{Key: "ip1", Node: "node1"}}}
	c.Restart = &Restart{Holding: "most"}
	if _, _, err := stack(t, c); err == nil || !strings.Contains(err.Error(), `bad holding "most"`) {
		t.Errorf("holding most: %v, want a bad holding error", err)
	}
	c.Restart = &Restart{Holding: "foreign", Groups: []string{"ip1", "db9"}}
	mm, m, err := stack(t, c)
	if err != nil {
		t.Fatal(err)
	}
	mm.Start(layer.Time{Mono: 1e9, Wall: 1_795_316_771})
	var warned bool
	for _, l := range logsOf(mm, m) {
		warned = warned || strings.Contains(l, "restart: held group db9 is not in haresources")
	}
	if !warned {
		t.Error("no warning about group db9")
	}
	if !m.Holds("ip1") || m.Holds("db9") || m.rsc.iHold != holdForeign {
		t.Errorf("holds ip1 %v, db9 %v, i_hold %d; want true, false, foreign (-C wins)", m.Holds("ip1"), m.Holds("db9"), m.rsc.iHold)
	}
	if m.Holding() != "transition" {
		t.Errorf("Holding before any peer answered: %s, want transition", m.Holding())
	}
}

// legacy → nice: heartbeat assumes local; hbd adds the foreign groups it
// knows it holds. nice → legacy with -C local re-requests local groups at
// comm-up; without it, nothing.
func TestRestartToggle(t *testing.T) {
	groups := []GroupConfig{{Key: "ip1", Node: "node1"}, {Key: "web2", Node: "node2"}}
	for _, tc := range []struct {
		mode    FailbackMode
		rs      Restart
		hold    uint8
		acquire bool
		line    string
	}{
		{FailbackOn, Restart{Groups: []string{"web2"}}, holdAll, false, "restart: assuming HB_LOCAL_RSC"},
		{FailbackOn, Restart{Holding: "local", Groups: []string{"ip1"}}, holdLocal, false, ""},
		{FailbackLegacy, Restart{Holding: "local"}, holdNone, true, "restart: acquiring local resources."},
		{FailbackLegacy, Restart{Holding: "foreign"}, holdNone, false, "restart:  local resources already acquired."},
		{FailbackLegacy, Restart{}, holdNone, false, ""},
	} {
		c := Config{Failback: tc.mode, Groups: groups}
		c.Restart = &tc.rs
		mm, m, err := stack(t, c)
		if err != nil {
			t.Fatal(err)
		}
		mm.Start(layer.Time{Mono: 1e9, Wall: 1_795_316_771})
		var restartLines []string
		for _, s := range logsOf(mm, m) {
			if strings.Contains(s, "restart:") {
				restartLines = append(restartLines, s)
			}
		}
		want := 0
		if tc.line != "" {
			want = 1
		}
		if len(restartLines) != want || (want == 1 && !strings.HasSuffix(restartLines[0], tc.line)) {
			t.Errorf("%d %+v: logged %q, want %q", tc.mode, tc.rs, restartLines, tc.line)
		}
		if m.rsc.iHold != tc.hold || m.rsc.restartAcquire != tc.acquire {
			t.Errorf("%d %+v: i_hold %d acquire %v, want %d %v", tc.mode, tc.rs, m.rsc.iHold, m.rsc.restartAcquire, tc.hold, tc.acquire)
		}
	}
}

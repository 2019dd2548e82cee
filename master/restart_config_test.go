package master

import (
	"strings"
	"testing"
)

// A bad -C is a configuration error; a group the old process held that
// the new haresources no longer has is reported, not managed.
func TestRestartConfig(t *testing.T) {
	c := testConfig(t, "node1", 1, "node1", "node2")
	c.Resources = ResourceConfig{Manage: true, Failback: FailbackOn, Groups: []GroupConfig{{Key: "ip1", Node: "node1"}}}
	c.Restart = &Restart{Holding: "most"}
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), `bad holding "most"`) {
		t.Errorf("holding most: %v, want a bad holding error", err)
	}
	c.Restart = &Restart{Holding: "foreign", Groups: []string{"ip1", "db9"}}
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(Time{Mono: 1e9, Wall: 1_795_316_771})
	var warned bool
	for _, l := range ready(m).Logs {
		warned = warned || strings.Contains(l.String(), "restart: held group db9 is not in haresources")
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
		c := testConfig(t, "node1", 1, "node1", "node2")
		c.Resources = ResourceConfig{Manage: true, Failback: tc.mode, Groups: groups}
		c.Restart = &tc.rs
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(Time{Mono: 1e9, Wall: 1_795_316_771})
		var restartLines []string
		for _, l := range ready(m).Logs {
			if s := l.String(); strings.Contains(s, "restart:") {
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

package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Monitoring is off unless asked for: a heartbeat configuration parses to
// no monitor, with the documented restart policy ready.
func TestMonitorDefaults(t *testing.T) {
	c := mustParse(t, base)
	if c.Monitor.Interval != 0 || c.LRM || c.Monitored() {
		t.Errorf("monitoring on by default: %+v lrm %v", c.Monitor, c.LRM)
	}
	if c.Monitor.Restarts != DefaultMonitorRestarts || c.Monitor.Window != DefaultMonitorWindow {
		t.Errorf("defaults: %+v", c.Monitor)
	}
}

func TestMonitorDirectives(t *testing.T) {
	for _, tc := range []struct {
		lines         string
		interval, tmo time.Duration
		restarts      int
		window        time.Duration
	}{
		{"hbd_monitor 10\n", 10 * time.Second, 0, 3, 10 * time.Minute},
		{"hbd_monitor 500ms 5s\n", 500 * time.Millisecond, 5 * time.Second, 3, 10 * time.Minute},
		{"hbd_monitor 2s 30\nhbd_monitor_restarts 0\nhbd_monitor_window 1h\n", 2 * time.Second, 30 * time.Second, 0, time.Hour},
		{"hbd_monitor 1m\nhbd_monitor_restarts 5\nhbd_monitor_window 90s\n", time.Minute, 0, 5, 90 * time.Second},
		{"hbd_monitor 10s,20s\n", 10 * time.Second, 20 * time.Second, 3, 10 * time.Minute}, // commas split tokens, as heartbeat's lexer does
	} {
		c := mustParse(t, base+tc.lines)
		m := c.Monitor
		if m.Interval != tc.interval || m.Timeout != tc.tmo || m.Restarts != tc.restarts || m.Window != tc.window {
			t.Errorf("%q: %+v", tc.lines, m)
		}
		if _, ok := c.Params.Get("hbd_monitor"); ok {
			t.Errorf("hbd_monitor recorded as a parameter")
		}
	}
	if c := mustParse(t, base+"hbd_lrm on\n"); !c.LRM {
		t.Errorf("hbd_lrm on: not set")
	}
	for line, want := range map[string]string{
		"hbd_monitor 10ms":          "hbd_monitor interval [10ms] must be a time of at least 100ms",
		"hbd_monitor often":         "hbd_monitor interval [often] must be a time of at least 100ms",
		"hbd_monitor 10 x":          "hbd_monitor timeout [x] must be a time above 0",
		"hbd_monitor 10 20 30":      "hbd_monitor takes an interval and an optional timeout, not [10 20 30]",
		"hbd_monitor_restarts -1":   "hbd_monitor_restarts [-1] must be a number from 0 to 1000",
		"hbd_monitor_restarts many": "hbd_monitor_restarts [many] must be a number from 0 to 1000",
		"hbd_monitor_window 0":      "hbd_monitor_window [0] must be a time above 0",
		"hbd_lrm perhaps":           "hbd_lrm [perhaps] must be on or off",
	} {
		_, _, err := ParseHACF(testPath, []byte(base+line+"\n"), testEnv())
		var d Diagnostic
		if !errors.As(err, &d) || d.Msg != want || d.Line != 4 || !d.Hbd {
			t.Errorf("%q: %v, want %q at line 4", line, err, want)
		}
	}
}

// The haresources suffix: split off the token before ResourceManager's
// parsing (so the group key, script and arguments are what they are
// without it), and combined with ha.cf's default.
func TestHaresourcesMonitorSuffix(t *testing.T) {
	in := "node1 198.18.0.100::hbd_monitor=5s websvc::hbd_monitor=off OCF::Dummy::d1::hbd_monitor=2s/30s plain\n" +
		"node2 IPaddr2::198.18.0.101/24/eth0::hbd_monitor=1500ms Filesystem::/dev/sda1::/data::ext3\n"
	hr, _, err := ParseHaresources(hrPath, []byte(in), hrNodes)
	if err != nil {
		t.Fatal(err)
	}
	g := hr.Groups[0]
	if g.Key() != "198.18.0.100" {
		t.Errorf("key %q: the suffix must not be part of the group key", g.Key())
	}
	r := g.Resources
	if r[0].Script != "IPaddr" || r[0].IP == nil || r[0].IP.IP != "198.18.0.100" || r[0].Monitor.Interval != 5*time.Second {
		t.Errorf("bare IP: %+v", r[0])
	}
	if r[1].Script != "websvc" || len(r[1].Args) != 0 || !r[1].Monitor.Off {
		t.Errorf("off: %+v", r[1])
	}
	if r[2].Script != "OCF" || strings.Join(r[2].Args, " ") != "Dummy d1" || r[2].Monitor.Interval != 2*time.Second || r[2].Monitor.Timeout != 30*time.Second {
		t.Errorf("OCF: %+v", r[2])
	}
	if r[3].Monitor.Set {
		t.Errorf("plain resource has a monitor: %+v", r[3])
	}
	g2 := hr.Groups[1]
	if g2.Key() != "IPaddr2::198.18.0.101/24/eth0" || g2.Resources[0].IP.Iface != "eth0" || g2.Resources[0].Monitor.Interval != 1500*time.Millisecond {
		t.Errorf("IPaddr2: %q %+v", g2.Key(), g2.Resources[0])
	}

	// Effective settings: ha.cf's default, overridden per resource.
	m := Monitor{}
	for i, want := range []time.Duration{5 * time.Second, 0, 2 * time.Second, 0} {
		if iv, _ := m.MonitorOf(&r[i]); iv != want {
			t.Errorf("no hbd_monitor: resource %d interval %v, want %v", i, iv, want)
		}
	}
	m = Monitor{Interval: 10 * time.Second}
	for i, want := range [][2]time.Duration{{5 * time.Second, DefaultMonitorTimeout}, {0, 0}, {2 * time.Second, 30 * time.Second}, {10 * time.Second, DefaultMonitorTimeout}} {
		if iv, to := m.MonitorOf(&r[i]); iv != want[0] || to != want[1] {
			t.Errorf("hbd_monitor 10: resource %d %v/%v, want %v", i, iv, to, want)
		}
	}

	for tok, want := range map[string]string{
		"websvc::hbd_monitor=":       "hbd_monitor interval [] must be a time of at least 100ms (or off) (resource websvc)",
		"websvc::hbd_monitor=fast":   "hbd_monitor interval [fast] must be a time of at least 100ms (or off) (resource websvc)",
		"websvc::hbd_monitor=10s/0":  "hbd_monitor timeout [0] must be a time above 0 (resource websvc)",
		"websvc::hbd_monitor=1ms/5s": "hbd_monitor interval [1ms] must be a time of at least 100ms (or off) (resource websvc)",
		"::hbd_monitor=5s":           "hbd_monitor suffix without a resource (resource )",
	} {
		_, _, err := ParseHaresources(hrPath, []byte("node1 a\nnode1 "+tok+"\n"), hrNodes)
		var d Diagnostic
		if !errors.As(err, &d) || d.Msg != want || d.Line != 2 || !d.Fatal || !d.Hbd {
			t.Errorf("%q: %v, want %q at line 2", tok, err, want)
		}
	}
}

// FuzzMonitorSuffix: any token parses without panicking; a valid suffix
// leaves the token as ResourceManager would read it without the suffix,
// and a valid interval is at least the minimum.
func FuzzMonitorSuffix(f *testing.F) {
	for _, s := range []string{"websvc::hbd_monitor=10s", "1.2.3.4::hbd_monitor=off", "OCF::D::i::hbd_monitor=2s/30s",
		"x::hbd_monitor=99999999999999999999", "x::hbd_monitor=1.5/.", "::hbd_monitor=::hbd_monitor=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		r := parseResourceToken(tok)
		if !r.Monitor.Set {
			if r.Token != tok {
				t.Fatalf("no suffix, token %q became %q", tok, r.Token)
			}
			return
		}
		if !strings.HasPrefix(tok, r.Token) || strings.Contains(tok[len(r.Token):][len(monitorSuffix):], monitorSuffix) {
			t.Fatalf("token %q: kept %q", tok, r.Token)
		}
		if m := r.Monitor; m.Err == "" && !m.Off && (m.Interval < minMonitorInterval || m.Timeout < 0) {
			t.Fatalf("token %q: accepted %+v", tok, m)
		}
	})
}

package config

import (
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testPath = "/etc/ha.d//ha.cf"

// base is a minimal valid ha.cf for testEnv.
const base = "node node1\nbcast eth0\nlogfacility local0\n"

func mustParse(t *testing.T, hacf string) *Config {
	t.Helper()
	c, ds, err := ParseHACF(testPath, []byte(hacf), testEnv())
	if err != nil {
		t.Fatalf("ParseHACF: %v\nall diagnostics:\n%s", err, strings.Join(render(ds), "\n"))
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, base)
	want := map[string]string{
		"hbversion": "3.0.6", "cluster": "linux-ha", "hopfudge": "1", "keepalive": "1000ms",
		"deadtime": "30000ms", "warntime": "15000ms", "initdead": "30000ms", "deadping": "30000ms",
		"baud": "19200", "auto_failback": "legacy", "hbgenmethod": "file", "realtime": "true",
		"msgfmt": "classic", "conn_logd_time": "60", "log_badpack": "true", "syslogmsgfmt": "true",
		"coredumps": "true", "pacemaker": "false", "autojoin": "none", "uuidfrom": "file",
		"compression": "zlib", "compression_threshold": "2", "traditional_compression": "no",
		"max_rexmit_delay": "250", "record_config_changes": "on", "record_pengine_inputs": "on",
		"enable_config_writes": "on", "memreserve": "6500", "debug": "0", "udpport": "694",
		"logfacility": "local0", "logfile": "/dev/null", "debugfile": "/dev/null",
	}
	for name, v := range want {
		if got, ok := c.Params.Get(name); !ok || got != v {
			t.Errorf("param %s = %q (set %v), want %q", name, got, ok, v)
		}
	}
	if len(c.Params) != len(want) {
		t.Errorf("%d params, want %d: %v", len(c.Params), len(want), c.Params)
	}
	if c.Params[0].Name != "hbversion" {
		t.Errorf("first param %q, want hbversion (heartbeat records it first)", c.Params[0].Name)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Keepalive", c.Keepalive, time.Second},
		{"Deadtime", c.Deadtime, 30 * time.Second},
		{"Warntime", c.Warntime, 15 * time.Second},
		{"Initdead", c.Initdead, 30 * time.Second},
		{"Deadping", c.Deadping, 30 * time.Second},
		{"ConnLogdTime", c.ConnLogdTime, time.Minute},
		{"MaxRexmitDelay", c.MaxRexmitDelay, 250 * time.Millisecond},
		{"UDPPort", c.UDPPort, 694},
		{"Baud", c.Baud, 19200},
		{"AutoFailback", c.AutoFailback, FailbackLegacy},
		{"HopFudge", c.HopFudge, 1},
		{"Realtime", c.Realtime, true},
		{"MemReserve", c.MemReserve, 6500},
		{"CompressionThreshold", c.CompressionThreshold, 2},
		{"Compression", c.Compression, "zlib"},
		{"Coredumps", c.Coredumps, true},
		{"SyslogMsgFmt", c.SyslogMsgFmt, true},
		{"LogBadpack", c.LogBadpack, true},
		{"Cluster", c.Cluster, "linux-ha"},
		{"LocalNode", c.LocalNode, "node1"},
		{"ManageResources", c.ManageResources, true},
		{"UseLogd", c.UseLogd, false},
		{"APIAuth clients", len(c.APIAuth), 5},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestDirectiveValues(t *testing.T) {
	for _, tc := range []struct {
		hacf  string
		check func(c *Config) any
		want  any
	}{
		{"node A,B  c\tD\n", func(c *Config) any { return nodeNames(c) }, []string{"node1", "a", "b", "c", "d"}},
		{"node node1 NODE1\n", func(c *Config) any { return nodeNames(c) }, []string{"node1"}},
		{"keepalive 1 2\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
		{"keepalive 250ms\ndeadtime 1.5\n", func(c *Config) any { return []time.Duration{c.Keepalive, c.Deadtime} },
			[]time.Duration{250 * time.Millisecond, 1500 * time.Millisecond}},
		{"keepalive 2\n", func(c *Config) any { p, _ := c.Params.Get("keepalive"); return p }, "2"},
		{"deadtime 5\n", func(c *Config) any { return c.Initdead }, 12 * time.Second},
		{"deadtime 8\n", func(c *Config) any { return c.Initdead }, 16 * time.Second},
		{"deadtime 11\n", func(c *Config) any { return c.Initdead }, 11 * time.Second},
		{"deadtime 20\nwarntime 5\n", func(c *Config) any { return c.Warntime }, 5 * time.Second},
		{"deadtime 20\nwarntime 50\n", func(c *Config) any { return c.Warntime }, 50 * time.Second}, // no check against deadtime
		{"udpport 7000\n", func(c *Config) any { return c.UDPPort }, 7000},
		{"baud 115200\n", func(c *Config) any { return c.Baud }, 115200},
		{"auto_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackOn},
		{"auto_failback No\n", func(c *Config) any { return c.AutoFailback }, FailbackOff},
		{"auto_failback Legacy\n", func(c *Config) any { return c.AutoFailback }, FailbackLegacy},
		{"nice_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackLegacy},
		{"auto_failback on\nnice_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackOff},
		{"watchdog /dev/watchdog\n", func(c *Config) any { return c.Watchdog }, "/dev/watchdog"},
		{"rtprio 50\nrealtime off\n", func(c *Config) any { return []any{c.RTPrio, c.Realtime} }, []any{50, false}},
		{"hbgenmethod time\nuuidfrom nodename\nautojoin NONE\n", func(c *Config) any { return []string{c.GenMethod, c.UUIDFrom, c.AutoJoin} },
			[]string{"time", "nodename", "none"}},
		{"msgfmt netstring\ncompression bz2\ncompression_threshold 5\ntraditional_compression yes\n",
			func(c *Config) any {
				return []any{c.MsgFmt, c.Compression, c.CompressionThreshold, c.TraditionalCompression}
			},
			[]any{"netstring", "bz2", 5, true}},
		{"max_rexmit_delay 100x\n", func(c *Config) any { return c.MaxRexmitDelay }, 100 * time.Millisecond},
		{"env A=b=c\nenv B=\n", func(c *Config) any { return c.Env },
			[]EnvVar{{Line: 4, Name: "A", Value: "b=c"}, {Line: 5, Name: "B"}}},
		{"cluster one\nquorum_server qs\n", func(c *Config) any { return []string{c.Cluster, c.QuorumServer} }, []string{"qs", "qs"}},
		{"debug 3\nhopfudge 4\nmemreserve 100\n", func(c *Config) any { return []int{c.Debug, c.HopFudge, c.MemReserve} }, []int{3, 4, 100}},
		{"logfile /var/log/ha-log\n", func(c *Config) any { return []string{c.LogFile, c.DebugFile} }, []string{"/var/log/ha-log", "/dev/null"}},
		{"use_logd yes\nconn_logd_time 500ms\n", func(c *Config) any { return []any{c.UseLogd, c.ConnLogdTime} }, []any{true, 500 * time.Millisecond}},
		{"use_apphbd yes\ncoreroot /var/core\n", func(c *Config) any { return []any{c.UseApphbd, c.CoreRoot} }, []any{true, "/var/core"}},
		{"log_badpack off\nsyslogmsgfmt false\ncoredumps n\n", func(c *Config) any { return []bool{c.LogBadpack, c.SyslogMsgFmt, c.Coredumps} },
			[]bool{false, false, false}},
		{"pacemaker off\n", func(c *Config) any { return c.ManageResources }, true},
		// The CRM: hbd's own, in-process; haresources is not managed.
		{"pacemaker on\n", func(c *Config) any { return []bool{c.CRM, c.ManageResources} }, []bool{true, false}},
		{"crm respawn\n", func(c *Config) any { return []bool{c.CRM, c.ManageResources} }, []bool{true, false}},
		{"crm yes\n", func(c *Config) any { return []bool{c.CRM, c.ManageResources} }, []bool{true, false}},
		{"pacemaker ccm-only\n", func(c *Config) any { return []bool{c.CRM, c.ManageResources} }, []bool{false, true}},
		{"respawn hacluster /usr/lib/heartbeat/ipfail -v  \nfailfast root /bin/true\n", func(c *Config) any { return c.Clients },
			[]Client{
				{Line: 4, User: "hacluster", UID: 108, GID: 113, Command: "/usr/lib/heartbeat/ipfail -v  ", Path: "/usr/lib/heartbeat/ipfail"},
				{Line: 5, User: "root", Command: "/bin/true", Path: "/bin/true", Failfast: true},
			}},
		{"apiauth ipfail uid=root,108 gid=\napiauth x gid=haclient\n", func(c *Config) any { return c.APIAuth[:3] },
			[]APIAuth{
				{Line: 4, Client: "ipfail", UIDs: []int{0, 108}, GIDs: []int{}},
				{Line: 5, Client: "x", GIDs: []int{113}},
				{Client: "ccm", UIDs: []int{108}},
			}},
		{"stonith null /etc/stonith.cfg\nstonith_host node1 external/ssh node1 node2\nstonith_host other null x\n",
			func(c *Config) any { return *c.Stonith },
			Stonith{Line: 5, Type: "external/ssh", Host: "node1", Params: "node1 node2"}},
		{"stonith_host * null a\nstonith null /etc/stonith.cfg\n", func(c *Config) any { return *c.Stonith },
			Stonith{Line: 5, Type: "null", ConfigFile: "/etc/stonith.cfg"}},
	} {
		t.Run(strings.SplitN(tc.hacf, "\n", 2)[0], func(t *testing.T) {
			c := mustParse(t, base+tc.hacf)
			if got := tc.check(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func nodeNames(c *Config) []string {
	var names []string
	for _, n := range c.Nodes {
		names = append(names, n.Name)
	}
	return names
}

func TestMedia(t *testing.T) {
	hacf := "node node1\nlogfacility local0\n" +
		"bcast eth0,eth1\n" + // 3
		"udpport 700\n" + // 4
		"bcast lo\n" + // 5: bcast read udpport on line 3
		"ucast eth0 10.0.0.2\n" + // 6: first ucast: 700
		"ucast eth1 peer2 ignored\n" + // 7
		"mcast eth0 239.0.0.1 695 256 1\n" + // 8: ttl 256 wraps to 0
		"ucast6 eth0 fe80::2%eth0\n" + // 9
		"mcast6 eth1 ff05::1:3 domain 2 0\n" + // 10
		"serial /dev/ttyS0\n" + // 11
		"ping gw 10.0.0.254\n" + // 12
		"ping6 2001:db8::1\n" + // 13
		"ping_group Group1 10.0.0.1 gw\n" + // 14
		"udp eth1\n" // 15
	c := mustParse(t, hacf)
	want := []Medium{
		{Type: "bcast", Line: 3, Name: "eth0", Iface: "eth0", Port: 694},
		{Type: "bcast", Line: 3, Name: "eth1", Iface: "eth1", Port: 694},
		{Type: "bcast", Line: 5, Name: "lo", Iface: "lo", Port: 694},
		{Type: "ucast", Line: 6, Name: "eth0", Iface: "eth0", Peer: "10.0.0.2", Addr: netip.MustParseAddr("10.0.0.2"), Port: 700},
		{Type: "ucast", Line: 7, Name: "eth1", Iface: "eth1", Peer: "peer2", Port: 700},
		{Type: "mcast", Line: 8, Name: "eth0", Iface: "eth0", Group: "239.0.0.1", Addr: netip.MustParseAddr("239.0.0.1"), Port: 695, TTL: 0, Loop: true},
		{Type: "ucast6", Line: 9, Name: "eth0", Iface: "eth0", Peer: "fe80::2%eth0", Addr: netip.MustParseAddr("fe80::2%eth0"), Port: 700},
		{Type: "mcast6", Line: 10, Name: "eth1", Iface: "eth1", Group: "ff05::1:3", Addr: netip.MustParseAddr("ff05::1:3"), Port: 53, TTL: 2},
		{Type: "serial", Line: 11, Name: "/dev/ttyS0"},
		{Type: "ping", Line: 12, Name: "gw", Peer: "gw"},
		{Type: "ping", Line: 12, Name: "10.0.0.254", Peer: "10.0.0.254", Addr: netip.MustParseAddr("10.0.0.254")},
		{Type: "ping6", Line: 13, Name: "2001:db8::1", Peer: "2001:db8::1", Addr: netip.MustParseAddr("2001:db8::1")},
		{Type: "ping_group", Line: 14, Name: "Group1", Hosts: []string{"10.0.0.1", "gw"}},
		{Type: "bcast", Line: 15, Name: "eth1", Iface: "eth1", Port: 694},
	}
	if !reflect.DeepEqual(c.Media, want) {
		t.Errorf("media:\ngot  %+v\nwant %+v", c.Media, want)
	}
	wantNodes := []Node{
		{"node1", NormalNode, 1}, {"gw", PingNode, 12}, {"10.0.0.254", PingNode, 12},
		{"2001:db8::1", PingNode, 13}, {"group1", PingNode, 14},
	}
	if !reflect.DeepEqual(c.Nodes, wantNodes) {
		t.Errorf("nodes:\ngot  %+v\nwant %+v", c.Nodes, wantNodes)
	}
}

// TestLineErrors checks that every failing line is reported at its line,
// with heartbeat's words or, where heartbeat says nothing, hbd's.
func TestLineErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // the first fatal diagnostic's message
		hbd  bool
	}{
		{"bogus 1", "Illegal directive [bogus] in " + testPath, false},
		{"Node node1", "Illegal directive [Node] in " + testPath, false},
		{"node,x y", "Illegal directive [node,x] in " + testPath, false},
		{"normalpoll on", "Illegal directive [normalpoll] in " + testPath, false},
		{"tipc eth0", "Illegal directive [tipc] in " + testPath, false},
		{"keepalive 500 ms", "Invalid keepalive value [ms]", true},
		{"keepalive 2s", "Invalid keepalive value [2s]", true},
		{"deadtime 1sec", "Invalid deadtime value [1sec]", true},
		{"warntime 0", "Warn time [0] is invalid.", false},
		{"initdead x", "Invalid initdead value [x]", true},
		{"udpport -1", "invalid port [-1] specified.", false},
		{"baud 300", "invalid baudrate [300] specified.", false},
		{"hopfudge 256", "Invalid hopfudge value [256]", true},
		{"debug 256", "Invalid debug value [256]", true},
		{"rtprio 100", "Illegal realtime priority [100]", false},
		{"logfacility LOCAL0", "Log facility(LOCAL0) not valid", false},
		{"hbgenmethod Time", "Illegal hb generation method [Time]", false},
		{"uuidfrom Nodename", "Invalid uuidfrom directive [Nodename]", false},
		{"autojoin some", "Invalid autojoin directive [some]", false},
		{"compression gzip", "Compression module(gzip) not found", false},
		{"compression_threshold 0", "set_compression_threshold: compress_threshhold(0) invalid", false},
		{"max_rexmit_delay -5", "Invalid max_rexmit_delay time(-5)", false},
		{"env =v", "set_env: invalid nvpair(=v)", false},
		{"crm_daemon_dir /usr/lib/pacemaker", "Invalid crm_daemon_dir value [/usr/lib/pacemaker]", true},
		{"mcast eth0 239.0.0.1 694 5 0", "glib:  mcast [eth0] bad ttl [5]", false},
		{"mcast dummy0 239.0.0.1 694 1 0", "glib: Unable to retrieve local interface address for interface [dummy0] using ioctl(SIOCGIFADDR): Cannot assign requested address", false},
		{"mcast", "mcast statement without device", true},
		{"ucast", "ucast statement without device", true},
		{"ucast eth0 nowhere", "glib: ucast: cannot resolve hostname", false},
		{"bcast dummy0", "glib: Get broadcast for interface dummy0 failed: Cannot assign requested address", false},
		{"ping_group g", "Invalid ping_group value [g]", true},
		{"serial /dev/ttyS9", "glib: Nonexistent serial port [/dev/ttyS9] in config file", false},
		{"respawn root /bin/false", "Client child command [/bin/false] is not executable", false},
		{"apiauth x", "Invalid apiauth directive [x]", false},
		{"stonith_host node1 null", "Invalid Stonith configuration parameter []", false},
	} {
		t.Run(tc.line, func(t *testing.T) {
			_, _, err := ParseHACF(testPath, []byte(base+tc.line+"\n"), testEnv())
			var d Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a Diagnostic", err)
			}
			if d.Msg != tc.want || d.Line != 4 || d.File != testPath || d.Hbd != tc.hbd {
				t.Errorf("first fatal = %q at %s:%d (hbd %v), want %q at line 4 (hbd %v)", d.Msg, d.File, d.Line, d.Hbd, tc.want, tc.hbd)
			}
			if !strings.HasPrefix(d.Error(), testPath+":4: ") {
				t.Errorf("Error() = %q, want the file:line prefix", d.Error())
			}
		})
	}
}

// TestGlobalOrder checks that the global checks report in heartbeat's
// order, each at the line of the directive behind it.
func TestGlobalOrder(t *testing.T) {
	hacf := "keepalive 2\n" + // 1
		"deadtime 4\n" + // 2
		"initdead 3\n" + // 3
		"deadping 1\n" + // 4
		"autojoin other\n" + // 5
		"use_logd off\n" // 6
	_, ds, err := ParseHACF(testPath, []byte(hacf), testEnv())
	if err == nil {
		t.Fatal("no error")
	}
	var got []string
	for _, d := range ds.Fatal() {
		got = append(got, d.String())
	}
	want := []string{
		testPath + ": No heartbeat media defined",
		testPath + ": no nodes defined",
		testPath + ": Current node [node1] not in configuration!",
		testPath + ":2: Dead time [4000] is too small compared to keeplive [2000]",
		testPath + ":3: Initial dead time [3000] is smaller than deadtime [4000]",
		testPath + ":4: Ping dead time [1000] is too small compared to keeplive [2000]",
		testPath + ":6: No log entry found in ha.cf and use_logd is set to off",
		testPath + ":5: R1 style resource management conflicts with  autojoin set",
		testPath + ":5: You need either unset autojoin or enable crm",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fatal diagnostics:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParamsReparse is the property the fuzz target checks, on examples:
// the recorded values, written back as ha.cf lines, parse to the same
// parameters.
func TestParamsReparse(t *testing.T) {
	c := mustParse(t, base+"keepalive 250ms\ndeadtime 2,3\nauto_failback on\nudpport 700\nenv X=1\n")
	again := mustParse(t, recordedHACF(c))
	if diff := compareRecorded(c, again); diff != "" {
		t.Error(diff)
	}
}

// Heartbeat refuses more than 100 nodes (MAXNODE); hbd takes them, with a
// warning on the line of the 101st, up to MaxNodes.
func TestNodeLimit(t *testing.T) {
	hacf := func(n int) string {
		var b strings.Builder
		b.WriteString("bcast eth0\nlogfacility local0\n")
		for i := 1; i <= n; i++ {
			b.WriteString("node node" + strconv.Itoa(i) + "\n")
		}
		return b.String()
	}
	c, ds, err := ParseHACF(testPath, []byte(hacf(128)), testEnv())
	if err != nil {
		t.Fatalf("128 nodes: %v", err)
	}
	if len(c.Nodes) != 128 {
		t.Errorf("128 nodes: parsed %d", len(c.Nodes))
	}
	warned := false
	for _, d := range ds {
		if d.Level == LevelWarn && strings.Contains(d.Msg, "more than 100 nodes") {
			warned = true
			if d.Line != 2+101 {
				t.Errorf("warning on line %d, want %d (the 101st node): %s", d.Line, 2+101, d.Msg)
			}
		}
	}
	if !warned {
		t.Errorf("128 nodes: no warning that heartbeat refuses them: %v", render(ds))
	}
	if _, ds, err := ParseHACF(testPath, []byte(hacf(100)), testEnv()); err != nil {
		t.Errorf("100 nodes: %v", err)
	} else {
		for _, d := range ds {
			if strings.Contains(d.Msg, "more than 100 nodes") {
				t.Errorf("100 nodes warned: %s", d.Msg)
			}
		}
	}
	_, ds, err = ParseHACF(testPath, []byte(hacf(MaxNodes+1)), testEnv())
	if err == nil {
		t.Fatalf("%d nodes accepted", MaxNodes+1)
	}
	found := false
	for _, d := range ds {
		if d.Fatal && strings.Contains(d.Msg, "Too many nodes specified (> 1024)") && d.Line == 2+MaxNodes+1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no error on the line of node %d: %v", MaxNodes+1, render(ds))
	}
}

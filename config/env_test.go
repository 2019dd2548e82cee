package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// testEnv is a small, fixed system: node "node1", interfaces lo, eth0,
// eth1 (with IPv4) and dummy0 (without), users root and hacluster, groups
// root and haclient, a serial port, /etc/services knowing port 53 only.
func testEnv() Env {
	users := map[string][2]int{"root": {0, 0}, "hacluster": {108, 113}, "nobody": {65534, 65534}}
	groups := map[string]int{"root": 0, "haclient": 113}
	ifaces := map[string]Interface{"lo": {1, true}, "eth0": {2, true}, "eth1": {3, true}, "dummy0": {4, false}}
	files := map[string]fs.FileMode{
		"/dev/ttyS0":       fs.ModeDevice | fs.ModeCharDevice | 0o660,
		"/etc/passwd":      0o644,
		"/etc/stonith.cfg": 0o600,
	}
	return Env{
		ReadFile: readFile, // the tests' configurations are in temporary directories
		NodeName: func() (string, error) { return "Node1", nil },
		ServiceByName: func(name, proto string) (int, bool) {
			return 53, name == "domain" && proto == "udp"
		},
		ServiceByPort: func(port int, proto string) (string, bool) {
			return "domain", port == 53 && proto == "udp"
		},
		LookupUser: func(name string) (int, int, bool) {
			u, ok := users[name]
			return u[0], u[1], ok
		},
		LookupGroup: func(name string) (int, bool) {
			g, ok := groups[name]
			return g, ok
		},
		Executable: func(path string) bool {
			return path == "/bin/true" || path == "/usr/lib/heartbeat/ipfail"
		},
		Stat: func(path string) (fs.FileMode, error) {
			if m, ok := files[path]; ok {
				return m, nil
			}
			return 0, fs.ErrNotExist
		},
		Interface: func(name string) (Interface, bool) {
			i, ok := ifaces[name]
			return i, ok
		},
		LookupHost: func(host string) error {
			if host == "peer2" || host == "gw" {
				return nil
			}
			return errors.New("Resource temporarily unavailable")
		},
		StonithType: func(name string) bool { return name == "null" || strings.HasPrefix(name, "external/") },
	}
}

// render prints diagnostics as heartbeat's lines without the syslog
// prefix ("ERROR: msg"), each followed by " @<line>" when it has one.
func render(ds Diagnostics) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Level.String() + ": " + d.Msg
		if d.Line > 0 {
			out[i] += " @" + itoa(d.Line)
		}
	}
	return out
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestLocalNodeName(t *testing.T) {
	long := strings.Repeat("x", 300) + "\n"
	for _, tc := range []struct {
		nodeinfo, want string
	}{
		{"", "uname"},
		{"alpha\nbeta\n", "alpha"},
		{"alpha", "uname"}, // no newline: heartbeat ignores it
		{"\n", ""},         // an empty first line gives an empty name
		{"\x00x\n", "uname"},
		{"al\x00pha\n", "al"},
		{long, "uname"}, // the newline is past heartbeat's 256-byte buffer
	} {
		if got := LocalNodeName("uname", []byte(tc.nodeinfo)); got != tc.want {
			t.Errorf("LocalNodeName(%q) = %q, want %q", tc.nodeinfo, got, tc.want)
		}
	}
}

func TestEnvNilFuncs(t *testing.T) {
	// A zero Env must not panic: look-ups find nothing.
	_, _, err := ParseHACF("ha.cf", []byte("node a\n"), Env{})
	if err == nil || !strings.Contains(err.Error(), "NodeName") {
		t.Fatalf("ParseHACF with zero Env: err = %v, want a NodeName error", err)
	}
	env := Env{NodeName: func() (string, error) { return "a", nil }}
	_, ds, err := ParseHACF("ha.cf", []byte("node a\nbcast eth0\nrespawn root /bin/true\nserial /dev/ttyS0\n"), env)
	if err == nil {
		t.Fatalf("want errors, got none: %v", ds)
	}
}

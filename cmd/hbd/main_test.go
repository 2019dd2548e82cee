package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The test binary doubles as hbd: run with HBD_TEST_MAIN=1 it is the
// command, so the tests exec a real process without building one.
func TestMain(m *testing.M) {
	if os.Getenv("HBD_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// hbd runs the command as argv0 (a symlink to the test binary when not
// "hbd") and returns its stdout, stderr and exit status.
func hbd(t *testing.T, argv0 string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runHbd(t, nil, argv0, args...)
}

// runHbd runs the test binary as hbd under the name argv0, behind the
// command prefix wrap (e.g. "ip netns exec NS").
func runHbd(t *testing.T, wrap []string, argv0 string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), argv0)
	if err := os.Symlink(exe, path); err != nil {
		t.Fatal(err)
	}
	argv := append(append(wrap[:len(wrap):len(wrap)], path), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "HBD_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

var logLine = regexp.MustCompile(`^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ (\S+): \[\d+\]: (ERROR|WARN|info|notice|CRIT): (.*)$`)

// logged parses stderr into "PRIO: msg" lines, checking the syslog-style
// prefix and the entity name; a line without prefix continues the one
// before (a message with a newline in it).
func logged(t *testing.T, stderr, entity string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		m := logLine.FindStringSubmatch(l)
		if m == nil {
			if len(lines) == 0 {
				t.Fatalf("stderr line without log prefix: %q", l)
			}
			lines[len(lines)-1] += "\n" + l
			continue
		}
		if m[1] != entity {
			t.Errorf("entity %q, want %q: %q", m[1], entity, l)
		}
		lines = append(lines, m[2]+": "+m[3])
	}
	return lines
}

func localNode(t *testing.T) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(host)
}

// confdir writes a configuration directory (authkeys with mode 0600
// unless changed later).
func confdir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "authkeys" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDebianExample runs the check on Debian's example files (copies in
// config/testdata/debian) with a node line for this machine added. The
// real heartbeat's output for them is in config/testdata/heartbeat.
func TestDebianExample(t *testing.T) {
	node := localNode(t)
	files := map[string]string{
		"ha.cf":       readFile(t, "../../config/testdata/debian/ha.cf") + "node " + node + "\n",
		"authkeys":    readFile(t, "../../config/testdata/debian/authkeys"),
		"haresources": readFile(t, "../../config/testdata/debian/haresources"),
	}
	dir := confdir(t, files)
	_, stderr, code := hbd(t, "hbd", "-t", "--confdir", dir)
	if code != 6 {
		t.Errorf("exit %d, want 6", code)
	}
	var got []string
	for _, l := range logged(t, stderr, "hbd") {
		// hbd's messages carry "path[:line]: "; heartbeat's do not.
		l = regexp.MustCompile(`^(\w+: )`+regexp.QuoteMeta(dir)+`//\w+(:\d+)?: `).ReplaceAllString(l, "$1")
		got = append(got, strings.ReplaceAll(l, dir+"/", "/etc/ha.d/"))
	}
	transcript := readFile(t, "../../config/testdata/heartbeat/debian-example.txt")
	_, heartbeat, _ := strings.Cut(transcript, "-- heartbeat --\n")
	heartbeat, _, _ = strings.Cut(heartbeat, "rc=")
	want := strings.Split(strings.TrimSuffix(heartbeat, "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hbd:\n%s\nheartbeat 3.0.6:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The example's own sample lines, uncommented, make it valid. Its
	// "bcast eth0" needs an eth0 with an IPv4 address: as root the check
	// runs in a network namespace of its own that has one.
	files["authkeys"] = strings.Replace(strings.Replace(files["authkeys"], "#auth 1", "auth 1", 1), "#1 crc", "1 crc", 1)
	files["ha.cf"] = strings.Replace(files["ha.cf"], "#bcast\teth0", "bcast\teth0", 1)
	args := []string{"--check", "--confdir=" + confdir(t, files)}
	if os.Geteuid() == 0 {
		_, stderr, code = hbdInNetns(t, args...)
	} else if ifi, err := net.InterfaceByName("eth0"); err == nil && hasIPv4(ifi) {
		_, stderr, code = hbd(t, "hbd", args...)
	} else {
		t.Skip("the example's 'bcast eth0' needs root (for a network namespace) or an eth0 with an IPv4 address")
	}
	lines := logged(t, stderr, "hbd")
	if code != 0 || lines[len(lines)-1] != "info: Configuration validated. Starting heartbeat 3.0.6" {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// hbdInNetns runs hbd in a new network namespace holding an eth0 with an
// address from the test range 198.18.0.0/15 (one end of a veth pair: this
// kernel has no dummy links).
func hbdInNetns(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ns := fmt.Sprintf("hbd-check-%d", os.Getpid())
	run := func(argv ...string) {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out)
		}
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	run("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer")
	run("ip", "-n", ns, "addr", "add", "198.18.0.1/24", "dev", "eth0")
	run("ip", "-n", ns, "link", "set", "eth0", "up")
	return runHbd(t, []string{"ip", "netns", "exec", ns}, "hbd", args...)
}

func hasIPv4(ifi *net.Interface) bool {
	addrs, _ := ifi.Addrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return true
		}
	}
	return false
}

// TestBrokenConfigs checks that each broken configuration is refused with
// exit status 6, the message (heartbeat's words unless noted), its file
// and line, and heartbeat's closing line.
func TestBrokenConfigs(t *testing.T) {
	node := localNode(t)
	for _, tc := range []struct {
		name   string
		change func(files map[string]string)
		mode   os.FileMode // authkeys mode when not 0
		want   string      // with <dir> for the configuration directory
	}{
		{"unknown directive", func(f map[string]string) { f["ha.cf"] += "bogus on\n" },
			0, "ERROR: <dir>//ha.cf:4: Illegal directive [bogus] in <dir>//ha.cf"},
		{"deadtime not above twice keepalive", func(f map[string]string) { f["ha.cf"] += "keepalive 2\ndeadtime 4\n" },
			0, "ERROR: <dir>//ha.cf:5: Dead time [4000] is too small compared to keeplive [2000]"},
		{"authkeys mode 0644", nil,
			0o644, "ERROR: <dir>//authkeys: Bad permissions on keyfile [<dir>//authkeys], 600 recommended."},
		{"auth 2 without key 2", func(f map[string]string) { f["authkeys"] = "auth 2\n1 sha1 secret\n" },
			0, "ERROR: <dir>//authkeys: Auth Key [2] not found in keyfile [<dir>//authkeys]"},
		{"auth 2 after its key", func(f map[string]string) { f["authkeys"] = "2 sha1 k\nauth 2\n" },
			0, "ERROR: <dir>//authkeys: Auth Key [2] not found in keyfile [<dir>//authkeys]"},
		{"haresources unknown node", func(f map[string]string) { f["haresources"] += "nosuchnode 10.0.0.2\n" },
			0, "ERROR: <dir>//haresources:2: Bad nodename in <dir>//haresources [nosuchnode]"},
		{"time with a space before ms (hbd's words)", func(f map[string]string) { f["ha.cf"] += "keepalive 500 ms\n" },
			0, "ERROR: <dir>//ha.cf:4: Invalid keepalive value [ms]"},
		{"time in seconds with a unit (hbd's words)", func(f map[string]string) { f["ha.cf"] += "deadtime 30s\n" },
			0, "ERROR: <dir>//ha.cf:4: Invalid deadtime value [30s]"},
		{"mcast ttl 5", func(f map[string]string) { f["ha.cf"] += "mcast lo 239.0.0.1 694 5 0\n" },
			0, "ERROR: <dir>//ha.cf:4: glib:  mcast [lo] bad ttl [5]"},
		{"no media", func(f map[string]string) { f["ha.cf"] = "node " + node + "\nlogfacility local0\n" },
			0, "ERROR: <dir>//ha.cf: No heartbeat media defined"},
		{"udpport 0", func(f map[string]string) { f["ha.cf"] += "udpport 0\n" },
			0, "ERROR: <dir>//ha.cf:4: invalid port [0] specified."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"ha.cf":       "node " + node + "\nucast lo 127.0.0.1\nlogfacility local0\n",
				"authkeys":    "auth 1\n1 sha1 secret\n",
				"haresources": node + " 10.0.0.1\n",
			}
			if tc.change != nil {
				tc.change(files)
			}
			dir := confdir(t, files)
			if tc.mode != 0 {
				if err := os.Chmod(filepath.Join(dir, "authkeys"), tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, stderr, code := hbd(t, "hbd", "-t", "--confdir", dir)
			if code != 6 {
				t.Errorf("exit %d, want 6", code)
			}
			lines := logged(t, stderr, "hbd")
			want := strings.ReplaceAll(tc.want, "<dir>", dir)
			found := false
			for _, l := range lines {
				found = found || l == want
			}
			if !found {
				t.Errorf("no line %q in:\n%s", want, stderr)
			}
			if last := lines[len(lines)-1]; last != "ERROR: Configuration error, heartbeat not started." {
				t.Errorf("last line %q", last)
			}
		})
	}
}

func TestValidConfig(t *testing.T) {
	node := localNode(t)
	dir := confdir(t, map[string]string{
		"ha.cf":       "node " + node + " peer\nucast lo 127.0.0.1\nlogfacility local0\nauto_failback on\n",
		"authkeys":    "auth 1\n1 sha1 secret\n",
		"haresources": "peer 10.0.0.1/24/lo httpd\n",
	})
	_, stderr, code := hbd(t, "heartbeat", "-t", "--confdir", dir)
	lines := logged(t, stderr, "heartbeat")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if got := strings.Join(lines[len(lines)-2:], "\n"); got != "info: **************************\ninfo: Configuration validated. Starting heartbeat 3.0.6" {
		t.Errorf("closing lines:\n%s", got)
	}
}

func TestDefaultsTable(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"-D"}, "../../testdata/heartbeat-D.txt"},
		{[]string{"-DW"}, "../../testdata/heartbeat-DW.txt"},
		{[]string{"-W", "-D"}, "../../testdata/heartbeat-DW.txt"},
	} {
		stdout, stderr, code := hbd(t, "hbd", tc.args...)
		if want := readFile(t, tc.file); stdout != want || code != 0 || stderr != "" {
			t.Errorf("hbd %v: exit %d, stderr %q, stdout differs from %s:\n%s", tc.args, code, stderr, tc.file, stdout)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args         []string
		code         int
		stdout, errs string // substrings
	}{
		{[]string{"-V"}, 0, "3.0.6 (hbd ", ""},
		{[]string{"-x", "-V"}, 0, "3.0.6 (hbd ", "invalid option -- 'x'"}, // getopt reports, -V still wins
		{[]string{"-x"}, 2, "", "invalid option -- 'x'\n\nUsage: hbd [-dDkMrRsvWlVft]"},
		{[]string{"--bogus"}, 2, "", "unrecognized option '--bogus'"},
		{[]string{"--confdir"}, 2, "", "option '--confdir' requires an argument"},
		{[]string{"-C"}, 2, "", "option requires an argument -- 'C'"},
		{[]string{"-C", "all"}, 2, "", "-C only valid with -R"},
		{[]string{"-f", "--confdir=/nonexistent"}, 6, "", "Cannot open config file [/nonexistent//ha.cf]"},
		{[]string{"-k", "--rundir=/nonexistent"}, 0, "", "INFO: Heartbeat already stopped."},
		{[]string{"-s", "--rundir=/nonexistent"}, 3, "heartbeat is stopped. No process", ""},
		{[]string{"-r", "--rundir=/nonexistent", "--confdir=/nonexistent"}, 6, "", "Cannot open config file"}, // not running: starts
		{[]string{"-RCall", "--confdir=/nonexistent"}, 6, "", "Cannot open config file"},                      // -R runs the daemon: config first
	} {
		stdout, stderr, code := hbd(t, "hbd", tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.errs) {
			t.Errorf("hbd %q: exit %d, stdout %q, stderr %q; want exit %d, %q, %q", tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.errs)
		}
	}
}

func TestParseArgs(t *testing.T) {
	var errs bytes.Buffer
	o := parseArgs("hbd", []string{"-ddf", "-lv", "extra", "--check", "--confdir=/x", "--statedir", "/s", "-MWC", "local", "--", "-k"}, &errs)
	want := options{debug: 2, foreground: true, noRealtime: true, verbose: true, check: true,
		confdir: "/x", statedir: "/s", rundir: "/run", noResources: true, wiki: true, current: "local"}
	if o != want || errs.Len() != 0 {
		t.Errorf("got %+v (%q), want %+v", o, errs.String(), want)
	}
}

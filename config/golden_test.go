package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The files in testdata/heartbeat hold configurations with what Debian's
// heartbeat 3.0.6 (1:3.0.6-13+b2) printed for them: TestHeartbeatTranscripts
// replays each through Load and requires the same lines. With -capture (as
// root, heartbeat installed) it first reruns the real daemon on each case
// and rewrites its "heartbeat" section.
//
// The daemon runs isolated: new network, mount, PID and UTS namespaces
// (host name node1, only lo, up), tmpfs over /run and /var/lib/heartbeat,
// reboot bound to /bin/true, a 10 s timeout, and a guard line naming an
// unknown node appended to haresources so that validation always fails
// before heartbeat would start.
var capture = flag.Bool("capture", false, "rerun heartbeat 3.0.6 to refresh testdata/heartbeat")

const guardLine = "\n#\nzzzguard x\n"

// goldenCase is one testdata/heartbeat file: "# " comment lines, then
// sections "-- <name> --". Sections ha.cf, authkeys, haresources and
// nodeinfo are files; "heartbeat" is the daemon's stderr (syslog prefix
// removed); "hbd" lists hbd's own diagnostics ("LEVEL: msg @line").
type goldenCase struct {
	header []string
	mode   fs.FileMode // authkeys mode, from a "# mode 0644" line
	// stricter is set by a "# hbd refuses" line: heartbeat accepts the
	// configuration, hbd deliberately does not (its reasons are in the
	// "hbd" section).
	stricter bool
	order    []string
	sections map[string]string
}

func parseGolden(data string) (*goldenCase, error) {
	c := &goldenCase{mode: 0o600, sections: map[string]string{}}
	cur := ""
	for _, line := range strings.SplitAfter(data, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "-- "); ok && strings.HasSuffix(name, " --") {
			cur = strings.TrimSuffix(name, " --")
			c.order = append(c.order, cur)
			c.sections[cur] = ""
			continue
		}
		if cur == "" {
			if line == "" {
				continue
			}
			c.header = append(c.header, line)
			var m uint32
			if _, err := fmt.Sscanf(line, "# mode %o", &m); err == nil {
				c.mode = fs.FileMode(m)
			}
			c.stricter = c.stricter || line == "# hbd refuses\n"
			continue
		}
		c.sections[cur] += line
	}
	if _, ok := c.sections["ha.cf"]; !ok {
		return nil, errors.New("no ha.cf section")
	}
	if _, ok := c.sections["authkeys"]; !ok {
		c.sections["authkeys"] = "auth 1\n1 crc\n"
	}
	return c, nil
}

func (c *goldenCase) format() []byte {
	var b bytes.Buffer
	for _, h := range c.header {
		b.WriteString(h)
	}
	for _, name := range c.order {
		fmt.Fprintf(&b, "-- %s --\n%s", name, c.sections[name])
	}
	return b.Bytes()
}

// writeConf writes the case's files into dir, with the guard line.
func (c *goldenCase) writeConf(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"ha.cf", "authkeys", "haresources", "nodeinfo"} {
		content, ok := c.sections[name]
		if name == "haresources" {
			content, ok = content+guardLine, true
		}
		if !ok {
			continue
		}
		mode := fs.FileMode(0o644)
		if name == "authkeys" {
			mode = c.mode
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenEnv is the capture namespace as heartbeat saw it.
func goldenEnv(nodeinfo string) Env {
	env := testEnv()
	env.ServiceByName = func(string, string) (int, bool) { return 0, false }
	env.ServiceByPort = func(port int, proto string) (string, bool) { return "domain", port == 53 && proto == "udp" }
	env.LookupUser = func(name string) (int, int, bool) {
		u, ok := map[string][2]int{"root": {0, 0}, "hacluster": {102, 105}, "nobody": {65534, 65534}}[name]
		return u[0], u[1], ok
	}
	env.LookupGroup = func(name string) (int, bool) {
		g, ok := map[string]int{"root": 0, "haclient": 105}[name]
		return g, ok
	}
	env.Executable = func(path string) bool { return path == "/bin/true" || path == "/bin/false" }
	env.Stat = func(path string) (fs.FileMode, error) {
		switch path {
		case "/dev/null":
			return fs.ModeDevice | fs.ModeCharDevice | 0o666, nil
		case "/etc/passwd":
			return 0o644, nil
		}
		return 0, fs.ErrNotExist
	}
	env.Interface = func(name string) (Interface, bool) { return Interface{Index: 1, HasIPv4: true}, name == "lo" }
	env.LookupHost = func(host string) error {
		return errors.New("Resource temporarily unavailable")
	}
	env.StonithType = func(name string) bool { return name == "null" || name == "ssh" }
	env.NodeName = func() (string, error) { return LocalNodeName("node1", []byte(nodeinfo)), nil }
	return env
}

// Lines heartbeat prints that depend on the machine or come from main()
// rather than from reading the configuration.
var notConfig = map[string]bool{
	"WARN: Core dumps could be lost if multiple dumps occur.":                                                              true,
	"WARN: Consider setting non-default value in /proc/sys/kernel/core_pattern (or equivalent) for maximum supportability": true,
	"WARN: Consider setting /proc/sys/kernel/core_uses_pid (or equivalent) to 1 for maximum supportability":                true,
	"WARN: Initializing connection to logging daemon failed. Logging daemon may not be running":                            true,
	"ERROR: Configuration error, heartbeat not started.":                                                                   true,
}

var (
	levelWord = regexp.MustCompile(`^(EMERG|ALERT|CRIT|ERROR|WARN|notice|info|debug): `)
	cmdPrefix = regexp.MustCompile(`^((?:[A-Za-z]+: )?)heartbeat: `)
)

// heartbeatLines normalises a transcript for comparison: lines that are not
// about the configuration go, heartbeat's raw stderr lines (printed without
// a priority) are compared on their text only, and the "heartbeat: " some
// messages start with (heartbeat's argv[0]) is dropped.
func heartbeatLines(transcript string) (lines []string, raw map[int]bool) {
	raw = map[int]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(transcript, "\n"), "\n") {
		if notConfig[l] || strings.HasPrefix(l, "rc=") {
			continue
		}
		if !levelWord.MatchString(l) && !strings.HasPrefix(l, "] ") && l != "" {
			raw[len(lines)] = true
		}
		// hbd's messages leave out heartbeat's command-name prefix.
		l = cmdPrefix.ReplaceAllString(l, "$1")
		lines = append(lines, l)
	}
	return lines, raw
}

// hbdLines renders what hbd would print for the same files: heartbeat's
// lines, each "LEVEL: msg" (a message with newlines gives several lines),
// and separately hbd's own diagnostics.
func hbdLines(ds Diagnostics, dir string) (lines, own []string) {
	for _, d := range ds {
		msg := strings.ReplaceAll(d.Msg, dir+"/", "/etc/ha.d/")
		if d.Hbd {
			own = append(own, fmt.Sprintf("%s: %s @%d", d.Level, msg, d.Line))
			continue
		}
		lines = append(lines, strings.Split(d.Level.String()+": "+msg, "\n")...)
	}
	return lines, own
}

func TestHeartbeatTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/heartbeat/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseGolden(string(data))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if *capture {
				c.sections["heartbeat"] = runHeartbeat(t, c)
			}
			dir := t.TempDir()
			c.writeConf(t, dir)
			_, ds, err := Load(dir, goldenEnv(c.sections["nodeinfo"]))
			if err != nil && !errors.As(err, new(Diagnostics)) {
				t.Fatalf("Load: %v", err)
			}
			got, own := hbdLines(ds, dir)
			if *capture {
				// hbd's own wording is reviewed in the file's diff.
				if _, ok := c.sections["hbd"]; !ok {
					c.order = append(c.order, "hbd")
				}
				c.sections["hbd"] = ""
				for _, l := range own {
					c.sections["hbd"] += l + "\n"
				}
				if err := os.WriteFile(file, c.format(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, raw := heartbeatLines(c.sections["heartbeat"])
			compareLines(t, got, want, raw)
			if gotOwn := strings.Join(own, "\n"); gotOwn != strings.TrimSuffix(c.sections["hbd"], "\n") {
				t.Errorf("hbd's own diagnostics:\ngot:\n%s\nwant:\n%s", gotOwn, c.sections["hbd"])
			}
			checkVerdict(t, ds, c.sections["heartbeat"], c.stricter)
		})
	}
}

func compareLines(t *testing.T, got, want []string, raw map[int]bool) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		g := got[i]
		if raw[i] {
			g = levelWord.ReplaceAllString(g, "")
		}
		ok = g == want[i]
	}
	if !ok {
		t.Errorf("output differs from heartbeat's:\ngot:\n%s\nwant (heartbeat):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkVerdict requires hbd to refuse exactly what heartbeat refused: with
// the guard line, an accepted configuration fails on the guard alone.
func checkVerdict(t *testing.T, ds Diagnostics, transcript string, stricter bool) {
	t.Helper()
	accepted := strings.Contains(transcript, "Bad nodename in /etc/ha.d//haresources [zzzguard]")
	fatal := ds.Fatal()
	onlyGuard := len(fatal) == 1 && strings.HasSuffix(fatal[0].Msg, "[zzzguard]")
	if stricter {
		if !accepted || onlyGuard || len(fatal) == 0 {
			t.Errorf("want heartbeat to accept and hbd to refuse; heartbeat accepted=%v, hbd fatal: %v", accepted, fatal)
		}
	} else if accepted != onlyGuard {
		t.Errorf("heartbeat accepted=%v, hbd fatal diagnostics: %v", accepted, fatal)
	}
	for _, d := range fatal {
		if d.File == "" || !strings.Contains(d.String(), d.File) {
			t.Errorf("fatal diagnostic without a file: %#v", d)
		}
	}
}

var syslogPrefix = regexp.MustCompile(`[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ heartbeat: \[\d+\]: `)

// runHeartbeat runs the real daemon on the case, isolated, and returns its
// stderr with the syslog prefixes removed (a raw message printed without a
// newline is split from what follows it).
func runHeartbeat(t *testing.T, c *goldenCase) string {
	t.Helper()
	const daemon = "/usr/libexec/heartbeat/heartbeat"
	if os.Geteuid() != 0 {
		t.Skip("-capture needs root")
	}
	if _, err := os.Stat(daemon); err != nil {
		t.Skip("-capture needs heartbeat installed")
	}
	if strings.Contains(c.sections["ha.cf"], "pacemaker") || strings.Contains(c.sections["ha.cf"], "crm ") {
		// Guard against a configuration that skips haresources.
		if !strings.Contains(c.sections["ha.cf"], "bogus") {
			t.Fatal("a pacemaker case must also hold an illegal directive")
		}
	}
	etc := filepath.Join(t.TempDir(), "etc")
	if out, err := exec.Command("cp", "-a", "/etc/ha.d/.", etc+"/").CombinedOutput(); err != nil {
		t.Fatalf("copy /etc/ha.d: %v: %s", err, out)
	}
	for _, name := range []string{"ha.cf", "authkeys", "haresources", "nodeinfo"} {
		os.Remove(filepath.Join(etc, name))
	}
	c.writeConf(t, etc)
	script := fmt.Sprintf(`hostname node1; ip link set lo up; mount -t tmpfs none /run; mount -t tmpfs none /var/lib/heartbeat;
mount --bind %s /etc/ha.d; mount --bind /bin/true $(readlink -f /sbin/reboot);
timeout 10 %s -f; echo rc=$?`, etc, daemon)
	cmd := exec.Command("unshare", "--uts", "--net", "--mount", "--pid", "--fork", "bash", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("unshare: %v: %s", err, out.Bytes())
	}
	// Two of heartbeat's raw messages end without a newline.
	s := regexp.MustCompile(`must precede media statements([^\n])`).ReplaceAllString(out.String(), "must precede media statements\n$1")
	s = syslogPrefix.ReplaceAllStringFunc(s, func(string) string { return "\x00" })
	s = strings.ReplaceAll(s, "\n\x00", "\n")
	s = strings.ReplaceAll(s, "\x00", "\n")
	return strings.TrimPrefix(s, "\n")
}

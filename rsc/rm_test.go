package rsc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// resourceManager is heartbeat's own script.
const resourceManager = "/usr/share/heartbeat/ResourceManager"

// rmIsolation is the shell the real ResourceManager runs in: its own
// mount and PID namespaces, the test's confdir over /etc/ha.d (it
// hard-codes that path), and reboot, init and pkill bound to /bin/true,
// so that no bug in a test can reboot this machine or kill a heartbeat
// of anyone else's. Leaving the PID namespace kills the "sleep 30;
// hb_standby" it leaves behind after a failed start.
const rmIsolation = `set -e
mount --bind "$RM_CONFDIR" /etc/ha.d
for f in /sbin/reboot /sbin/init /usr/bin/pkill; do
	[ -e "$f" ] && mount --bind /bin/true "$(readlink -f "$f")"
done
set +e
for op in $RM_OPS; do
	` + resourceManager + ` ${op%%=*} ${op#*=}
done
`

// runResourceManager runs ResourceManager for each "op=key" with env,
// isolated, and returns what it logged as "LEVEL: msg" lines.
func runResourceManager(t *testing.T, confdir string, env []string, ops ...string) []string {
	t.Helper()
	logfile := filepath.Join(t.TempDir(), "rm-log")
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--kill-child", "sh", "-c", rmIsolation)
	cmd.Env = append(env,
		"RM_CONFDIR="+confdir,
		"RM_OPS="+strings.Join(ops, " "),
		"HA_LOGFILE="+logfile,
		"HA_DEBUGLOG="+logfile+".debug",
		"HA_LOGD=no",
		"HA_CURHOST=node1",
		"OCF_ROOT=/usr/lib/ocf",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ResourceManager: %v\n%s", err, out.Bytes())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(readFile(t, logfile))), "\n") {
		// "<date>  ResourceManager(default)[pid]:    <level>: <msg>"
		if _, msg, ok := strings.Cut(l, "]:    "); ok {
			lines = append(lines, strings.ReplaceAll(msg, "/etc/ha.d/", confdir+"/"))
		}
	}
	return lines
}

// TestSameAsResourceManager runs the same groups through heartbeat's
// ResourceManager and through a Manager, and requires the same agent
// calls in the same order and the same log lines.
func TestSameAsResourceManager(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for mount and PID namespaces")
	}
	if _, err := os.Stat(resourceManager); err != nil {
		t.Skipf("heartbeat is not installed: %v", err)
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	const haresources = "node1 Test::a Plain Test::b\n"
	for _, c := range []struct {
		name    string
		markers []string
		ops     []string // op=key
	}{
		{"take, skipping a running resource, then give", []string{"Test:a.on"}, []string{"takegroup=Test::a", "givegroup=Test::a"}},
		{"failed start, stop not LSB-compliant", []string{"Test:b.failstart", "Test:b.badstop"}, []string{"takegroup=Test::a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.write(filepath.Join(f.rdir, "Plain"), testScript)
			if err := os.WriteFile(filepath.Join(f.dir, "shellfuncs"), readFile(t, "/etc/ha.d/shellfuncs"), 0o644); err != nil {
				t.Fatal(err)
			}
			f.write(filepath.Join(f.dir, "haresources"), haresources)
			f.opt.StopRetries = 1
			reset := func() {
				for _, e := range []string{"Test:a.on", "Test:b.on", "Plain.on", "order"} {
					os.Remove(filepath.Join(f.dir, e))
				}
				for _, mk := range c.markers {
					f.touch(mk)
				}
			}

			reset()
			env := append([]string{"HA_STOPRETRYMAX=1"}, f.opt.Env[:2]...) // PATH, TEST_DIR
			rmLog := runResourceManager(t, f.dir, env, c.ops...)
			rmOrder := f.order()
			if len(rmLog) == 0 || len(rmOrder) == 0 {
				t.Fatalf("ResourceManager ran nothing: log %q, calls %q", rmLog, rmOrder)
			}
			t.Logf("ResourceManager: %d lines, calls %q", len(rmLog), rmOrder)

			reset()
			m := f.start(haresources)
			for i, op := range c.ops {
				verb, key, _ := strings.Cut(op, "=")
				if verb == "takegroup" {
					m.Take(uint64(i), []string{key})
				} else {
					m.Give(uint64(i), []string{key})
				}
				f.wait(uint64(i))
			}
			f.equal("agent calls", f.order(), rmOrder)
			f.equal("log lines", f.log.all(), rmLog)
		})
	}
}

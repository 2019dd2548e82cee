package rsc

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// testScript is a heartbeat-style resource script. Called as
// "<name> [arg…] verb", it appends "<id> <verb>" to $TEST_DIR/order,
// where id is "<name>" or "<name>:<first arg>", and keeps its state in
// $TEST_DIR/<id>.on. Marker files change its behaviour:
// <id>.failstart (start exits 1), <id>.failstop (stop exits 1, state
// kept), <id>.badstop (stop removes the state and exits 1: not LSB),
// <id>.gate (start waits until the file <id>.gate.open appears, then
// records "<id> passed-gate").
const testScript = `#!/bin/sh
name=${0##*/}
eval verb=\${$#}
id=$name
[ $# -gt 1 ] && id=$name:$1
d=$TEST_DIR
echo "$id $verb" >>"$d/order"
case $verb in
start)
	if [ -e "$d/$id.gate" ]; then
		while [ ! -e "$d/$id.gate.open" ]; do sleep 0.01; done
		echo "$id passed-gate" >>"$d/order"
	fi
	[ -e "$d/$id.failstart" ] && exit 1
	touch "$d/$id.on";;
stop)
	[ -e "$d/$id.failstop" ] && exit 1
	rm -f "$d/$id.on"
	[ -e "$d/$id.badstop" ] && exit 1
	exit 0;;
status)
	if [ -e "$d/$id.on" ]; then echo "$id is running"; else echo "$id is stopped"; fi;;
esac
`

// lsbScript is an LSB init script in the Debian style: a real daemon
// (sleep) under start-stop-daemon, status from init-functions.
const lsbScript = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          hbdtestsvc
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: hbd test service
### END INIT INFO
. /lib/lsb/init-functions
PIDFILE="$TEST_DIR/svc.pid"
DAEMON=/usr/bin/sleep
echo "svc $1" >>"$TEST_DIR/order"
case "$1" in
start)
	start-stop-daemon --start --quiet --oknodo --background --make-pidfile \
		--pidfile "$PIDFILE" --exec $DAEMON -- 600;;
stop)
	start-stop-daemon --stop --quiet --oknodo --retry TERM/5/KILL/5 \
		--pidfile "$PIDFILE" --exec $DAEMON
	rc=$?
	rm -f "$PIDFILE"
	exit $rc;;
status)
	status_of_proc -p "$PIDFILE" "$DAEMON" hbdtestsvc;;
*)
	echo "Usage: $0 {start|stop|status}" >&2
	exit 3;;
esac
`

// fenceScript records that it ran, and with what.
const fenceScript = `#!/bin/sh
echo "fenced $*" >>"$TEST_DIR/fenced"
`

// No test may run the default self-fence, reboot -nf: one that forgets
// Options.SelfFence gets a fence that fails instead. The daemon itself
// does not link package testing to ask whether it is a test.
func init() { defaultFence = [][]string{{"/bin/false", "hbd test: no reboot"}} }

// logRecorder collects Options.Log lines as "LEVEL: msg".
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) log(level prio.Level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, level.String()+": "+msg)
	l.mu.Unlock()
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// has reports whether line was logged.
func (l *logRecorder) has(line string) bool {
	for _, s := range l.all() {
		if s == line {
			return true
		}
	}
	return false
}

func (l *logRecorder) hasPrefix(prefix string) bool {
	for _, s := range l.all() {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func (l *logRecorder) count(line string) int {
	n := 0
	for _, s := range l.all() {
		if s == line {
			n++
		}
	}
	return n
}

// fixture is a confdir in a temporary directory: resource.d with the
// test scripts, an init.d, a fence script, and a Manager over a
// haresources text.
type fixture struct {
	t    testing.TB
	dir  string // confdir and TEST_DIR
	rdir string // resource.d
	idir string // init.d
	log  logRecorder
	wake chan struct{}
	opt  Options
	m    *Manager
	got  []Result // results received, not yet claimed by wait
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	// Exited agents leave os.Process cleanups for the next GC: run it
	// now, so that it does not land in another test's allocation count.
	t.Cleanup(runtime.GC)
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, rdir: filepath.Join(dir, "resource.d"), idir: filepath.Join(dir, "init.d"), wake: make(chan struct{}, 1)}
	for _, d := range []string{f.rdir, f.idir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.write(filepath.Join(f.rdir, "Test"), testScript)
	f.write(filepath.Join(dir, "fence"), fenceScript)
	f.opt = Options{
		ConfDir:     dir,
		ResourceDir: f.rdir,
		InitDir:     f.idir,
		IPAgent:     IPAgentScript,
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TEST_DIR=" + dir,
			"HA_LOGD=no",
			"HA_LOGFILE=" + filepath.Join(dir, "ha-log"),
			"HA_DEBUGLOG=" + filepath.Join(dir, "ha-debug"),
			"HA_RSCTMP=" + dir,
			"OCF_RESKEY_mondelay=0", // the Delay agent's monitor sleeps 30 s by default
		},
		Output:      filepath.Join(dir, "ha-debug"),
		Log:         f.log.log,
		Wake:        func() { f.signal() },
		SelfFence:   []string{filepath.Join(dir, "fence"), "now"},
		StopRetries: 2,
		retryEvery:  10 * time.Millisecond,
	}
	return f
}

func (f *fixture) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fixture) write(path, text string) {
	f.t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

// touch creates a marker file in the test directory.
func (f *fixture) touch(name string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), nil, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) exists(name string) bool {
	_, err := os.Stat(filepath.Join(f.dir, name))
	return err == nil
}

// groups parses a haresources text with config's parser.
func (f *fixture) groups(haresources string) []config.Group {
	f.t.Helper()
	hr, _, err := config.ParseHaresources(filepath.Join(f.dir, "haresources"), []byte(haresources), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return hr.Groups
}

// start makes the Manager; Close is left to the test's cleanup.
func (f *fixture) start(haresources string) *Manager {
	f.t.Helper()
	m, err := New(f.groups(haresources), f.opt)
	if err != nil {
		f.t.Fatal(err)
	}
	f.m = m
	f.t.Cleanup(m.Close)
	return m
}

// wait returns the Result of batch id, waiting for wake-ups.
func (f *fixture) wait(id uint64) Result {
	f.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		for i, r := range f.got {
			if r.ID == id {
				f.got = append(f.got[:i], f.got[i+1:]...)
				return r
			}
		}
		select {
		case <-f.wake:
			f.got = f.m.Results(f.got)
		case <-deadline:
			f.t.Fatalf("no result for batch %d; log:\n%s", id, strings.Join(f.log.all(), "\n"))
		}
	}
}

// order returns the agent calls recorded so far, and forgets them.
func (f *fixture) order() []string {
	f.t.Helper()
	p := filepath.Join(f.dir, "order")
	data, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		f.t.Fatal(err)
	}
	os.Remove(p)
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(data)), " ", "_"))
}

// equal compares string slices, reporting with context.
func (f *fixture) equal(what string, got, want []string) {
	f.t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		f.t.Errorf("%s:\ngot  %q\nwant %q\nlog:\n%s", what, got, want, strings.Join(f.log.all(), "\n"))
	}
}

func (f *fixture) logged(lines ...string) {
	f.t.Helper()
	for _, l := range lines {
		if !f.log.has(l) {
			f.t.Errorf("not logged: %q; log:\n%s", l, strings.Join(f.log.all(), "\n"))
		}
	}
}

func fmtResult(r Result) string {
	return fmt.Sprintf("id=%d take=%v failed=%q fenced=%v", r.ID, r.Take, r.Failed, r.Fenced)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

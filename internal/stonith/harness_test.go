package stonith

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// testRetry is the retry interval the tests use instead of 5 s.
const testRetry = 300 * time.Millisecond

// harness drives a Fencer as the loop does: Results after each Wake.
type harness struct {
	t    *testing.T
	f    *Fencer
	dir  string
	wake chan struct{}

	mu      sync.Mutex
	lines   []string
	results []Result // taken on the test goroutine only
}

// newHarness returns a harness for dev; opt's hooks are filled in and the
// command's own logging goes to dir/ha-log instead of syslog.
func newHarness(t *testing.T, dev *config.Stonith, opt Options) *harness {
	h, opt := newHooked(t, opt)
	if opt.RetryInterval == 0 {
		opt.RetryInterval = testRetry
	}
	h.f = New(dev, opt)
	t.Cleanup(h.f.Close)
	return h
}

// newHooked returns an empty harness and opt with its hooks filled in:
// log lines are kept, wake-ups signalled, and the command's own logging
// goes to dir/ha-log instead of syslog (unless opt has an environment).
func newHooked(t *testing.T, opt Options) (*harness, Options) {
	h := &harness{t: t, dir: t.TempDir(), wake: make(chan struct{}, 1)}
	opt.Log = func(l prio.Level, msg string) {
		h.mu.Lock()
		h.lines = append(h.lines, l.String()+": "+msg)
		h.mu.Unlock()
	}
	opt.Wake = func() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	if opt.Env == nil {
		opt.Env = append(os.Environ(), "HA_logfacility=none", "HA_logfile="+filepath.Join(h.dir, "ha-log"))
	}
	return h, opt
}

// log returns the lines logged so far.
func (h *harness) log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

// waitResults takes results after each wake-up until there are n.
func (h *harness) waitResults(n int) []Result {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for len(h.results) < n {
		select {
		case <-h.wake:
			h.results = h.f.Results(h.results)
		case <-deadline:
			h.t.Fatalf("%d results, want %d: %+v\nlog:\n%s", len(h.results), n, h.results, strings.Join(h.log(), "\n"))
		}
	}
	return h.results
}

// waitLog waits until n lines have been logged and returns them.
func (h *harness) waitLog(n int) []string {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if l := h.log(); len(l) >= n {
			return l
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("fewer than %d lines logged:\n%s", n, strings.Join(h.log(), "\n"))
	return nil
}

// wantLog checks that the log is exactly want.
func (h *harness) wantLog(want ...string) {
	h.t.Helper()
	got := h.log()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// testPlugin is an external STONITH plugin that powers nothing: a reset
// appends "<host> <unix time> <pid>" to $statedir/resets, fails while
// $statedir/fail holds a count above 0 (counting down), hangs while
// $statedir/hang exists; status fails while $statedir/status-fail exists.
const testPlugin = `#!/bin/sh
d="$statedir"
case "$1" in
getconfignames) echo statedir ;;
getinfo-devid) echo "hbd test STONITH device" ;;
getinfo-devname) echo "hbd test device" ;;
getinfo-devdescr) echo "records resets, resets nothing" ;;
getinfo-devurl) echo "http://example.invalid/" ;;
getinfo-xml) echo '<parameters><parameter name="statedir" unique="0" required="1"><content type="string"/><shortdesc lang="en">state directory</shortdesc></parameter></parameters>' ;;
gethosts) echo peer ;;
status) [ -e "$d/status-fail" ] && exit 1 ;;
reset)
	echo "$2 $(date +%s.%N) $$" >>"$d/resets"
	[ -e "$d/hang" ] && exec sleep 600
	n=$(cat "$d/fail" 2>/dev/null || echo 0)
	if [ "$n" -gt 0 ]; then echo $((n - 1)) >"$d/fail"; exit 1; fi ;;
*) exit 1 ;;
esac
exit 0
`

// externalStonith returns a stonith(8) wrapper that runs the real command
// in a private mount namespace where the external plugin directory is
// dir/external, holding testPlugin as external/hbdtest: nothing outside
// the namespace changes. It needs root.
func externalStonith(t *testing.T, dir string) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: the external plugin directory is replaced in a private mount namespace")
	}
	for _, p := range []string{DefaultCommand, "/usr/lib/stonith/plugins/external"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("cluster-glue's stonith is not installed: %v", err)
		}
	}
	ext := filepath.Join(dir, "external")
	if err := os.MkdirAll(ext, 0o755); err != nil {
		t.Fatal(err)
	}
	writeExec(t, filepath.Join(ext, "hbdtest"), testPlugin)
	wrapper := filepath.Join(dir, "stonith")
	writeExec(t, wrapper, `#!/bin/sh
exec unshare --mount --propagation private -- /bin/sh -c 'mount --bind "$0" /usr/lib/stonith/plugins/external || exit 99; exec `+DefaultCommand+` "$@"' `+strconv.Quote(ext)+` "$@"
`)
	return wrapper
}

// writeExec writes an executable file (mode 0755: the external plugin
// refuses scripts others may write).
func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// needStonith skips a test when cluster-glue's stonith is missing.
func needStonith(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(DefaultCommand); err != nil {
		t.Skipf("cluster-glue's stonith is not installed: %v", err)
	}
}

// resets returns the reset records the test plugin wrote in dir.
func resets(t *testing.T, dir string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "resets"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var recs [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "" {
			recs = append(recs, strings.Fields(line))
		}
	}
	return recs
}

// stamp parses a record's "<seconds>.<nanoseconds>" time.
func stamp(t *testing.T, rec []string) time.Time {
	t.Helper()
	sec, frac, _ := strings.Cut(rec[1], ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	ns, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad time in reset record %q", rec)
	}
	return time.Unix(s, ns)
}

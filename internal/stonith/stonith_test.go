package stonith

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
)

const testID = "hbd test STONITH device"

// TestNullReset resets through cluster-glue's null plugin (which only
// logs): heartbeat's lines with the plugin's device ID, one OK result, and
// the plugin's own log line in the HA_logfile given through Env.
func TestNullReset(t *testing.T) {
	needStonith(t)
	h := newHarness(t, &config.Stonith{Type: "null", Host: "*", Params: "peer"}, Options{})
	h.f.Reset("Peer")
	got := h.waitResults(1)
	if want := (Result{Node: "Peer", OK: true, Reason: ReasonOK}); got[0] != want {
		t.Errorf("result %+v, want %+v", got[0], want)
	}
	h.wantLog(
		"info: Resetting node Peer with [NULL STONITH device]",
		"info: node Peer now reset.",
	)
	b, _ := os.ReadFile(filepath.Join(h.dir, "ha-log"))
	if !strings.Contains(string(b), "Host null-reset: peer") { // stonith(8) lower-cases the node
		t.Errorf("the plugin's line is not in HA_logfile:\n%s", b)
	}
}

// TestBadHost: a device that does not control the node fails with
// S_BADHOST, which is heartbeat's result=badhost, and is retried. The ssh
// plugin answers that before running anything; ssh on PATH is a script
// that records being run, and must not be.
func TestBadHost(t *testing.T) {
	needStonith(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	writeExec(t, filepath.Join(bin, "ssh"), "#!/bin/sh\necho \"$@\" >>"+strconv.Quote(filepath.Join(dir, "ssh-ran"))+"\nexit 255\n")
	env := []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin", "HA_logfacility=none", "HA_logfile=" + filepath.Join(dir, "ha-log")}
	h := newHarness(t, &config.Stonith{Type: "ssh", Host: "*", Params: "hbd-stonith-test.invalid"}, Options{Env: env})
	h.f.Reset("peer")
	got := h.waitResults(2)
	h.f.Cancel("peer")
	for _, r := range got[:2] {
		if want := (Result{Node: "peer", Reason: ReasonBadHost}); r != want {
			t.Errorf("result %+v, want %+v", r, want)
		}
	}
	l := h.log()
	want := []string{
		"info: Resetting node peer with [SSH STONITH device]",
		"ERROR: Device SSH STONITH device cannot reset host peer.",
		"ERROR: STONITH of peer failed.  Retrying...",
		"info: Resetting node peer with [SSH STONITH device]",
		"ERROR: Device SSH STONITH device cannot reset host peer.",
	}
	if len(l) < len(want) || strings.Join(l[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant it to start:\n%s", strings.Join(l, "\n"), strings.Join(want, "\n"))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ssh-ran")); err == nil {
		t.Errorf("ssh was run: %s", b)
	}
}

// TestRetryUntilReset: a reset that fails twice is retried after the
// retry interval each time and then succeeds; the plugin saw the node
// three times, the loop three results.
func TestRetryUntilReset(t *testing.T) {
	dir := t.TempDir()
	cmd := externalStonith(t, dir)
	os.WriteFile(filepath.Join(dir, "fail"), []byte("2\n"), 0o644)
	h := newHarness(t, &config.Stonith{Type: "external/hbdtest", Host: "*", Params: dir}, Options{Command: cmd})
	h.f.Reset("peer")
	got := h.waitResults(3)
	want := []Result{{Node: "peer", Reason: ReasonBad}, {Node: "peer", Reason: ReasonBad}, {Node: "peer", OK: true, Reason: ReasonOK}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	h.wantLog(
		"info: Resetting node peer with ["+testID+"]",
		"ERROR: Host peer not reset!",
		"ERROR: STONITH of peer failed.  Retrying...",
		"info: Resetting node peer with ["+testID+"]",
		"ERROR: Host peer not reset!",
		"ERROR: STONITH of peer failed.  Retrying...",
		"info: Resetting node peer with ["+testID+"]",
		"info: node peer now reset.",
	)
	recs := resets(t, dir)
	if len(recs) != 3 {
		t.Fatalf("plugin saw %d resets, want 3: %q", len(recs), recs)
	}
	for i, r := range recs {
		if r[0] != "peer" {
			t.Errorf("reset %d of %q, want peer", i, r[0])
		}
		if i > 0 {
			gap := stamp(t, r).Sub(stamp(t, recs[i-1]))
			if gap < testRetry {
				t.Errorf("attempt %d came %v after the one before, want at least %v", i, gap, testRetry)
			}
			t.Logf("attempt %d: %v after the one before (retry interval %v)", i, gap, testRetry)
		}
	}
	// Success ends the loop: nothing more is tried.
	time.Sleep(2 * testRetry)
	if n := len(resets(t, dir)); n != 3 {
		t.Errorf("%d resets after success, want 3", n)
	}
}

// TestCancelStopsRetries: after Cancel no attempt is made or reported,
// and the node can be reset afresh.
func TestCancelStopsRetries(t *testing.T) {
	dir := t.TempDir()
	cmd := externalStonith(t, dir)
	os.WriteFile(filepath.Join(dir, "fail"), []byte("1000\n"), 0o644)
	h := newHarness(t, &config.Stonith{Type: "external/hbdtest", Host: "*", Params: dir}, Options{Command: cmd})
	h.f.Reset("peer")
	h.f.Reset("peer") // already under way: no second loop
	h.waitResults(2)
	h.f.Cancel("peer")
	n := len(resets(t, dir))
	time.Sleep(3 * testRetry)
	if m := len(resets(t, dir)); m != n || n < 2 || n > 3 {
		t.Errorf("plugin saw %d resets at Cancel and %d after, want the same 2 (or 3, one under way)", n, m)
	}
	if got := h.f.Results(nil); len(got) > 1 {
		t.Errorf("results after Cancel: %+v", got)
	}
	lines := len(h.log())
	time.Sleep(2 * testRetry)
	if l := h.log(); len(l) != lines {
		t.Errorf("logged after Cancel: %q", l[lines:])
	}

	os.WriteFile(filepath.Join(dir, "fail"), []byte("0\n"), 0o644)
	h.f.Reset("peer")
	h.results = h.results[:0]
	if got := h.waitResults(1); !got[0].OK {
		t.Errorf("fresh reset after Cancel: %+v", got[0])
	}
}

// TestCancelKillsHungReset: Cancel and Close kill a hanging plugin (its
// whole process group) instead of waiting for it.
func TestCancelKillsHungReset(t *testing.T) {
	dir := t.TempDir()
	cmd := externalStonith(t, dir)
	os.WriteFile(filepath.Join(dir, "hang"), nil, 0o644)
	h := newHarness(t, &config.Stonith{Type: "external/hbdtest", Host: "*", Params: dir}, Options{Command: cmd})
	h.f.Reset("peer")
	var pid int
	deadline := time.Now().Add(30 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		if recs := resets(t, dir); len(recs) > 0 {
			pid, _ = strconv.Atoi(recs[0][2])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the plugin never started its reset")
	}
	h.f.Cancel("peer")
	start := time.Now()
	h.f.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	for gone := false; !gone; {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		gone = err != nil || strings.Contains(string(st), ") Z ")
		if !gone && time.Now().After(deadline) {
			t.Fatalf("plugin process %d still alive after Cancel: %s", pid, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.wantLog("info: Resetting node peer with [" + testID + "]")
	if got := h.f.Results(nil); len(got) != 0 {
		t.Errorf("results of a cancelled reset: %+v", got)
	}
}

// TestStatus checks the device through a stonith line's config file (-F):
// a working device logs only heartbeat's first line, a failing one its
// four.
func TestStatus(t *testing.T) {
	dir := t.TempDir()
	cmd := externalStonith(t, dir)
	file := filepath.Join(dir, "device.cfg")
	os.WriteFile(file, []byte("# the state directory\n"+dir+"\n"), 0o644)
	h := newHarness(t, &config.Stonith{Type: "external/hbdtest", ConfigFile: file}, Options{Command: cmd})

	h.f.Status()
	if got := h.waitResults(1); got[0] != (Result{Status: true, OK: true, Reason: ReasonOK}) {
		t.Errorf("result %+v of a working device", got[0])
	}
	h.wantLog("info: Checking status of STONITH device [" + testID + "]")

	os.WriteFile(filepath.Join(dir, "status-fail"), nil, 0o644)
	h.f.Status()
	if got := h.waitResults(2); got[1] != (Result{Status: true, Reason: ReasonBad}) {
		t.Errorf("result %+v of a failing device", got[1])
	}
	h.wantLog(
		"info: Checking status of STONITH device ["+testID+"]",
		"info: Checking status of STONITH device ["+testID+"]",
		"ERROR: STONITH device "+testID+" not operational!",
		"ERROR: STONITH status operation failed.",
		"info: This may mean that the STONITH device has failed!",
	)
	if recs := resets(t, dir); len(recs) != 0 {
		t.Errorf("a status check reset %q", recs)
	}
}

// TestBadDevice: a device stonith(8) cannot configure fails every attempt
// with result=bad; what the command logs goes to HA_logfile, what it
// prints is logged; a Fencer with no device at all fails too.
func TestBadDevice(t *testing.T) {
	needStonith(t)
	h := newHarness(t, &config.Stonith{Type: "null", ConfigFile: filepath.Join(t.TempDir(), "missing.cfg")}, Options{})
	h.f.Reset("peer")
	if got := h.waitResults(1); got[0] != (Result{Node: "peer", Reason: ReasonBad}) {
		t.Errorf("result %+v", got[0])
	}
	h.f.Cancel("peer")
	if l := h.log(); len(l) < 2 || l[0] != "info: Resetting node peer with [NULL STONITH device]" || l[1] != "ERROR: Host peer not reset!" {
		t.Errorf("log:\n%s", strings.Join(l, "\n"))
	}
	if b, _ := os.ReadFile(filepath.Join(h.dir, "ha-log")); !strings.Contains(string(b), "Invalid config file for null device.") {
		t.Errorf("stonith's complaint is not in HA_logfile:\n%s", b)
	}

	h = newHarness(t, &config.Stonith{Type: "null", Host: "*", Params: ""}, Options{})
	h.f.Reset("peer")
	h.waitResults(1)
	h.f.Cancel("peer")
	if l := h.log(); len(l) < 3 || l[1] != "ERROR: stonith: Invalid STONITH -p parameter []" || l[2] != "ERROR: Host peer not reset!" {
		t.Errorf("log:\n%s", strings.Join(l, "\n"))
	}

	h = newHarness(t, nil, Options{})
	h.f.Status()
	if got := h.waitResults(1); got[0] != (Result{Status: true, Reason: ReasonBad}) {
		t.Errorf("result %+v without a device", got[0])
	}
	h.wantLog(
		"info: Checking status of STONITH device []",
		"ERROR: STONITH: no STONITH device configured",
		"ERROR: STONITH device  not operational!",
		"ERROR: STONITH status operation failed.",
		"info: This may mean that the STONITH device has failed!",
	)
}

// TestDeviceArgs: stonith_host parameters go as one -p string, a stonith
// line's file as -F.
func TestDeviceArgs(t *testing.T) {
	for _, c := range []struct {
		dev  config.Stonith
		want string
	}{
		{config.Stonith{Type: "external/ipmi", Host: "*", Params: "node2 10.0.0.2 admin secret lan"}, "-t|external/ipmi|-p|node2 10.0.0.2 admin secret lan"},
		{config.Stonith{Type: "null", Host: "node1", Params: ""}, "-t|null|-p|"},
		{config.Stonith{Type: "baytech", ConfigFile: "/etc/ha.d/baytech.cfg"}, "-t|baytech|-F|/etc/ha.d/baytech.cfg"},
	} {
		if got := strings.Join(deviceArgs(&c.dev), "|"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.dev, got, c.want)
		}
	}
}

// TestShortDesc reads the device ID out of stonith(8) -m documents.
func TestShortDesc(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="null">
<longdesc lang="en">
Dummy
</longdesc>
<shortdesc lang="en">NULL STONITH device</shortdesc>
<parameters><parameter name="hostlist"><shortdesc lang="en">
Hostlist</shortdesc></parameter></parameters>
</resource-agent>`, "NULL STONITH device"},
		{"<resource-agent><shortdesc lang=\"en\">ssh STONITH device\n</shortdesc></resource-agent>", "ssh STONITH device"},
		{"<resource-agent><shortdesc lang=\"en\">A &amp; B &lt;1&gt; caf&#xE9;</shortdesc></resource-agent>", "A & B <1> café"},
		{"<resource-agent><shortdesc lang=\"en\"><!-- no value --></shortdesc></resource-agent>", ""},
		{"stonithRA plugin: no short description", ""},
		{"", ""},
	} {
		if got := shortDesc([]byte(c.doc)); got != c.want {
			t.Errorf("shortDesc(%q) = %q, want %q", c.doc, got, c.want)
		}
	}
}

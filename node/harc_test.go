package node

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/wire"
)

// fakeHarc records each run in $TEST_OUT: "start <arg> <selected env>",
// then "end <arg>". A run of hb_takeover sleeps $TEST_SLEEP seconds; a
// run of stonith exits 3; a run of hang leaves a child that ignores
// SIGTERM (its pid in $TEST_OUT.child) and waits, ignoring SIGTERM too,
// until $TEST_OUT.release exists.
const fakeHarc = `#!/bin/sh
echo "start $1 t=$HA_t src=$HA_src st=$HA_st node=$HA_node ifname=$HA_ifname info=$HA_info ost=$HA_OSTATUS cur=$HA_CURHOST ka=$HA_keepalive foo=$HA_FOO nice=$HA_NICEFAILBACK logd=$HA_LOGD dir=$HA_DIR funcs=$HA_FUNCS fac=$HA_LOGFACILITY dbg=$HA_debug rsc=$HA_rsc_hold pwd=$(pwd)" >>"$TEST_OUT"
case $1 in
hb_takeover) sleep "${TEST_SLEEP:-0}";;
stonith) echo "end $1" >>"$TEST_OUT"; exit 3;;
hang)
	trap '' TERM
	sleep 1000 &
	echo $! >"$TEST_OUT.child"
	while [ ! -e "$TEST_OUT.release" ]; do sleep 0.01; done
	kill $!;;
esac
echo "end $1" >>"$TEST_OUT"
`

type harcFixture struct {
	h    *harc
	dir  string
	out  string // what the fake harc wrote
	logf string // hbd's log file
	log  *hblog.Logger
	wake chan struct{}
}

// newHarcFixture makes a confdir with harcScript as harc and the given
// rc.d entries, and a runner whose loop is the test goroutine: Wake
// signals a channel, drain calls reap.
func newHarcFixture(t *testing.T, harcScript string, rcd []string, env ...string) *harcFixture {
	t.Helper()
	// Exited hooks leave os.Process cleanups and finalizers for the next
	// GC: run it now, so that they do not run inside a later test's
	// allocation count (TestSteadyStateAllocations forces GCs).
	t.Cleanup(runtime.GC)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "harc"), []byte(harcScript), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rc.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range rcd {
		if err := os.WriteFile(filepath.Join(dir, "rc.d", s), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f := &harcFixture{dir: dir, out: filepath.Join(dir, "out"), logf: filepath.Join(dir, "ha-log"), wake: make(chan struct{}, 1)}
	var err error
	if f.log, err = hblog.New(hblog.Options{Entity: "hbd", Host: "node1", Pid: 1, LogFile: f.logf, SyslogMsgFmt: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.log.Close() })
	c := &config.Config{
		LocalNode:   "node1",
		LogFacility: "local7",
		Params:      config.Params{{Name: "keepalive", Value: "2"}, {Name: "debug", Value: "0"}},
		Env:         []config.EnvVar{{Name: "FOO", Value: "bar"}},
	}
	base := harcBaseEnv(c, dir, append(os.Environ(), "TEST_OUT="+f.out, "HA_CURHOST=inherited"))
	f.h = newHarc(harcOptions{
		Dir: dir, Enabled: true, Env: append(base, env...), NiceFailback: true,
		Log: f.log, Debug: f.log.DebugLevel,
		Wake: func() {
			select {
			case f.wake <- struct{}{}:
			default:
			}
		},
	})
	return f
}

// drain plays the loop until no run is running or queued.
func (f *harcFixture) drain(t *testing.T) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for f.h.running || len(f.h.queue) > 0 {
		select {
		case <-f.wake:
			f.h.reap()
		case <-deadline.C:
			t.Fatal("hooks did not finish")
		}
	}
}

func (f *harcFixture) lines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(f.out)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// classic is the message of a classic-form datagram with these fields,
// decoded as the node decodes an accepted one.
func classic(fields ...string) *wire.Message {
	var p wire.Packet
	if err := p.Decode([]byte(">>>\n" + strings.Join(fields, "\n") + "\n<<<\n")); err != nil {
		panic(err) // the test's own literal
	}
	return &p.Msg
}

var allScripts = []string{"status", "ifstat", "hb_takeover", "ip-request", "ip-request-resp",
	"ask_resources", "starting", "resource", "shutdone", "stonith", "hang"}

// Events run their scripts in order, one at a time, with heartbeat's
// environment; claimed types, types without a script, our own
// ip-request and ip-request-resp during shutdown run nothing.
func TestHarcEventsOrderAndEnv(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts)
	h := f.h
	h.nodeStatus("node2", "dead", false, "active")
	h.nodeStatus("gw", "dead", true, "active")
	h.linkStatus("node2", "eth0", false, "active")
	for _, typ := range []string{"ask_resources", "starting", "resource", "shutdone", "status", "nosuch"} {
		h.message(classic("t="+typ, "src=node2", "st=active"), false, false, "active")
	}
	h.message(classic("t=NS_ackmsg", "src=node2"), false, false, "active")
	h.message(classic("t=ip-request", "src=node1", "ipaddr=10.0.0.1"), true, false, "active")
	h.message(classic("t=ip-request-resp", "src=node2", "ipaddr=10.0.0.1"), false, true, "active")
	h.message(classic("t=hb_takeover", "src=node2", "rsc_hold=all"), false, false, "active")
	h.message(classic("t=ip-request", "src=node2", "ipaddr=10.0.0.1"), false, false, "up")
	f.drain(t)

	got := f.lines(t)
	common := " cur=node1 ka=2 foo=bar nice=yes logd=no dir=" + f.dir + " funcs=" + f.dir + "/shellfuncs fac=local7 dbg=0"
	want := []string{
		"start status t=status src=node2 st=dead node= ifname= info= ost=active" + common + " rsc= pwd=/",
		"end status",
		"start status t=status src=gw st=dead node= ifname= info=ping ost=active" + common + " rsc= pwd=/",
		"end status",
		"start ifstat t=ifstat src= st=dead node=node2 ifname=eth0 info= ost=active" + common + " rsc= pwd=/",
		"end ifstat",
		"start hb_takeover t=hb_takeover src=node2 st= node= ifname= info= ost=active" + common + " rsc=all pwd=/",
		"end hb_takeover",
		"start ip-request t=ip-request src=node2 st= node= ifname= info= ost=up" + common + " rsc= pwd=/",
		"end ip-request",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A slow hook holds the next one back, and the loop-facing calls return
// at once while it runs.
func TestHarcSerialisedNonBlocking(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts, "TEST_SLEEP=0.4")
	t0 := time.Now()
	f.h.message(classic("t=hb_takeover", "src=node2", "rsc_hold=all"), false, false, "active")
	f.h.message(classic("t=hb_takeover", "src=node2", "rsc_hold=local"), false, false, "active")
	f.h.nodeStatus("node2", "active", false, "active")
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("queueing three hooks took %v; the loop must not wait for them", d)
	}
	if !f.h.running || len(f.h.queue) != 2 {
		t.Fatalf("running %v, queued %d; want one running, two queued", f.h.running, len(f.h.queue))
	}
	f.drain(t)
	if d := time.Since(t0); d < 800*time.Millisecond {
		t.Errorf("two 0.4 s hooks finished after %v: they overlapped", d)
	}
	got := f.lines(t)
	var seq []string
	for _, l := range got {
		w := strings.Fields(l)
		seq = append(seq, w[0]+" "+w[1])
	}
	want := "start hb_takeover,end hb_takeover,start hb_takeover,end hb_takeover,start status,end status"
	if strings.Join(seq, ",") != want {
		t.Errorf("order %q, want %q", strings.Join(seq, ","), want)
	}
}

// rc.d is listed once: a script added later runs only after a restart.
func TestHarcScriptsListedOnce(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, []string{"status"})
	f.h.nodeStatus("node2", "up", false, "active")
	if err := os.WriteFile(filepath.Join(f.dir, "rc.d", "ifstat"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.h.linkStatus("node2", "eth0", true, "active")
	f.drain(t)
	if got := f.lines(t); len(got) != 2 || !strings.HasPrefix(got[0], "start status ") {
		t.Errorf("runs %q, want only status", got)
	}
}

// Under -M nothing runs, and rc.d is not even read.
func TestHarcDisabled(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts)
	f.h.opt.Enabled = false
	f.h.nodeStatus("node2", "dead", false, "active")
	f.h.message(classic("t=hb_takeover", "src=node2"), false, false, "active")
	if f.h.running || len(f.h.queue) > 0 || f.h.scripts != nil {
		t.Fatal("a run was queued with resources unmanaged")
	}
}

// A failing hook is one ERROR line naming it and its return code, and
// the queue moves on.
func TestHarcFailureLogged(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts)
	f.h.message(classic("t=stonith", "src=node2"), false, false, "active")
	f.h.nodeStatus("node2", "dead", false, "active")
	f.drain(t)
	if got := f.lines(t); len(got) != 4 {
		t.Errorf("runs %q, want stonith then status", got)
	}
	f.log.Close()
	b, _ := os.ReadFile(f.logf)
	if n := strings.Count(string(b), "ERROR: Managed stonith process "); n != 1 || !strings.Contains(string(b), " exited with return code 3.") {
		t.Errorf("log:\n%s\nwant one ERROR line for stonith, return code 3", b)
	}
}

// Shutdown drops what is queued; the running hook finishes on its own.
func TestHarcStopDropsQueue(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts, "TEST_SLEEP=0.2")
	f.h.message(classic("t=hb_takeover", "src=node2"), false, false, "active")
	f.h.nodeStatus("node2", "dead", false, "active")
	f.h.stop()
	f.drain(t)
	f.h.nodeStatus("node2", "up", false, "active")
	if got := f.lines(t); len(got) != 2 || !strings.HasPrefix(got[1], "end hb_takeover") {
		t.Errorf("runs %q, want only the hook that was running", got)
	}
}

// The Debian package's own harc and shellfuncs, pointed at a copied
// confdir through HA_DIR and HA_FUNCS, run our rc.d/status with the
// message in its environment and log heartbeat's "Running" line.
func TestHarcRealHarc(t *testing.T) {
	for _, p := range []string{"/etc/ha.d/harc", "/etc/ha.d/shellfuncs", "/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("heartbeat package not installed (%v)", err)
		}
	}
	real, err := os.ReadFile("/etc/ha.d/harc")
	if err != nil {
		t.Fatal(err)
	}
	f := newHarcFixture(t, string(real), nil)
	funcs, err := os.ReadFile("/etc/ha.d/shellfuncs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "shellfuncs"), funcs, 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n. $HA_FUNCS\necho \"$0 $1 $HA_t $HA_src $HA_st $HA_OSTATUS $HA_CURHOST\" >>\"$TEST_OUT\"\n"
	if err := os.WriteFile(filepath.Join(f.dir, "rc.d", "status"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	halog := filepath.Join(f.dir, "ha-log-scripts")
	f.h.opt.Env = append(f.h.opt.Env, "HA_LOGFILE="+halog, "HA_LOGFACILITY=", "HA_DEBUGLOG=")
	f.h.nodeStatus("node2", "dead", false, "active")
	f.drain(t)
	want := f.dir + "/rc.d/status status status node2 dead active node1"
	if got := f.lines(t); len(got) != 1 || got[0] != want {
		t.Errorf("rc.d/status saw %q, want %q", got, want)
	}
	b, _ := os.ReadFile(halog)
	if !strings.Contains(string(b), "info: Running "+f.dir+"/rc.d/status status") {
		t.Errorf("harc's log:\n%s\nwant its Running line", b)
	}
}

// logText closes the logger (flushing it) and returns the log file.
func (f *harcFixture) logText() string {
	f.log.Close()
	b, _ := os.ReadFile(f.logf)
	return string(b)
}

// childOf waits for the pid the hang hook's child wrote, and kills it at
// the end of the test should it still run.
func childOf(t *testing.T, f *harcFixture) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(f.out + ".child")
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			return pid
		}
	}
	t.Fatal("the hang hook never started its child")
	return 0
}

// alive reports whether pid runs; a zombie waiting for its new parent is
// dead.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// A hung hook is killed at its time limit, its children with it, and the
// hooks queued behind it run (heartbeat would wait for ever).
func TestHarcHungHookKilled(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts)
	f.h.opt.Timeout, f.h.opt.KillGrace = 300*time.Millisecond, 100*time.Millisecond
	t0 := time.Now()
	f.h.message(classic("t=hang", "src=node2"), false, false, "active")
	f.h.nodeStatus("node2", "dead", false, "active")
	child := childOf(t, f)
	f.drain(t)
	if d := time.Since(t0); d < 400*time.Millisecond {
		t.Errorf("hooks done after %v, before the time limit and grace", d)
	}
	var seq []string
	for _, l := range f.lines(t) {
		w := strings.Fields(l)
		seq = append(seq, w[0]+" "+w[1])
	}
	if want := "start hang,start status,end status"; strings.Join(seq, ",") != want {
		t.Errorf("runs %q, want %q", strings.Join(seq, ","), want)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(child); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hung hook's child %d survived it", child)
		}
	}
	log := f.logText()
	for _, want := range []string{
		fmt.Sprintf("ERROR: rc.d hook %s/harc hang timed out after 300ms: killing process group ", f.dir),
		"ERROR: Managed hang process ",
		" killed by signal 9 [killed].",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log:\n%s\nwant %q", log, want)
		}
	}
}

// A flood of events while a hook runs keeps the queue bounded: a link's
// and a node's status changes wait once each, with their latest state,
// and other runs past the bound are dropped with one line.
func TestHarcFloodBounded(t *testing.T) {
	f := newHarcFixture(t, fakeHarc, allScripts)
	f.h.message(classic("t=hang", "src=node2"), false, false, "active")
	childOf(t, f)
	for i := range 1000 {
		f.h.linkStatus("node2", "eth0", i%2 == 1, "active")
		f.h.nodeStatus("node2", []string{"dead", "active"}[i%2], false, "active")
		f.h.message(classic("t=hb_takeover", "src=node2", "rsc_hold="+strconv.Itoa(i)), false, false, "active")
	}
	if n := len(f.h.queue); n != maxHarcQueue {
		t.Errorf("%d runs queued after 3000 events, want the bound %d", n, maxHarcQueue)
	}
	if err := os.WriteFile(f.out+".release", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	var seq []string
	for _, l := range f.lines(t) {
		if w := strings.Fields(l); w[0] == "start" {
			seq = append(seq, w[1]+" "+w[2]+" "+w[3]+" "+w[18])
		}
	}
	// The link and status events kept their place and took the last
	// state; 62 takeovers fit behind them.
	want := []string{"hang t=hang src=node2 rsc=", "ifstat t=ifstat src= rsc=", "status t=status src=node2 rsc="}
	for i := range maxHarcQueue - 2 {
		want = append(want, "hb_takeover t=hb_takeover src=node2 rsc="+strconv.Itoa(i))
	}
	if strings.Join(seq, "\n") != strings.Join(want, "\n") {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(seq, "\n"), strings.Join(want, "\n"))
	}
	got := f.lines(t)
	if !strings.Contains(got[2], " st=up ") || !strings.Contains(got[4], " st=active ") {
		t.Errorf("coalesced runs %q and %q, want the last states (up, active)", got[2], got[4])
	}
	log := f.logText()
	if n := strings.Count(log, "rc.d hook queue full"); n != 1 || !strings.Contains(log, "WARN: rc.d hook queue full: 938 hook runs dropped (64 may wait)") {
		t.Errorf("log:\n%s\nwant one line: 938 runs dropped", log)
	}
}

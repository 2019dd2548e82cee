// Package clustertest runs real daemons — hbd, and Debian's heartbeat
// 3.0.6 — in network namespaces built by internal/netnstest, for the
// multi-host tests (test/netns) and the cluster benchmarks (bench).
//
// Every daemon runs in its own PID and mount namespace, with /bin/true
// bound over reboot's target, so no test can reboot the machine. Log lines
// are stamped when they appear (the file is read every millisecond), so
// callers can time what a daemon logged.
package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/logtail"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// HeartbeatBin is Debian's heartbeat 3.0.6 daemon.
const HeartbeatBin = "/usr/libexec/heartbeat/heartbeat"

// hbdBin is the hbd binary under test, built by Build.
var hbdBin string

// Build compiles hbd once for the whole test binary; call it from
// TestMain (as root) and run the returned cleanup at the end.
func Build() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "hbd-clustertest-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "hbd")
	// Static, as `make build` builds it.
	cmd := exec.Command("go", "build", "-o", bin, "github.com/hbd-ha/hbd/cmd/hbd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build hbd: %v\n%s", err, out)
	}
	hbdBin = bin
	return func() { os.RemoveAll(dir) }, nil
}

// Main is a TestMain for packages that run daemons: as root it builds hbd
// first and removes it after; without root the tests run (and skip).
//
//	func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }
func Main(m *testing.M) int {
	if os.Geteuid() != 0 {
		return m.Run()
	}
	cleanup, err := Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	return m.Run()
}

// HBD returns the path of the hbd binary under test.
func HBD() string { return hbdBin }

// Args returns the arguments an hbd daemon was started with (its -f and
// directories); other hbd commands given them address the same daemon.
func (d *Daemon) Args() []string { return d.args[1:] }

// RequireHeartbeat skips the test when heartbeat 3.0.6 is not installed.
func RequireHeartbeat(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(HeartbeatBin); err != nil {
		tb.Skip("heartbeat 3.0.6 is not installed (Debian package heartbeat); CI installs it")
	}
}

// Spec describes an hbd cluster's ha.cf.
type Spec struct {
	Nodes     int
	Links     int
	Media     string // bcast, mcast or ucast
	Keepalive string
	Deadtime  string
	Warntime  string
	Initdead  string
	Extra     string // more ha.cf lines
	Realtime  bool   // realtime on (SCHED_RR, locked memory)
}

// HaCF returns node i's ha.cf for the cluster on net.
func (s Spec) HaCF(net *netnstest.Net, i int, logfile string) string {
	var b strings.Builder
	rt := "off"
	if s.Realtime {
		rt = "on"
	}
	fmt.Fprintf(&b, "logfile %s\nlogfacility none\nuse_logd no\nrealtime %s\n", logfile, rt)
	fmt.Fprintf(&b, "keepalive %s\ndeadtime %s\n", s.Keepalive, s.Deadtime)
	if s.Warntime != "" {
		fmt.Fprintf(&b, "warntime %s\n", s.Warntime)
	}
	if s.Initdead != "" {
		fmt.Fprintf(&b, "initdead %s\n", s.Initdead)
	}
	for l := range max(s.Links, 1) {
		switch s.Media {
		case "mcast":
			fmt.Fprintf(&b, "mcast eth%d 239.198.18.%d 694 1 0\n", l, l+1)
		case "ucast":
			for j := 1; j <= s.Nodes; j++ {
				// Shared configs list every node, ourselves included.
				fmt.Fprintf(&b, "ucast eth%d %s\n", l, net.Host(j).Addr(l))
			}
		default:
			fmt.Fprintf(&b, "bcast eth%d\n", l)
		}
	}
	for j := 1; j <= s.Nodes; j++ {
		fmt.Fprintf(&b, "node node%d\n", j)
	}
	b.WriteString(s.Extra)
	return b.String()
}

// daemon is one running hbd in a host namespace.
type Daemon struct {
	t    testing.TB
	Name string
	Host *netnstest.Host
	Dir  string
	cmd  *exec.Cmd
	Log  *LogWatch
	args []string
	// heartbeat marks a real heartbeat 3.0.6 daemon.
	heartbeat bool
	// Binds are bind mounts {source, target} made in an hbd daemon's
	// private mount namespace before it starts (a test STONITH plugin
	// directory, say); nothing outside that namespace changes.
	Binds [][2]string
	// Env is added to the daemon's environment (HBD_PPROF_DIR, say).
	Env []string
	// Flags are added to the daemon's command line, hbd's or heartbeat's
	// (-M, say: no resource management).
	Flags []string
	// keepalived marks a keepalived VRRP daemon (keepalived.go).
	keepalived bool
}

// startCluster builds the network and starts every node.
func StartCluster(t testing.TB, s Spec) (*netnstest.Net, []*Daemon) {
	t.Helper()
	net := netnstest.New(t, netnstest.Config{Hosts: s.Nodes, Links: max(s.Links, 1)})
	var ds []*Daemon
	for i := 1; i <= s.Nodes; i++ {
		d := NewHBD(t, net.Host(i), fmt.Sprintf("node%d", i), func(logfile string) string { return s.HaCF(net, i, logfile) })
		d.Start()
		ds = append(ds, d)
	}
	return net, ds
}

func NewHBD(t testing.TB, h *netnstest.Host, name string, hacf func(logfile string) string) *Daemon {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"etc", "state", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logfile := filepath.Join(dir, "log")
	etc := filepath.Join(dir, "etc")
	// The shipped resource.d wrappers (IPaddr2, Delay, ...) source
	// /etc/ha.d by absolute path, so a copy of the directory works.
	if _, err := os.Stat("/etc/ha.d/resource.d"); err == nil {
		if out, err := exec.Command("cp", "-a", "/etc/ha.d/resource.d", etc).CombinedOutput(); err != nil {
			t.Fatalf("copy resource.d: %v\n%s", err, out)
		}
	}
	writeConfig(t, etc, name, hacf(logfile))
	d := &Daemon{t: t, Name: name, Host: h, Dir: dir, Log: watchLog(t, logfile)}
	d.args = []string{"-f", "--confdir", filepath.Join(dir, "etc"), "--statedir", filepath.Join(dir, "state"), "--rundir", filepath.Join(dir, "run")}
	return d
}

// writeConfig writes a node's ha.cf, authkeys (shared by every daemon of
// these tests), nodeinfo and an empty haresources into etc.
func writeConfig(t testing.TB, etc, name, hacf string) {
	t.Helper()
	files := map[string]string{
		"ha.cf":       hacf,
		"authkeys":    "auth 1\n1 sha1 netns-test-secret\n",
		"nodeinfo":    name + "\n",
		"haresources": "",
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(etc, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Heartbeat reports whether the daemon is heartbeat 3.0.6 rather than hbd.
func (d *Daemon) Heartbeat() bool { return d.heartbeat }

// FIFO is the path, seen from the host, of the daemon's FIFO
// (heartbeat's /var/lib/heartbeat/fifo).
func (d *Daemon) FIFO() string {
	if d.heartbeat {
		return filepath.Join(d.Dir, "varlib", "fifo")
	}
	return filepath.Join(d.Dir, "state", "fifo")
}

// Etc is the daemon's configuration directory (its /etc/ha.d).
func (d *Daemon) Etc() string { return filepath.Join(d.Dir, "etc") }

// WriteFile writes a file under the daemon's configuration directory
// (haresources, resource.d/<script>, ...) before it starts.
func (d *Daemon) WriteFile(rel, content string, mode os.FileMode) {
	d.t.Helper()
	path := filepath.Join(d.Etc(), rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		d.t.Fatal(err)
	}
}

// Start runs the daemon in the host's network namespace, in a PID and mount
// namespace of its own where reboot is /bin/true.
func (d *Daemon) Start() {
	d.t.Helper()
	if d.heartbeat {
		d.startHeartbeat()
		return
	}
	if d.keepalived {
		d.startKeepalived()
		return
	}
	script := `mount --bind /bin/true "$(readlink -f /sbin/reboot)" && `
	for _, b := range d.Binds {
		script += "mount --bind " + strconv.Quote(b[0]) + " " + strconv.Quote(b[1]) + " && "
	}
	script += `exec "$0" "$@"`
	d.startCmd(append(append([]string{"unshare", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", script, hbdBin}, d.args...), d.Flags...))
}

// startCmd starts args in the host's network namespace and stops it when
// the test ends.
func (d *Daemon) startCmd(args []string) {
	d.t.Helper()
	d.cmd = d.Host.Command(args...)
	if len(d.Env) > 0 {
		d.cmd.Env = append(os.Environ(), d.Env...)
	}
	var stderr bytes.Buffer
	d.cmd.Stderr = &stderr
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("%s: start: %v", d.Name, err)
	}
	cmd := d.cmd
	d.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			// Signal the daemon itself, not unshare: a daemon that has
			// re-executed itself (hbd's quick restart execs from any Go
			// thread) no longer dies with unshare, whose death signal
			// was set on the original thread.
			inner := d.innerPid(cmd)
			if inner > 0 {
				syscall.Kill(inner, syscall.SIGTERM)
			} else {
				cmd.Process.Signal(syscall.SIGTERM)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				if inner > 0 {
					syscall.Kill(inner, syscall.SIGKILL) // the PID namespace's init: all of it goes
				}
				cmd.Process.Kill()
				<-done
			}
		}
		// HBD_TEST_LOGS=1 shows the logs of passing tests too.
		if d.t.Failed() || os.Getenv("HBD_TEST_LOGS") != "" {
			d.t.Logf("%s log:\n%s\nstderr:\n%s", d.Name, d.Log.Text(), stderr.String())
		}
	})
}

// kill9 kills the daemon with SIGKILL, as an operator's kill -9 would (the
// daemon is the only process of its PID namespace, so it dies with it).
func (d *Daemon) Kill9() time.Time {
	d.t.Helper()
	pid := d.Pid()
	// The time is taken before the kill: realtime daemons may keep this
	// process off the CPU for milliseconds after it, which would shorten
	// every latency measured from it.
	at := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		d.t.Fatalf("%s: kill -9 %d: %v", d.Name, pid, err)
	}
	d.cmd.Wait()
	return at
}

// StopTimeout bounds Stop: a graceful shutdown that takes longer is a
// hang (heartbeat's own emergency timer is an hour), reported as a test
// error instead of a suite timeout that names no test.
const StopTimeout = 90 * time.Second

// Stop sends SIGTERM and waits for the daemon to exit. It may be called
// from any goroutine: a daemon that does not stop within StopTimeout is a
// test error, and is killed.
func (d *Daemon) Stop() {
	d.t.Helper()
	pid := d.innerPid(d.cmd)
	if pid <= 0 {
		d.t.Errorf("%s: stop: not running", d.Name)
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(StopTimeout):
		d.t.Errorf("%s: still running %v after SIGTERM", d.Name, StopTimeout)
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
}

// Pid is the daemon's pid as seen from here: the child of unshare.
func (d *Daemon) Pid() int {
	d.t.Helper()
	pid := d.innerPid(d.cmd)
	if pid <= 0 {
		d.t.Fatalf("%s: unshare has no child", d.Name)
	}
	return pid
}

// PowerOff kills the daemon's PID namespace — the daemon and everything
// it started — if it still runs, as a power cut would. Unlike Kill9 it
// may be called from any goroutine and does not fail the test.
func (d *Daemon) PowerOff() {
	if pid := d.innerPid(d.cmd); pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Running reports whether the daemon still runs (unshare still has its
// child).
func (d *Daemon) Running() bool {
	return d.cmd != nil && d.cmd.Process != nil && d.innerPid(d.cmd) > 0
}

// innerPid is cmd's (unshare's) child, or 0.
func (d *Daemon) innerPid(cmd *exec.Cmd) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// LogWatch follows a daemon's log file (package logtail), so tests can
// time what the daemon logged.
type LogWatch struct{ *logtail.Tail }

// Line is one log line and when it was seen.
type Line = logtail.Line

func watchLog(t testing.TB, path string) *LogWatch {
	w := &LogWatch{logtail.Start(path)}
	t.Cleanup(w.Stop)
	return w
}

// Wait waits up to timeout for a line containing s seen at or after since.
func (w *LogWatch) Wait(t testing.TB, s string, since time.Time, timeout time.Duration) Line {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l, ok := w.Find(s, since); ok {
			return l
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line %q within %v", s, timeout)
	return Line{}
}

// newHeartbeat prepares a real heartbeat node: a private /etc/ha.d (the
// package's scripts plus our files), /var/lib/heartbeat and /run, bound
// over the real ones inside its mount namespace, as the package lays them
// out.
func NewHeartbeat(t testing.TB, h *netnstest.Host, name string, hacf func(logfile string) string) *Daemon {
	t.Helper()
	dir := t.TempDir()
	etc, varlib, run := filepath.Join(dir, "etc"), filepath.Join(dir, "varlib"), filepath.Join(dir, "run")
	if out, err := exec.Command("cp", "-a", "/etc/ha.d", etc).CombinedOutput(); err != nil {
		t.Fatalf("copy /etc/ha.d: %v\n%s", err, out)
	}
	for _, d := range []string{"api", "casual", "ccm", "ckpt", "crm", "lrm", "pengine", "cores/hacluster", "cores/nobody", "cores/root"} {
		os.MkdirAll(filepath.Join(varlib, d), 0o755)
	}
	for _, d := range []string{"heartbeat/ccm", "heartbeat/crm", "heartbeat/dopd", "crm", "resource-agents", "lock/subsys"} {
		os.MkdirAll(filepath.Join(run, d), 0o755)
	}
	logfile := filepath.Join(dir, "log")
	writeConfig(t, etc, name, hacf(logfile))
	d := &Daemon{t: t, Name: name, Host: h, Dir: dir, Log: watchLog(t, logfile), heartbeat: true}
	d.args = []string{etc, varlib, run}
	return d
}

// startHeartbeat runs heartbeat -f in its namespaces.
func (d *Daemon) startHeartbeat() {
	d.t.Helper()
	script := `mount --bind "$1" /etc/ha.d && mount --bind "$2" /var/lib/heartbeat && mount --bind "$3" /run &&
mount --bind /bin/true "$(readlink -f /sbin/reboot)" && shift 3 && exec ` + HeartbeatBin + ` -f "$@"`
	args := append(append([]string{"unshare", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", script, "sh"}, d.args...), d.Flags...)
	d.startCmd(args)
}

// inNamespaces runs a command in the daemon's network and mount namespaces
// (cl_status must reach the API socket under the daemon's private /run,
// and heartbeat checks its pid as seen from its own PID namespace).
func (d *Daemon) InNamespaces(args ...string) (string, error) {
	// Bounded: a client of a hung daemon must fail the test, not hang it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", fmt.Sprint(d.Pid()), "-m", "-n", "-p", "--"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// waitNodeStatus polls heartbeat's cl_status until node has the status.
func (d *Daemon) WaitNodeStatus(node, want string, timeout time.Duration) {
	d.t.Helper()
	var got string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, _ = d.InNamespaces("cl_status", "nodestatus", node)
		if got == want {
			return
		}
	}
	d.t.Fatalf("%s: cl_status nodestatus %s = %q, want %q", d.Name, node, got, want)
}

// checkHeartbeatLog fails on any line of heartbeat's that complains about
// what hbd sent: auth failures, bad packets, errors.
func CheckHeartbeatLog(t testing.TB, hb *Daemon) {
	t.Helper()
	for _, line := range strings.Split(hb.Log.Text(), "\n") {
		for _, bad := range []string{"ERROR", "CRIT", "auth", "Invalid", "bad node", "replay"} {
			if strings.Contains(line, bad) && !benignHeartbeatLine(line) {
				t.Errorf("%s logged: %s", hb.Name, line)
			}
		}
	}
}

// benignHeartbeatLine are lines heartbeat logs in every test setup, with
// or without hbd.
func benignHeartbeatLine(line string) bool {
	for _, s := range []string{
		"Unable to open", "Core dumps", "Logging daemon", "logd", "Initial dead time",
	} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

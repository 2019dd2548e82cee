package logd_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/logd"
	"github.com/hbd-ha/hbd/loop"
)

const (
	haLogd   = "/usr/lib/heartbeat/ha_logd"
	haLogger = "/usr/sbin/ha_logger"
)

// needReal skips unless we are root (mount namespaces) and the Debian
// binaries are installed.
func needReal(t *testing.T, bins ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the real daemons run in a private mount namespace")
	}
	for _, b := range bins {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s not installed (Debian's cluster-glue)", b)
		}
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
}

// inNamespace runs script in a private mount namespace where vlh is
// /var/lib/heartbeat (the logd socket's fixed directory) and /run is
// empty, so nothing collides with the machine's own daemons.
func inNamespace(vlh, script string) *exec.Cmd {
	cmd := exec.Command("unshare", "-m", "sh", "-c",
		"mount --make-rprivate / && mount --bind "+vlh+" /var/lib/heartbeat && mount -t tmpfs none /run && "+script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func writeConf(t *testing.T, dir, name string) string {
	t.Helper()
	cf := filepath.Join(dir, name+".cf")
	text := fmt.Sprintf("logfile %s/%s.log\ndebugfile %s/%s-debug.log\nlogfacility none\nentity logd\n", dir, name, dir, name)
	if err := os.WriteFile(cf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return cf
}

// startHaLogd starts the real ha_logd serving vlh/log_daemon and waits
// for its socket; the returned function kills its process group.
func startHaLogd(t *testing.T, vlh, cf string) func() {
	t.Helper()
	cmd := inNamespace(vlh, "exec "+haLogd+" -c "+cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	sock := filepath.Join(vlh, "log_daemon")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return kill
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatal("ha_logd did not open its socket")
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func read(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// hbd with use_logd logs through the real ha_logd, falls back to its own
// files when ha_logd is killed, without losing a record, and goes back
// to ha_logd once it is there again (conn_logd_time later).
func TestUseLogdRealHaLogd(t *testing.T) {
	needReal(t, haLogd)
	dir := t.TempDir()
	vlh := filepath.Join(dir, "vlh")
	os.Mkdir(vlh, 0o755)
	cf := writeConf(t, dir, "logd")
	kill := startHaLogd(t, vlh, cf)
	defer func() { kill() }()

	own := filepath.Join(dir, "hbd.log")
	s := &logd.Sender{Socket: filepath.Join(vlh, "log_daemon"), Entity: "heartbeat", PID: os.Getpid(), Facility: 3 << 3}
	lg, err := hblog.New(hblog.Options{Entity: "heartbeat", Host: "node1", Pid: os.Getpid(), LogFile: own,
		SyslogMsgFmt: true, Logd: s, LogdRetry: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	viaLogd := filepath.Join(dir, "logd.log")
	rec := func(i int) string { return fmt.Sprintf("record %03d", i) }
	has := func(path string, i int) bool {
		return strings.Contains(read(path), "heartbeat: ["+fmt.Sprint(os.Getpid())+"]: info: "+rec(i)+"\n")
	}

	for i := range 10 {
		lg.Log(hblog.Info, rec(i))
	}
	waitFor(t, "the first records in ha_logd's file", func() bool { return has(viaLogd, 9) })

	kill()
	for i := 10; i < 20; i++ {
		lg.Log(hblog.Info, rec(i))
	}
	waitFor(t, "the records written directly", func() bool { return has(own, 19) })
	if !strings.Contains(read(own), "WARN: logd is not reachable") {
		t.Errorf("no warning that logd went away in %s:\n%s", own, read(own))
	}

	kill = startHaLogd(t, vlh, cf)
	time.Sleep(400 * time.Millisecond) // conn_logd_time passes
	for i := 20; i < 30; i++ {
		lg.Log(hblog.Info, rec(i))
	}
	waitFor(t, "the records after ha_logd came back", func() bool { return has(viaLogd, 29) })
	for i := range 30 {
		if !has(viaLogd, i) && !has(own, i) {
			t.Errorf("%s lost", rec(i))
		}
	}
	for i := 20; i < 30; i++ {
		if has(own, i) {
			t.Errorf("%s written directly after ha_logd came back", rec(i))
		}
	}
	if !strings.Contains(read(viaLogd), "info: logd is back: ") {
		t.Errorf("no line saying logd is back")
	}
}

// loggerScript is what the ha_logger comparison sends: plain, debug
// routing, several arguments, stdin, a long message split at 1023 bytes.
var loggerScript = haLogger + ` -t v2test "hello through logd" "second arg" && ` +
	haLogger + ` -t v2test -D ha-debug "debug only" && ` +
	haLogger + ` -t v2test -D ha-log "log again" && ` +
	`printf 'line one\nline two\n' | ` + haLogger + ` -t v2in && ` +
	haLogger + ` -t long "$(printf '%01500d' 7)" && ` + haLogger + ` untagged`

var normal = regexp.MustCompile(`^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ (.*?): \[\d+\]: `)

// clientLines keeps the lines of the clients (not the daemon's own),
// with time, host and pid normalised.
func clientLines(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		m := normal.FindStringSubmatch(l)
		if m == nil || m[1] == "logd" {
			continue
		}
		out = append(out, normal.ReplaceAllString(l, "TIME HOST $1: [PID]: "))
	}
	return out
}

// Debian's ha_logger writes through hbd's logd exactly as through the
// real ha_logd: the same lines in the same files.
func TestHaLoggerBuiltinMatchesHaLogd(t *testing.T) {
	needReal(t, haLogd, haLogger)
	dir := t.TempDir()

	realDir := filepath.Join(dir, "real")
	os.MkdirAll(filepath.Join(realDir, "vlh"), 0o755)
	kill := startHaLogd(t, filepath.Join(realDir, "vlh"), writeConf(t, realDir, "logd"))
	if out, err := inNamespace(filepath.Join(realDir, "vlh"), loggerScript).CombinedOutput(); err != nil {
		kill()
		t.Fatalf("ha_logger against ha_logd: %v\n%s", err, out)
	}
	waitFor(t, "ha_logd's lines", func() bool {
		return strings.Contains(read(filepath.Join(realDir, "logd.log")), "untagged") &&
			strings.Contains(read(filepath.Join(realDir, "logd-debug.log")), "untagged")
	})
	kill()

	ourDir := filepath.Join(dir, "hbd")
	vlh := filepath.Join(ourDir, "vlh")
	os.MkdirAll(vlh, 0o755)
	data, _ := os.ReadFile(writeConf(t, ourDir, "logd"))
	conf, err := logd.ParseConf("logd.cf", data)
	if err != nil {
		t.Fatal(err)
	}
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := logd.Listen(l, conf, logd.Options{Socket: filepath.Join(vlh, "log_daemon"), Host: "node1"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	out, err := inNamespace(vlh, loggerScript).CombinedOutput()
	if err != nil {
		t.Fatalf("ha_logger against hbd's logd: %v\n%s", err, out)
	}
	waitFor(t, "hbd's logd lines", func() bool {
		return strings.Contains(read(filepath.Join(ourDir, "logd.log")), "untagged") &&
			strings.Contains(read(filepath.Join(ourDir, "logd-debug.log")), "untagged")
	})
	l.Stop()
	<-done
	srv.Close()

	for _, f := range []string{"logd.log", "logd-debug.log"} {
		// ha_logd's reader and writer processes may interleave the lines
		// of successive clients; each client's own order is the same.
		want := clientLines(read(filepath.Join(realDir, f)))
		got := clientLines(read(filepath.Join(ourDir, f)))
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s differs:\nha_logd:\n%s\nhbd:\n%s", f, strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
		if len(want) < 5 {
			t.Errorf("%s: only %d client lines from ha_logd", f, len(want))
		}
	}
	if !strings.Contains(read(filepath.Join(ourDir, "logd.log")), "logd: ["+fmt.Sprint(os.Getpid())+"]: info: logd started with logd.cf.") {
		t.Errorf("no start line:\n%s", read(filepath.Join(ourDir, "logd.log")))
	}
}

// A second logd on a socket another process serves is refused.
func TestListenRefusesServedSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log_daemon")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conf := logd.DefaultConf()
	_, err = logd.Listen(l, conf, logd.Options{Socket: sock})
	if err == nil || !strings.Contains(err.Error(), "already serves") {
		t.Fatalf("Listen on a served socket: %v", err)
	}
}

package contrib

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/hbd-ha/hbd/internal/statefile"
)

// buildHBD compiles the daemon the service files run.
func buildHBD(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hbd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/hbd-ha/hbd/cmd/hbd").CombinedOutput(); err != nil {
		t.Fatalf("build hbd: %v\n%s", err, out)
	}
	return bin
}

func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile("systemd/hbd.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify wants the commands to exist: point them at a built hbd.
	bin := buildHBD(t)
	path := filepath.Join(t.TempDir(), "hbd.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/sbin/hbd"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, want := range []string{"Type=notify", "ExecStart=/usr/sbin/hbd -f", "ExecReload=/usr/sbin/hbd -r", "KillMode=process", "TimeoutStopSec=30min", "Restart=no", "LimitMEMLOCK=infinity"} {
		if !bytes.Contains(unit, []byte("\n"+want)) {
			t.Errorf("hbd.service lacks %q", want)
		}
	}
}

func TestInitScriptParses(t *testing.T) {
	for _, sh := range []string{"sh", "dash", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			continue
		}
		if out, err := exec.Command(sh, "-n", "init.d/hbd").CombinedOutput(); err != nil {
			t.Errorf("%s -n init.d/hbd: %v\n%s", sh, err, out)
		}
	}
}

// initScript runs the init script with action against a private
// configuration and run directory.
func initScript(t *testing.T, bin, confdir, rundir, action string) (string, int) {
	t.Helper()
	cmd := exec.Command("sh", "init.d/hbd", action)
	cmd.Env = append(os.Environ(), "HBD="+bin, "HBD_CONFDIR="+confdir, "HBD_OPTS=--rundir "+rundir)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestInitScriptStatus(t *testing.T) {
	bin := buildHBD(t)
	dir := t.TempDir()
	confdir, rundir := filepath.Join(dir, "etc"), filepath.Join(dir, "run")
	os.Mkdir(confdir, 0o755)
	os.Mkdir(rundir, 0o755)
	pidfile := filepath.Join(rundir, "heartbeat.pid")

	out, rc := initScript(t, bin, confdir, rundir, "status")
	if want := fmt.Sprintf("Heartbeat not configured: %s/ha.cf not found. Heartbeat failure [rc=1]. Failed.\n", confdir); out != want || rc != 0 {
		t.Errorf("unconfigured: %q, exit %d; want %q, exit 0", out, rc, want)
	}
	os.WriteFile(filepath.Join(confdir, "ha.cf"), []byte("node node1\nbcast lo\n"), 0o600)
	os.WriteFile(filepath.Join(confdir, "nodeinfo"), []byte("node1\n"), 0o644)

	// hbd -s: no pidfile is 3, a stale one 1, a live hbd 0.
	out, rc = initScript(t, bin, confdir, rundir, "status")
	if out != "heartbeat is stopped. No process\n" || rc != 3 {
		t.Errorf("no pidfile: %q, exit %d; want stopped, exit 3", out, rc)
	}
	gone := exec.Command("true")
	gone.Run()
	if err := statefile.WritePid(pidfile, gone.Process.Pid); err != nil {
		t.Fatal(err)
	}
	out, rc = initScript(t, bin, confdir, rundir, "status")
	if out != "heartbeat is stopped. No process\n" || rc != 1 {
		t.Errorf("stale pidfile: %q, exit %d; want stopped, exit 1", out, rc)
	}

	// A live hbd: the binary itself, held stopped at its first
	// instruction by ptrace (the tracer is this locked thread).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	live := exec.Command(bin, "-V")
	live.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	if err := statefile.WritePid(pidfile, live.Process.Pid); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	out, rc = initScript(t, bin, confdir, rundir, "status")
	want := fmt.Sprintf("heartbeat OK [pid %d et al] is running on %s [node1]...\n", live.Process.Pid, strings.ToLower(host))
	if out != want || rc != 0 {
		t.Errorf("running: %q, exit %d; want %q, exit 0", out, rc, want)
	}

	out, rc = initScript(t, bin, confdir, rundir, "bogus")
	if !strings.HasPrefix(out, "Usage: init.d/hbd {start|stop|status|restart|reload|force-reload}") || rc != 1 {
		t.Errorf("unknown action: %q, exit %d", out, rc)
	}
}

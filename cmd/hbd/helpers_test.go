package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/logd"
)

func TestApphbdConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "apphbd.cf")
	os.WriteFile(cf, []byte("debug_level 1\nwatchdog_intervl_ms 100\n"), 0o644)
	_, stderr, code := hbd(t, "hbd", "apphbd", "-c", cf, "-S", filepath.Join(dir, "s"), "-p", filepath.Join(dir, "pid"))
	if code != exitConfig || !strings.Contains(stderr, cf+":2: Illegal directive [watchdog_intervl_ms] in "+cf) {
		t.Errorf("unknown directive: exit %d, stderr %q", code, stderr)
	}
	_, _, code = hbd(t, "hbd", "apphbd", "-c", filepath.Join(dir, "missing.cf"))
	if code != exitConfig {
		t.Errorf("missing config: exit %d, want %d", code, exitConfig)
	}
	rc := filepath.Join(dir, "recovery.conf")
	os.WriteFile(cf, []byte("debug_level 1\n"), 0o644)
	os.WriteFile(rc, []byte("app x event failed\n"), 0o644)
	_, stderr, code = hbd(t, "hbd", "apphbd", "-c", cf, "-R", rc, "-S", filepath.Join(dir, "s"), "-p", filepath.Join(dir, "pid"))
	if code != exitConfig || !strings.Contains(stderr, rc+":1: rule for x without run or systemd") {
		t.Errorf("bad recovery rule: exit %d, stderr %q", code, stderr)
	}
	stdout, _, code := hbd(t, "hbd", "apphbd", "-s", "-p", filepath.Join(dir, "pid"))
	if code != 3 || strings.TrimSpace(stdout) != "apphbd is stopped" {
		t.Errorf("-s when stopped: exit %d, %q", code, stdout)
	}
}

// startHelper runs "hbd args…" in the background and returns it.
func startHelper(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "hbd"
	cmd.Env = append(os.Environ(), "HBD_TEST_MAIN=1")
	var out strings.Builder
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func waitSocket(t *testing.T, sock string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never served", sock)
		}
	}
}

// hbd apphbd serves clients, runs recovery rules, says it runs (-s) and
// stops on -k.
func TestApphbdCommand(t *testing.T) {
	dir := t.TempDir()
	cf, rc := filepath.Join(dir, "apphbd.cf"), filepath.Join(dir, "recovery.conf")
	sock, pid, log, marker := filepath.Join(dir, "apphb.comm"), filepath.Join(dir, "apphbd.pid"), filepath.Join(dir, "apphbd.log"), filepath.Join(dir, "marker")
	os.WriteFile(cf, []byte("debug_level 1\nlogfile "+log+"\ndebugfile "+log+"\nrealtime no\n"), 0o644)
	os.WriteFile(rc, []byte("app cmdtest event failed run echo $APPHB_INSTANCE > "+marker+"\n"), 0o644)
	startHelper(t, "apphbd", "-c", cf, "-R", rc, "-S", sock, "-p", pid)
	waitSocket(t, sock)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, body := range [][]byte{
		core.AppendReg(nil, "cmdtest", "inst1", "/", int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid())),
		core.AppendInt(nil, core.KindSetInt, 100),
	} {
		frame := append(appendHeader(len(body)), body...)
		c.Write(frame)
		var reply [12]byte
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(reply[:]); n != 12 || err != nil || reply[8] != 0 {
			t.Fatalf("reply %x %v", reply[:n], err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(marker); string(b) == "inst1\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recovery never ran; log:\n%s", readFile(t, log))
		}
	}
	text := readFile(t, log)
	for _, want := range []string{"apphbd: [", "info: Starting apphbd", "WARN: apphb client 'cmdtest' / 'inst1' (pid " + strconv.Itoa(os.Getpid()) + ") failed to heartbeat", "recovery: cmdtest/inst1 failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	stdout, _, code := hbd(t, "hbd", "apphbd", "-s", "-p", pid)
	if code != 0 || !strings.HasPrefix(stdout, "apphbd is running [pid: ") {
		t.Errorf("-s: exit %d %q", code, stdout)
	}
	if _, stderr, code := hbd(t, "hbd", "apphbd", "-k", "-p", pid); code != 0 {
		t.Errorf("-k: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(pid); err == nil {
		t.Error("pidfile left after -k")
	}
}

// hbd logd writes what a cl_log client sends, in ha_logd's format.
func TestLogdCommand(t *testing.T) {
	dir := t.TempDir()
	cf, sock, pid, log := filepath.Join(dir, "logd.cf"), filepath.Join(dir, "log_daemon"), filepath.Join(dir, "logd.pid"), filepath.Join(dir, "ha.log")
	os.WriteFile(cf, []byte("logfile "+log+"\nlogfacility none\n"), 0o644)
	startHelper(t, "logd", "-c", cf, "-S", sock, "-p", pid)
	waitSocket(t, sock)
	s := &logd.Sender{Socket: sock, Entity: "tester", PID: 4242}
	if err := s.Forward(time.Now(), prio.Warn, "through hbd logd"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(readFile(t, log), "tester: [4242]: WARN: through hbd logd\n"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log:\n%s", readFile(t, log))
		}
	}
	if !strings.Contains(readFile(t, log), "logd: [") || !strings.Contains(readFile(t, log), "info: logd started with "+cf+".") {
		t.Errorf("no start line:\n%s", readFile(t, log))
	}
	stdout, _, code := hbd(t, "hbd", "logd", "-s", "-p", pid)
	if code != 0 || !strings.HasPrefix(stdout, "logging daemon is running [pid = ") {
		t.Errorf("-s: exit %d %q", code, stdout)
	}
	if _, _, code := hbd(t, "hbd", "logd", "-k", "-p", pid); code != 0 {
		t.Errorf("-k: exit %d", code)
	}
	// A second one on a served socket is refused.
	startHelper(t, "logd", "-c", cf, "-S", sock, "-p", pid)
	waitSocket(t, sock)
	_, stderr, code := hbd(t, "hbd", "logd", "-c", cf, "-S", sock, "-p", filepath.Join(dir, "other.pid"))
	if code == 0 || !strings.Contains(stderr, "another process already serves the logd socket") {
		t.Errorf("second logd: exit %d %q", code, stderr)
	}
}

func appendHeader(n int) []byte {
	return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 0xcd, 0xab, 0, 0}
}

// hbd -f with use_logd yes (and no log files) logs through Debian's real
// ha_logd: its lines land in ha_logd's file, in ha_logd's format.
func TestDaemonLogsThroughRealHaLogd(t *testing.T) {
	const haLogd = "/usr/lib/heartbeat/ha_logd"
	if os.Geteuid() != 0 {
		t.Skip("needs root: ha_logd runs in a private mount namespace")
	}
	if _, err := os.Stat(haLogd); err != nil {
		t.Skip("ha_logd not installed (Debian's cluster-glue)")
	}
	dir := t.TempDir()
	vlh := filepath.Join(dir, "vlh")
	os.Mkdir(vlh, 0o755)
	logdLog := filepath.Join(dir, "logd.log")
	os.WriteFile(filepath.Join(dir, "logd.cf"), []byte("logfile "+logdLog+"\nlogfacility none\n"), 0o644)
	conf := confdir(t, map[string]string{
		"ha.cf": "use_logd yes\nconn_logd_time 1\nrealtime off\nkeepalive 100ms\ndeadtime 1\ninitdead 2\nudpport " + freePort(t) + "\n" +
			"ucast lo 127.0.0.1\nnode " + localNode(t) + "\n",
		"authkeys":    "auth 1\n1 sha1 logd\n",
		"haresources": "",
	})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hbdPath := filepath.Join(dir, "hbd")
	if err := os.Symlink(exe, hbdPath); err != nil {
		t.Fatal(err)
	}
	script := "mount --make-rprivate / && mount --bind " + vlh + " /var/lib/heartbeat && mount -t tmpfs none /run && " +
		"{ " + haLogd + " -c " + filepath.Join(dir, "logd.cf") + " & } && " +
		"for i in $(seq 100); do [ -S /var/lib/heartbeat/log_daemon ] && break; sleep 0.05; done && " +
		"exec env HBD_TEST_MAIN=1 " + hbdPath + " -f --confdir " + conf + " --statedir " + filepath.Join(dir, "state") + " --rundir " + filepath.Join(dir, "run")
	cmd := exec.Command("unshare", "-m", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	want := "hbd: [" + strconv.Itoa(cmd.Process.Pid) + "]: info: Local status now set to: 'up'"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(logdLog)
		if strings.Contains(string(b), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in ha_logd's file:\n%s\nhbd's output:\n%s", want, b, out.String())
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
}

// "hbd lrm" runs the LRM alone, as "lrmd -r" does: both of lrmd's sockets
// appear in its directory, and SIGTERM stops it cleanly.
func TestLRMCommand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "lrm", "-dir", dir)
	cmd.Env = append(os.Environ(), "HBD_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for _, name := range []string{"lrm_cmd_sock", "lrm_callback_sock"} {
		for {
			st, err := os.Stat(filepath.Join(dir, name))
			if err == nil && st.Mode()&os.ModeSocket != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no socket %s in %s after 10 s; stderr:\n%s", name, dir, stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("hbd lrm after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Started.") {
		t.Errorf("stderr has no start line:\n%s", stderr.String())
	}
}

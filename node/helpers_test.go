package node

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/logd"
)

// hbd_logd, hbd_apphbd with recovery rules and use_apphbd in one daemon:
// a cl_log client's record reaches the logd's file, the daemon registers
// itself with its own apphbd, and a client that falls silent has its
// recovery command run.
func TestBuiltinHelpers(t *testing.T) {
	dir := t.TempDir()
	port := freeUDPPort(t)
	logdLog, marker := filepath.Join(dir, "logd.log"), filepath.Join(dir, "recovered")
	files := map[string]string{
		"ha.cf": fmt.Sprintf(`logfile %[1]s/log
logfacility none
use_logd no
realtime off
udpport %[2]d
keepalive 100ms
deadtime 1
warntime 500ms
initdead 2
ucast lo 127.0.0.1
node node1
hbd_ucast_bind 127.0.0.1
hbd_logd on
hbd_logd_config %[1]s/logd.cf
hbd_apphbd on
use_apphbd yes
hbd_recovery_config %[1]s/recovery.conf
`, dir, port),
		"logd.cf":       "logfile " + logdLog + "\nlogfacility none\n",
		"recovery.conf": "app victim event failed run echo $APPHB_APP/$APPHB_INSTANCE $APPHB_EVENT > " + marker + "\n",
		"authkeys":      "auth 1\n1 sha1 helpers\n",
		"nodeinfo":      "node1\n",
		"haresources":   "",
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _, err := config.Load(dir, config.SystemEnv(dir))
	if err != nil {
		t.Fatal(err)
	}
	lg, err := hblog.New(hblog.Options{Entity: "hbd", LogFile: cfg.LogFile, SyslogMsgFmt: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	apphbSock, logdSock := filepath.Join(dir, "run", "apphb.comm"), filepath.Join(dir, "lib", "log_daemon")
	n, err := New(Options{Config: cfg, StateDir: filepath.Join(dir, "state"), Log: lg, ConfDir: dir, APISocket: "-",
		LogdSocket: logdSock, ApphbdSocket: apphbSock})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run() }()
	defer func() {
		n.Stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("node did not stop")
		}
	}()

	s := &logd.Sender{Socket: logdSock, Entity: "tester", PID: 77}
	if err := s.Forward(time.Now(), prio.Info, "to the built-in logd"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	waitLog(t, logdLog, "tester: [77]: info: to the built-in logd", 5*time.Second)
	waitLog(t, cfg.LogFile, "info: Registered with apphbd as heartbeat/master_control_process.", 5*time.Second)

	c, err := net.Dial("unix", apphbSock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, body := range [][]byte{
		core.AppendReg(nil, "victim", "one", "/", int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid())),
		core.AppendInt(nil, core.KindSetInt, 100),
	} {
		f := binary.NativeEndian.AppendUint32(nil, uint32(len(body)))
		f = binary.NativeEndian.AppendUint32(f, 0xabcd)
		c.Write(append(f, body...))
		var rc [12]byte
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(rc[:]); n != 12 || err != nil || rc[8] != 0 {
			t.Fatalf("reply %x %v", rc[:n], err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(marker); strings.TrimSpace(string(b)) == "victim/one failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery; log:\n%s", readLog(t, cfg.LogFile))
		}
	}
	waitLog(t, cfg.LogFile, "WARN: apphb client 'victim' / 'one' (pid", time.Second)
	waitLog(t, cfg.LogFile, "recovery: victim/one: command succeeded", 5*time.Second)
	if strings.Contains(readLog(t, cfg.LogFile), "'heartbeat' / 'master_control_process' (pid") {
		t.Errorf("the daemon's own registration failed or hung up:\n%s", readLog(t, cfg.LogFile))
	}
}

// A running ha_logd or apphbd keeps its socket: the daemon says so and
// runs on without its built-in one.
func TestBuiltinHelpersSocketServed(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"ha.cf": fmt.Sprintf("logfile %s/log\nlogfacility none\nuse_logd no\nrealtime off\nudpport %d\nkeepalive 100ms\ndeadtime 1\n"+
			"initdead 2\nucast lo 127.0.0.1\nnode node1\nhbd_ucast_bind 127.0.0.1\nhbd_logd on\nhbd_apphbd on\n", dir, freeUDPPort(t)),
		"authkeys":    "auth 1\n1 sha1 helpers\n",
		"nodeinfo":    "node1\n",
		"haresources": "",
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logdSock, apphbSock := filepath.Join(dir, "log_daemon"), filepath.Join(dir, "apphb.comm")
	for _, p := range []string{logdSock, apphbSock} {
		ln, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
	}
	cfg, _, err := config.Load(dir, config.SystemEnv(dir))
	if err != nil {
		t.Fatal(err)
	}
	lg, err := hblog.New(hblog.Options{Entity: "hbd", LogFile: cfg.LogFile, SyslogMsgFmt: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	n, err := New(Options{Config: cfg, StateDir: filepath.Join(dir, "state"), Log: lg, ConfDir: dir, APISocket: "-",
		LogdSocket: logdSock, ApphbdSocket: apphbSock})
	if err != nil {
		t.Fatalf("the daemon refused to start: %v", err)
	}
	n.close()
	waitLog(t, cfg.LogFile, "ERROR: hbd_logd: logd: "+logdSock+": another process already serves the logd socket: the built-in logd is not started", 2*time.Second)
	waitLog(t, cfg.LogFile, "ERROR: hbd_apphbd: apphbd: "+apphbSock+": another process already serves the apphbd socket: the built-in apphbd is not started", 2*time.Second)
}

// Respawned clients learn that the daemon logs through a logd, as
// heartbeat's do: HA_use_logd, set or implied by ha.cf without log lines.
func TestUseLogdExported(t *testing.T) {
	for _, c := range []struct{ logLines, want string }{
		{"", "HA_use_logd=yes"},
		{"logfile /tmp/x\nuse_logd yes\n", "HA_use_logd=yes"},
		{"logfile /tmp/x\nuse_logd no\n", "HA_use_logd=no"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ha.cf"), []byte(c.logLines+"bcast lo\nnode node1\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "authkeys"), []byte("auth 1\n1 crc\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "nodeinfo"), []byte("node1\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "haresources"), nil, 0o600)
		cfg, _, err := config.Load(dir, config.SystemEnv(dir))
		if err != nil {
			t.Fatal(err)
		}
		env := harcBaseEnv(cfg, dir, nil)
		found := ""
		for _, e := range env {
			if strings.HasPrefix(e, "HA_use_logd=") {
				found = e
			}
		}
		if found != c.want {
			t.Errorf("%q: %q, want %q", c.logLines, found, c.want)
		}
	}
}

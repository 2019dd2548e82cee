package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type scriptRun struct {
	stdout, stderr, fifo string
	code                 int
}

// runScript runs prog with args, HA_FIFO pointing at a fresh file, and
// returns what it printed and wrote, with prog's name replaced by PROG.
func runScript(t *testing.T, prog string, args []string, env ...string) scriptRun {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo")
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), append([]string{"HA_FIFO=" + fifo, "HA_LOGFILE=", "HA_LOGFACILITY=", "HA_DEBUGLOG="}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	written, _ := os.ReadFile(fifo)
	clean := func(s string) string { return normalize(strings.ReplaceAll(s, prog, "PROG")) }
	return scriptRun{clean(out.String()), clean(errb.String()), string(written), code}
}

// hbctl invoked as hb_standby or hb_takeover behaves as heartbeat's
// scripts: output, exit code, and the message written to the FIFO.
func TestStandbyScriptsMatchHeartbeat(t *testing.T) {
	for _, name := range []string{"hb_standby", "hb_takeover"} {
		real := "/usr/share/heartbeat/" + name
		if _, err := os.Stat(real); err != nil {
			t.Skipf("%s is not installed (Debian package heartbeat); CI installs it", real)
		}
		for _, args := range []string{"", "all", "local", "foreign", "failback", "--help", "bogus", "all local"} {
			argv := strings.Fields(args)
			want := runScript(t, real, argv)
			got := runScript(t, filepath.Join(binDir, name), argv)
			if got != want {
				t.Errorf("%s %s:\n got %+v\nwant %+v", name, args, got, want)
			}
			if args == "failback" && name == "hb_standby" && want.fifo != ">>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n" {
				t.Errorf("hb_standby failback wrote %q", want.fifo)
			}
		}
	}
}

func TestStandbyCommand(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	var out, errb bytes.Buffer
	if code := run([]string{"takeover", "--fifo", fifo, "local"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if b, _ := os.ReadFile(fifo); string(b) != ">>>\nt=hb_takeover\nrsc_hold=local\n<<<\n" {
		t.Errorf("FIFO got %q", b)
	}
	if code := run([]string{"standby", "--fifo", fifo, "sideways"}, &out, &errb); code != 1 {
		t.Errorf("bad set: exit %d, want 1", code)
	}
}

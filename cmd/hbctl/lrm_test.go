package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// With HBCTL_TEST_HBD_LRM set, the test binary is "hbd lrm" (cmd/hbd
// runs lrm.Main for it): building hbd itself takes most of a minute.
func init() {
	if os.Getenv("HBCTL_TEST_HBD_LRM") == "1" {
		os.Exit(lrm.Main(os.Args[1:], os.Stderr))
	}
}

// startHbdLRM runs "hbd lrm -dir DIR" and waits for its sockets.
func startHbdLRM(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("hbd lrm lets only root and hacluster manage resources, and the test must add some")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "-dir", dir)
	cmd.Env = append(os.Environ(), "HBCTL_TEST_HBD_LRM=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err := os.Stat(filepath.Join(dir, lrm.CallbackSock)); err == nil && st.Mode()&os.ModeSocket != 0 {
			return dir
		}
		if time.Now().After(deadline) {
			t.Fatalf("hbd lrm made no sockets in 10 s:\n%s", stderr.String())
		}
	}
}

func hbctlLRM(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "hbctl"), append([]string{"lrm"}, args...)...)
	cmd.Env = append(os.Environ(), "HBD_LRM_DIR="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestLRMAgainstHbdLRM(t *testing.T) {
	dir := startHbdLRM(t)
	if out, _, code := hbctlLRM(t, dir); code != 0 || out != "no resources\n" {
		t.Fatalf("empty LRM: exit %d, %q", code, out)
	}
	// An LSB script with a state file, as a CRM would drive it: start,
	// then a recurring monitor; its state goes behind the LRM's back, so
	// the monitor fails.
	scripts := t.TempDir()
	state := filepath.Join(scripts, "state")
	script := "#!/bin/sh\ncase $1 in start) touch " + state + ";; stop) rm -f " + state + ";; status) [ -f " + state + " ] || exit 3;; esac\nexit 0\n"
	if err := os.WriteFile(filepath.Join(scripts, "web"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := lrm.Dial(dir, "crmd", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// An LSB type may be an absolute path.
	if err := c.Add(lrm.Resource{ID: "web", Class: "lsb", Type: filepath.Join(scripts, "web")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(lrm.Resource{ID: "null", Class: "stonith", Type: "null", Params: []lrm.Param{{Name: "hostlist", Value: "n1"}}}); err != nil {
		t.Fatal(err)
	}
	perform := func(o lrm.Op) int {
		t.Helper()
		id, err := c.Perform(o)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	wait := func(id int) int {
		t.Helper()
		for {
			cid, rc, _, err := c.NextResult()
			if err != nil {
				t.Fatal(err)
			}
			if cid == id {
				return rc
			}
		}
	}
	run := func(o lrm.Op) int { t.Helper(); return wait(perform(o)) }
	if rc := run(lrm.Op{Rsc: "web", Name: "start", Timeout: 20 * time.Second}); rc != 0 {
		t.Fatalf("start rc %d", rc)
	}
	mon := perform(lrm.Op{Rsc: "web", Name: "monitor", Interval: 300 * time.Millisecond, Timeout: 20 * time.Second})
	if rc := wait(mon); rc != 0 {
		t.Fatalf("monitor rc %d", rc)
	}
	out, errOut, code := hbctlLRM(t, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"web (lsb:" + filepath.Join(scripts, "web") + ") idle\n",
		"  monitor every 300ms: OK, rc 0 (ok) since ",
		"  start ", "  monitor 300ms ",
		"null (stonith:null) idle\n  no recurring monitor\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rs []lrmResource
	out, _, code = hbctlLRM(t, dir, "--json", "web")
	if err := json.Unmarshal([]byte(out), &rs); err != nil || code != 0 || len(rs) != 1 {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, out)
	}
	r := rs[0]
	if r.ID != "web" || len(r.Operations) != 3 || len(r.Monitors) != 1 || r.Monitors[0].State != "ok" ||
		r.Operations[0].Op != "start" || r.Operations[0].RC == nil || *r.Operations[0].RC != 0 || r.Operations[0].Status != "done" ||
		r.Operations[0].ExecMS <= 0 || r.Operations[1].Op != "monitor" || r.Operations[1].IntervalMS != 300 {
		t.Errorf("json %+v", r)
	}
	// A failing monitor is told as such (an LSB status of 3: not running).
	os.Remove(state)
	for wait(mon) != 7 {
	}
	out, _, _ = hbctlLRM(t, dir, "web")
	t.Logf("hbctl lrm web:\n%s", out)
	if !strings.Contains(out, "  monitor every 300ms: FAILED, rc 7 (not running) since ") {
		t.Errorf("after the failure:\n%s", out)
	}
	_, _, code = hbctlLRM(t, dir, "nonesuch")
	if code != 1 {
		t.Errorf("an unknown resource: exit %d", code)
	}
	if _, errOut, code := hbctlLRM(t, filepath.Join(dir, "none")); code != 1 || !strings.Contains(errOut, "cannot reach the LRM") {
		t.Errorf("no LRM: exit %d, %q", code, errOut)
	}
}

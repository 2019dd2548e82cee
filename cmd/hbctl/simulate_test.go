package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// TestSimulateVsCrmSimulate runs hbd's crm_simulate -S -x and the real
// one (Debian's pacemaker-cli-utils) on a sample of Pacemaker's scheduler
// cases and compares both answers in pecase's canonical form, and the exit
// codes for bad arguments and files.
func TestSimulateVsCrmSimulate(t *testing.T) {
	real, err := exec.LookPath("crm_simulate")
	if err != nil {
		t.Skip("crm_simulate (pacemaker-cli-utils) not installed")
	}
	dir := os.Getenv("HBD_PCMK_CASES")
	if dir == "" {
		t.Skip("HBD_PCMK_CASES not set (scripts/pacemaker-cases.sh)")
	}
	shadow := t.TempDir()
	runReal := func(args ...string) (string, int) {
		cmd := exec.Command(real, args...)
		cmd.Env = append(os.Environ(), "CIB_shadow_dir="+shadow, "LC_ALL=C")
		cmd.Env = append(cmd.Env, "CIB_file=")
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return out.String(), code
	}
	runOurs := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := dispatch("/usr/sbin/crm_simulate", args, &out, &errb)
		return out.String(), code
	}
	agree, n := 0, 0
	for _, name := range []string{"group1", "group2", "simple1", "simple4", "simple8", "order1", "order2", "rsc_dep1",
		"standby", "group11", "coloc-group", "clone-no-shuffle", "rec-node-14", "994", "bug-lf-2544"} {
		f := filepath.Join(dir, "xml", name+".xml")
		cib, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n++
		want, _ := runReal("-x", f, "-S")
		got, code := runOurs("-x", f, "-S")
		if code != 0 {
			t.Errorf("%s: exit %d", name, code)
		}
		g, w := pecase.Normalize(got, pecase.Groups(cib), false), pecase.Normalize(want, pecase.Groups(cib), false)
		if reflect.DeepEqual(g, w) {
			agree++
		} else {
			t.Logf("%s differs:\n hbd: %s\nreal: %s", name, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
		}
		for _, sec := range []string{"Current cluster status:", "Transition Summary:", "Executing Cluster Transition:", "Revised Cluster Status:"} {
			if strings.Contains(want, sec) != strings.Contains(got, sec) {
				t.Errorf("%s: section %q present in crm_simulate's output %v, in hbd's %v", name, sec, strings.Contains(want, sec), strings.Contains(got, sec))
			}
		}
	}
	if n == 0 {
		t.Skip("no sample case found")
	}
	t.Logf("crm_simulate -S -x: %d/%d sample cases agree in canonical form", agree, n)
	if agree*10 < n*8 {
		t.Errorf("only %d/%d sample cases agree", agree, n)
	}
	for _, args := range [][]string{{"--bogus"}, {"-x", "/nonexistent/cib.xml", "-S"}, {"-L", "-S"}} {
		_, want := runReal(args...)
		_, got := runOurs(args...)
		if got != want {
			t.Errorf("crm_simulate %v: exit %d, the real tool's %d", args, got, want)
		}
	}
}

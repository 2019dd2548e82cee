package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binDir holds the hbctl binary under test and its heartbeat-named links.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hbctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "hbctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build hbctl: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	for _, name := range []string{"cl_status", "hb_standby", "hb_takeover"} {
		if err := os.Symlink("hbctl", filepath.Join(dir, name)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

package statefile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestPidfile(t *testing.T) {
	if got := string(FormatPid(1234)); got != "      1234\n" || len(got) != 11 {
		t.Fatalf("pidfile content %q", got)
	}
	path := filepath.Join(t.TempDir(), "run", "heartbeat.pid")
	if _, ok := Running(path, ""); ok {
		t.Fatal("missing pidfile reported running")
	}
	if err := WritePid(path, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if pid, ok := Running(path, exe); !ok || pid != os.Getpid() {
		t.Fatalf("Running = %d, %v", pid, ok)
	}
	if _, ok := Running(path, "/usr/libexec/heartbeat/heartbeat"); ok {
		t.Fatal("another executable's pid passed for ours")
	}
	// A stale pidfile (no such process) is not running.
	if err := os.WriteFile(path, FormatPid(1<<22+12345), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := Running(path, ""); ok {
		t.Fatal("stale pidfile reported running")
	}
	if err := os.WriteFile(path, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPid(path); err == nil {
		t.Fatal("garbage pidfile parsed")
	}
}

func TestUUID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lib", "hb_uuid")
	u, created, err := LoadUUID(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	u2, created, err := LoadUUID(path)
	if err != nil || created || u2 != u {
		t.Fatalf("reload: %x %v %v, want %x", u2, created, err, u)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Equal(b, u[:]) {
		t.Fatalf("file holds %x", b)
	}
	if err := os.WriteFile(path, []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadUUID(path); err == nil {
		t.Fatal("a 5-byte uuid file was accepted")
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vectors = "../../testdata/vectors"

// The acceptance check: every captured packet of every scenario decodes,
// verifies with its scenario's authkeys and re-encodes identically.
func TestWireDecodeVectors(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(vectors, "*", "authkeys"))
	if len(dirs) < 4 {
		t.Fatalf("found %d scenarios", len(dirs))
	}
	for _, ak := range dirs {
		dir := filepath.Dir(ak)
		bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
		var out, errb bytes.Buffer
		code := run(append([]string{"wire", "decode", "--authkeys", ak}, bins...), &out, &errb)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", dir, code, lastLines(out.String(), 20), errb.String())
		}
		if !strings.Contains(out.String(), " 0 failed\n") || strings.Count(out.String(), "re-encode: identical\n") != len(bins) {
			t.Errorf("%s: not every packet re-encoded identically", dir)
		}
	}
}

func TestWireDecodeFailures(t *testing.T) {
	dir := filepath.Join(vectors, "bcast-sha1")
	good, err := os.ReadFile(filepath.Join(dir, "021.bin"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	forged := bytes.Clone(good)
	forged[40] ^= 1 // inside a field value: decodes, fails auth
	broken := bytes.Clone(good)
	broken[4] = 'x' // a field length: fails decoding
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ak := filepath.Join(dir, "authkeys")
	for _, c := range []struct {
		name, file, want string
	}{
		{"forged", write("forged.bin", forged), "auth: FAIL"},
		{"broken", write("broken.bin", broken), "FAIL decode"},
	} {
		var out, errb bytes.Buffer
		if code := run([]string{"wire", "decode", "--authkeys", ak, c.file}, &out, &errb); code != 1 {
			t.Errorf("%s: exit %d, want 1", c.name, code)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%s: output lacks %q:\n%s", c.name, c.want, out.String())
		}
	}
	// Without keys, auth is not checked but the body still re-encodes.
	var out bytes.Buffer
	if code := run([]string{"wire", "decode", filepath.Join(dir, "021.bin")}, &out, &out); code != 0 ||
		!strings.Contains(out.String(), "re-encode: identical (without auth)") {
		t.Errorf("without keys: exit %d\n%s", code, out.String())
	}
	if code := run([]string{"wire", "decode"}, &out, &out); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
	if code := run([]string{"wire", "decode", "--authkeys", "/nonexistent", filepath.Join(dir, "021.bin")}, &out, &out); code != 1 {
		t.Errorf("missing authkeys: exit %d, want 1", code)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

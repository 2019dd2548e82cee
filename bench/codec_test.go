package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/internal/cpubench"
	"github.com/hbd-ha/hbd/wire"
)

// libplumbHarness is libplumb/harness/harness.c: it decodes the message in
// the file named by argv[1] argv[2] times with libplumb's netstring2msg (as
// heartbeat's read path calls it) and prints the nanoseconds per decode,
// elapsed and of the thread's CPU time: libplumb called the way C calls
// it, with no cgo crossing.
const libplumbHarness = "libplumb/harness/harness.c"

// libplumbSO is Debian's libplumb2 (cluster-glue 1.0.12), which heartbeat
// depends on; linking it by path needs no -dev package.
var libplumbSO = []string{"/usr/lib/libplumb.so.2", "/usr/lib/x86_64-linux-gnu/libplumb.so.2"}

// codecStatus is wire spec §12's status message in netstring form with its
// inner auth field and without the trailer (265 bytes), the message
// bench/libplumb and wire's BenchmarkDecodeStatus use.
func codecStatus(tb testing.TB) []byte {
	var m wire.Message
	m.AddString("t", "status")
	m.AddString("st", "active")
	m.AddHex("dt", 30000)
	m.AddString("protocol", "1")
	m.AddString("src", "node1")
	m.Add("srcuuid", wire.Binary, []byte{0x3f, 0x25, 0x04, 0xe0, 0x4f, 0x89, 0x41, 0xd3, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01})
	m.AddHex("seq", 0x2a)
	m.AddHex("hg", 0x66d0a4c1)
	m.AddHex("ts", 0x66d0a4f0)
	m.AddString("ld", "0.08 0.03 0.01 1/187 2398")
	m.AddString("ttl", "3")
	m.AddString("auth", "1 1a80cf8c6dd9082fe845a104df66fb9590e9e1e2")
	b, err := wire.AppendNetstring(nil, &m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkCodec decodes the same status message with hbd's wire (in
// process) and with libplumb (a C program linked against it, run for the
// same number of decodes), in one run:
//
//	go test -run '^$' -bench Codec -count 5 ./bench
//
// The libplumb figure replaces ns/op of its sub-benchmark. Each side also
// reports cpu-ns/op, its thread's CPU time per decode: on a shared machine
// the elapsed time counts the waits for a core, the CPU time does not. It
// needs gcc and libplumb2 (installed with heartbeat); it skips without them.
func BenchmarkCodec(b *testing.B) {
	msg := codecStatus(b)
	b.Run("decode/hbd", func(b *testing.B) {
		var m wire.Message
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		n, done := 0, cpubench.PerOp(b)
		for b.Loop() {
			n++
			if _, err := m.Decode(msg); err != nil {
				b.Fatal(err)
			}
		}
		done(n)
	})
	b.Run("decode+fields/hbd", func(b *testing.B) {
		var m wire.Message
		b.ReportAllocs()
		n, done := 0, cpubench.PerOp(b)
		for b.Loop() {
			n++
			if _, err := m.Decode(msg); err != nil {
				b.Fatal(err)
			}
			// The fields a receiver reads (two absent).
			if m.Value(wire.FieldCompressedPayload) != nil || m.Value(wire.FieldDest) != nil ||
				m.Type() == nil || m.Value(wire.FieldSrc) == nil || m.Value(wire.FieldStatus) == nil {
				b.Fatal("fields")
			}
			if _, ok := m.Hex(wire.FieldSeq); !ok {
				b.Fatal("seq")
			}
			if _, ok := m.Hex(wire.FieldTimestamp); !ok {
				b.Fatal("ts")
			}
		}
		done(n)
	})
	harness := buildLibplumbHarness(b)
	file := filepath.Join(b.TempDir(), "status.bin")
	if err := os.WriteFile(file, msg, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("decode/libplumb", func(b *testing.B) {
		if harness == "" {
			b.Skip("no gcc or no libplumb2 (Debian packages gcc, libplumb2)")
		}
		out, err := exec.Command(harness, file, strconv.Itoa(b.N)).Output()
		if err != nil {
			b.Fatalf("libplumb harness: %v", err)
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			b.Fatalf("libplumb harness said %q", out)
		}
		ns, err1 := strconv.ParseFloat(f[0], 64)
		cpu, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			b.Fatalf("libplumb harness said %q", out)
		}
		b.SetBytes(int64(len(msg)))
		b.ReportMetric(ns, "ns/op")
		b.ReportMetric(cpu, "cpu-ns/op")
	})
}

// buildLibplumbHarness compiles libplumbHarness, or returns "" when gcc or
// the library is missing.
func buildLibplumbHarness(tb testing.TB) string {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return ""
	}
	so := ""
	for _, p := range libplumbSO {
		if _, err := os.Stat(p); err == nil {
			so = p
			break
		}
	}
	if so == "" {
		return ""
	}
	bin := filepath.Join(tb.TempDir(), "harness")
	var stderr bytes.Buffer
	cmd := exec.Command(gcc, "-O2", "-o", bin, libplumbHarness, so)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tb.Logf("building the libplumb harness: %v\n%s", err, stderr.String())
		return ""
	}
	return bin
}

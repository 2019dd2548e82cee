package rsc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// trivScript does nothing, and is never running.
const trivScript = `#!/bin/sh
case $2 in
status) echo stopped;;
esac
`

// BenchmarkTakeGive is one Take and one Give of a one-resource group:
// three agent runs (status, start, stop) through the Manager, the batch
// queue, a worker and the wake-up.
func BenchmarkTakeGive(b *testing.B) {
	f := newFixture(b)
	f.write(filepath.Join(f.rdir, "Triv"), trivScript)
	m := f.start("node1 Triv::a\n")
	var res []Result
	id := uint64(0)
	run := func(take bool) {
		id++
		if take {
			m.Take(id, []string{"Triv::a"})
		} else {
			m.Give(id, []string{"Triv::a"})
		}
		for res = res[:0]; len(res) == 0; res = m.Results(res) {
			<-f.wake
		}
		if len(res[0].Failed) != 0 {
			b.Fatalf("batch failed: %s", fmtResult(res[0]))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		run(true)
		run(false)
	}
}

// BenchmarkExecBaseline runs the same three processes directly: the
// difference from BenchmarkTakeGive is the Manager's overhead.
func BenchmarkExecBaseline(b *testing.B) {
	path := filepath.Join(b.TempDir(), "Triv")
	if err := os.WriteFile(path, []byte(trivScript), 0o755); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, verb := range []string{"status", "start", "stop"} {
			if err := exec.Command(path, "a", verb).Run(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkOwnedText(b *testing.B) {
	out := []byte("portblock DROP rule [tcp 80 0.0.0.0/0 in block] is inactive\nINFO:  Resource is stopped\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		ownedText(out)
	}
}

package cpubench

import (
	"strings"
	"testing"
)

// A benchmark that burns CPU reports a positive cpu-ns/op.
func TestPerOpReports(t *testing.T) {
	if !supported {
		t.Skip("no per-thread CPU clock here")
	}
	r := testing.Benchmark(func(b *testing.B) {
		done := PerOp(b)
		x := 0
		for i := 0; i < b.N; i++ {
			for j := 0; j < 1000; j++ {
				x += j ^ i
			}
		}
		done(b.N)
		if x == 42 {
			b.Log(x)
		}
	})
	v, ok := r.Extra["cpu-ns/op"]
	if !ok || v <= 0 {
		t.Fatalf("cpu-ns/op = %v (reported %v); result %s", v, ok, strings.TrimSpace(r.String()))
	}
}

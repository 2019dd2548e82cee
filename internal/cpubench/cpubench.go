// Package cpubench reports a benchmark's CPU time per operation
// ("cpu-ns/op") beside go test's elapsed ns/op. On a shared machine the
// benchmark's thread is often descheduled, which inflates ns/op but not
// the CPU time it used, so figures taken at different loads can still be
// compared.
package cpubench

import (
	"runtime"
	"testing"
)

// PerOp locks the goroutine to its thread and starts counting; call the
// returned function after the loop with the iterations run. Where there
// is no per-thread CPU clock it reports nothing.
func PerOp(b *testing.B) func(n int) {
	if !supported {
		return func(int) {}
	}
	runtime.LockOSThread()
	start := threadCPU()
	return func(n int) {
		d := threadCPU() - start
		runtime.UnlockOSThread()
		if n > 0 {
			b.ReportMetric(float64(d)/float64(n), "cpu-ns/op")
		}
	}
}

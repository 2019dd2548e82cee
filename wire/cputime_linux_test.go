package wire

import (
	"runtime"
	"syscall"
	"testing"
)

// cpuPerOp reports the benchmark's CPU time per operation ("cpu-ns/op")
// beside the wall-clock ns/op: on a loaded machine the thread is often
// descheduled, which inflates ns/op but not the CPU it used. Call it before
// the loop and the returned function after it with the iterations run.
func cpuPerOp(b *testing.B) func(n int) {
	runtime.LockOSThread()
	start := threadCPU(b)
	return func(n int) {
		d := threadCPU(b) - start
		runtime.UnlockOSThread()
		if n > 0 {
			b.ReportMetric(float64(d)/float64(n), "cpu-ns/op")
		}
	}
}

func threadCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

package main

import (
	"os"
	"path/filepath"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the daemon's whole life and, at
// exit, its allocation profile into $HBD_PPROF_DIR (cpu.pprof,
// allocs.pprof), for the cluster benchmarks' profiles. Without the
// variable it does nothing.
func startProfile() (stop func()) {
	dir := os.Getenv("HBD_PPROF_DIR")
	if dir == "" {
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		if f, err := os.Create(filepath.Join(dir, "allocs.pprof")); err == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
}

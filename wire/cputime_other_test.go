//go:build !linux

package wire

import "testing"

// cpuPerOp reports nothing where there is no per-thread CPU clock.
func cpuPerOp(*testing.B) func(int) { return func(int) {} }

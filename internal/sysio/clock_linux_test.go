package sysio

import (
	"testing"
	"time"
)

func TestMonotonicMatchesKernel(t *testing.T) {
	// The calibration error is a fraction of a microsecond; allow for a
	// preemption between the reads on a busy machine.
	const slack = int64(200 * time.Microsecond)
	for range 100 {
		before, ok := clockMonotonicSyscall()
		m := Monotonic()
		after, _ := clockMonotonicSyscall()
		if !ok {
			t.Fatal("clock_gettime failed")
		}
		if m < before-slack || m > after+slack {
			t.Fatalf("Monotonic = %d outside [%d, %d] (±%d)", m, before, after, slack)
		}
	}
}

func TestMonotonicNeverGoesBack(t *testing.T) {
	prev := Monotonic()
	for range 100000 {
		now := Monotonic()
		if now < prev {
			t.Fatalf("Monotonic went back from %d to %d", prev, now)
		}
		prev = now
	}
	noAllocs(t, "Monotonic", func() { Monotonic() })
}

var sink int64

func BenchmarkMonotonic(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink += Monotonic()
	}
}

func BenchmarkClockGettimeSyscall(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		t, _ := clockMonotonicSyscall()
		sink += t
	}
}

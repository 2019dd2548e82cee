package watchdog

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// openFile opens a Watchdog on a regular file of the test's own.
func openFile(tb testing.TB) *Watchdog {
	tb.Helper()
	dev := filepath.Join(tb.TempDir(), "watchdog")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	w := Open(dev, Options{})
	if !w.Enabled() {
		tb.Fatalf("cannot open %s", dev)
	}
	tb.Cleanup(w.MagicClose)
	return w
}

func TestTickleAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	if n := testing.AllocsPerRun(1000, openFile(t).Tickle); n != 0 {
		t.Errorf("Tickle: %v allocations, want 0", n)
	}
	// A full FIFO: the skipped tickle costs nothing either.
	dev := mkfifo(t)
	openReader(t, dev)
	w := Open(dev, Options{})
	defer w.MagicClose()
	for range 1 << 17 {
		w.Tickle()
	}
	if n := testing.AllocsPerRun(1000, w.Tickle); n != 0 || !w.Enabled() {
		t.Errorf("Tickle on a full FIFO: %v allocations (enabled %v), want 0", n, w.Enabled())
	}
}

// TestCloseRacesTickle closes from one goroutine while another tickles,
// as an exit path may while the loop still runs; under -race it proves
// the lock covers the descriptor.
func TestCloseRacesTickle(t *testing.T) {
	w := openFile(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 1000 {
			w.Tickle()
		}
	})
	w.MagicClose()
	wg.Wait()
	if w.Enabled() {
		t.Error("enabled after MagicClose")
	}
}

func BenchmarkTickle(b *testing.B) {
	w := openFile(b)
	b.ReportAllocs()
	for b.Loop() {
		w.Tickle()
	}
}

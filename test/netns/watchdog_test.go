package netns

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// The watchdog directive, pointed at a FIFO of the test's (never a real
// /dev/watchdog): one NUL per keepalive while the daemon runs, and the
// magic "V" when it stops cleanly.
func TestWatchdogFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "watchdog")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The reader exists first, so the daemon's non-blocking open succeeds.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mu sync.Mutex
	var got []byte
	var at []time.Time
	go func() {
		buf := make([]byte, 64)
		for {
			k, err := r.Read(buf)
			if k > 0 {
				mu.Lock()
				for _, b := range buf[:k] {
					got = append(got, b)
					at = append(at, time.Now())
				}
				mu.Unlock()
			}
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if err != nil { // EAGAIN or EOF (no writer yet, or gone): poll
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	net := netnstest.New(t, netnstest.Config{Hosts: 1})
	spec := clustertest.Spec{Nodes: 1, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "2",
		Extra: "watchdog " + fifo + "\n"}
	d := clustertest.NewHBD(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
	d.Start()
	d.Log.Wait(t, "Using watchdog device: "+fifo, time.Now().Add(-time.Minute), 10*time.Second)
	time.Sleep(2 * time.Second)
	mu.Lock()
	n := len(got)
	mu.Unlock()
	// 2 s at one tickle per 100 ms keepalive, with slack for scheduling.
	if n < 12 || n > 25 {
		t.Errorf("%d watchdog bytes in 2 s at keepalive 100 ms, want about 20", n)
	}
	stopped := time.Now()
	syscall.Kill(d.Pid(), syscall.SIGTERM)
	d.Log.Wait(t, "node1 Heartbeat shutdown complete.", stopped, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for i, b := range got {
		if b != 0 && !(b == 'V' && i == len(got)-1) {
			t.Fatalf("byte %d is %q: want NULs and a final V", i, b)
		}
	}
	if len(got) == 0 || got[len(got)-1] != 'V' {
		t.Errorf("no magic close: last bytes %q", got[max(0, len(got)-3):])
	}
}

package apphb_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
)

var soak = flag.Duration("apphb.soak", 0, "run the 100-client apphbd test this long (default: a short run)")

// 100 clients register, heartbeat, fall silent, resume, hang up and
// unregister in random order: the service keeps answering, every failure
// is reported within 10 ms (plus the loop's stall) of its deadline and its
// deadline is anchored on a heartbeat the client really sent, and memory
// held does not grow from one half of the run to the next.
func TestHundredClients(t *testing.T) {
	run := 6 * time.Second
	if testing.Short() {
		run = 2 * time.Second
	}
	if *soak > 0 {
		run = *soak
	}
	s := start(t, t.TempDir(), core.Config{}, apphb.Options{})
	var mu sync.Mutex
	sends := map[string][]int64{} // per instance, the hb send times
	record := func(inst string, at int64) {
		mu.Lock()
		sends[inst] = append(sends[inst], at)
		mu.Unlock()
	}
	var heap [2]uint64 // before the clients, and after them with the test's records dropped
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	heap[0] = heapInUse()
	start := time.Now()
	for id := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(id), 7))
			for cycle := 0; time.Since(start) < run; cycle++ {
				if err := oneClient(t, s.sock, rng, fmt.Sprintf("c%03d-%d", id, cycle), record); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	time.Sleep(50 * time.Millisecond)

	// Every failure: late by at most 10 ms plus the loop's stall, and its
	// deadline is a real heartbeat's (sent no later than Due-Interval).
	var lateness []time.Duration
	s.glue.mu.Lock()
	fails := 0
	firedAt := map[string][]int64{}
	for _, ln := range s.glue.lines {
		var app, inst string
		var pid int
		if n, _ := fmt.Sscanf(ln.text, "apphb client %s / %s (pid %d) failed to heartbeat", &app, &inst, &pid); n == 3 && strings.HasSuffix(ln.text, ") failed to heartbeat") {
			firedAt[inst[1:len(inst)-1]] = append(firedAt[inst[1:len(inst)-1]], ln.at)
		}
	}
	seen := map[string]int{}
	stall := s.stall()
	for _, ev := range s.glue.events {
		if ev.Kind != core.EventFailed {
			continue
		}
		fails++
		k := seen[ev.Instance]
		seen[ev.Instance]++
		fired := firedAt[ev.Instance][k]
		late := time.Duration(fired - ev.Due)
		lateness = append(lateness, late)
		if late < 0 || late > 10*time.Millisecond+stall {
			t.Errorf("%s: failure reported %v after its deadline (stall %v)", ev.Instance, late, stall)
		}
		armed := ev.Due - int64(ev.Interval)
		mu.Lock()
		ok := false
		for _, at := range sends[ev.Instance] {
			ok = ok || at <= armed
		}
		mu.Unlock()
		if !ok {
			t.Errorf("%s: deadline %d armed before any heartbeat was sent", ev.Instance, ev.Due)
		}
	}
	s.glue.mu.Unlock()
	sort.Slice(lateness, func(i, j int) bool { return lateness[i] < lateness[j] })
	if len(lateness) == 0 {
		t.Fatal("no client ever failed: the test exercised no timer")
	}
	p := func(q float64) time.Duration { return lateness[int(q*float64(len(lateness)-1))] }
	t.Logf("%d failures: lateness p50 %v p99 %v max %v (loop's max stall %v); %d frames, %d replies",
		fails, p(0.5), p(0.99), p(1), stall, s.srv.Stats().Frames, s.srv.Stats().Replies)
	if s.Clients() != 0 || s.srv.Conns() != 0 {
		t.Errorf("%d clients and %d connections left", s.Clients(), s.srv.Conns())
	}
	// The service's memory: what is left once the test's own records
	// (every line, event and send time) are dropped.
	s.glue.mu.Lock()
	s.glue.lines, s.glue.events = nil, nil
	s.glue.mu.Unlock()
	mu.Lock()
	sends = nil
	mu.Unlock()
	heap[1] = heapInUse()
	t.Logf("heap in use before the clients %d KiB, after them %d KiB", heap[0]>>10, heap[1]>>10)
	if heap[1] > heap[0]+2<<20 {
		t.Errorf("heap grew from %d to %d KiB", heap[0]>>10, heap[1]>>10)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// oneClient is one client's life: register, set an interval, heartbeat
// some, maybe fall silent past the interval and come back, then unreg and
// close, or just hang up.
func oneClient(t *testing.T, sock string, rng *rand.Rand, inst string, record func(string, int64)) error {
	c := dialErr(sock)
	if c == nil {
		return fmt.Errorf("%s: connect failed", inst)
	}
	defer c.c.Close()
	call := func(body []byte) error {
		if err := c.send(body); err != nil {
			return err
		}
		rc, err := c.rc()
		if err == nil && rc != 0 {
			err = fmt.Errorf("rc %d", rc)
		}
		return err
	}
	if err := call(core.AppendReg(nil, "load", inst, "/", int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid()))); err != nil {
		return fmt.Errorf("%s: reg: %v", inst, err)
	}
	interval := time.Duration(40+rng.IntN(120)) * time.Millisecond
	record(inst, mono())
	if err := call(core.AppendInt(nil, core.KindSetInt, uint64(interval/time.Millisecond))); err != nil {
		return fmt.Errorf("%s: setint: %v", inst, err)
	}
	hb := core.AppendBare(nil, core.KindHB)
	beat := func(n int) error {
		for range n {
			time.Sleep(interval / 4)
			record(inst, mono())
			if err := c.send(hb); err != nil {
				return err
			}
		}
		return nil
	}
	if err := beat(rng.IntN(6)); err != nil {
		return err
	}
	if rng.IntN(2) == 0 {
		time.Sleep(interval + 30*time.Millisecond) // fail
		if err := beat(1 + rng.IntN(3)); err != nil {
			return err
		}
	}
	if rng.IntN(2) == 0 {
		if err := call(core.AppendBare(nil, core.KindUnreg)); err != nil {
			return fmt.Errorf("%s: unreg: %v", inst, err)
		}
	}
	return nil
}

func dialErr(sock string) *client {
	for range 50 {
		if c, err := netDial(sock); err == nil {
			return &client{c: c}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

package lrm

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// rig is an LRM on a loop of its own goroutine; tests act on it through
// do, which runs a function on the loop and waits.
type rig struct {
	t    *testing.T
	l    *loop.Loop
	lrm  *LRM
	mu   sync.Mutex
	fns  []func()
	res  chan *Result
	logs chan string
	dir  string
	// wakeMax and wakeHist are what the wake-up handler (Poll: finishing
	// runs on the loop) took, longest and by loop.Hist's buckets.
	wakeMax  atomic.Int64
	wakeHist [len(loop.HistEdges) + 1]atomic.Uint64
	// wakeCPUMax is the longest Poll in the loop thread's CPU time: the
	// LRM's own work, without the time the thread was not scheduled.
	wakeCPUMax atomic.Int64
}

func threadCPU() time.Duration { return sysio.ThreadCPUTime() }

func newRig(t *testing.T, tweak func(*Options)) *rig {
	t.Helper()
	g := &rig{t: t, res: make(chan *Result, 1024), logs: make(chan string, 1024), dir: t.TempDir()}
	l, err := loop.New(loop.Options{WakeHandler: g.wake})
	if err != nil {
		t.Fatal(err)
	}
	g.l = l
	root := filepath.Join(g.dir, "ocf")
	for _, d := range []string{"resource.d/test", "lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wd, _ := os.Getwd()
	os.Symlink(filepath.Join(wd, "testdata", "naughty"), filepath.Join(root, "resource.d/test/naughty"))
	os.Symlink("/usr/lib/ocf/resource.d/heartbeat", filepath.Join(root, "resource.d/heartbeat"))
	os.Symlink("/usr/lib/ocf/lib/heartbeat", filepath.Join(root, "lib/heartbeat"))
	opt := Options{
		Loop: l, Wake: l.Wake,
		Done: func(r *Result) { g.res <- r },
		Logf: func(f string, a ...any) {
			select {
			case g.logs <- f:
			default:
			}
		},
		OCFRoot:     root,
		InitDir:     filepath.Join(wd, "testdata"),
		ResourceDir: filepath.Join(wd, "testdata"),
		KillGrace:   200 * time.Millisecond,
		Env:         []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LSBTEST_STATE=" + filepath.Join(g.dir, "lsb.state")},
	}
	if tweak != nil {
		tweak(&opt)
	}
	g.lrm = New(opt)
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	t.Cleanup(func() {
		g.do(func() { g.lrm.Close() })
		l.Stop()
		<-done
		l.Close()
	})
	return g
}

func (g *rig) wake() {
	t0, c0 := time.Now(), threadCPU()
	g.lrm.Poll()
	d, c := time.Since(t0), threadCPU()-c0
	if int64(c) > g.wakeCPUMax.Load() {
		g.wakeCPUMax.Store(int64(c))
	}
	if int64(d) > g.wakeMax.Load() {
		g.wakeMax.Store(int64(d))
	}
	i := 0
	for i < len(loop.HistEdges) && d > loop.HistEdges[i] {
		i++
	}
	g.wakeHist[i].Add(1)
	g.mu.Lock()
	fns := g.fns
	g.fns = nil
	g.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// do runs f on the loop and waits for it.
func (g *rig) do(f func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.fns = append(g.fns, func() { f(); close(ch) })
	g.mu.Unlock()
	g.l.Wake()
	<-ch
}

func (g *rig) add(r Resource) {
	g.t.Helper()
	var err error
	g.do(func() { err = g.lrm.Add(r) })
	if err != nil {
		g.t.Fatalf("add %s: %v", r.ID, err)
	}
}

func (g *rig) perform(o Op) int {
	g.t.Helper()
	var id int
	var err error
	g.do(func() { id, err = g.lrm.Perform(o) })
	if err != nil {
		g.t.Fatalf("perform %s %s: %v", o.Rsc, o.Name, err)
	}
	return id
}

// wait returns the next result of call id.
func (g *rig) wait(id int, within time.Duration) *Result {
	g.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case r := <-g.res:
			if r.CallID == id {
				return r
			}
		case <-deadline:
			g.t.Fatalf("no result for call %d within %v", id, within)
			return nil
		}
	}
}

// run performs o and waits for its result.
func (g *rig) run(o Op) *Result {
	g.t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	return g.wait(g.perform(o), 30*time.Second)
}

package rsc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// Result is a finished batch.
type Result struct {
	ID   uint64
	Take bool
	// Failed are the keys whose group could not be started (it was
	// stopped again) or stopped, and keys that name no group, in the
	// order given.
	Failed []string
	// Fenced is set once a resource could not be stopped and the
	// self-fence command ran: heartbeat would be dead by now (pkill -9),
	// so the daemon exits at once, releasing nothing. Every later batch
	// runs nothing and reports Fenced too.
	Fenced  bool
	Elapsed time.Duration // from the batch's start to its end
}

// Manager runs haresources groups. Take, Give and Results are for the
// event loop and never block; Status blocks and is for anyone else.
type Manager struct {
	opt    Options
	env    []string          // agentEnv(opt.Env)
	groups map[string]*group // by key

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []batch
	results []Result
	closed  bool

	kick    chan struct{} // 1-buffered: the queue changed
	tasks   chan task     // to the workers
	done    chan struct{} // the dispatcher has returned
	workers sync.WaitGroup
	fenced  atomic.Bool
}

// group is one haresources line, its agents in start order.
type group struct {
	cfg    config.Group
	agents []agent
	line   string // "<node> <r1> <r2> …" as ResourceManager logs it
}

// batch is one Take or Give.
type batch struct {
	id   uint64
	take bool
	keys []string
}

// task is one group of a batch, for a worker.
type task struct {
	g      *group
	take   bool
	failed *bool
	wg     *sync.WaitGroup
}

// New checks that every resource of every group has an agent (a missing
// script is an error naming its haresources line) and starts the
// workers. Close must be called to stop them.
func New(groups []config.Group, opt Options) (*Manager, error) {
	opt = opt.withDefaults()
	if opt.IPAgent != IPAgentBuiltin && opt.IPAgent != IPAgentScript {
		return nil, fmt.Errorf("rsc: IP agent %q: want %q or %q", opt.IPAgent, IPAgentBuiltin, IPAgentScript)
	}
	m := &Manager{opt: opt, groups: make(map[string]*group, len(groups))}
	m.env = agentEnv(opt.Env, &m.opt)
	var errs []error
	for i := range groups {
		g := &group{cfg: groups[i], line: strings.Join(groups[i].Tokens, " ")}
		key := g.cfg.Key()
		if key == "" {
			continue // no resources: nothing to run
		}
		if _, dup := m.groups[key]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate resource group key [%s]", m.where(&g.cfg), key))
			continue
		}
		for j := range g.cfg.Resources {
			a, err := m.resolve(&g.cfg.Resources[j])
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.where(&g.cfg), err))
				continue
			}
			g.agents = append(g.agents, a)
		}
		m.groups[key] = g
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.kick = make(chan struct{}, 1)
	m.tasks = make(chan task)
	m.done = make(chan struct{})
	for range opt.Workers {
		m.workers.Add(1)
		go m.worker()
	}
	go m.dispatch()
	return m, nil
}

// Take queues the acquisition of the groups named by keys
// (config.Group.Key); its Result comes back through Results.
func (m *Manager) Take(id uint64, keys []string) { m.submit(id, true, keys) }

// Give queues the release of the groups named by keys.
func (m *Manager) Give(id uint64, keys []string) { m.submit(id, false, keys) }

// submit queues a batch; a key given twice runs once.
func (m *Manager) submit(id uint64, take bool, keys []string) {
	b := batch{id: id, take: take, keys: make([]string, 0, len(keys))}
	for _, k := range keys {
		if !containsString(b.keys, k) {
			b.keys = append(b.keys, k)
		}
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.queue = append(m.queue, b)
	m.mu.Unlock()
	m.signal()
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (m *Manager) signal() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Results appends the finished batches to dst, in submission order, and
// forgets them. With room in dst it allocates nothing.
func (m *Manager) Results(dst []Result) []Result {
	m.mu.Lock()
	dst = append(dst, m.results...)
	clear(m.results)
	m.results = m.results[:0]
	m.mu.Unlock()
	return dst
}

// Status reports whether the group is running: heartbeat asks its key
// resource only. It runs the ownership test now, on the caller's
// goroutine.
func (m *Manager) Status(ctx context.Context, key string) (owned bool, err error) {
	g := m.groups[key]
	if g == nil {
		return false, fmt.Errorf("rsc: no resource group [%s]", key)
	}
	return g.agents[0].Running(ctx)
}

// Close drops the batches not yet started, lets the running one finish
// for CloseGrace, then kills its agents' process groups, and stops the
// workers.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	clear(m.queue)
	m.queue = nil
	m.mu.Unlock()
	m.signal()
	t := time.NewTimer(m.opt.CloseGrace)
	select {
	case <-m.done:
	case <-t.C:
		m.logf(prio.Warn, "Resource activity still running after %v: killing it", m.opt.CloseGrace)
		m.cancel()
		<-m.done
	}
	t.Stop()
	m.cancel()
	close(m.tasks)
	m.workers.Wait()
}

// dispatch runs the batches one after another, in submission order:
// heartbeat serialises resource work, and the protocol relies on it.
func (m *Manager) dispatch() {
	defer close(m.done)
	for {
		b, ok := m.next()
		if !ok {
			return
		}
		r := m.runBatch(b)
		m.mu.Lock()
		m.results = append(m.results, r)
		m.mu.Unlock()
		if m.opt.Wake != nil {
			m.opt.Wake()
		}
	}
}

// next waits for the next batch; false once closed.
func (m *Manager) next() (batch, bool) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return batch{}, false
		}
		if len(m.queue) > 0 {
			b := m.queue[0]
			m.queue[0] = batch{}
			m.queue = m.queue[1:]
			m.mu.Unlock()
			return b, true
		}
		m.mu.Unlock()
		<-m.kick
	}
}

// runBatch runs a batch's groups on the workers, at most Workers at once,
// and waits for all of them.
func (m *Manager) runBatch(b batch) Result {
	start := time.Now()
	r := Result{ID: b.id, Take: b.take}
	if !m.fenced.Load() {
		failed := make([]bool, len(b.keys))
		var wg sync.WaitGroup
		for i, key := range b.keys {
			g := m.groups[key]
			if g == nil {
				m.logf(prio.Error, "No resource group [%s] in haresources", key)
				failed[i] = true
				continue
			}
			wg.Add(1)
			m.tasks <- task{g: g, take: b.take, failed: &failed[i], wg: &wg}
		}
		wg.Wait()
		for i, f := range failed {
			if f {
				r.Failed = append(r.Failed, b.keys[i])
			}
		}
	}
	r.Fenced = m.fenced.Load()
	r.Elapsed = time.Since(start)
	return r
}

func (m *Manager) worker() {
	defer m.workers.Done()
	for t := range m.tasks {
		switch {
		case m.ctx.Err() != nil:
			*t.failed = true // Close gave up: run nothing more
		case t.take:
			*t.failed = !m.takeGroup(m.ctx, t.g)
		default:
			*t.failed = !m.giveGroup(m.ctx, t.g)
		}
		t.wg.Done()
	}
}

func (m *Manager) logf(level prio.Level, format string, args ...any) {
	if m.opt.Log != nil {
		m.opt.Log(level, fmt.Sprintf(format, args...))
	}
}

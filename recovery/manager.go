package recovery

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/loop"
)

// Options configure a Manager.
type Options struct {
	// Log receives the manager's lines. It must be safe for concurrent
	// use: the line saying a command is being killed comes from the
	// runner's goroutine, before the signals (hblog's Logger is).
	Log func(p prio.Level, text string)
	// Output is where commands' stdout and stderr go ("" discards).
	Output string
	// Kill sends a rule's signal to a failed client; nil is syscall.Kill.
	Kill func(pid int, sig syscall.Signal) error
}

// Manager runs recovery commands for apphbd's events. Its methods run on
// the loop goroutine.
type Manager struct {
	l     *loop.Loop
	conf  Conf
	opt   Options
	state []ruleState

	mu   sync.Mutex // done runs, posted by proc's goroutines
	done []finished
}

// ruleState is one rule's runs per application instance.
type ruleState struct {
	apps map[string]*run
}

// run is one rule's recovery of one client (app/instance).
type run struct {
	m        *Manager
	rule     *Rule
	apps     map[string]*run // where it is kept
	key      string
	running  bool
	pending  *core.Event // an event that came while running or backing off
	failures int         // consecutive failed runs
	until    int64       // no run before this (back-off)
	timer    loop.Timer
	started  int64
	proc     *proc.Process
}

type finished struct {
	r   *run
	res proc.Result
}

// New returns a manager for conf on l.
func New(l *loop.Loop, conf Conf, opt Options) *Manager {
	if opt.Log == nil {
		opt.Log = func(prio.Level, string) {}
	}
	if opt.Kill == nil {
		opt.Kill = syscall.Kill
	}
	m := &Manager{l: l, conf: conf, opt: opt, state: make([]ruleState, len(conf.Rules))}
	for i := range m.state {
		m.state[i].apps = make(map[string]*run)
	}
	return m
}

func (m *Manager) logf(p prio.Level, format string, args ...any) {
	m.opt.Log(p, fmt.Sprintf(format, args...))
}

// Event acts on one apphbd event.
func (m *Manager) Event(ev core.Event) {
	for i := range m.conf.Rules {
		rule := &m.conf.Rules[i]
		if !rule.match(&ev) {
			continue
		}
		key := ev.App + "/" + ev.Instance
		r := m.state[i].apps[key]
		if r == nil {
			r = &run{m: m, rule: rule, apps: m.state[i].apps, key: key}
			r.timer.Init(r.backoffOver)
			m.state[i].apps[key] = r
		}
		r.event(ev)
	}
}

func (r *run) event(ev core.Event) {
	m := r.m
	now := m.l.Now()
	switch {
	case r.running:
		r.pending = &ev
		m.logf(prio.Info, "recovery: %s %s (pid %d) while its recovery runs: once more after it", r.key, ev.Kind, ev.PID)
	case now < r.until:
		r.pending = &ev
		m.logf(prio.Warn, "recovery: %s %s (pid %d): recovery backing off %v after %d failed runs", r.key, ev.Kind, ev.PID,
			time.Duration(r.until-now).Round(time.Millisecond), r.failures)
	default:
		r.start(ev)
	}
}

func (r *run) backoffOver(int64) {
	if ev := r.pending; ev != nil && !r.running {
		r.pending = nil
		r.start(*ev)
	}
}

func (r *run) start(ev core.Event) {
	m := r.m
	rule := r.rule
	if rule.Signal != 0 && ev.PID > 1 {
		if err := m.opt.Kill(int(ev.PID), rule.Signal); err != nil && !errors.Is(err, syscall.ESRCH) {
			m.logf(prio.Warn, "recovery: %s: signal %v to pid %d: %v", r.key, rule.Signal, ev.PID, err)
		} else if err == nil {
			m.logf(prio.Info, "recovery: %s: sent %v to pid %d", r.key, rule.Signal, ev.PID)
		}
	}
	spec := &proc.Spec{
		Path: rule.Args[0], Args: rule.Args, Output: m.opt.Output,
		Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "APPHB_APP=" + ev.App, "APPHB_INSTANCE=" + ev.Instance,
			"APPHB_PID=" + strconv.Itoa(int(ev.PID)), "APPHB_EVENT=" + ev.Kind.String()},
		Timeout: rule.Timeout, KillGrace: m.conf.KillGrace,
		Killing: func(why error, pgid int) {
			m.logf(prio.Warn, "recovery: %s: command %s (%s): killing process group %d", r.key, why, rule.Line, pgid)
		},
	}
	if rule.User != "root" {
		cred, err := credential(rule.User)
		if err != nil {
			m.logf(prio.Error, "recovery: %s (%s): user %s: %v: not run", r.key, rule.Line, rule.User, err)
			return
		}
		spec.Credential = cred
	}
	r.running, r.started = true, m.l.Now()
	m.logf(prio.Info, "recovery: %s %s (pid %d): running %q (%s)", r.key, ev.Kind, ev.PID, rule.Args, rule.Line)
	p, err := proc.Start(context.Background(), spec, func(res proc.Result) {
		m.mu.Lock()
		m.done = append(m.done, finished{r, res})
		m.mu.Unlock()
		m.l.Wake()
	})
	if err != nil {
		r.running = false
		m.finish(r, proc.Result{Err: err})
		return
	}
	r.proc = p
}

// Poll takes the commands that finished; call it on the loop's wake-up.
func (m *Manager) Poll() {
	m.mu.Lock()
	done := m.done
	m.done = nil
	m.mu.Unlock()
	for _, f := range done {
		f.r.running, f.r.proc = false, nil
		m.finish(f.r, f.res)
	}
}

func (m *Manager) finish(r *run, res proc.Result) {
	took := time.Duration(m.l.Now() - r.started).Round(time.Millisecond)
	if res.Err == nil && res.Exited() && res.ExitCode() == 0 {
		m.logf(prio.Info, "recovery: %s: command succeeded in %v", r.key, took)
		r.failures, r.until = 0, 0
		if r.pending == nil {
			// Nothing to remember: clients come and go (apphbtest's
			// instances carry their pid), the table must not grow.
			m.l.StopTimer(&r.timer)
			delete(r.apps, r.key)
			return
		}
	} else {
		r.failures++
		wait := m.conf.BackoffMin << min(r.failures-1, 30)
		if wait > m.conf.BackoffMax || wait <= 0 {
			wait = m.conf.BackoffMax
		}
		r.until = m.l.Now() + int64(wait)
		how := res.String()
		if errors.Is(res.Err, proc.ErrTimeout) {
			how = fmt.Sprintf("timed out after %v and was killed (%s)", r.rule.Timeout, res.String())
		}
		m.logf(prio.Error, "recovery: %s: command failed: %s after %v (%d in a row): next run not before %v", r.key, how, took, r.failures, wait)
		m.l.Schedule(&r.timer, r.until)
	}
	if r.pending != nil && m.l.Now() >= r.until {
		ev := *r.pending
		r.pending = nil
		r.start(ev)
	}
}

// Tracked is the number of clients the manager remembers (running,
// backing off or failed last time).
func (m *Manager) Tracked() int {
	n := 0
	for _, s := range m.state {
		n += len(s.apps)
	}
	return n
}

// Running is the number of commands running now.
func (m *Manager) Running() int {
	n := 0
	for _, s := range m.state {
		for _, r := range s.apps {
			if r.running {
				n++
			}
		}
	}
	return n
}

// Close kills the commands still running.
func (m *Manager) Close() {
	for _, s := range m.state {
		for _, r := range s.apps {
			m.l.StopTimer(&r.timer)
			if r.proc != nil {
				r.proc.Signal(syscall.SIGKILL)
			}
		}
	}
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad uid/gid %s/%s", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

package respawn

import (
	"sync"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// Heartbeat's respawn throttle (ManagedChildDied): a death within
// fastWindow of the start is fast; after more than maxFast consecutive
// fast deaths the client is left dead. A fast respawn sleeps fastDelay in
// the child before exec.
const (
	fastWindow = 30 * time.Second
	maxFast    = 10
	fastDelay  = time.Second
	// noRespawn is the exit code that asks not to be respawned (also
	// cl_respawn's magic code).
	noRespawn = 100
	// defaultKillAfter bounds the wait for one client at Stop before
	// SIGKILL; heartbeat waits without limit (until its 60-minute
	// emergency shutdown).
	defaultKillAfter = 30 * time.Second
)

// Options configure a Supervisor.
type Options struct {
	// Log writes one line in heartbeat's words; it is called from any
	// goroutine.
	Log func(level prio.Level, msg string)
	// Wake asks the loop to call Reap soon (loop.Wake); called from any
	// goroutine.
	Wake func()
	// Env is the children's environment (heartbeat's HA_* variables);
	// nil gives them ours.
	Env []string
	// Reboot is what a failfast client's death does; nil is heartbeat's
	// cl_reboot (EMERG line, sync, wait Keepalive, reboot(2)). Tests must
	// set it.
	Reboot    func(reason string)
	Keepalive time.Duration
	// Debug returns the debug level; above 0 heartbeat adds its own
	// "Client ..." lines to every exit. Nil means 0.
	Debug func() int
	// KillAfter is how long Stop waits for a client after SIGTERM before
	// it kills the process group with SIGKILL; 0 means 30 s.
	KillAfter time.Duration

	now   func() time.Time // the clock for the 30 s fast-death window
	delay time.Duration    // the fast-respawn sleep; 0 means 1 s
	// spawnHook runs on the spawning goroutine before each fork (tests).
	spawnHook func()
}

// Supervisor runs the clients of one daemon. Except for Pids, its methods
// belong to the loop's goroutine.
type Supervisor struct {
	opt      Options
	clients  []client
	shutdown bool // heartbeat's shutdown_in_progress: no respawn
	stop     *stopState

	mu     sync.Mutex
	posted []event        // guarded by mu: what the goroutines reported
	pids   map[string]int // guarded by mu: live clients by command
	spare  []event        // loop-owned: Reap's other buffer, swapped with posted
}

// client is one ha.cf line and what the loop knows about it.
type client struct {
	cfg      config.Client
	pid      int           // running process (and process group); 0 if none
	proc     *proc.Process // the running process, to signal its group
	starting bool          // a fork is under way
	started  time.Time     // when the current process started
	fast     int           // consecutive fast deaths
	dead     bool          // never started again
	killed   bool          // we sent it a signal at Stop
}

// eventKind says what a goroutine reports.
type eventKind uint8

const (
	evStarted eventKind = iota
	evFailed            // fork or exec failed
	evExited
	evGrace // Stop's wait for a client ran out
)

// event is one report from a spawning, waiting or timer goroutine.
type event struct {
	kind eventKind
	idx  int
	pid  int
	proc *proc.Process // evStarted
	at   time.Time
	err  error
	ws   syscall.WaitStatus
}

// New returns a Supervisor for clients, in config order. Nothing starts
// until Start.
func New(clients []config.Client, opt Options) *Supervisor {
	if opt.now == nil {
		opt.now = time.Now
	}
	if opt.delay == 0 {
		opt.delay = fastDelay
	}
	if opt.KillAfter == 0 {
		opt.KillAfter = defaultKillAfter
	}
	if opt.Log == nil {
		opt.Log = func(prio.Level, string) {}
	}
	if opt.Wake == nil {
		opt.Wake = func() {}
	}
	if opt.Reboot == nil {
		log, keepalive := opt.Log, opt.Keepalive
		opt.Reboot = func(reason string) { go SystemReboot(log, keepalive, reason) }
	}
	s := &Supervisor{opt: opt, pids: map[string]int{}}
	for _, c := range clients {
		s.clients = append(s.clients, client{cfg: c})
	}
	return s
}

// Start starts every client in config order; heartbeat does it when
// communications come up.
func (s *Supervisor) Start() {
	if s.shutdown {
		return
	}
	var batch []int
	for i := range s.clients {
		if s.prepare(i) {
			batch = append(batch, i)
		}
	}
	if len(batch) > 0 {
		// One goroutine forks them in order.
		go s.spawn(batch, false)
	}
}

// BeginShutdown tells the Supervisor that shutdown has begun (heartbeat's
// shutdown_in_progress): dead clients are no longer respawned, and a
// failfast client's non-zero exit no longer reboots. Stop implies it.
func (s *Supervisor) BeginShutdown() { s.shutdown = true }

// Pids returns the live clients' pids by command. It may be called from
// any goroutine.
func (s *Supervisor) Pids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.pids))
	for k, v := range s.pids {
		m[k] = v
	}
	return m
}

// post hands an event to the loop.
func (s *Supervisor) post(e event) {
	s.mu.Lock()
	switch e.kind {
	case evStarted:
		s.pids[s.clients[e.idx].cfg.Command] = e.pid
	case evExited:
		if s.pids[s.clients[e.idx].cfg.Command] == e.pid {
			delete(s.pids, s.clients[e.idx].cfg.Command)
		}
	}
	s.posted = append(s.posted, e)
	s.mu.Unlock()
	s.opt.Wake()
}

// Reap handles what the children did since the last call: it logs exits,
// respawns, fires failfast and moves Stop along. It runs on the loop
// after Wake; with nothing to do it allocates nothing.
func (s *Supervisor) Reap() {
	s.mu.Lock()
	evs := s.posted
	s.posted = s.spare[:0]
	s.mu.Unlock()
	for i := range evs {
		s.handle(&evs[i])
		evs[i] = event{}
	}
	s.spare = evs[:0]
}

// handle applies one event.
func (s *Supervisor) handle(e *event) {
	c := &s.clients[e.idx]
	current := s.stop != nil && s.stop.cur == e.idx
	switch e.kind {
	case evStarted:
		c.starting = false
		c.pid, c.proc, c.started = e.pid, e.proc, e.at
		if current {
			s.stopNext() // it was being forked when Stop reached it
		}
	case evFailed:
		c.starting = false
		c.dead = true // heartbeat's child exits 100: never respawned
		s.opt.Log(prio.Error, "Cannot setup child process "+c.cfg.Command+": "+sysio.Strerror(e.err))
		if current {
			s.stop.cur--
			s.stopNext()
		}
	case evExited:
		if c.pid != e.pid {
			return
		}
		c.pid, c.proc = 0, nil
		s.exited(e.idx, e.pid, e.ws, e.at)
		if current {
			s.stop.cur--
			s.stopNext()
		}
	case evGrace:
		if current && c.pid == e.pid {
			s.kill(c, syscall.SIGKILL)
		}
	}
}

package stonith

import (
	"context"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// Heartbeat's t=stonith result= values for a reset attempt (wire
// constants: T_STONITH_OK, T_STONITH_BADHOST, T_STONITH_BAD).
const (
	ReasonOK      = "OK"
	ReasonBadHost = "badhost"
	ReasonBad     = "bad"
)

// Exit codes of stonith(8): the S_* code of the request (stonith.h).
const (
	exitOK      = 0 // S_OK
	exitBadHost = 4 // S_BADHOST
)

const (
	// DefaultCommand is cluster-glue's stonith(8).
	DefaultCommand = "/usr/sbin/stonith"
	// defaultRetry is heartbeat's pause between a failed reset and the
	// next attempt (StonithProcessDied).
	defaultRetry = 5 * time.Second
	// waitDelay bounds the wait for a killed command's output pipes.
	waitDelay = time.Second
)

// Options configure a Fencer.
type Options struct {
	// Log writes one line in heartbeat's words; it is called from any
	// goroutine.
	Log func(level prio.Level, msg string)
	// Wake asks the loop to call Results soon (loop.Wake); called from
	// any goroutine.
	Wake func()
	// Command is the stonith(8) binary; "" means DefaultCommand.
	Command string
	// Env is the command's environment; nil gives it ours. cl_log reads
	// HA_logfacility, HA_logfile, HA_debugfile, HA_use_logd and HA_debug
	// from it (heartbeat sets them for its children), so that stonith(8)
	// and its plugins log where the daemon does; without them they log to
	// syslog, or to /dev/console when there is no syslog.
	Env []string
	// RetryInterval is the pause after a failed reset; 0 means
	// heartbeat's 5 s.
	RetryInterval time.Duration
	// Timeout bounds one FenceOnce or List command (NewDevice); 0 means
	// none.
	Timeout time.Duration
}

// Result is the outcome of one reset attempt or one status check.
type Result struct {
	Node   string // the node reset; "" for a status check
	OK     bool
	Reason string // ReasonOK, ReasonBadHost or ReasonBad
	// Status marks the end of a device status check (Status): heartbeat
	// broadcasts nothing for it and checks again 3600 s later.
	Status bool
	// Once marks a FenceOnce outcome: Action is what ran, Code the
	// command's exit code (-1: not run, killed or timed out).
	Once   bool
	Action string
	Code   int
	// List marks a List outcome: Hosts is the command's output.
	List  bool
	Hosts string
}

// Fencer runs one STONITH device's commands. Its methods belong to the
// loop's goroutine.
type Fencer struct {
	opt  Options
	dev  config.Stonith
	bad  string   // why the device cannot be used; "" if it can
	args []string // the device's arguments to the command

	idMu sync.Mutex
	id   string // the device ID once the command told it

	mu     sync.Mutex
	posted []Result        // guarded by mu: outcomes not yet taken
	runs   map[string]*run // guarded by mu: resets under way by node
	check  *run            // guarded by mu: the status check under way
	list   *run            // guarded by mu: the host list under way
	closed bool            // guarded by mu
	spare  []Result        // loop-owned: Results' other buffer
	wg     sync.WaitGroup
}

// run is one reset's retry loop or one status check; cancel kills its
// command and ends it.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a Fencer for dev (cfg.Stonith). Nothing runs until Status or
// Reset. A nil dev gives a Fencer whose every attempt fails, saying why.
func New(dev *config.Stonith, opt Options) *Fencer {
	if opt.Command == "" {
		opt.Command = DefaultCommand
	}
	if opt.RetryInterval <= 0 {
		opt.RetryInterval = defaultRetry
	}
	if opt.Log == nil {
		opt.Log = func(prio.Level, string) {}
	}
	if opt.Wake == nil {
		opt.Wake = func() {}
	}
	f := &Fencer{opt: opt, runs: map[string]*run{}}
	switch {
	case dev == nil:
		f.bad = "no STONITH device configured"
	case dev.Type == "":
		f.bad = "no STONITH type given"
	default:
		f.dev = *dev
		f.args = deviceArgs(dev)
	}
	return f
}

// Results appends the outcomes posted since the last call to dst and
// returns it. It runs on the loop after Wake; when dst has room it
// allocates nothing.
func (f *Fencer) Results(dst []Result) []Result {
	f.mu.Lock()
	got := f.posted
	f.posted = f.spare[:0]
	f.mu.Unlock()
	dst = append(dst, got...)
	clear(got) // drop the strings' references
	f.spare = got[:0]
	return dst
}

// Cancel stops resetting node: a command under way is killed (its whole
// process group) and nothing more is logged or reported for this attempt.
func (f *Fencer) Cancel(node string) {
	f.mu.Lock()
	r := f.runs[node]
	delete(f.runs, node)
	f.mu.Unlock()
	if r != nil {
		r.cancel()
	}
}

// Close cancels every reset and status check and waits until their
// commands have exited. Later calls start nothing.
func (f *Fencer) Close() {
	f.mu.Lock()
	f.closed = true
	for node, r := range f.runs {
		r.cancel()
		delete(f.runs, node)
	}
	if f.check != nil {
		f.check.cancel()
		f.check = nil
	}
	if f.list != nil {
		f.list.cancel()
		f.list = nil
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// newRun returns a cancellable run counted in wg.
func (f *Fencer) newRun() *run {
	ctx, cancel := context.WithCancel(context.Background())
	f.wg.Add(1)
	return &run{ctx: ctx, cancel: cancel}
}

// post hands res to the loop if r is still current (not cancelled) and
// says whether it was.
func (f *Fencer) post(r *run, res Result) bool {
	f.mu.Lock()
	current := f.current(r, res)
	if current {
		f.posted = append(f.posted, res)
		switch {
		case res.Status:
			f.check = nil
		case res.List:
			f.list = nil
		case res.OK || res.Once:
			delete(f.runs, res.Node)
		}
	}
	f.mu.Unlock()
	if current {
		f.opt.Wake()
	}
	return current
}

// current reports whether r is still the run for res's node or check;
// f.mu is held.
func (f *Fencer) current(r *run, res Result) bool {
	if f.closed || r.ctx.Err() != nil {
		return false
	}
	if res.Status {
		return f.check == r
	}
	if res.List {
		return f.list == r
	}
	return f.runs[res.Node] == r
}

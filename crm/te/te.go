package te

import (
	"strconv"

	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
)

// OpStatus is an operation's execution status (Pacemaker's PCMK_EXEC_*,
// the op-status of lrm_rsc_op): whether the agent ran to completion, not
// what it answered (that is the rc-code).
type OpStatus int

// The values are Pacemaker's: they go into the CIB.
const (
	ExecDone         OpStatus = 0
	ExecCancelled    OpStatus = 1
	ExecTimeout      OpStatus = 2
	ExecNotSupported OpStatus = 3
	ExecError        OpStatus = 4
	ExecErrorHard    OpStatus = 5
	ExecErrorFatal   OpStatus = 6
	ExecNotInstalled OpStatus = 7
	ExecNotConnected OpStatus = 8
)

// OCF exit codes the engine interprets.
const (
	RCOK           = 0
	RCUnknownError = 1
	RCNotRunning   = 7
	RCPromoted     = 8
)

// Config holds the cluster options the engine uses.
type Config struct {
	// BatchLimit caps the agent operations and fencings in flight; 0 takes
	// the graph's batch-limit, and if that is 0 too, DefaultBatchLimit.
	BatchLimit int
	// StartFailureIsFatal: a failed start sets the fail count to INFINITY.
	StartFailureIsFatal bool
	// ClusterDelay (ns) is added to an action's own timeout before the
	// engine gives up waiting for its result (cluster-delay, 60 s).
	ClusterDelay int64
	// UUID is the DC's id written into transition keys.
	UUID string
	// FeatureSet is the crm_feature_set recorded with each operation.
	FeatureSet string
}

// DefaultBatchLimit is the cap on actions in flight when neither the
// configuration nor the graph sets one.
const DefaultBatchLimit = 30

// Run is an action to start: an agent operation for the resource layer of
// its node, or (Fence) a fencing or shutdown for the cluster layer.
type Run struct {
	Action     *pe.GraphAction
	Transition int
	Key        string // transition key: action:transition:target-rc:uuid
	TimeoutMS  int
}

// Result is an action's outcome, as the resource or STONITH layer reports
// it.
type Result struct {
	Transition int // the transition the action belongs to (stale ones are ignored)
	Action     int // its id in the graph
	RC         int
	Status     OpStatus
	CallID     int
	ExecMS     int
	QueueMS    int
	Reason     string // exit-reason
}

// Ready is what the engine hands to its driver.
type Ready struct {
	Run        []Run // agent operations to execute
	Fence      []Run // fencing and shutdowns, for the cluster and STONITH layers
	Records    []OpRecord
	FailCounts []FailCount
	// Replan asks for a new PE run: the graph was aborted and nothing of it
	// is in flight any more.
	Replan       bool
	ReplanReason string
	// Complete: the graph finished, every action done.
	Complete bool
	// Terminated: the graph can go no further without having failed:
	// nothing in flight and the actions left wait for one another (an
	// ordering loop). Pacemaker's "Transition failed: terminated"; a new
	// PE run on the same CIB would give the same graph.
	Terminated bool
	Logs       layer.Log
}

// Reset empties the buffers (layer.Output's contract).
func (r *Ready) Reset() {
	r.Run, r.Fence = r.Run[:0], r.Fence[:0]
	r.Records, r.FailCounts = r.Records[:0], r.FailCounts[:0]
	r.Replan, r.ReplanReason, r.Complete, r.Terminated = false, "", false, false
	r.Logs.Reset()
}

type state uint8

const (
	waiting state = iota
	running
	done
	failed
)

// Engine executes one graph at a time.
type Engine struct {
	cfg        Config
	g          *pe.Graph
	transition int
	st         []state
	deadline   []int64
	started    []int64
	inflight   int
	aborted    bool
	reason     string
	finished   bool // Complete or Replan was output for this graph
	out        layer.Output[Ready, *Ready]
	ord        *layer.Order
}

// New returns an idle engine; ord numbers its log lines among the
// stack's (nil: unnumbered).
func New(cfg Config, ord *layer.Order) *Engine {
	if cfg.ClusterDelay == 0 {
		cfg.ClusterDelay = 60e9
	}
	if cfg.FeatureSet == "" {
		cfg.FeatureSet = "3.16.2"
	}
	return &Engine{cfg: cfg, ord: ord, finished: true}
}

// Busy reports whether actions of the current graph are in flight (a new
// graph cannot start before they are back).
func (e *Engine) Busy() bool { return e.inflight > 0 }

// Transition is the current graph's number.
func (e *Engine) Transition() int { return e.transition }

// Aborted reports whether the current graph was aborted, and why.
func (e *Engine) Aborted() (bool, string) { return e.aborted, e.reason }

// Start begins executing a new graph. It panics if actions of the previous
// graph are still in flight: the driver waits for Replan or Complete.
func (e *Engine) Start(g *pe.Graph, now layer.Time) {
	if e.inflight > 0 {
		panic("te: Start with actions of the previous graph in flight")
	}
	e.transition++
	e.g = g
	n := len(g.Actions)
	e.st = resize(e.st, n)
	e.deadline = resize64(e.deadline, n)
	e.started = resize64(e.started, n)
	e.aborted, e.reason, e.finished = false, "", false
	e.out.Pending().Logs.Addf(e.ord, prio.Info, "transition %d: %d actions", e.transition, n)
	e.step(now)
}

func resize(s []state, n int) []state {
	if cap(s) < n {
		return make([]state, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = waiting
	}
	return s
}

func resize64(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	return s[:n]
}

// Ready hands out what the engine decided since the last Advance.
func (e *Engine) Ready() *Ready { return e.out.Ready() }

// Advance releases the last Ready.
func (e *Engine) Advance() { e.out.Advance() }

// Deadline is the earliest time an action in flight times out.
func (e *Engine) Deadline() (int64, bool) {
	var best int64
	ok := false
	for i, s := range e.st {
		if s == running && (!ok || e.deadline[i] < best) {
			best, ok = e.deadline[i], true
		}
	}
	return best, ok
}

// Abort stops the graph for an event from outside (a CIB change, a node
// lost, a monitor failure): what runs finishes, nothing new starts.
func (e *Engine) Abort(reason string, now layer.Time) {
	e.abort(reason)
	e.step(now)
}

func (e *Engine) abort(reason string) {
	if e.finished || e.aborted {
		return
	}
	e.aborted, e.reason = true, reason
	e.out.Pending().Logs.Addf(e.ord, prio.Notice, "transition %d aborted: %s", e.transition, reason)
}

// NodeLost aborts the graph; the actions in flight on the node will never
// report and count as failed (their results died with the node; fencing
// or its return will tell the truth).
func (e *Engine) NodeLost(node string, now layer.Time) {
	e.abort("node " + node + " lost")
	for i, s := range e.st {
		a := e.g.Actions[i]
		if s == running && a.Node == node && a.Task != "stonith" {
			e.st[i] = failed
			e.inflight--
		}
	}
	e.step(now)
}

// Tick times out the actions whose time is up: each is recorded as a
// timeout and aborts the graph.
func (e *Engine) Tick(now layer.Time) {
	for i, s := range e.st {
		if s == running && now.Mono >= e.deadline[i] {
			e.finish(i, Result{Transition: e.transition, Action: i, RC: RCUnknownError, Status: ExecTimeout,
				ExecMS: int((now.Mono - e.started[i]) / 1e6), Reason: "timed out"}, now)
		}
	}
	e.step(now)
}

// Result takes an action's outcome. A result of another transition, of an
// action not running (a timed-out one that answered late) is ignored.
func (e *Engine) Result(r Result, now layer.Time) {
	if e.g == nil || r.Transition != e.transition || r.Action < 0 || r.Action >= len(e.st) || e.st[r.Action] != running {
		e.out.Pending().Logs.Addf(e.ord, prio.Info, "ignoring a result for action %d of transition %d", r.Action, r.Transition)
		return
	}
	e.finish(r.Action, r, now)
	e.step(now)
}

// finish records an action's result and judges it.
func (e *Engine) finish(i int, r Result, now layer.Time) {
	a := e.g.Actions[i]
	e.inflight--
	ok := r.Status == ExecDone && r.RC == a.TargetRC
	probe := a.Task == "monitor" && a.IntervalMS == 0
	if probe && r.Status == ExecDone && (r.RC == RCOK || r.RC == RCNotRunning || r.RC == RCPromoted) {
		// A probe finds what it finds: recorded, not a failure, but an
		// unexpected state invalidates the plan.
		if r.RC != a.TargetRC {
			e.abort("probe of " + a.Rsc + " on " + a.Node + " found it active")
		}
		ok = true
	}
	if a.Kind == pe.ActionRsc {
		e.record(a, r, now)
	}
	if ok {
		e.st[i] = done
		return
	}
	e.st[i] = failed
	if a.Kind == pe.ActionRsc && !probe {
		e.failCount(a, now)
	}
	e.abort(a.Key + " on " + a.Node + " failed (rc=" + strconv.Itoa(r.RC) + ", status=" + strconv.Itoa(int(r.Status)) + ")")
}

// step completes the pseudo-actions that can, starts what it may and says
// when the graph is over.
func (e *Engine) step(now layer.Time) {
	if e.g == nil || e.finished {
		return
	}
	out := e.out.Pending()
	if e.aborted {
		if e.inflight == 0 {
			e.finished = true
			out.Replan, out.ReplanReason = true, e.reason
		}
		return
	}
	limit := e.cfg.BatchLimit
	if limit <= 0 {
		limit = e.g.BatchLimit
	}
	if limit <= 0 {
		limit = DefaultBatchLimit
	}
	for progress := true; progress; {
		progress = false
		for i, a := range e.g.Actions {
			if e.st[i] != waiting || !e.inputsDone(a) {
				continue
			}
			if a.Kind == pe.ActionPseudo {
				e.st[i] = done
				progress = true
				continue
			}
			if e.inflight >= limit {
				continue
			}
			e.st[i] = running
			e.inflight++
			e.started[i] = now.Mono
			e.deadline[i] = now.Mono + int64(a.TimeoutMS)*1e6 + e.cfg.ClusterDelay
			run := Run{Action: a, Transition: e.transition, Key: e.key(a), TimeoutMS: a.TimeoutMS}
			if a.Kind == pe.ActionCRM {
				out.Fence = append(out.Fence, run)
			} else {
				out.Run = append(out.Run, run)
			}
		}
	}
	if e.inflight > 0 {
		return
	}
	for _, s := range e.st {
		if s != done {
			// Nothing in flight, nothing startable, not done: the actions
			// left wait on each other.
			e.finished = true
			out.Terminated = true
			out.Logs.Addf(e.ord, prio.Error, "transition %d terminated: actions wait for one another", e.transition)
			return
		}
	}
	e.finished = true
	out.Complete = true
	out.Logs.Addf(e.ord, prio.Info, "transition %d complete", e.transition)
}

func (e *Engine) inputsDone(a *pe.GraphAction) bool {
	for _, in := range a.Inputs {
		if e.st[in] != done {
			return false
		}
	}
	return true
}

// key is the transition key: action:transition:target-rc:uuid.
func (e *Engine) key(a *pe.GraphAction) string {
	return strconv.Itoa(a.ID) + ":" + strconv.Itoa(e.transition) + ":" + strconv.Itoa(a.TargetRC) + ":" + e.cfg.UUID
}

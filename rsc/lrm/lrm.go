package lrm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/loop"
)

// Defaults for Options.
const (
	// DefaultMaxChildren is lrmd's max-children on a 2-processor machine.
	DefaultMaxChildren = 4
	// DefaultMaxResources bounds the resource table.
	DefaultMaxResources = 10000
	// DefaultMaxQueue bounds the operations waiting for one resource
	// (lrmd warns from 4 on; a client that queues hundreds is broken).
	DefaultMaxQueue = 64
	// DefaultKillGrace is lrmd's: SIGKILL 5 s after SIGTERM.
	DefaultKillGrace = 5 * time.Second
	// DefaultOutputCap bounds what is kept of an agent's stdout and
	// stderr (meta-data needs the most).
	DefaultOutputCap = 128 << 10
	// DefaultPipeWait is Options.PipeWait's default.
	DefaultPipeWait = 50 * time.Millisecond
	// keepOutput bounds the output kept in the history.
	keepOutput = 1024
	// MaxIDLen is lrmd's RID_LEN less its NUL.
	MaxIDLen = 127
)

// Builtin is an agent run in-process (the built-in IP agent). Run is
// called on a goroutine of its own and may block, but must return soon
// after ctx ends.
type Builtin interface {
	Run(ctx context.Context, r *Resource, op string, params []Param) (rc int, output string)
}

// Decliner is a Builtin that may leave a resource to its agent's
// script: Declines returns why (a parameter it does not honour exactly),
// or "" when it runs the resource in-process. It is asked before every
// run, with the run's parameters.
type Decliner interface {
	Declines(r *Resource, params []Param) string
}

// Options configure an LRM.
type Options struct {
	// Loop owns the LRM's timers (start delays, monitor intervals).
	Loop *loop.Loop
	// Wake is called from any goroutine when results wait: the loop's
	// wake-up handler must then call Poll.
	Wake func()
	// Done receives every finished run, on the loop goroutine, after the
	// history is updated. It must not block.
	Done func(r *Result)
	// Logf receives log lines in lrmd's words, from any goroutine; nil
	// discards them.
	Logf func(format string, args ...any)

	MaxChildren  int // agents running at once
	MaxResources int
	MaxQueue     int // operations waiting per resource

	// Where agents live: OCFRoot (/usr/lib/ocf), InitDir (/etc/init.d),
	// ResourceDir (/etc/ha.d/resource.d), Stonith (/usr/sbin/stonith).
	OCFRoot, InitDir, ResourceDir, Stonith string
	// Env is every agent's base environment; nil is none but what the
	// class adds (PATH is added when missing).
	Env []string
	// KillGrace is the time between SIGTERM and SIGKILL of a timed-out
	// agent's process group.
	KillGrace time.Duration
	OutputCap int
	// PipeWait is how long the output of an operation whose result does
	// not depend on it is awaited after the agent exited (a background
	// child may hold it): what arrives later is not kept.
	PipeWait time.Duration
	// Builtins run resources in-process, keyed "class:provider:type"
	// ("ocf:heartbeat:IPaddr2"; heartbeat and lsb have no provider:
	// "heartbeat::IPaddr2"). Entries given here win over the IP agent's.
	Builtins map[string]Builtin
	// IPAgent runs heartbeat-class IPaddr and IPaddr2 resources:
	// IPAgentBuiltin (the default, as hbd_ip_agent's) in-process through
	// IP, IPAgentScript through resource.d's scripts.
	IPAgent string
	// OCFIPBuiltin runs ocf:heartbeat:IPaddr2 in-process too, per
	// resource: one with a parameter the built-in agent does not honour
	// exactly (lvs_support, IPv6, ...) runs the script, with a log line
	// naming it (the daemon sets it under pacemaker on unless
	// hbd_ocf_ip_agent script).
	OCFIPBuiltin bool
	// IP is the built-in IP agent; nil makes one logging to Logf.
	IP *IPAgent
	// Clock is the wall clock for the history's timestamps (time.Now).
	Clock func() time.Time
}

func (o *Options) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxChildren, DefaultMaxChildren)
	def(&o.MaxResources, DefaultMaxResources)
	def(&o.MaxQueue, DefaultMaxQueue)
	def(&o.OutputCap, DefaultOutputCap)
	if o.KillGrace <= 0 {
		o.KillGrace = DefaultKillGrace
	}
	if o.PipeWait <= 0 {
		o.PipeWait = DefaultPipeWait
	}
	str := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	str(&o.OCFRoot, "/usr/lib/ocf")
	str(&o.InitDir, "/etc/init.d")
	str(&o.ResourceDir, "/etc/ha.d/resource.d")
	str(&o.Stonith, "/usr/sbin/stonith")
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.IPAgent == "" {
		o.IPAgent = IPAgentBuiltin
	}
	bi := make(map[string]Builtin, len(o.Builtins)+3)
	if o.IPAgent == IPAgentBuiltin || o.OCFIPBuiltin {
		if o.IP == nil {
			o.IP = &IPAgent{Logf: o.Logf}
		}
		if o.IPAgent == IPAgentBuiltin {
			bi[ClassHeartbeat+"::IPaddr"] = o.IP
			bi[ClassHeartbeat+"::IPaddr2"] = o.IP
		}
		if o.OCFIPBuiltin {
			bi[ClassOCF+":heartbeat:IPaddr2"] = o.IP
		}
	}
	for k, b := range o.Builtins {
		bi[k] = b
	}
	o.Builtins = bi
	hasPath := false
	for _, e := range o.Env {
		if len(e) > 5 && e[:5] == "PATH=" {
			hasPath = true
		}
	}
	if !hasPath {
		o.Env = append(append([]string(nil), o.Env...), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	}
}

// op is one requested operation; a recurring one lives until cancelled.
type op struct {
	id     int
	req    Op
	rsc    *resource
	params []Param
	digest string

	timer     loop.Timer // start delay, then the interval between runs
	running   bool
	cancelled bool
	cancel    context.CancelFunc

	tQueue, tStart int64 // loop (monotonic) times
	wallStart      time.Time
}

type resource struct {
	Resource
	queue    []*op // waiting to run, in order
	running  *op
	waiting  map[int]*op // recurring between runs, or in their start delay
	history  map[string]*Result
	keys     []string // history keys, first-seen order
	ready    bool     // in LRM.ready
	removing bool
	declined string // why the builtin left it to the script, as last logged
}

// completion is a finished run, posted from the runner's goroutine.
type completion struct {
	o   *op
	res proc.Result
	bi  bool // builtin: rc and out are the answer
	// biTimeout: the builtin's context ran out before it returned.
	biTimeout bool
	rc        int
	out       string
	fn        func(proc.Result) // an aside run (meta-data for the catalogue)
}

// LRM is the local resource manager. Its methods run on the loop
// goroutine.
type LRM struct {
	opt  Options
	l    *loop.Loop
	rscs map[string]*resource
	ids  []string // resource ids in insertion order
	ops  map[int]*op
	last int // the last call id given

	children int
	ready    []*resource
	stats    counters

	mu     sync.Mutex
	done   []completion
	closed bool
}

// New makes an LRM on opt.Loop.
func New(opt Options) *LRM {
	opt.setDefaults()
	return &LRM{opt: opt, l: opt.Loop, rscs: make(map[string]*resource), ops: make(map[int]*op), last: 1}
}

func (l *LRM) logf(format string, args ...any) {
	if l.opt.Logf != nil {
		l.opt.Logf(format, args...)
	}
}

// Classes are the agent classes this LRM runs.
func (l *LRM) Classes() []string {
	return []string{ClassHeartbeat, ClassOCF, ClassLSB, ClassStonith}
}

func knownClass(c string) bool {
	return c == ClassOCF || c == ClassLSB || c == ClassHeartbeat || c == ClassStonith
}

// Add declares a resource.
func (l *LRM) Add(r Resource) error {
	if r.ID == "" || len(r.ID) > MaxIDLen {
		return ErrBadID
	}
	if _, ok := l.rscs[r.ID]; ok {
		return ErrExists
	}
	if !knownClass(r.Class) {
		return ErrNoClass
	}
	if len(l.rscs) >= l.opt.MaxResources {
		return fmt.Errorf("%w (%d)", ErrTooMany, l.opt.MaxResources)
	}
	r.Params = append([]Param(nil), r.Params...)
	l.rscs[r.ID] = &resource{Resource: r, waiting: make(map[int]*op), history: make(map[string]*Result)}
	l.ids = append(l.ids, r.ID)
	return nil
}

// Get returns the resource with id.
func (l *LRM) Get(id string) (Resource, bool) {
	r, ok := l.rscs[id]
	if !ok || r.removing {
		return Resource{}, false
	}
	return r.Resource, true
}

// IDs lists the resources in the order they were added.
func (l *LRM) IDs() []string {
	out := make([]string, 0, len(l.ids))
	for _, id := range l.ids {
		if r := l.rscs[id]; r != nil && !r.removing {
			out = append(out, id)
		}
	}
	return out
}

// Len is the number of resources.
func (l *LRM) Len() int { return len(l.rscs) }

// Delete removes a resource, cancelling its operations. When one is
// running the removal completes when it ends, and Delete returns ErrBusy.
func (l *LRM) Delete(id string) error {
	r, ok := l.rscs[id]
	if !ok || r.removing {
		return ErrNoResource
	}
	if l.flush(r, 0, false) {
		r.removing = true
		return ErrBusy
	}
	l.remove(r)
	return nil
}

func (l *LRM) remove(r *resource) {
	if f, ok := l.opt.Builtins[r.Class+":"+r.Provider+":"+r.Type].(interface{ Forget(string) }); ok {
		f.Forget(r.ID)
	}
	delete(l.rscs, r.ID)
	for i, id := range l.ids {
		if id == r.ID {
			l.ids = append(l.ids[:i], l.ids[i+1:]...)
			break
		}
	}
}

// Flush cancels every operation of a resource (owner 0), or those of
// one owner; it reports ErrBusy when one is still running (it ends
// cancelled).
func (l *LRM) Flush(id string, owner uint64) error {
	r, ok := l.rscs[id]
	if !ok {
		return ErrNoResource
	}
	if l.flush(r, owner, false) {
		return ErrBusy
	}
	return nil
}

// FlushOwner cancels an owner's recurring operations on every resource
// (lrmd does so when a client signs off).
func (l *LRM) FlushOwner(owner uint64) {
	for _, r := range l.rscs {
		for _, o := range r.waiting {
			if o.req.Owner == owner {
				l.cancelWaiting(o, true)
			}
		}
	}
}

// flush cancels r's queued and waiting operations (of owner, or all when
// owner is 0) and the running one; it reports whether one is running.
func (l *LRM) flush(r *resource, owner uint64, _ bool) bool {
	for _, o := range r.waiting {
		if owner == 0 || o.req.Owner == owner {
			l.cancelWaiting(o, true)
		}
	}
	keep := r.queue[:0]
	var gone []*op
	for _, o := range r.queue {
		if owner == 0 || o.req.Owner == owner {
			gone = append(gone, o)
		} else {
			keep = append(keep, o)
		}
	}
	r.queue = keep
	for _, o := range gone {
		l.report(l.cancelledResult(o))
		delete(l.ops, o.id)
	}
	if o := r.running; o != nil && (owner == 0 || o.req.Owner == owner) {
		l.cancelRunning(o)
		return true
	}
	return false
}

// Cancel cancels one operation by call id: a recurring one between runs
// (reported as cancelled at once), a queued one, or a running one (its
// process group is killed; ErrBusy).
func (l *LRM) Cancel(id string, callID int) error {
	o, ok := l.ops[callID]
	if !ok || o.rsc.ID != id {
		return ErrNoOp
	}
	if o.running {
		l.cancelRunning(o)
		return ErrBusy
	}
	if _, ok := o.rsc.waiting[o.id]; ok {
		l.cancelWaiting(o, true)
		return nil
	}
	for i, q := range o.rsc.queue {
		if q == o {
			o.rsc.queue = append(o.rsc.queue[:i], o.rsc.queue[i+1:]...)
			break
		}
	}
	delete(l.ops, o.id)
	l.report(l.cancelledResult(o))
	return nil
}

func (l *LRM) cancelWaiting(o *op, notify bool) {
	l.l.StopTimer(&o.timer)
	delete(o.rsc.waiting, o.id)
	delete(l.ops, o.id)
	o.cancelled = true
	if notify {
		l.report(l.cancelledResult(o))
	}
}

func (l *LRM) cancelRunning(o *op) {
	o.cancelled = true
	if o.cancel != nil {
		o.cancel()
	}
}

// cancelledResult is the report of an operation cancelled while not
// running.
func (l *LRM) cancelledResult(o *op) *Result {
	l.stats.cancelled++
	return &Result{CallID: o.id, Rsc: o.rsc.ID, Op: o.req.Name, Interval: o.req.Interval, Owner: o.req.Owner,
		Status: StatusCancelled, ExitCode: -1, Digest: o.digest, Run: o.wallStart}
}

// Perform queues an operation and returns its call id. A start delay
// holds it on a timer first; a recurring operation runs again Interval
// after each run ends, until cancelled.
func (l *LRM) Perform(req Op) (int, error) {
	r, ok := l.rscs[req.Rsc]
	if !ok || r.removing {
		return 0, ErrNoResource
	}
	if len(r.queue) >= l.opt.MaxQueue {
		return 0, fmt.Errorf("%w (%d)", ErrQueueFull, l.opt.MaxQueue)
	}
	l.last++
	o := &op{id: l.last, req: req, rsc: r}
	o.req.Params = append([]Param(nil), req.Params...)
	o.params = merge(r.Params, req.Params)
	o.digest = Digest(o.params, req.Interval, req.Timeout)
	o.timer.Init(func(int64) { l.due(o) })
	l.ops[o.id] = o
	if req.StartDelay > 0 {
		r.waiting[o.id] = o
		l.l.After(&o.timer, req.StartDelay)
	} else {
		l.enqueue(o)
	}
	return o.id, nil
}

// merge overlays op parameters on the resource's, keeping first-seen
// order.
func merge(base, over []Param) []Param {
	out := append([]Param(nil), base...)
	for _, p := range over {
		found := false
		for i := range out {
			if out[i].Name == p.Name {
				out[i].Value, found = p.Value, true
				break
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}

// due is an operation's timer: its start delay or interval has passed.
func (l *LRM) due(o *op) {
	delete(o.rsc.waiting, o.id)
	l.enqueue(o)
}

func (l *LRM) enqueue(o *op) {
	o.tQueue = l.l.Now()
	o.rsc.queue = append(o.rsc.queue, o)
	l.kick(o.rsc)
}

// kick starts r's next operation if it has none running and a child slot
// is free; otherwise r waits its turn in ready.
func (l *LRM) kick(r *resource) {
	if r.running != nil || len(r.queue) == 0 {
		return
	}
	if l.children >= l.opt.MaxChildren {
		if !r.ready {
			r.ready = true
			l.ready = append(l.ready, r)
		}
		return
	}
	o := r.queue[0]
	r.queue = r.queue[1:]
	l.start(o)
}

func (l *LRM) start(o *op) {
	r := o.rsc
	l.children++
	r.running = o
	o.running = true
	o.tStart = l.l.Now()
	o.wallStart = l.opt.Clock()
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	if bi := l.builtin(o); bi != nil {
		res := r.Resource
		bctx, bcancel := ctx, context.CancelFunc(func() {})
		if o.req.Timeout > 0 {
			bctx, bcancel = context.WithTimeout(ctx, o.req.Timeout)
		}
		go func() {
			defer bcancel()
			rc, out := bi.Run(bctx, &res, o.req.Name, o.params)
			timedOut := errors.Is(bctx.Err(), context.DeadlineExceeded)
			l.post(completion{o: o, bi: true, rc: rc, out: out, biTimeout: timedOut})
		}()
		return
	}
	path := l.agentPath(&r.Resource)
	if path == "" {
		l.post(completion{o: o, res: proc.Result{Err: fs.ErrNotExist}})
		return
	}
	spec := l.spec(&r.Resource, path, o, o.params)
	id, name, interval := r.ID, probeName(o), o.req.Interval
	// fork and exec take milliseconds (more on a loaded machine): off
	// the loop, on a goroutine that ends once the child runs. The
	// number of them is bounded by MaxChildren, as children are counted
	// before.
	go func() {
		p, err := proc.Start(ctx, spec, func(res proc.Result) { l.post(completion{o: o, res: res}) })
		if err != nil {
			l.post(completion{o: o, res: proc.Result{Err: err}})
			return
		}
		if interval == 0 {
			l.logf("rsc:%s %s[%d] (pid %d)", id, name, o.id, p.Pid)
		}
	}()
}

// builtin is the in-process agent that runs o, or nil for the agent's
// executable: a Decliner's reason to leave the resource to its script is
// logged when it first appears (or changes), not on every monitor.
func (l *LRM) builtin(o *op) Builtin {
	r := o.rsc
	bi := l.opt.Builtins[r.Class+":"+r.Provider+":"+r.Type]
	if bi == nil {
		return nil
	}
	if d, ok := bi.(Decliner); ok {
		if why := d.Declines(&r.Resource, o.params); why != "" {
			if why != r.declined {
				r.declined = why
				l.logf("rsc:%s: %s:%s:%s runs its agent's script: %s", r.ID, r.Class, r.Provider, r.Type, why)
			}
			return nil
		}
	}
	r.declined = ""
	return bi
}

func probeName(o *op) string {
	if o.req.Name == "monitor" && o.req.Interval == 0 {
		return "probe"
	}
	return o.req.Name
}

// post hands a finished run to the loop; any goroutine.
func (l *LRM) post(c completion) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.done = append(l.done, c)
	l.mu.Unlock()
	l.opt.Wake()
}

// pollBatch bounds the runs one Poll finishes: 1000 monitors ending
// together took 1.8 ms of the loop thread in one call; in batches of 64
// (about 0.1 ms) the loop serves heartbeats between them.
const pollBatch = 64

// Poll finishes the runs that ended since the last call, at most
// pollBatch of them; if more wait it wakes the loop again. The loop's
// wake-up handler calls it.
func (l *LRM) Poll() {
	l.mu.Lock()
	done := l.done
	more := len(done) > pollBatch
	if more {
		l.done = append([]completion(nil), done[pollBatch:]...)
		done = done[:pollBatch]
	} else {
		l.done = nil
	}
	l.mu.Unlock()
	if more {
		l.opt.Wake()
	}
	for i := range done {
		if done[i].fn != nil {
			done[i].fn(done[i].res)
			continue
		}
		l.finish(&done[i])
	}
}

func (l *LRM) finish(c *completion) {
	o, r := c.o, c.o.rsc
	now := l.l.Now()
	l.children--
	r.running = nil
	o.running = false
	o.cancel()
	o.cancel = nil
	res := &Result{CallID: o.id, Rsc: r.ID, Op: o.req.Name, Interval: o.req.Interval, Owner: o.req.Owner,
		Run: o.wallStart, ExecTime: time.Duration(now - o.tStart), QueueTime: time.Duration(o.tStart - o.tQueue),
		Digest: o.digest, ExitCode: -1}
	switch {
	case c.bi:
		res.RC, res.Output, res.ExitCode, res.Status = c.rc, c.out, c.rc, StatusDone
		if c.biTimeout {
			res.Status, res.RC, res.ExitCode = StatusTimeout, RCErrGeneric, -1
			res.Reason = fmt.Sprintf("timed out after %v", o.req.Timeout)
		}
		if o.cancelled {
			res.Status = StatusCancelled
		}
	case errors.Is(c.res.Err, proc.ErrTimeout):
		res.Status, res.RC = StatusTimeout, RCErrGeneric
		res.Reason = fmt.Sprintf("timed out after %v", o.req.Timeout)
		l.logf("%s:%s process (PID %d) timed out", r.ID, o.req.Name, c.res.Pid)
	case errors.Is(c.res.Err, proc.ErrCancelled):
		res.Status, res.RC = StatusCancelled, 0
	case !c.res.Reaped():
		res.Status = StatusError
		res.RC = RCErrGeneric
		if errors.Is(c.res.Err, fs.ErrNotExist) || errors.Is(c.res.Err, syscall.ENOENT) {
			res.Status, res.RC = StatusDone, RCErrInstalled
			if r.Class == ClassLSB && o.req.Name == "monitor" {
				res.RC = RCErrInstalled
			}
		}
		res.Reason = fmt.Sprintf("agent not run: %v", c.res.Err)
	case c.res.Signal() != 0:
		res.Status, res.RC = StatusError, RCErrGeneric
		res.Reason = "killed by signal " + c.res.Signal().String()
		l.logf("%s:%s process (PID %d) killed by signal %d [%s]", r.ID, o.req.Name, c.res.Pid, int(c.res.Signal()), c.res.Signal())
	default:
		res.ExitCode = c.res.ExitCode()
		res.RC = mapRC(r.Class, o.req.Name, res.ExitCode, c.res.Stdout)
		res.Status = StatusDone
		if r.Class == ClassStonith && o.req.Name == "stop" {
			res.RC = RCOK // nothing to stop: the device was only checked
		}
		if o.req.Interval == 0 {
			if res.RC == res.ExitCode {
				l.logf("operation %s[%d] on %s: pid %d exited with return code %d", o.req.Name, o.id, r.ID, c.res.Pid, res.RC)
			} else {
				l.logf("operation %s[%d] on %s: pid %d exited with return code %d (mapped from %d)", o.req.Name, o.id, r.ID, c.res.Pid, res.RC, res.ExitCode)
			}
		}
	}
	if !c.bi {
		out := c.res.Stdout
		if o.req.Name != "meta-data" && len(out) > keepOutput {
			out = out[:keepOutput]
		}
		res.Output = string(out)
	}
	if o.cancelled && res.Status != StatusCancelled && res.Status != StatusTimeout {
		res.Status = StatusCancelled
	}
	// last-rc-change: when this key's rc last differed.
	key := res.Key()
	prev := r.history[key]
	res.RCChange = res.Run
	if prev != nil && prev.Status == res.Status && prev.RC == res.RC {
		res.RCChange = prev.RCChange
	}
	if o.req.Interval > 0 && prev != nil && res.Status == StatusDone && prev.Status == StatusDone && prev.RC != res.RC {
		// A recurring monitor's verdict changed (a forked one's runs
		// are not logged, an in-process one's never): when a failure
		// was seen, in the log.
		l.logf("operation %s[%d] on %s every %v: return code %d, was %d", o.req.Name, o.id, r.ID, o.req.Interval, res.RC, prev.RC)
	}
	l.stats.count(r.Class, res)
	again := o.req.Interval > 0 && !o.cancelled && !r.removing && res.Status != StatusCancelled
	res.Recurring = again
	if res.Status != StatusCancelled {
		if prev == nil {
			r.keys = append(r.keys, key)
		}
		r.history[key] = res
	}
	if again {
		r.waiting[o.id] = o
		l.l.After(&o.timer, o.req.Interval)
	} else {
		delete(l.ops, o.id)
	}
	l.report(res)
	if r.removing && r.running == nil {
		l.flush(r, 0, false)
		l.remove(r)
	} else {
		l.kick(r)
	}
	for len(l.ready) > 0 && l.children < l.opt.MaxChildren {
		n := l.ready[0]
		l.ready = l.ready[1:]
		n.ready = false
		if _, ok := l.rscs[n.ID]; ok {
			l.kick(n)
		}
	}
}

func (l *LRM) report(r *Result) {
	if l.opt.Done != nil {
		l.opt.Done(r)
	}
}

// History returns the last result of each operation key of a resource
// (op_interval), in the order the keys first appeared.
func (l *LRM) History(id string) []*Result {
	r, ok := l.rscs[id]
	if !ok {
		return nil
	}
	out := make([]*Result, 0, len(r.keys))
	for _, k := range r.keys {
		if h := r.history[k]; h != nil {
			out = append(out, h)
		}
	}
	return out
}

// ForgetHistory drops a key's history (an operation cancelled by its
// client: lrmd's remove_op_history).
func (l *LRM) ForgetHistory(id, key string) {
	if r, ok := l.rscs[id]; ok {
		delete(r.history, key)
		for i, k := range r.keys {
			if k == key {
				r.keys = append(r.keys[:i], r.keys[i+1:]...)
				break
			}
		}
	}
}

// Pending describes an operation not finished: queued, running, or a
// recurring one waiting for its next run.
type Pending struct {
	CallID  int
	Op      Op
	Running bool
	Waiting bool
}

// Pending lists a resource's unfinished operations: the running one, the
// queued ones in order, then the waiting ones by call id.
func (l *LRM) Pending(id string) (out []Pending, busy bool) {
	r, ok := l.rscs[id]
	if !ok {
		return nil, false
	}
	if o := r.running; o != nil {
		out = append(out, Pending{CallID: o.id, Op: o.req, Running: true})
	}
	for _, o := range r.queue {
		out = append(out, Pending{CallID: o.id, Op: o.req})
	}
	var w []Pending
	for _, o := range r.waiting {
		w = append(w, Pending{CallID: o.id, Op: o.req, Waiting: true})
	}
	sortPending(w)
	return append(out, w...), r.running != nil || len(r.queue) > 0
}

func sortPending(p []Pending) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].CallID < p[j-1].CallID; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// Running is the number of agents running now.
func (l *LRM) Running() int { return l.children }

// Close kills every running agent (their results are dropped) and stops
// every timer. The LRM must not be used afterwards.
func (l *LRM) Close() {
	l.mu.Lock()
	l.closed = true
	l.done = nil
	l.mu.Unlock()
	for _, o := range l.ops {
		l.l.StopTimer(&o.timer)
		if o.cancel != nil {
			o.cancel()
		}
	}
}

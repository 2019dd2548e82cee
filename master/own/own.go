package own

import (
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// Lower is the membership layer as the ownership protocol sees it: what
// it reads of the cluster and how it sends. *master.Master implements it.
// Own calls it synchronously from inside its handlers, on the caller's
// goroutine; none of its methods calls Own back except SendCluster, which
// hands our own message to Own's Message at once (heartbeat processes
// what it sends as it sends it).
type Lower interface {
	// Enter brings membership's clock to t: every input of Own is an
	// input of the stack.
	Enter(t layer.Time)
	// Now is the time of the input being handled (monotonic ns).
	Now() int64
	// LogOrder numbers the stack's log lines (Own's among membership's).
	LogOrder() *layer.Order
	// Attach makes u the layer above: membership calls it as it changes.
	Attach(u master.Upper)

	Self() int
	NumNodes() int
	NodeName(i int) string
	NodeType(i int) master.NodeType
	NodeStatus(i int) master.Status
	// Heard reports whether anything came from node i since it started
	// or was declared dead (heartbeat's anypacketsyet).
	Heard(i int) bool
	Generation(i int) uint64
	Node(name string) int
	Running() bool
	LinksUp() bool
	CommUp() bool
	Restarting() bool

	// Msg returns a scratch message to fill and pass to SendCluster.
	Msg() *wire.Message
	// SendCluster sends msg to every node: membership adds the control
	// fields, sequences it, keeps it for retransmission, and processes
	// our own copy (Own's Message) before it returns.
	SendCluster(msg *wire.Message) error
	// SendStatus sends our status at once.
	SendStatus()
	// Stop ends membership after a shutdown (restart: heartbeat's restart
	// after a healed partition follows).
	Stop(restart bool)
	// PrepareRestart is membership's half of the quick restart.
	PrepareRestart(t layer.Time) error
}

// Fence asks the daemon to reset a node with the STONITH device, or (Cancel)
// to stop trying.
type Fence struct {
	Node   int    // index into the membership's nodes
	Name   string // its name
	Cancel bool   // stop resetting it: it is talking again
}

// Ready is what Own has to say since the last Ready: log lines (numbered
// with the stack's Order, to be merged with membership's), resource work
// to run, STONITH requests, and when to call Tick next. Every slice in it
// is reused after Advance; what Own produces meanwhile comes out in the
// next one.
type Ready struct {
	Logs []layer.LogLine
	// Actions is resource work to run, one at a time, in this order;
	// report each with ActionDone.
	Actions []Action
	// Fences are STONITH resets to start or cancel; report each attempt
	// with FenceResult.
	Fences []Fence
	// Deadline is the monotonic time at which Tick must be called next
	// (0 when nothing is pending). Calling Tick earlier is harmless.
	Deadline int64
}

type outBuf struct {
	rd  Ready
	log layer.Log
}

func (b *outBuf) Reset() {
	b.rd.Actions = b.rd.Actions[:0]
	b.rd.Fences = b.rd.Fences[:0]
	b.rd.Logs = nil
	b.log.Reset()
}

type output struct {
	layer.Output[outBuf, *outBuf]
	order *layer.Order
}

func (w *output) logf(p prio.Level, format string, args ...any) {
	w.Pending().log.Addf(w.order, p, format, args...)
}

func (w *output) log(p prio.Level, parts ...string) { w.Pending().log.Add(w.order, p, parts...) }

func (w *output) action(a Action) {
	b := w.Pending()
	b.rd.Actions = append(b.rd.Actions, a)
}

func (w *output) fence(f Fence) {
	b := w.Pending()
	b.rd.Fences = append(b.rd.Fences, f)
}

func (w *output) empty() bool {
	b := w.Pending()
	return len(b.log.Lines) == 0 && len(b.rd.Actions) == 0 && len(b.rd.Fences) == 0
}

// Own is heartbeat's resource-ownership protocol for one node, above its
// membership. See the package documentation.
type Own struct {
	cfg   Config
	lower Lower
	self  int
	n     int // number of nodes
	rsc   resources
	tq    layer.Queue[int] // resource timers (data: which)
	out   output

	prepared Restart // what PrepareRestart returned
}

// New returns the ownership layer for cfg above lower and attaches it
// there. It must be created before lower starts.
func New(cfg Config, lower Lower) (*Own, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := &Own{cfg: cfg, lower: lower, self: lower.Self(), n: lower.NumNodes()}
	o.out.order = lower.LogOrder()
	o.initResources()
	o.initRestart()
	lower.Attach(o)
	return o, nil
}

func (o *Own) now() int64        { return o.lower.Now() }
func (o *Own) name(i int) string { return o.lower.NodeName(i) }

// nodeView is what Own reads of one node's membership.
type nodeView struct {
	name       string
	typ        master.NodeType
	status     master.Status
	anyPackets bool // heard from since it started or was declared dead
}

func (o *Own) view(i int) nodeView {
	l := o.lower
	return nodeView{name: l.NodeName(i), typ: l.NodeType(i), status: l.NodeStatus(i), anyPackets: l.Heard(i)}
}

// Ready returns the outputs gathered since the last Ready. It stays
// valid, and unchanged, until Advance. Calling Ready again before Advance
// panics.
func (o *Own) Ready() *Ready {
	b := o.out.Ready()
	b.rd.Logs = b.log.Lines
	b.rd.Deadline = o.Deadline()
	return &b.rd
}

// Advance tells Own that the last Ready has been handled.
func (o *Own) Advance() { o.out.Advance() }

// HasReady reports whether outputs wait for the next Ready.
func (o *Own) HasReady() bool { return !o.out.empty() }

// Deadline returns when Tick must be called next (0: nothing pending).
func (o *Own) Deadline() int64 {
	if _, when, ok := o.tq.Next(); ok {
		return when
	}
	return 0
}

// Tick runs the resource timers due at t. Membership's Tick runs them
// too, in time order among its own (see NextTimer); call this one at
// Ready().Deadline when membership has nothing due.
func (o *Own) Tick(t layer.Time) {
	if !o.lower.Running() {
		return
	}
	o.lower.Enter(t)
	fired := false
	for o.lower.Running() {
		h, ok := o.tq.Pop(o.now())
		if !ok {
			break
		}
		fired = true
		o.rscFire(*o.tq.Data(h))
	}
	if fired {
		o.rscPump()
	}
}

var _ Lower = (*master.Master)(nil)

package pe

import (
	"sort"
	"strconv"
	"strings"
)

// ActionKind is what executes a graph action: the resource layer, nobody
// (a pseudo-action only marks a point in the ordering), or the cluster
// (fencing, shutdown).
type ActionKind int

const (
	ActionRsc    ActionKind = iota // rsc_op: an agent operation on a node
	ActionPseudo                   // pseudo_event: done as soon as its inputs are
	ActionCRM                      // crm_event: stonith or do_shutdown
)

// GraphAction is one action of a transition graph (a synapse of
// Pacemaker's graph: one action and the actions it waits for).
type GraphAction struct {
	ID         int
	Kind       ActionKind
	Task       string // start, stop, monitor, promote, demote, stonith, do_shutdown, running, stopped, ...
	Key        string // operation_key: rsc_task_interval, or stonith-node-op
	Rsc        string // resource id (rsc_op and pseudo)
	HistRsc    string // the id its history is recorded under (an anonymous clone instance's has no :N)
	Node       string // node name ("" for pseudo-actions)
	NodeID     string
	IntervalMS int
	TimeoutMS  int
	TargetRC   int // expected rc: 7 for a probe, 8 for a promoted monitor, else 0
	Class      string
	Provider   string
	Type       string
	Inputs     []int // ids of the actions this one waits for
}

// Graph is a transition graph: what the TE executes.
type Graph struct {
	Actions []*GraphAction // by ID: Actions[i].ID == i
	// BatchLimit is batch-limit (0: no limit but the TE's own).
	BatchLimit int
	// StonithTimeoutMS, FailedStartInfinity as Pacemaker writes them in
	// the graph's header.
	StonithTimeoutMS int
}

// graphBuilder collects the graph's actions and edges.
type graphBuilder struct {
	g     *Graph
	c     *Cluster
	root  *Element
	byKey map[string]*GraphAction // key + "@" + node
	edges map[[2]int]bool
}

func (b *graphBuilder) find(key, node string) *GraphAction { return b.byKey[key+"@"+node] }

func (b *graphBuilder) add(a *GraphAction) *GraphAction {
	if old := b.find(a.Key, a.Node); old != nil {
		return old
	}
	a.ID = len(b.g.Actions)
	if a.TimeoutMS == 0 {
		a.TimeoutMS = 20000
	}
	b.g.Actions = append(b.g.Actions, a)
	b.byKey[a.Key+"@"+a.Node] = a
	return a
}

// edge orders first before then; nils are ignored (an action not in the
// graph orders nothing).
func (b *graphBuilder) edge(first, then *GraphAction) {
	if first == nil || then == nil || first == then {
		return
	}
	k := [2]int{first.ID, then.ID}
	if !b.edges[k] {
		b.edges[k] = true
		then.Inputs = append(then.Inputs, first.ID)
	}
}

func opKey(rsc, task string, intervalMS int) string {
	return rsc + "_" + task + "_" + strconv.Itoa(intervalMS)
}

// BuildGraph turns a scheduled cluster into Pacemaker's transition graph:
// every required, runnable action (probes of resources whose state on an
// online node is unknown, stops, starts, demotes, promotes, recurring
// monitors of the configuration, fencing, shutdowns) and the pseudo-actions
// of groups and clones, each with the actions it must wait for. root is
// the CIB the cluster was unpacked from (for the recorded recurring
// monitors and the operations' timeouts).
func BuildGraph(res *Result, root *Element) *Graph {
	c := res.Cluster
	b := &graphBuilder{g: &Graph{}, c: c, root: root, byKey: map[string]*GraphAction{}, edges: map[[2]int]bool{}}
	opts := c.clusterOptions(root)
	if v, ok := opts["batch-limit"]; ok {
		b.g.BatchLimit = atoiDef(v, 0)
	}
	b.g.StonithTimeoutMS = 60000
	if v, ok := opts["stonith-timeout"]; ok {
		b.g.StonithTimeoutMS = msValue(v)
	}
	// Fencing first (the ids do not matter, the order reads naturally).
	var lastFence *GraphAction
	fenceOf := map[*Node]*GraphAction{}
	for _, f := range res.Fence {
		a := b.add(&GraphAction{Kind: ActionCRM, Task: "stonith", Key: "stonith-" + f.Node.Name + "-" + f.Op,
			Node: f.Node.Name, NodeID: f.Node.ID, TimeoutMS: b.g.StonithTimeoutMS})
		// Without concurrent-fencing, fencing runs one node at a time.
		if !isTrue(opts["concurrent-fencing"]) {
			b.edge(lastFence, a)
		}
		lastFence = a
		fenceOf[f.Node] = a
	}
	all := append([]*Resource(nil), c.Resources...)
	all = append(all, c.orphans...)
	for _, r := range all {
		b.resource(r, fenceOf)
	}
	for _, r := range all {
		b.structure(r)
	}
	b.constraints()
	// A node shutting down stops its resources first.
	for _, n := range c.Nodes {
		if !n.Shutdown || !n.Online || fenceOf[n] != nil {
			continue
		}
		sd := b.add(&GraphAction{Kind: ActionCRM, Task: "do_shutdown", Key: "do_shutdown-" + n.Name, Node: n.Name, NodeID: n.ID})
		for _, a := range b.g.Actions {
			if a.Kind == ActionRsc && a.Node == n.Name && (a.Task == "stop" || a.Task == "demote") {
				b.edge(a, sd)
			}
		}
	}
	for _, a := range b.g.Actions {
		sort.Ints(a.Inputs)
	}
	return b.g
}

// clusterOptions reads crm_config's properties the PE does not keep.
func (c *Cluster) clusterOptions(root *Element) map[string]string {
	if root == nil {
		return nil
	}
	cfg := root.Child("configuration")
	if cfg == nil {
		return nil
	}
	return c.nvsets(cfg.Child("crm_config"), "cluster_property_set", nil)
}

// inGraph reports whether a scheduled action becomes a graph action:
// required and runnable.
func inGraph(a *action) bool { return a != nil && !a.optional && a.runnable && a.node != nil }

// rscOp adds an agent operation of primitive p.
func (b *graphBuilder) rscOp(p *Resource, task string, n *Node, intervalMS int) *GraphAction {
	hist := p.ID
	if cl := p.inClone(); cl != nil && !cl.Unique && p.cloneOf != nil {
		hist = p.cloneOf.ID
	}
	return b.add(&GraphAction{Kind: ActionRsc, Task: task, Key: opKey(p.ID, task, intervalMS), Rsc: p.ID, HistRsc: hist,
		Node: n.Name, NodeID: n.ID, IntervalMS: intervalMS, TimeoutMS: b.opTimeout(p, task, intervalMS),
		Class: p.Class, Provider: p.Provider, Type: p.Type})
}

// opTimeout is the configured timeout of an operation (op's, then
// op_defaults', then 20 s).
func (b *graphBuilder) opTimeout(p *Resource, task string, intervalMS int) int {
	e := p.elem
	if e == nil && p.cloneOf != nil {
		e = p.cloneOf.elem
	}
	if e != nil {
		if ops := e.Child("operations"); ops != nil {
			for _, oe := range ops.All("op") {
				if oe.Get("name") == task && msValue(oe.Get("interval")) == intervalMS {
					if t := oe.Get("timeout"); t != "" {
						return msValue(t)
					}
				}
			}
		}
	}
	if t := b.c.opDefaults["timeout"]; t != "" {
		return msValue(t)
	}
	return 20000
}

// resource adds a primitive's own actions and their implicit orderings.
func (b *graphBuilder) resource(r *Resource, fenceOf map[*Node]*GraphAction) {
	if r.Kind != KindPrimitive {
		for _, ch := range r.Children {
			b.resource(ch, fenceOf)
		}
		return
	}
	a := r.actions
	if a == nil {
		return
	}
	c := b.c
	// Probes where the resource's state is unknown.
	var probes []*GraphAction
	if !c.Options.MaintenanceMode {
		for _, n := range c.Nodes {
			if !n.Online || n.Unclean || n.Pending || n.Maintenance || fenceOf[n] != nil {
				continue
			}
			if b.known(r, n) {
				continue
			}
			pr := b.rscOp(r, "monitor", n, 0)
			pr.TargetRC = 7
			pr.Key = opKey(r.probeID(n, b), "monitor", 0)
			b.byKey[pr.Key+"@"+n.Name] = pr
			probes = append(probes, pr)
		}
	}
	var stops []*GraphAction
	for _, st := range a.stops {
		if st.optional || !st.runnable {
			continue
		}
		if f := fenceOf[st.node]; f != nil {
			// The fencing implies the stop: a pseudo-action after it.
			ps := b.add(&GraphAction{Kind: ActionPseudo, Task: "stop", Key: opKey(r.ID, "stop", 0), Rsc: r.ID})
			b.edge(f, ps)
			stops = append(stops, ps)
			continue
		}
		stops = append(stops, b.rscOp(r, "stop", st.node, 0))
	}
	var start, promote, demote *GraphAction
	if inGraph(a.start) {
		start = b.rscOp(r, "start", a.start.node, 0)
		for _, pr := range probes {
			b.edge(pr, start)
		}
		for _, st := range stops {
			b.edge(st, start)
		}
	}
	if a.demote != nil && !a.demote.optional && a.demote.runnable {
		if f := fenceOf[a.demote.node]; f != nil {
			demote = b.add(&GraphAction{Kind: ActionPseudo, Task: "demote", Key: opKey(r.ID, "demote", 0), Rsc: r.ID})
			b.edge(f, demote)
		} else {
			demote = b.rscOp(r, "demote", a.demote.node, 0)
		}
		for _, st := range stops {
			b.edge(demote, st)
		}
	}
	if inGraph(a.promote) {
		promote = b.rscOp(r, "promote", a.promote.node, 0)
		b.edge(start, promote)
		b.edge(demote, promote)
		for _, st := range stops {
			b.edge(st, promote)
		}
	}
	// Recurring monitors on the node it will run on.
	next := r.Assigned
	if next == nil || !r.Managed || (a.start != nil && !a.start.runnable) || !next.Online {
		return
	}
	for _, op := range r.Ops {
		if op.Name != "monitor" || op.IntervalMS <= 0 {
			continue
		}
		role := r.NextRole
		switch {
		case op.Role == RolePromoted && role != RolePromoted,
			op.Role == RoleUnpromoted && role != RoleUnpromoted,
			op.Role == RoleStopped,
			op.Role == RoleUnknown && role == RolePromoted && r.promotableParent():
			continue
		}
		changed := start != nil || (op.Role == RolePromoted && promote != nil) || (op.Role != RolePromoted && demote != nil)
		if !changed && b.recorded(r, next, op.IntervalMS) {
			continue
		}
		m := b.rscOp(r, "monitor", next, op.IntervalMS)
		if role == RolePromoted {
			m.TargetRC = 8
		}
		b.edge(start, m)
		if role == RolePromoted {
			b.edge(promote, m)
		} else {
			b.edge(demote, m)
		}
	}
}

// probeID is the id a probe uses: an anonymous clone probes one instance
// per node, named as the instance that will be (or is) there.
func (r *Resource) probeID(n *Node, b *graphBuilder) string { return r.ID }

// known reports whether r's state on n is known from its history (an
// anonymous clone's instances count for each other).
func (b *graphBuilder) known(r *Resource, n *Node) bool {
	if r.knownOn[n] {
		return true
	}
	if cl := r.inClone(); cl != nil && !cl.Unique {
		if cloneKnownOn(cl, n) {
			return true
		}
		// One probe per node for the whole anonymous clone: the instance
		// that will run there (its start waits for it), else the first.
		var there *Resource
		for _, p := range cl.primitives(nil) {
			if p.cloneOf == r.cloneOf && p.Assigned == n && there == nil {
				there = p
			}
		}
		if there != nil {
			return there != r
		}
		for _, p := range cl.primitives(nil) {
			if p.cloneOf == r.cloneOf && p != r {
				if _, dup := b.byKey[opKey(p.ID, "monitor", 0)+"@"+n.Name]; dup {
					return true
				}
			}
		}
	}
	return false
}

// recorded reports whether the status section shows a recurring monitor
// of r at this interval on n (already running: not scheduled again).
func (b *graphBuilder) recorded(r *Resource, n *Node, intervalMS int) bool {
	if b.root == nil {
		return false
	}
	st := b.root.Child("status")
	if st == nil {
		return false
	}
	id := r.ID
	if r.histName != "" {
		id = r.histName
	}
	base := id
	if i := strings.IndexByte(id, ':'); i >= 0 {
		base = id[:i]
	}
	for _, ns := range st.All("node_state") {
		if ns.Get("uname") != n.Name && ns.Get("id") != n.ID {
			continue
		}
		lrm := ns.Child("lrm")
		if lrm == nil {
			continue
		}
		rscs := lrm.Child("lrm_resources")
		if rscs == nil {
			continue
		}
		for _, le := range rscs.All("lrm_resource") {
			lid := le.Get("id")
			if lid != id && lid != base {
				continue
			}
			for _, op := range le.All("lrm_rsc_op") {
				if op.Get("operation") == "monitor" && atoiDef(op.Get("interval"), 0) == intervalMS {
					rc := atoiDef(op.Get("rc-code"), -1)
					if rc == 0 || rc == 8 {
						return true
					}
				}
			}
		}
	}
	return false
}

// pseudo returns (creating it) a collective resource's pseudo-action.
func (b *graphBuilder) pseudo(r *Resource, task string) *GraphAction {
	return b.add(&GraphAction{Kind: ActionPseudo, Task: task, Key: opKey(r.ID, task, 0), Rsc: r.ID})
}

// done maps a task to the pseudo-action that marks its completion.
var doneTask = map[string]string{"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}

// graphActions returns r's graph actions of a task: a primitive's own, or a
// collective resource's pseudo-action (when it has any member action).
func (b *graphBuilder) ofTask(r *Resource, task string) []*GraphAction {
	if r.Kind != KindPrimitive {
		if !b.hasMember(r, task) {
			return nil
		}
		return []*GraphAction{b.pseudo(r, task)}
	}
	var out []*GraphAction
	for _, a := range b.g.Actions {
		if a.Rsc == r.ID && a.Task == task {
			out = append(out, a)
		}
	}
	return out
}

// hasMember reports whether any primitive under r has a graph action of
// the task (or of its completion's task).
func (b *graphBuilder) hasMember(r *Resource, task string) bool {
	t := task
	for k, v := range doneTask {
		if v == task {
			t = k
		}
	}
	for _, p := range r.primitives(nil) {
		for _, a := range b.g.Actions {
			if a.Rsc == p.ID && a.Task == t {
				return true
			}
		}
	}
	return false
}

// structure adds the pseudo-actions of groups and clones and their
// implicit orderings (group members in sequence, each collective's
// start → members → running and so on).
func (b *graphBuilder) structure(r *Resource) {
	if r.Kind == KindPrimitive {
		return
	}
	for _, ch := range r.Children {
		b.structure(ch)
	}
	for _, task := range []string{"start", "stop", "promote", "demote"} {
		members := false
		for _, ch := range r.Children {
			if len(b.ofTask(ch, task)) > 0 {
				members = true
			}
		}
		if !members {
			continue
		}
		begin, end := b.pseudo(r, task), b.pseudo(r, doneTask[task])
		b.edge(begin, end)
		for _, ch := range r.Children {
			for _, a := range b.ofTask(ch, task) {
				b.edge(begin, a)
			}
			for _, a := range b.ofTask(ch, doneTask[task]) {
				b.edge(a, end)
			}
			if ch.Kind == KindPrimitive {
				for _, a := range b.ofTask(ch, task) {
					b.edge(a, end)
				}
			}
		}
	}
	stopped, start := b.find(opKey(r.ID, "stopped", 0), ""), b.find(opKey(r.ID, "start", 0), "")
	b.edge(stopped, start)
	demoted, stop := b.find(opKey(r.ID, "demoted", 0), ""), b.find(opKey(r.ID, "stop", 0), "")
	b.edge(demoted, stop)
	running, promote := b.find(opKey(r.ID, "running", 0), ""), b.find(opKey(r.ID, "promote", 0), "")
	b.edge(running, promote)
	b.edge(demoted, promote)
	if r.Kind == KindGroup {
		for i := 1; i < len(r.Children); i++ {
			prev, m := r.Children[i-1], r.Children[i]
			b.order(prev, "start", m, "start")
			b.order(m, "stop", prev, "stop")
			b.order(prev, "promote", m, "promote")
			b.order(m, "demote", prev, "demote")
		}
	}
}

// side returns the graph actions standing for one end of an ordering: a
// collective resource is represented by its pseudo-actions, the
// completion one when it is the first side.
func (b *graphBuilder) side(r *Resource, task string, first bool) []*GraphAction {
	if r.Kind != KindPrimitive {
		if first {
			task = doneTask[task]
		}
		if task == "" || b.find(opKey(r.ID, task, 0), "") == nil {
			return nil
		}
		return []*GraphAction{b.find(opKey(r.ID, task, 0), "")}
	}
	return b.ofTask(r, task)
}

func (b *graphBuilder) order(first *Resource, ft string, then *Resource, tt string) {
	fs := b.side(first, ft, true)
	ts := b.side(then, tt, false)
	for _, f := range fs {
		for _, t := range ts {
			b.edge(f, t)
		}
	}
}

// constraints adds the rsc_order constraints' edges (both directions for
// a symmetrical one; interleaved clones instance by instance on a node).
func (b *graphBuilder) constraints() {
	inv := map[string]string{"start": "stop", "promote": "demote", "stop": "start", "demote": "promote"}
	for _, o := range b.c.Orders {
		if o.Kind == OrderSerialize {
			continue
		}
		b.constrain(o.First, o.FirstAction, o.Then, o.ThenAction)
		if o.Symmetrical {
			fi, ti := inv[o.ThenAction], inv[o.FirstAction]
			if fi != "" && ti != "" {
				b.constrain(o.Then, fi, o.First, ti)
			}
		}
	}
}

func (b *graphBuilder) constrain(first *Resource, ft string, then *Resource, tt string) {
	if first.Kind == KindClone && then.Kind == KindClone && first != then && then.Interleave {
		for _, ti := range then.Children {
			for _, fi := range first.Children {
				if sameNode(fi, ti) {
					b.order(fi, ft, ti, tt)
				}
			}
		}
		return
	}
	b.order(first, ft, then, tt)
}

// sameNode reports whether two clone instances are on the same node (now
// or next).
func sameNode(a, b *Resource) bool {
	na, nb := instanceAssigned(a), instanceAssigned(b)
	if na != nil && na == nb {
		return true
	}
	ca, cb := instanceNode(a), instanceNode(b)
	return ca != nil && ca == cb
}

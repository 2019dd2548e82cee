package pe

// action is one scheduled resource action: a start, stop, promote or
// demote of a primitive on a node, with Pacemaker's two flags.
type action struct {
	rsc      *Resource
	task     string
	node     *Node
	optional bool
	runnable bool
	reason   string
	children []*action // a clone's summary: its instances' actions
}

type rscActions struct {
	start    *action
	startOne [1]*action // start as a list (actionsOf) without allocating
	stops    []*action
	promote  *action
	demote   *action
}

// ordering flags (the subset of Pacemaker's pe_order_* the core tier uses).
const (
	ordImpliesThen = 1 << iota
	ordImpliesFirst
	ordRunnableLeft
	ordRestart
	ordAsymmetric
)

type actOrder struct {
	first, then []*action
	flags       int
}

func (s *sched) quorumBlocks(r *Resource) (bool, string) {
	o := s.c.Options
	if o.HaveQuorum {
		return false, ""
	}
	switch o.NoQuorumPolicy {
	case "ignore":
		return false, ""
	case "freeze":
		if len(r.RunningOn) == 0 || r.NextRole > r.Role {
			return true, "quorum freeze"
		}
		return false, ""
	}
	return true, "no quorum"
}

// createActions makes each primitive's actions (pcmk__primitive_create_actions,
// simplified).
func (s *sched) createActions(r *Resource) {
	if r.Kind != KindPrimitive {
		for _, ch := range r.Children {
			s.createActions(ch)
		}
		return
	}
	// The actions and the start in one allocation.
	both := &struct {
		rscActions
		start action
	}{}
	a := &both.rscActions
	r.actions = a
	next := r.Assigned
	if r.NextRole == RoleUnknown {
		if next != nil {
			r.NextRole = RoleStarted
		} else {
			r.NextRole = RoleStopped
		}
	}
	multiple := len(r.RunningOn) > 1
	needStop := r.stopNeeded || multiple
	for _, n := range r.RunningOn {
		st := &action{rsc: r, task: "stop", node: n, optional: true, runnable: true}
		if next == nil || n != next || needStop {
			st.optional = false
		}
		// A stop on an offline node cannot run, unclean or not; fencing
		// makes it implied (fencing below), and without fencing it stays
		// blocked (update_resource_action_runnable).
		if !n.Online {
			st.runnable = false
		}
		if !r.Managed {
			// Unmanaged: never required; a blocked (failed, on-fail=block)
			// resource cannot be stopped at all.
			st.optional = true
			if r.Blocked {
				st.runnable = false
			}
		}
		a.stops = append(a.stops, st)
	}
	start := &both.start
	*start = action{rsc: r, task: "start", node: next, optional: true, runnable: next != nil}
	a.startOne[0] = start
	if next != nil {
		running := containsNode(r.RunningOn, next)
		if !running || needStop {
			start.optional = false
		}
		if blocked, why := s.quorumBlocks(r); blocked && start.runnable {
			start.runnable = false
			start.reason = why
		}
		if !next.Online || next.Pending {
			start.runnable = false
		}
		if start.runnable && s.probeBlocked(r) {
			start.runnable = false
		}
	}
	if !r.Managed {
		start.optional = true
	}
	a.start = start
	// Roles.
	curPromoted := r.Role == RolePromoted
	if next != nil && r.NextRole == RolePromoted {
		p := &action{rsc: r, task: "promote", node: next, optional: true, runnable: true}
		if !curPromoted || r.current() != next || needStop {
			p.optional = false
		}
		if blocked, why := s.quorumBlocks(r); blocked && !p.optional {
			p.runnable = false
			p.reason = why
		}
		a.promote = p
	}
	if curPromoted && len(r.RunningOn) > 0 {
		d := &action{rsc: r, task: "demote", node: r.RunningOn[0], optional: true, runnable: true}
		if r.NextRole != RolePromoted || next != r.RunningOn[0] || needStop {
			d.optional = false
		}
		if !r.Managed {
			d.optional, d.runnable = true, false
		}
		a.demote = d
	}
}

// probeBlocked reports whether a probe that cannot run keeps r from
// starting: a resource active nowhere whose state is unknown on an online
// node still pending is probed there, and that probe (unrunnable on a
// pending node) is ordered before the start with runnable_left
// (pcmk__probe_rsc_on_node). A clone instance's probe orders the clone's
// start instead, left out here.
func (s *sched) probeBlocked(r *Resource) bool {
	if len(r.RunningOn) > 0 || r.Orphan || r.inClone() != nil || s.c.Options.MaintenanceMode {
		return false
	}
	for _, n := range s.c.Nodes {
		if n.Pending && n.Online && !n.Unclean && !n.Maintenance && !r.knownOn[n] {
			return true
		}
	}
	return false
}

// actionsOf returns r's actions for a task, recursing into collective
// resources.
func actionsOf(r *Resource, task string) []*action {
	if r.Kind != KindPrimitive {
		var out []*action
		for _, ch := range r.Children {
			out = append(out, actionsOf(ch, task)...)
		}
		return out
	}
	a := r.actions
	if a == nil {
		return nil
	}
	switch task {
	case "start":
		if a.start != nil {
			if a.startOne[0] == a.start {
				return a.startOne[:]
			}
			return []*action{a.start}
		}
	case "stop":
		return a.stops
	case "promote":
		if a.promote != nil {
			return []*action{a.promote}
		}
	case "demote":
		if a.demote != nil {
			return []*action{a.demote}
		}
	}
	return nil
}

// firstActions is like actionsOf but for a group "first" side in a
// start/promote ordering it is the last member that must be up, and for
// stop the first member.
func orderSide(r *Resource, task string, asFirst bool) []*action {
	if r.Kind == KindGroup && len(r.Children) > 0 {
		switch task {
		case "start", "promote":
			if asFirst {
				return orderSide(r.Children[len(r.Children)-1], task, asFirst)
			}
			return orderSide(r.Children[0], task, asFirst)
		case "stop", "demote":
			if asFirst {
				return orderSide(r.Children[0], task, asFirst)
			}
			return orderSide(r.Children[len(r.Children)-1], task, asFirst)
		}
	}
	return actionsOf(r, task)
}

func (s *sched) buildOrders() []actOrder {
	var ords []actOrder
	add := func(f, t []*action, flags int) {
		if len(f) > 0 && len(t) > 0 {
			ords = append(ords, actOrder{f, t, flags})
		}
	}
	var prims []*Resource
	for _, r := range s.c.Resources {
		prims = r.primitives(prims)
	}
	prims = append(prims, s.c.orphans...)
	for _, p := range prims {
		a := p.actions
		if a == nil {
			continue
		}
		add(a.stops, actionsOf(p, "start"), ordImpliesThen|ordRestart)
		if a.demote != nil {
			add([]*action{a.demote}, a.stops, ordImpliesFirst)
		}
		if a.promote != nil {
			add([]*action{a.start}, []*action{a.promote}, ordRunnableLeft)
		}
	}
	var groups func(r *Resource)
	groups = func(r *Resource) {
		if r.Kind == KindGroup {
			for i := 1; i < len(r.Children); i++ {
				prev, m := r.Children[i-1], r.Children[i]
				add(actionsOf(prev, "start"), actionsOf(m, "start"), ordImpliesThen|ordRunnableLeft)
				add(actionsOf(m, "stop"), actionsOf(prev, "stop"), ordRestart)
				add(actionsOf(prev, "promote"), actionsOf(m, "promote"), ordImpliesThen|ordRunnableLeft)
			}
		}
		for _, ch := range r.Children {
			groups(ch)
		}
	}
	for _, r := range s.c.Resources {
		groups(r)
	}
	// side is one end of an ordering: a clone's start or promote as the
	// first action is its summary (runnable when any instance's is).
	side := func(r *Resource, task string, asFirst bool) []*action {
		if asFirst && r.Kind == KindClone && (task == "start" || task == "promote") {
			return []*action{s.summary(r, task)}
		}
		return orderSide(r, task, asFirst)
	}
	// order adds first-task → then-task between two resources; between
	// two clones with interleave (the "then" clone's, or the "first"
	// clone's for a stop or demote), each instance is ordered after the
	// instance of the other clone on its own node only.
	order := func(first *Resource, ft string, then *Resource, tt string, flags int, interleaveRsc *Resource) {
		if first.Kind == KindClone && then.Kind == KindClone && first != then && interleaveRsc.Interleave {
			current := ft == "stop" || ft == "demote"
			for _, ti := range then.Children {
				var where *Node
				if current {
					where = instanceNode(ti)
				} else {
					where = instanceAssigned(ti)
				}
				if where == nil {
					continue
				}
				var fi *Resource
				for _, x := range s.instanceOrder(first) {
					n := instanceAssigned(x)
					if current {
						n = instanceNode(x)
					}
					if n == where && !instanceBlocked(x) {
						fi = x
						break
					}
				}
				if fi == nil {
					if !current && flags&(ordRunnableLeft|ordImpliesThen) != 0 {
						// Nothing to order after: the instance cannot be active.
						for _, a := range orderSide(ti, tt, false) {
							a.runnable = false
						}
						for _, p := range ti.primitives(nil) {
							if len(p.RunningOn) == 0 {
								p.Assigned = nil
								p.NextRole = RoleStopped
							}
						}
					}
					continue
				}
				add(orderSide(fi, ft, true), orderSide(ti, tt, false), flags)
			}
			return
		}
		add(side(first, ft, true), side(then, tt, false), flags)
	}
	// Every rsc_order carries pe_order_optional, and Pacemaker keeps only
	// the first ordering between the same two actions that shares a flag
	// with it (order_actions filters duplicates): a later constraint
	// between the same actions, of any kind, is dropped.
	seen := make(map[orderKey]bool, 2*len(s.c.Orders))
	dup := func(first *Resource, ft string, then *Resource, tt string) bool {
		k := orderKey{first, then, ft, tt}
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	}
	for _, o := range s.c.Orders {
		fi, ti := invTask(o.ThenAction), invTask(o.FirstAction)
		symmetric := o.Symmetrical && o.Kind != OrderSerialize && fi != "" && ti != ""
		fwdDup := dup(o.First, o.FirstAction, o.Then, o.ThenAction)
		invDup := symmetric && dup(o.Then, fi, o.First, ti)
		if o.Kind != OrderMandatory {
			continue
		}
		if !o.Symmetrical {
			if !fwdDup {
				order(o.First, o.FirstAction, o.Then, o.ThenAction, ordAsymmetric, o.Then)
			}
			continue
		}
		flags := ordImpliesThen
		if o.FirstAction == "start" || o.FirstAction == "promote" {
			flags |= ordRunnableLeft
		}
		if !fwdDup {
			order(o.First, o.FirstAction, o.Then, o.ThenAction, flags, o.Then)
		}
		if symmetric && !invDup {
			order(o.Then, fi, o.First, ti, ordImpliesFirst, o.Then)
		}
	}
	return ords
}

// orderKey names the two actions of an ordering between resources.
type orderKey struct {
	first, then  *Resource
	ftask, ttask string
}

// invTask is the action a symmetrical ordering's inverse uses.
func invTask(t string) string {
	switch t {
	case "start":
		return "stop"
	case "stop":
		return "start"
	case "promote":
		return "demote"
	case "demote":
		return "promote"
	}
	return ""
}

// summary is a clone's pseudo-action for a task: runnable while any
// instance's action is, required once any instance's is.
func (s *sched) summary(r *Resource, task string) *action {
	key := r.ID + "\x00" + task
	if a, ok := s.summaries[key]; ok {
		return a
	}
	a := &action{rsc: r, task: task, optional: true, runnable: true, children: actionsOf(r, task)}
	s.summaries[key] = a
	return a
}

// updateSummaries recomputes the clones' pseudo-actions from their
// instances' actions.
func (s *sched) updateSummaries() bool {
	changed := false
	for _, a := range s.summaries {
		anyRun := false
		for _, ch := range a.children {
			if ch.runnable {
				anyRun = true
			}
			if !ch.optional && a.optional {
				a.optional = false
				changed = true
			}
		}
		if !anyRun && a.runnable {
			a.runnable = false
			changed = true
		}
	}
	return changed
}

// propagate applies the orderings' flag rules until nothing changes
// (pcmk__update_ordered_actions for the flags above).
func (s *sched) propagate(ords []actOrder) {
	for changed, rounds := true, 0; changed && rounds < 1000; rounds++ {
		changed = s.updateSummaries()
		for _, o := range ords {
			for _, f := range o.first {
				for _, t := range o.then {
					if s.updatePair(f, t, o.flags) {
						changed = true
					}
				}
			}
		}
		// A mandatory colocation's dependent cannot start where its
		// primary cannot.
		for _, co := range s.c.Colocations {
			if co.Score < Infinity {
				continue
			}
			ps := actionsOf(co.Primary, "start")
			if len(ps) == 0 {
				continue
			}
			// A primary placed nowhere has no start to block anything
			// (Pacemaker creates none); a clone's start blocks nothing here.
			all, anyPlaced := true, false
			for _, a := range ps {
				if a.runnable || !a.optional && a.node == nil {
					all = false
				}
				if a.node != nil {
					anyPlaced = true
				}
			}
			// A group's colocations are its members' in Pacemaker 2.1.5
			// ("R with group" is R with the last member), and the dependents
			// it blocks are looked up on the top resource, whose list is
			// then empty: a group or a group member blocks nothing here
			// (pcmk__block_colocation_dependents after expand_group_colocations).
			if co.Primary.top().Kind == KindGroup {
				all = false
			}
			// A blocked primitive (failed, on-fail=block) gets no start
			// (schedule_restart_actions stops at pe_rsc_block) unless an
			// ordering that starts with it creates one: nothing to block.
			if co.Primary.Kind == KindPrimitive && co.Primary.Blocked && !s.startCreated(co.Primary) {
				all = false
			}
			if co.Primary.Kind == KindClone || (!anyPlaced && (co.Dependent.Kind == KindClone || !s.startCreated(co.Primary))) {
				all = false
			}
			if !all {
				continue
			}
			// A role-restricted colocation (rsc-role=Promoted) blocks only
			// the promotion.
			task := "start"
			if co.DependentRole == RolePromoted {
				task = "promote"
			}
			for _, d := range actionsOf(co.Dependent, task) {
				if d.runnable {
					d.runnable = false
					changed = true
				}
			}
		}
	}
}

// startCreated reports whether Pacemaker has a start action for a
// resource placed nowhere: only an ordering that starts with it (of
// another resource) creates one (rsc_order_first), and a group creates
// its members' starts the same way.
func (s *sched) startCreated(r *Resource) bool {
	if r.Kind != KindPrimitive || r.Parent != nil {
		return true
	}
	for _, o := range s.c.Orders {
		if o.First == r && o.Then != r && o.FirstAction == "start" {
			return true
		}
	}
	return false
}

func (s *sched) updatePair(f, t *action, flags int) bool {
	changed := false
	// A clone instance's action makes an action of a resource outside the
	// clone required only on its own node (the clone's pseudo-action is
	// judged by its instance on that node).
	tRequired := !t.optional
	if tRequired && t.node != nil && f.node != nil && t.node != f.node && t.rsc.inClone() != nil && f.rsc.inClone() == nil {
		tRequired = false
	}
	if flags&ordImpliesFirst != 0 && tRequired && f.optional {
		f.optional = false
		changed = true
	}
	if flags&ordRunnableLeft != 0 && t.runnable && !f.runnable {
		t.runnable = false
		if t.reason == "" {
			t.reason = "unrunnable " + f.rsc.ID + " " + f.task
		}
		changed = true
	}
	if flags&ordAsymmetric != 0 {
		// An asymmetric ordering does nothing for a "then" start that is
		// already where it should be; otherwise an unrunnable "first"
		// makes "then" required and unrunnable.
		already := t.task == "start" && t.optional && t.node != nil && len(t.rsc.RunningOn) == 1 && t.rsc.RunningOn[0] == t.node
		if !already && !f.runnable && (t.runnable || t.optional) {
			t.runnable, t.optional = false, false
			changed = true
		}
	}
	if flags&(ordImpliesThen|ordImpliesFirst|ordRestart) != 0 && !f.rsc.Managed && f.rsc.Blocked &&
		!f.runnable && f.task == "stop" && t.runnable {
		t.runnable = false
		changed = true
	}
	// A clone's pseudo-action ordered before an action on a node counts
	// as required only when its instance there is (action_flags_for_ordering).
	fOptional := f.optional
	if f.children != nil && t.node != nil {
		fOptional = true
		for _, ch := range f.children {
			if ch.node == t.node && !ch.optional {
				fOptional = false
			}
		}
	}
	if flags&ordImpliesThen != 0 && t.optional && !fOptional && t.task != "stop" {
		t.optional = false
		if t.reason == "" {
			t.reason = "required " + f.rsc.ID + " " + f.task
		}
		changed = true
	}
	if flags&ordRestart != 0 {
		do := false
		if !t.optional {
			do = true
		}
		if !t.runnable && t.rsc.Managed && f.rsc == t.rsc {
			do = true
		}
		if do {
			if f.runnable && f.optional {
				f.optional = false
				changed = true
			}
			if !t.optional && f.optional {
				f.optional = false
				changed = true
			}
			if !f.optional && !f.runnable && t.runnable {
				t.runnable = false
				changed = true
			}
		}
	}
	return changed
}

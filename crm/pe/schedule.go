package pe

import (
	"fmt"
	"strings"
)

// Result is the scheduler's answer for one CIB.
type Result struct {
	Cluster *Cluster
	// Summary is crm_simulate's "Transition Summary" lines, in
	// crm_simulate's order (fencing first, then resources in CIB order).
	Summary []string
	// Fence lists the nodes to fence, with the reason.
	Fence []FenceAction
	// Final is each primitive's state once every runnable action has
	// succeeded (crm_simulate's "Revised Cluster Status").
	Final map[*Resource]FinalState
}

// FenceAction is a node to fence.
type FenceAction struct {
	Node   *Node
	Op     string
	Reason string
}

// FinalState is a primitive's state after the transition.
type FinalState struct {
	Nodes  []*Node
	Role   Role
	Failed bool
}

// Schedule runs the policy engine over an unpacked cluster. It changes the
// cluster's scheduling state, so a Cluster is scheduled once.
func Schedule(c *Cluster) *Result {
	s := &sched{c: c, merging: map[*Resource]bool{}, promoPriority: map[*Resource]int{}, sortIndex: map[*Resource]int{},
		instOrder: map[*Resource][]*Resource{}, counts: map[*Resource][]int{}, summaries: map[string]*action{}, rscWidth: 5, detailWidth: 5}
	all := append([]*Resource(nil), c.Resources...)
	all = append(all, c.orphans...)
	var prims []*Resource
	for _, r := range all {
		s.initTables(r)
		prims = r.primitives(prims)
	}
	s.unmanagedInPlace(prims)
	for _, l := range c.Locations {
		s.applyLocation(l.Rsc, l)
	}
	for _, r := range all {
		s.applyStickiness(r)
	}
	for _, n := range c.Nodes {
		for _, r := range all {
			s.checkThreshold(r, n)
		}
	}
	s.internalConstraints()
	for _, r := range c.orphans {
		// Orphans are stopped (stop-orphan-resources).
		r.provisional = false
		r.NextRole = RoleStopped
		if !c.Options.StopOrphanResources {
			r.Managed = false
			r.Assigned = r.current()
			r.NextRole = r.Role
		}
	}
	for _, r := range c.Resources {
		s.assign(r)
	}
	for _, r := range all {
		s.createActions(r)
	}
	res := &Result{Cluster: c, Final: make(map[*Resource]FinalState, len(prims))}
	s.fencing(res)
	s.propagate(s.buildOrders())
	for _, r := range all {
		s.summarize(r, res)
	}
	for _, p := range prims {
		res.Final[p] = s.final(p, res)
	}
	for _, r := range all {
		if r.Kind == KindClone && !r.Unique {
			overwriteAnonymousHistory(r, res)
		}
	}
	return res
}

// overwriteAnonymousHistory drops, from the revised status, an anonymous
// clone instance left on a node where another instance starts: both share
// one history entry there (the clone's primitive id), and the start
// recorded last is all crm_simulate shows afterwards.
func overwriteAnonymousHistory(clone *Resource, res *Result) {
	var started []*Resource
	for _, p := range clone.primitives(nil) {
		if a := p.actions; a != nil && a.start != nil && a.start.node != nil && !a.start.optional && a.start.runnable {
			started = append(started, p)
		}
	}
	for _, sp := range started {
		n := sp.actions.start.node
		for _, p := range clone.primitives(nil) {
			if p == sp || p.cloneOf != sp.cloneOf {
				continue
			}
			fs := res.Final[p]
			if !containsNode(fs.Nodes, n) || !containsNode(p.RunningOn, n) {
				continue
			}
			fs.Nodes = removeNode(append([]*Node(nil), fs.Nodes...), n)
			if len(fs.Nodes) == 0 {
				fs.Role, fs.Failed = RoleStopped, false
			}
			res.Final[p] = fs
		}
	}
}

// internalConstraints adds the implicit colocations: each group member
// with the previous one, and the group's own colocations moved to its
// first (dependent side) and last (primary side) members.
func (s *sched) internalConstraints() {
	var walk func(r *Resource)
	walk = func(r *Resource) {
		if r.Kind == KindGroup && len(r.Children) > 0 {
			colocated := true
			if v, ok := r.Meta["collocated"]; ok {
				colocated = isTrue(v)
			}
			for i := 1; i < len(r.Children) && colocated; i++ {
				s.c.addColocation(&Colocation{ID: "group:internal_colocation", Dependent: r.Children[i],
					Primary: r.Children[i-1], Score: Infinity, Influence: true})
			}
			first, last := r.Children[0], r.Children[len(r.Children)-1]
			for _, co := range r.thisWith {
				first.thisWith = insertSorted(first.thisWith, co, func(x *Colocation) *Resource { return x.Primary })
			}
			for _, co := range r.withThis {
				last.withThis = insertSorted(last.withThis, co, func(x *Colocation) *Resource { return x.Dependent })
			}
			r.thisWith, r.withThis = nil, nil
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, r := range s.c.Resources {
		walk(r)
	}
}

func (s *sched) canFence() bool {
	o := s.c.Options
	return o.StonithEnabled && s.c.haveStonith && (o.HaveQuorum || o.NoQuorumPolicy == "ignore")
}

func (s *sched) fencing(res *Result) {
	if !s.canFence() {
		return
	}
	for _, n := range s.c.Nodes {
		if n.Unclean {
			op := s.c.Options.StonithAction
			res.Fence = append(res.Fence, FenceAction{Node: n, Op: op, Reason: n.fenceReason})
			s.c.fenced = append(s.c.fenced, n)
			// Stops on a fenced node are implied by the fencing.
			for _, r := range s.c.byID {
				if r.actions == nil {
					continue
				}
				for _, st := range r.actions.stops {
					if st.node == n {
						st.runnable = true
					}
				}
			}
		}
	}
}

func (c *Cluster) isFenced(n *Node) bool { return containsNode(c.fenced, n) }

// summarize appends r's Transition Summary lines (rsc_action_default).
func (s *sched) summarize(r *Resource, res *Result) {
	if r.Kind != KindPrimitive {
		for _, ch := range r.Children {
			s.summarize(ch, res)
		}
		return
	}
	a := r.actions
	if a == nil {
		return
	}
	var current *Node
	if len(r.RunningOn) > 0 {
		current = r.RunningOn[0]
	}
	next := r.Assigned
	if current == nil && r.Orphan {
		return
	}
	if !r.Managed || (current == nil && next == nil) {
		return
	}
	role := r.Role
	if current != nil && role == RoleStopped {
		role = RoleStarted
	}
	moving := current != nil && next != nil && current != next
	start := a.start
	var startNode *Node
	if start != nil && start.runnable {
		startNode = current
	}
	var stop *action
	for _, st := range a.stops {
		if startNode == nil || st.node == startNode {
			stop = st
			break
		}
	}
	promote, demote := a.promote, a.demote
	item := func(verb string, origin, dest *Node, act, src *action) {
		res.Summary = append(res.Summary, s.actionItem(verb, r, role, origin, dest, act, src))
	}
	if role == r.NextRole {
		if next == nil {
			return
		}
		switch {
		case start == nil || start.optional:
			if demote != nil && promote != nil && !demote.optional && !promote.optional {
				item("Re-promote", current, next, promote, demote)
			}
		case !start.runnable:
			src := start
			if stop != nil && stop.reason != "" {
				src = stop
			}
			item("Stop", current, nil, stop, src)
		case moving && current != nil:
			if r.Failed {
				item("Recover", current, next, stop, nil)
			} else {
				item("Move", current, next, stop, nil)
			}
		case r.Failed:
			item("Recover", current, nil, stop, nil)
		default:
			item("Restart", current, next, start, nil)
		}
		return
	}
	switch {
	case stop != nil && (r.NextRole == RoleStopped || (start != nil && !start.runnable)):
		for _, n := range r.RunningOn {
			var sop *action
			for _, st := range a.stops {
				if st.node == n {
					sop = st
				}
			}
			src := start
			if sop != nil && sop.reason != "" {
				src = sop
			}
			item("Stop", n, nil, sop, src)
		}
	case stop != nil && r.Failed && r.stopNeeded:
		item("Recover", current, next, stop, start)
	case moving:
		item("Move", current, next, stop, nil)
	case stop != nil && !stop.optional:
		item("Restart", current, next, start, nil)
	case role == RolePromoted:
		item("Demote", current, next, demote, nil)
	case r.NextRole == RolePromoted:
		item("Promote", current, next, promote, nil)
	case role == RoleStopped && r.NextRole > RoleStopped:
		item("Start", current, next, start, nil)
	}
}

// actionItem formats one summary line as rsc_action_item does.
func (s *sched) actionItem(verb string, r *Resource, role Role, origin, dest *Node, act, src *action) string {
	if src == nil {
		src = act
	}
	needRole := role > RoleStarted || r.NextRole > RoleUnpromoted
	sameHost := origin != nil && dest != nil && origin == dest
	sameRole := role == r.NextRole
	name := func(n *Node) string { return n.Name }
	var details string
	switch {
	case needRole && origin == nil:
		details = fmt.Sprintf("%s -> %s %s", role, r.NextRole, name(dest))
	case origin == nil:
		details = name(dest)
	case needRole && dest == nil:
		details = fmt.Sprintf("%s %s", role, name(origin))
	case dest == nil:
		details = name(origin)
	case needRole && sameRole && sameHost:
		details = fmt.Sprintf("%s %s", role, name(origin))
	case sameRole && sameHost:
		details = name(origin)
	case needRole && sameRole:
		details = fmt.Sprintf("%s -> %s %s", name(origin), name(dest), role)
	case sameRole:
		details = fmt.Sprintf("%s -> %s", name(origin), name(dest))
	case sameHost:
		details = fmt.Sprintf("%s -> %s %s", role, r.NextRole, name(origin))
	default:
		details = fmt.Sprintf("%s %s -> %s %s", role, name(origin), r.NextRole, name(dest))
	}
	if len(r.ID) > s.rscWidth {
		s.rscWidth = len(r.ID) + 2
	}
	if len(details) > s.detailWidth {
		s.detailWidth = len(details)
	}
	runnable := act == nil || act.runnable
	reason := ""
	switch {
	case src != nil && src.reason != "" && !runnable:
		reason = "due to " + src.reason + " (blocked)"
	case src != nil && src.reason != "":
		reason = "due to " + src.reason
	case !runnable:
		reason = "blocked"
	}
	// "%-8s   %-*s   ( %*s )" and the reason, built in one allocation.
	var b strings.Builder
	b.Grow(8 + 3 + s.rscWidth + 5 + s.detailWidth + 2 + 2 + len(reason) + len(r.ID) + len(details))
	pad := func(n int) {
		for ; n > 0; n-- {
			b.WriteByte(' ')
		}
	}
	b.WriteString(verb)
	pad(8 - len(verb))
	b.WriteString("   ")
	b.WriteString(r.ID)
	pad(s.rscWidth - len(r.ID))
	b.WriteString("   ( ")
	pad(s.detailWidth - len(details))
	b.WriteString(details)
	b.WriteString(" )")
	if reason != "" {
		b.WriteString("  ")
		b.WriteString(reason)
	}
	return b.String()
}

// final is a primitive's state after every runnable required action ran.
func (s *sched) final(p *Resource, res *Result) FinalState {
	a := p.actions
	fs := FinalState{Role: p.Role, Failed: p.Failed}
	// Room for the running nodes and a start, from the run's arena.
	k := len(p.RunningOn) + 1
	if len(s.finalArena) < k {
		s.finalArena = make([]*Node, max(256, k))
	}
	nodes := append(s.finalArena[:0:k], p.RunningOn...)
	s.finalArena = s.finalArena[k:]
	if a == nil {
		fs.Nodes = nodes
		return fs
	}
	stopped := false
	for _, st := range a.stops {
		if (!st.optional && st.runnable) || s.c.isFenced(st.node) {
			nodes = removeNode(nodes, st.node)
			stopped = true
		}
	}
	if stopped {
		fs.Failed = false
		if len(nodes) == 0 {
			fs.Role = RoleStopped
		}
	}
	if st := a.start; st != nil && st.node != nil && !st.optional && st.runnable {
		if !containsNode(nodes, st.node) {
			nodes = append(nodes, st.node)
		}
		fs.Role = RoleStarted
		if p.promotableParent() {
			fs.Role = RoleUnpromoted
		}
		fs.Failed = false
	}
	if d := a.demote; d != nil && !d.optional && d.runnable && fs.Role == RolePromoted {
		fs.Role = RoleUnpromoted
	}
	if pr := a.promote; pr != nil && !pr.optional && pr.runnable && containsNode(nodes, pr.node) {
		fs.Role = RolePromoted
	}
	if len(nodes) == 0 {
		fs.Role = RoleStopped
	}
	fs.Nodes = nodes
	return fs
}

func removeNode(ns []*Node, n *Node) []*Node {
	out := ns[:0]
	for _, x := range ns {
		if x != n {
			out = append(out, x)
		}
	}
	return out
}

// Text prints the answer as crm_simulate -S prints its "Transition
// Summary" and "Revised Cluster Status" sections.
func (res *Result) Text() string {
	var b strings.Builder
	b.WriteString("Transition Summary:\n")
	for _, f := range res.Fence {
		fmt.Fprintf(&b, "  * Fence (%s) %s '%s'\n", f.Op, f.Node.Name, f.Reason)
	}
	for _, l := range res.Summary {
		b.WriteString("  * " + l + "\n")
	}
	b.WriteString("\nRevised Cluster Status:\n")
	res.writeStatus(&b)
	return b.String()
}

func (res *Result) writeStatus(b *strings.Builder) {
	c := res.Cluster
	b.WriteString("  * Node List:\n")
	var online, offline []string
	for _, n := range c.Nodes {
		switch {
		case c.isFenced(n):
			offline = append(offline, n.Name)
		case n.Unclean:
			fmt.Fprintf(b, "    * Node %s: UNCLEAN (offline)\n", n.Name)
		case n.Online && n.Standby && !n.Pending:
			fmt.Fprintf(b, "    * Node %s: standby\n", n.Name)
		case n.Online && n.Pending:
			fmt.Fprintf(b, "    * Node %s: pending\n", n.Name)
		case n.Online && n.Maintenance:
			fmt.Fprintf(b, "    * Node %s: maintenance\n", n.Name)
		case n.Online:
			online = append(online, n.Name)
		default:
			offline = append(offline, n.Name)
		}
	}
	if len(online) > 0 {
		fmt.Fprintf(b, "    * Online: [ %s ]\n", strings.Join(online, " "))
	}
	if len(offline) > 0 {
		fmt.Fprintf(b, "    * OFFLINE: [ %s ]\n", strings.Join(offline, " "))
	}
	b.WriteString("\n  * Full List of Resources:\n")
	for _, r := range c.configOrder() {
		res.writeResource(b, r, "    ")
	}
	for _, r := range c.orphans {
		if r.Parent == nil {
			fs := res.Final[r]
			if len(fs.Nodes) > 0 {
				fmt.Fprintf(b, "    * %s\t(%s):\t %s ORPHANED\n", r.ID, r.agent(), stateText(fs))
			}
		}
	}
}

// configOrder is the top-level resources in CIB order (display order).
func (c *Cluster) configOrder() []*Resource {
	var out []*Resource
	for _, r := range c.Resources {
		out = append(out, r)
	}
	// Resources was stably sorted by priority; restore CIB order.
	idx := map[*Resource]int{}
	i := 0
	for _, r := range c.byID {
		_ = r
	}
	for _, r := range c.cibOrder {
		idx[r] = i
		i++
	}
	sortByIndex(out, idx)
	return out
}

func sortByIndex(rs []*Resource, idx map[*Resource]int) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && idx[rs[j]] < idx[rs[j-1]]; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

func (r *Resource) agent() string {
	if r.Provider != "" {
		return r.Class + ":" + r.Provider + ":" + r.Type
	}
	return r.Class + ":" + r.Type
}

func stateText(fs FinalState) string {
	if len(fs.Nodes) == 0 {
		if fs.Failed {
			return "FAILED"
		}
		return "Stopped"
	}
	role := fs.Role.String()
	if role == "Unknown" || role == "Stopped" {
		role = "Started"
	}
	where := fs.Nodes[0].Name
	if len(fs.Nodes) > 1 {
		var ns []string
		for _, n := range fs.Nodes {
			ns = append(ns, n.Name)
		}
		where = "[ " + strings.Join(ns, " ") + " ]"
	}
	if fs.Failed {
		if fs.Role == RolePromoted {
			return "FAILED Promoted " + where
		}
		return "FAILED " + where
	}
	return role + " " + where
}

func (res *Result) writeResource(b *strings.Builder, r *Resource, indent string) {
	c := res.Cluster
	switch r.Kind {
	case KindPrimitive:
		fmt.Fprintf(b, "%s* %s\t(%s):\t %s\n", indent, r.ID, r.agent(), stateText(res.Final[r]))
	case KindGroup:
		fmt.Fprintf(b, "%s* Resource Group: %s:\n", indent, r.ID)
		for _, m := range r.Children {
			res.writeResource(b, m, indent+"  ")
		}
	case KindClone:
		kind := ""
		if r.Promotable {
			kind = " (promotable)"
		}
		if r.Unique {
			kind = " (unique)"
		}
		fmt.Fprintf(b, "%s* Clone Set: %s [%s]%s:\n", indent, r.ID, r.template.ID, kind)
		if r.Unique {
			for _, inst := range r.Children {
				res.writeResource(b, inst, indent+"  ")
			}
			return
		}
		lists := map[Role][]string{}
		var stopped []string
		for _, inst := range r.Children {
			ps := inst.primitives(nil)
			if len(ps) == 0 {
				continue
			}
			failed := false
			for _, p := range ps {
				if res.Final[p].Failed {
					failed = true
				}
			}
			if failed || inst.Kind == KindGroup && !uniformGroup(res, ps) {
				if inst.Kind == KindGroup {
					fmt.Fprintf(b, "%s  * Resource Group: %s:\n", indent, inst.ID)
					for _, p := range ps {
						res.writeResource(b, p, indent+"    ")
					}
				} else {
					res.writeResource(b, inst, indent+"  ")
				}
				continue
			}
			fs := res.Final[ps[0]]
			if len(fs.Nodes) == 0 {
				continue
			}
			role := fs.Role
			if role == RoleUnknown || role == RoleStopped {
				role = RoleStarted
			}
			for _, n := range fs.Nodes {
				lists[role] = append(lists[role], n.Name)
			}
		}
		for _, role := range []Role{RolePromoted, RoleUnpromoted, RoleStarted} {
			if l := lists[role]; len(l) > 0 {
				sortStrings(l)
				fmt.Fprintf(b, "%s  * %s: [ %s ]\n", indent, role, strings.Join(l, " "))
			}
		}
		// Fewer active instances than clone-max: the nodes without one are
		// listed as Stopped (all nodes in a symmetric cluster, the nodes
		// where the resource was probed otherwise).
		active, running := 0, map[*Node]bool{}
		for _, inst := range r.Children {
			if ps := inst.primitives(nil); len(ps) > 0 {
				if ns := res.Final[ps[0]].Nodes; len(ns) > 0 {
					active++
					for _, n := range ns {
						running[n] = true
					}
				}
			}
		}
		if active < r.CloneMax {
			for _, n := range c.Nodes {
				if running[n] {
					continue
				}
				// A node fenced in the transition is down, its history gone.
				if c.Options.Symmetric || ((n.Online || cloneKnownOn(r, n)) && !c.isFenced(n)) {
					stopped = append(stopped, n.Name)
				}
			}
		}
		if len(stopped) > 0 {
			sortStrings(stopped)
			fmt.Fprintf(b, "%s  * Stopped: [ %s ]\n", indent, strings.Join(stopped, " "))
		}
	}
}

func cloneKnownOn(r *Resource, n *Node) bool {
	for _, p := range r.primitives(nil) {
		if p.knownOn[n] {
			return true
		}
	}
	return false
}

func uniformGroup(res *Result, ps []*Resource) bool {
	a := res.Final[ps[0]]
	for _, p := range ps[1:] {
		f := res.Final[p]
		if len(f.Nodes) != len(a.Nodes) || (len(f.Nodes) > 0 && f.Nodes[0] != a.Nodes[0]) || f.Role != a.Role {
			return false
		}
	}
	return true
}

func sortStrings(l []string) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j] < l[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

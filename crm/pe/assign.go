package pe

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// nodeTable is a resource's allowed nodes: present entries and their
// scores, indexed by Node.Index (Pacemaker's allowed_nodes hash table).
type nodeTable struct {
	has []bool
	w   []int
}

// newTable takes an empty table from the run's arena: one allocation
// for many resources' tables instead of two each.
func (s *sched) newTable() nodeTable {
	n := len(s.c.Nodes)
	if len(s.wArena) < n {
		size := max(64*n, 256)
		s.wArena, s.hArena = make([]int, size), make([]bool, size)
	}
	t := nodeTable{has: s.hArena[:n:n], w: s.wArena[:n:n]}
	s.wArena, s.hArena = s.wArena[n:], s.hArena[n:]
	return t
}

// cloneTable copies t into a new table from the arena.
func (s *sched) cloneTable(t nodeTable) nodeTable {
	c := s.newTable()
	copy(c.has, t.has)
	copy(c.w, t.w)
	return c
}

// add adds score on node i, creating the entry when absent.
func (t nodeTable) add(i, score int) {
	if !t.has[i] {
		t.has[i] = true
		t.w[i] = score
		return
	}
	t.w[i] = AddScores(t.w[i], score)
}

// infinityHack marks a node temporarily unusable while merging colocated
// scores (Pacemaker's INFINITY_HACK).
const infinityHack = -Infinity * 100

func (c *Cluster) anyAvailable(t nodeTable) bool {
	for i, n := range c.Nodes {
		if t.has[i] && n.available() && t.w[i] >= 0 {
			return true
		}
	}
	return false
}

// sched holds the per-resource tables during scheduling.
type sched struct {
	c                     *Cluster
	merging               map[*Resource]bool
	promoPriority         map[*Resource]int
	sortIndex             map[*Resource]int
	instOrder             map[*Resource][]*Resource // a clone's instances in assignment (then promotion) order
	counts                map[*Resource][]int       // instances per node of a clone's table (node->count)
	summaries             map[string]*action        // clones' pseudo-actions, by clone and task
	nodeBuf               []*Node                   // sortedNodes' result, reused
	wArena                []int                     // node tables' storage (newTable)
	hArena                []bool
	finalArena            []*Node // final states' node lists
	rscWidth, detailWidth int
}

func (s *sched) table(r *Resource) nodeTable {
	// The table lives on the resource (a Cluster is scheduled once):
	// no map lookup on this hot path.
	if r.tbl.has == nil {
		r.tbl = s.newTable()
	}
	return r.tbl
}

// initTables gives every resource its starting table: 0 on every node in
// a symmetric cluster, empty otherwise.
func (s *sched) initTables(r *Resource) {
	t := s.table(r)
	if s.c.Options.Symmetric {
		for i := range s.c.Nodes {
			t.add(i, 0)
		}
	}
	r.provisional = true
	for _, ch := range r.Children {
		s.initTables(ch)
	}
}

// location adds score on node n to r and everything under it (Pacemaker's
// resource_location on a collective resource reaches its children).
func (s *sched) location(r *Resource, n *Node, score int) {
	s.table(r).add(n.Index, score)
	for _, ch := range r.Children {
		s.location(ch, n, score)
	}
}

func (s *sched) applyLocation(r *Resource, l *Location) {
	if l.Role != RoleUnknown && l.Role != r.NextRole {
		return
	}
	t := s.table(r)
	for _, n := range s.c.Nodes {
		if sc, ok := l.Scores[n]; ok {
			t.add(n.Index, sc)
		}
	}
	if r.Kind == KindGroup && groupColocated(r) && len(r.Children) > 1 {
		// The first member's scores already take in the later members'
		// (through the group's internal colocations), so the later ones
		// get the constraint's nodes at score 0 (Pacemaker's
		// pcmk__group_apply_location).
		s.applyLocation(r.Children[0], l)
		zero := &Location{ID: l.ID, Rsc: l.Rsc, Role: l.Role, Scores: map[*Node]int{}}
		for n := range l.Scores {
			zero.Scores[n] = 0
		}
		for _, ch := range r.Children[1:] {
			s.applyLocation(ch, zero)
		}
		return
	}
	for _, ch := range r.Children {
		s.applyLocation(ch, l)
	}
}

func groupColocated(r *Resource) bool {
	if v, ok := r.Meta["collocated"]; ok {
		return isTrue(v)
	}
	return true
}

func (s *sched) applyStickiness(r *Resource) {
	if len(r.Children) > 0 {
		for _, ch := range r.Children {
			s.applyStickiness(ch)
		}
		return
	}
	if !r.Managed || r.Stickiness < 1 || len(r.RunningOn) != 1 {
		return
	}
	n := r.RunningOn[0]
	t := s.table(r)
	if !s.c.Options.Symmetric && !t.has[n.Index] {
		return
	}
	t.add(n.Index, r.Stickiness)
}

// failcount sums the fail-count attributes of r on n, ignoring them once
// failure-timeout has passed since the latest matching last-failure
// (pe_get_failcount with pe_fc_effective; op is the history entry being
// unpacked, nil when none).
func (c *Cluster) failcount(r *Resource, n *Node) int { return c.failcountFor(r, n, nil) }

func (c *Cluster) failcountFor(r *Resource, n *Node, op *histOp) int {
	total, last := c.rawFailcount(r, n)
	if total <= 0 {
		return total
	}
	ft := c.failureTimeout(r, n, op)
	if ft > 0 && last > 0 && c.Now > last+int64(ft) {
		return 0
	}
	return total
}

// rawFailcount sums r's fail-count attributes on n as Pacemaker's regexes
// match them — fail-count-<id>#<op>_<interval>, or fail-count-<id> alone
// in a CIB older than feature set 3.0.13, with an optional :N instance
// suffix for an anonymous clone's — and returns the latest last-failure.
func (c *Cluster) rawFailcount(r *Resource, n *Node) (total int, last int64) {
	id := r.ID
	unique := true
	if r.cloneOf != nil {
		if cl := r.inClone(); cl != nil && !cl.Unique {
			id, unique = r.cloneOf.ID, false
		}
	}
	for k, v := range n.Attrs {
		var rest string
		isCount := false
		switch {
		case strings.HasPrefix(k, "fail-count-"+id):
			rest, isCount = k[len("fail-count-"+id):], true
		case strings.HasPrefix(k, "last-failure-"+id):
			rest = k[len("last-failure-"+id):]
		default:
			continue
		}
		if !failSuffixMatches(rest, unique, c.legacyFailcounts) {
			continue
		}
		if isCount {
			total = AddScores(total, ParseScore(v))
		} else if x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && x > last {
			last = x
		}
	}
	return total, last
}

// failSuffixMatches matches what follows the resource name in a fail-count
// attribute: "(:[0-9]+)?" unless unique, then "#.+_[0-9]+" unless legacy.
func failSuffixMatches(rest string, unique, legacy bool) bool {
	if !unique && strings.HasPrefix(rest, ":") {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i > 1 {
			if failSuffixMatches(rest[i:], true, legacy) {
				return true
			}
		}
	}
	if legacy {
		return rest == ""
	}
	if len(rest) < 4 || rest[0] != '#' {
		return false
	}
	u := strings.LastIndexByte(rest, '_')
	if u < 2 || u == len(rest)-1 {
		return false
	}
	for _, ch := range rest[u+1:] {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

// failureTimeout is r's failure-timeout. Pacemaker drops it for the rest
// of the run (pe_get_failcount resets rsc->failure_timeout) the first
// time a fail count is looked up while a failure of an operation
// configured with on-fail=block is matched (block_failure: op itself when
// given, else the node's fail count for such an operation).
func (c *Cluster) failureTimeout(r *Resource, n *Node, op *histOp) int {
	if r.FailureTimeout <= 0 || r.failureTimeoutOff {
		return 0
	}
	id := r.ID
	if r.cloneOf != nil {
		if cl := r.inClone(); cl != nil && !cl.Unique {
			id = r.cloneOf.ID
		}
	}
	for _, cop := range r.Ops {
		if cop.OnFail != "block" {
			continue
		}
		blocked := false
		if op != nil {
			if op.task == cop.Name && op.interval == cop.IntervalMS {
				oid := op.e.Get("id")
				blocked = oid == id+"_last_failure_0" ||
					(oid == id+"_"+cop.Name+"_"+strconv.Itoa(cop.IntervalMS) && op.rc != op.targetRC)
			}
		} else {
			blocked = ParseScore(n.Attrs["fail-count-"+id+"#"+cop.Name+"_"+strconv.Itoa(cop.IntervalMS)]) > 0
		}
		if blocked {
			r.failureTimeoutOff = true
			return 0
		}
	}
	return r.FailureTimeout
}

func (s *sched) checkThreshold(r *Resource, n *Node) {
	if len(r.Children) > 0 {
		for _, ch := range r.Children {
			s.checkThreshold(ch, n)
		}
		return
	}
	if r.MigrationThreshold == 0 {
		return
	}
	fc := s.c.failcount(r, n)
	if fc <= 0 || r.MigrationThreshold-fc > 0 {
		return
	}
	target := r
	if cl := r.inClone(); cl != nil && !cl.Unique {
		target = cl
	}
	s.location(target, n, -Infinity)
}

// sortedNodes orders a table's nodes as Pacemaker's compare_nodes: score
// (unavailable nodes count as -INFINITY), fewer assigned resources, the
// current node, then node name byte-wise.
func (s *sched) sortedNodes(t nodeTable, current *Node) []*Node {
	// One buffer per run: assignBest reads the order before the next call.
	ns := s.nodeBuf[:0]
	for i, n := range s.c.Nodes {
		if t.has[i] {
			ns = append(ns, n)
		}
	}
	s.nodeBuf = ns
	w := func(n *Node) int {
		if !n.available() {
			return -Infinity
		}
		return t.w[n.Index]
	}
	slices.SortStableFunc(ns, func(a, b *Node) int {
		if wa, wb := w(a), w(b); wa != wb {
			if wa > wb {
				return -1
			}
			return 1
		}
		if a.numResources != b.numResources {
			return cmp.Compare(a.numResources, b.numResources)
		}
		if current != nil && a != b {
			if a == current {
				return -1
			}
			if b == current {
				return 1
			}
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ns
}

// assign places r and returns the node it is assigned to (for a group,
// its first member's).
func (s *sched) assign(r *Resource) *Node { return s.assignWith(r, nil) }

// assignWith places r, preferring node prefer when it scores as well as
// the best node.
func (s *sched) assignWith(r *Resource, prefer *Node) *Node {
	switch r.Kind {
	case KindGroup:
		return s.assignGroup(r, prefer)
	case KindClone:
		return s.assignClone(r)
	}
	return s.assignPrimitive(r, prefer)
}

func (s *sched) assignGroup(r *Resource, prefer *Node) *Node {
	if !r.provisional || r.allocating || len(r.Children) == 0 {
		if len(r.Children) == 0 {
			r.provisional = false
		}
		return r.Assigned
	}
	r.allocating = true
	// Colocations given to the group late (a cloned group's instance
	// inherits its clone's) go to its first and last members.
	first0, last0 := r.Children[0], r.Children[len(r.Children)-1]
	for _, co := range r.thisWith {
		first0.thisWith = insertSorted(first0.thisWith, co, func(x *Colocation) *Resource { return x.Primary })
	}
	for _, co := range r.withThis {
		last0.withThis = insertSorted(last0.withThis, co, func(x *Colocation) *Resource { return x.Dependent })
	}
	r.thisWith, r.withThis = nil, nil
	if s.c.scoreLog != nil {
		s.c.scoreLog.weights(s, scoreFnGroup, r)
	}
	var first *Node
	for i, m := range r.Children {
		n := s.assignWith(m, prefer)
		if i == 0 {
			first = n
		}
	}
	r.NextRole = r.Children[0].NextRole
	r.allocating = false
	r.provisional = false
	r.Assigned = first
	return first
}

func (s *sched) assignPrimitive(r *Resource, prefer *Node) *Node {
	if r.Parent != nil && !r.Parent.allocating && r.Parent.provisional {
		s.assign(r.Parent)
	}
	if !r.provisional {
		return r.Assigned
	}
	if r.allocating {
		return nil // an assignment loop: broken here
	}
	r.allocating = true
	for _, co := range r.thisWith {
		s.applyThisWith(r, co)
	}
	for _, co := range r.withThis {
		s.applyWithThis(r, co)
	}
	c := s.c
	t := s.table(r)
	if r.NextRole == RoleStopped {
		for i := range c.Nodes {
			t.add(i, -Infinity)
		}
	} else if r.TargetRole == RoleStopped {
		r.NextRole = RoleStopped
		for i := range c.Nodes {
			t.add(i, -Infinity)
		}
	} else if r.NextRole > r.Role && !c.Options.HaveQuorum && c.Options.NoQuorumPolicy == "freeze" {
		r.NextRole = r.Role
	}
	if c.scoreLog != nil {
		c.scoreLog.weights(s, scoreFnPrimitive, r)
	}
	if c.Options.StonithEnabled && !c.haveStonith {
		r.Managed = false
	}
	switch {
	case !r.Managed:
		r.NextRole = r.Role
		s.finalize(r, r.current(), true)
	case c.Options.StopAllResources:
		s.finalize(r, nil, true)
	default:
		s.assignBest(r, prefer)
	}
	r.allocating = false
	return r.Assigned
}

func (s *sched) applyThisWith(r *Resource, co *Colocation) {
	var archive nodeTable
	saved := false
	if co.DependentRole >= RolePromoted || (co.Score < 0 && co.Score > -Infinity) {
		archive = s.cloneTable(s.table(r))
		saved = true
	}
	s.assign(co.Primary)
	s.applyColocScore(r, co.Primary, co)
	if saved && !s.c.anyAvailable(s.table(r)) {
		r.tbl = archive
	}
}

func (s *sched) applyWithThis(r *Resource, co *Colocation) {
	if !colocInfluence(co) {
		return
	}
	factor := float64(co.Score) / Infinity
	t := s.table(r)
	s.addColocatedScores(co.Dependent, &t, co.NodeAttr, factor, selectActive)
	r.tbl = t
}

func colocInfluence(co *Colocation) bool {
	return co.Influence || len(co.Primary.RunningOn) == 0
}

// applyColocScore applies a colocation of dependent with primary to the
// dependent's scores, dispatching on the variants as Pacemaker does.
func (s *sched) applyColocScore(dep, pri *Resource, co *Colocation) {
	switch pri.Kind {
	case KindGroup:
		if pri.provisional {
			return
		}
		if len(pri.Children) == 0 {
			return
		}
		m := pri.Children[0]
		if co.Score >= Infinity {
			m = pri.Children[len(pri.Children)-1]
		}
		s.applyColocScore(dep, m, co)
		return
	case KindClone:
		s.applyColocWithClone(dep, pri, co)
		return
	}
	if dep.Kind == KindGroup {
		if len(dep.Children) > 0 {
			s.applyColocScore(dep.Children[0], pri, co)
		}
		return
	}
	switch s.colocAffects(dep, pri, co) {
	case affectsLocation:
		s.colocToWeights(dep, pri, co)
	case affectsRole:
		s.colocToPriority(dep, pri, co)
	}
}

type affects int

const (
	affectsNothing affects = iota
	affectsLocation
	affectsRole
)

func (s *sched) colocAffects(dep, pri *Resource, co *Colocation) affects {
	if pri.provisional {
		return affectsNothing
	}
	if co.DependentRole >= RoleUnpromoted && dep.Parent != nil && dep.Parent.Promotable && !dep.provisional {
		return affectsRole
	}
	if !dep.provisional {
		return affectsNothing
	}
	if co.Score > 0 && co.DependentRole != RoleUnknown && co.DependentRole != dep.NextRole {
		return affectsNothing
	}
	if co.Score > 0 && co.PrimaryRole != RoleUnknown && co.PrimaryRole != pri.NextRole {
		return affectsNothing
	}
	if co.Score < 0 && co.DependentRole != RoleUnknown && co.DependentRole == dep.NextRole {
		return affectsNothing
	}
	if co.Score < 0 && co.PrimaryRole != RoleUnknown && co.PrimaryRole == pri.NextRole {
		return affectsNothing
	}
	return affectsLocation
}

func nodeAttr(n *Node, attr string) (string, bool) {
	switch attr {
	case "", "#uname":
		return n.Name, true
	case "#id":
		return n.ID, true
	}
	v, ok := n.Attrs[attr]
	return v, ok
}

func attrEqual(a *Node, b *Node, attr string) bool {
	va, oka := nodeAttr(a, attr)
	vb, okb := nodeAttr(b, attr)
	return oka == okb && equalFold(va, vb)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (s *sched) colocToWeights(dep, pri *Resource, co *Colocation) {
	if pri.Assigned == nil && co.Score < 0 {
		return
	}
	work := s.cloneTable(s.table(dep))
	for i, n := range s.c.Nodes {
		if !work.has[i] {
			continue
		}
		switch {
		case pri.Assigned == nil:
			work.w[i] = AddScores(-co.Score, work.w[i])
		case attrEqual(n, pri.Assigned, co.NodeAttr):
			if co.Score < Infinity {
				work.w[i] = AddScores(co.Score, work.w[i])
			}
		case co.Score >= Infinity:
			work.w[i] = AddScores(-co.Score, work.w[i])
		}
	}
	if co.Score <= -Infinity || co.Score >= Infinity || s.c.anyAvailable(work) {
		dep.tbl = work
	}
}

const (
	selectThisWith = 1 << iota
	selectNonnegative
	selectActive
)

// addColocatedScores folds r's node preferences (and, recursively, those
// of the resources colocated with r) into *nodes, scaled by factor
// (Pacemaker's pcmk__add_colocated_node_scores).
func (s *sched) addColocatedScores(r *Resource, nodes *nodeTable, attr string, factor float64, flags int) {
	if s.merging[r] {
		return
	}
	s.merging[r] = true
	defer delete(s.merging, r)
	var work nodeTable
	if r.Kind == KindGroup {
		if len(r.Children) == 0 {
			return
		}
		work = s.cloneTable(*nodes)
		s.addColocatedScores(r.Children[0], &work, attr, factor, flags)
	} else {
		work = s.cloneTable(*nodes)
		s.addScoresMatchingAttr(work, r, attr, factor, flags&selectNonnegative != 0)
	}
	if s.c.anyAvailable(work) {
		mult := 1.0
		if factor < 0 {
			mult = -1
		}
		var list []*Colocation
		if flags&selectThisWith != 0 {
			list = r.thisWith
		} else if r.Kind == KindGroup {
			list = r.Children[len(r.Children)-1].withThis
		} else {
			list = r.withThis
		}
		for _, co := range list {
			var other *Resource
			if flags&selectThisWith != 0 {
				other = co.Primary
			} else if !colocInfluence(co) {
				continue
			} else {
				other = co.Dependent
			}
			f := mult * float64(co.Score) / Infinity
			s.addColocatedScores(other, &work, co.NodeAttr, f, flags|selectActive)
		}
	} else if flags&selectActive != 0 {
		return
	}
	if flags&selectNonnegative != 0 {
		for i := range work.w {
			if work.has[i] && work.w[i] == infinityHack {
				work.w[i] = 1
			}
		}
	}
	*nodes = work
}

func (s *sched) bestScoreMatchingAttr(r *Resource, attr string, n *Node) int {
	best := -Infinity
	t := s.table(r)
	for i, m := range s.c.Nodes {
		if t.has[i] && t.w[i] > best && m.available() && attrEqual(m, n, attr) {
			best = t.w[i]
		}
	}
	return best
}

func (s *sched) addScoresMatchingAttr(work nodeTable, r *Resource, attr string, factor float64, onlyPositive bool) {
	for i, n := range s.c.Nodes {
		if !work.has[i] {
			continue
		}
		score := s.bestScoreMatchingAttr(r, attr, n)
		if factor < 0 && score < 0 {
			continue
		}
		if work.w[i] == infinityHack {
			continue
		}
		// Pacemaker computes in single precision.
		wf := float32(factor) * float32(score)
		var weight int
		if wf < 0 {
			weight = int(wf - 0.5)
		} else {
			weight = int(wf + 0.5)
		}
		if weight == 0 && score != 0 {
			if factor > 0 {
				weight = 1
			} else if factor < 0 {
				weight = -1
			}
		}
		ns := AddScores(weight, work.w[i])
		if onlyPositive && ns < 0 && work.w[i] > 0 {
			work.w[i] = infinityHack
			continue
		}
		if onlyPositive && ns < 0 && work.w[i] == 0 {
			continue
		}
		work.w[i] = ns
	}
}

var _ = math.Abs

// assignBest chooses r's node (assign_best_node).
func (s *sched) assignBest(r *Resource, prefer *Node) {
	t := s.table(r)
	cur := r.current()
	nodes := s.sortedNodes(t, cur)
	var chosen *Node
	if prefer != nil && len(nodes) > 0 && t.has[prefer.Index] && t.w[prefer.Index] >= t.w[nodes[0].Index] &&
		prefer.available() && t.w[prefer.Index] >= 0 {
		chosen = prefer
	}
	if chosen == nil && len(nodes) > 0 {
		chosen = nodes[0]
		best := t.w[chosen.Index]
		if !chosen.available() {
			best = -Infinity
		}
		uniqueInst := r.Parent != nil && r.Parent.Kind == KindClone && r.Parent.Unique
		if !uniqueInst && best > 0 && chosen.available() && cur != nil && cur.available() {
			for _, n := range nodes[1:] {
				wn := t.w[n.Index]
				if !n.available() {
					wn = -Infinity
				}
				if wn != best {
					break
				}
				if n == cur {
					chosen = n
				}
			}
		}
	}
	s.finalize(r, chosen, false)
}

// finalize records the assignment (pcmk__finalize_assignment).
func (s *sched) finalize(r *Resource, chosen *Node, force bool) {
	if !force && chosen != nil {
		t := s.table(r)
		if t.w[chosen.Index] < 0 || !chosen.available() {
			r.NextRole = RoleStopped
			chosen = nil
		}
	}
	r.provisional = false
	r.Assigned = chosen
	if chosen == nil {
		r.NextRole = RoleStopped
		return
	}
	r.assignedW = s.table(r).w[chosen.Index]
	chosen.numResources++
	// A promotable instance's role is chosen once its clone is placed.
	if r.NextRole == RoleUnknown && !r.promotableParent() {
		r.NextRole = RoleStarted
	}
}

package pe

import "sort"

// assignClone places a clone's instances as Pacemaker's clone assignment
// does: promotion scores first raise the instances' preferences, the
// resources the clone is colocated with are placed, the colocations with
// the clone fold into its own scores, the instances are sorted (active,
// healthy and well-placed ones first) and distributed — active instances
// stay where they run up to an even share per node, the others go to the
// best remaining nodes — and a promotable clone then chooses its promoted
// instances.
func (s *sched) assignClone(r *Resource) *Node {
	if !r.provisional || r.allocating {
		return nil
	}
	if r.Promotable {
		s.addPromotionScores(r)
	}
	r.allocating = true
	for _, co := range r.thisWith {
		s.assign(co.Primary)
	}
	for _, co := range r.withThis {
		if !colocInfluence(co) {
			continue
		}
		t := s.table(r)
		s.addColocatedScores(co.Dependent, &t, co.NodeAttr, float64(co.Score)/Infinity, selectActive|selectNonnegative)
		r.tbl = t
	}
	if s.c.scoreLog != nil {
		s.c.scoreLog.weights(s, scoreFnClone, r)
	}
	order := append([]*Resource(nil), r.Children...)
	sort.SliceStable(order, func(i, j int) bool { return s.cmpInstance(order[i], order[j]) < 0 })
	s.instOrder[r] = order
	s.distribute(r, order)
	if r.Promotable {
		s.setInstanceRoles(r)
	}
	r.allocating = false
	r.provisional = false
	return nil
}

// instanceOrder is a clone's instances in the order Pacemaker keeps them
// after assignment.
func (s *sched) instanceOrder(r *Resource) []*Resource {
	if o, ok := s.instOrder[r]; ok {
		return o
	}
	return r.Children
}

func instanceNode(inst *Resource) *Node {
	ps := inst.primitives(nil)
	if len(ps) == 0 {
		return nil
	}
	return ps[0].current()
}

// activeNodes is every node an instance (any member of it) runs on.
func activeNodes(inst *Resource) []*Node {
	var out []*Node
	for _, p := range inst.primitives(nil) {
		for _, n := range p.RunningOn {
			if !containsNode(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func instanceFailed(inst *Resource) bool {
	for _, p := range inst.primitives(nil) {
		if p.Failed {
			return true
		}
	}
	return false
}

// parentTable is the table of r's parent (Pacemaker's
// pcmk__top_allowed_node looks a node up there).
func (s *sched) parentTable(r *Resource) (nodeTable, bool) {
	if r.Parent == nil {
		return s.table(r), true
	}
	return s.table(r.Parent), true
}

// cmpInstance orders two instances for assignment (pcmk__cmp_instance).
func (s *sched) cmpInstance(a, b *Resource) int {
	na, nb := activeNodes(a), activeNodes(b)
	if len(na) > 0 && len(nb) > 0 && len(na) != len(nb) {
		if len(na) < len(nb) {
			return -1
		}
		return 1
	}
	var n1, n2 *Node
	if len(na) > 0 {
		n1 = na[0]
	}
	if len(nb) > 0 {
		n2 = nb[0]
	}
	allowed := func(r *Resource, n **Node) bool {
		if *n == nil {
			return true
		}
		t := s.table(r)
		if !t.has[(*n).Index] || t.w[(*n).Index] < 0 {
			*n = nil
			return false
		}
		return true
	}
	c1, c2 := allowed(a, &n1), allowed(b, &n2)
	if c1 != c2 {
		if c1 {
			return -1
		}
		return 1
	}
	pa, pb := s.instPriority(a), s.instPriority(b)
	if pa != pb {
		if pa > pb {
			return -1
		}
		return 1
	}
	if n1 == nil && n2 == nil {
		return 0
	}
	if n1 == nil {
		return 1
	}
	if n2 == nil {
		return -1
	}
	if av, bv := n1.available(), n2.available(); av != bv {
		if av {
			return -1
		}
		return 1
	}
	pt := s.table(a.Parent)
	h1, h2 := pt.has[n1.Index], pt.has[n2.Index]
	if !h1 && !h2 {
		return 0
	}
	if h1 != h2 {
		if h1 {
			return -1
		}
		return 1
	}
	cnt := s.counts[a.Parent]
	if cnt != nil && cnt[n1.Index] != cnt[n2.Index] {
		if cnt[n1.Index] < cnt[n2.Index] {
			return -1
		}
		return 1
	}
	if f1, f2 := instanceFailed(a), instanceFailed(b); f1 != f2 {
		if !f1 {
			return -1
		}
		return 1
	}
	if w1, w2 := s.parentColocScore(a, n1), s.parentColocScore(b, n2); w1 != w2 {
		if w1 > w2 {
			return -1
		}
		return 1
	}
	return instanceNumber(a) - instanceNumber(b)
}

func instanceNumber(r *Resource) int {
	for i := len(r.ID) - 1; i >= 0; i-- {
		if r.ID[i] == ':' {
			return atoiDef(r.ID[i+1:], 0)
		}
	}
	return 0
}

// parentColocScore is the score of node n once the colocations of inst's
// clone are applied to a table holding n alone.
func (s *sched) parentColocScore(inst *Resource, n *Node) int {
	t := s.newTable()
	t.has[n.Index] = true
	for _, co := range inst.Parent.thisWith {
		s.addColocatedScores(co.Primary, &t, co.NodeAttr, float64(co.Score)/Infinity, 0)
	}
	for _, co := range inst.Parent.withThis {
		if !colocInfluence(co) {
			continue
		}
		s.addColocatedScores(co.Dependent, &t, co.NodeAttr, float64(co.Score)/Infinity, selectNonnegative)
	}
	return t.w[n.Index]
}

func (s *sched) instPriority(r *Resource) int {
	if p, ok := s.promoPriority[r]; ok {
		return p
	}
	return r.Priority
}

// distribute assigns a clone's instances (distribute_children).
func (s *sched) distribute(r *Resource, order []*Resource) {
	ct := s.table(r)
	counts := make([]int, len(s.c.Nodes))
	s.counts[r] = counts
	available := 0
	for i, n := range s.c.Nodes {
		if ct.has[i] && n.available() {
			available++
		}
	}
	max := r.CloneMax
	all := max < available
	loopMax := 1
	if available > 0 && max/available > 1 {
		loopMax = max / available
	}
	allocated := 0
	// Active instances first stay where they run.
	for _, inst := range order {
		if allocated >= max {
			break
		}
		cur := instanceNode(inst)
		if cur == nil || !inst.provisional || instanceFailed(inst) {
			continue
		}
		if !cur.available() {
			continue
		}
		if ct.has[cur.Index] && counts[cur.Index] >= loopMax {
			continue
		}
		if s.assignInstance(r, inst, cur, all, r.CloneNodeMax) != nil {
			allocated++
		}
	}
	for _, inst := range order {
		if !inst.provisional {
			continue
		}
		if allocated >= max {
			s.stopInstance(inst)
			continue
		}
		if s.assignInstance(r, inst, nil, all, r.CloneNodeMax) != nil {
			allocated++
		}
	}
}

func (s *sched) stopInstance(inst *Resource) {
	for _, p := range append([]*Resource{inst}, inst.primitives(nil)...) {
		t := s.table(p)
		for i := range s.c.Nodes {
			if t.has[i] {
				t.w[i] = -Infinity
			}
		}
	}
	for _, p := range append([]*Resource{inst}, inst.primitives(nil)...) {
		if p.provisional {
			p.provisional = false
			p.Assigned = nil
			p.NextRole = RoleStopped
		}
	}
}

// appendParentColocations gives an instance its clone's colocations
// (mandatory and negative ones always, the others only when not every
// node gets an instance).
func (s *sched) appendParentColocations(clone, inst *Resource, all bool) {
	for _, co := range clone.thisWith {
		if all || co.Score < 0 || co.Score == Infinity {
			inst.thisWith = insertSorted(inst.thisWith, co, func(x *Colocation) *Resource { return x.Primary })
		}
	}
	for _, co := range clone.withThis {
		if !colocInfluence(co) {
			continue
		}
		if all || co.Score < 0 {
			inst.withThis = insertSorted(inst.withThis, co, func(x *Colocation) *Resource { return x.Dependent })
		}
	}
}

// banScore bans node i for r and its members: common_update_score adds
// -INFINITY, which wins over any score.
func (s *sched) banScore(r *Resource, i int) {
	t := s.table(r)
	if t.has[i] {
		t.w[i] = -Infinity
	}
	for _, ch := range r.Children {
		s.banScore(ch, i)
	}
}

// assignInstance assigns one instance (allocate_instance), preferring
// prefer; an instance that would not land there is left unassigned.
func (s *sched) assignInstance(clone, inst *Resource, prefer *Node, all bool, limit int) *Node {
	if !inst.provisional {
		return inst.Assigned
	}
	if inst.allocating {
		return nil
	}
	s.appendParentColocations(clone, inst, all)
	t := s.table(inst)
	if prefer != nil && (!t.has[prefer.Index] || t.w[prefer.Index] < 0) {
		return nil
	}
	ct := s.table(clone)
	counts := s.counts[clone]
	for i, n := range s.c.Nodes {
		if !t.has[i] {
			continue
		}
		// can_run_instance: a node the clone scores negative on is banned
		// too (its weight is added, then it falls through to the ban).
		if !n.available() || inst.Orphan || !ct.has[i] || ct.w[i] < 0 || counts[i] >= limit {
			s.banScore(inst, i)
		}
	}
	backup := s.cloneTable(s.table(inst))
	chosen := s.assignWith(inst, prefer)
	if chosen != nil && prefer != nil && chosen != prefer {
		inst.tbl = backup
		s.unassign(inst)
		chosen = nil
	}
	if chosen != nil && ct.has[chosen.Index] {
		counts[chosen.Index]++
	}
	return chosen
}

// unassign undoes an assignment (pcmk__unassign_resource).
func (s *sched) unassign(r *Resource) {
	if r.Assigned != nil {
		r.Assigned.numResources--
	}
	r.Assigned = nil
	r.provisional = true
	if r.NextRole != RoleStopped || r.TargetRole != RoleStopped {
		r.NextRole = RoleUnknown
	}
	for _, ch := range r.Children {
		s.unassign(ch)
	}
}

// applyColocWithClone applies "dep with clone" to a primitive dependent
// (pcmk__clone_apply_coloc_score).
func (s *sched) applyColocWithClone(dep, pri *Resource, co *Colocation) {
	if dep.Kind == KindClone {
		for _, inst := range dep.Children {
			s.applyColocWithClone(inst, pri, co)
		}
		return
	}
	if dep.Kind == KindGroup {
		if len(dep.Children) > 0 {
			s.applyColocWithClone(dep.Children[0], pri, co)
		}
		return
	}
	if pri.Promotable {
		switch {
		case pri.provisional:
			return
		case co.PrimaryRole == RoleUnknown:
		case dep.provisional:
			s.updateDependentWithPromotable(pri, dep, co)
			return
		case co.DependentRole == RolePromoted:
			s.updatePromotableDependentPriority(pri, dep, co)
			return
		}
	}
	interleave := false
	if dcl := co.Dependent; dcl.Kind == KindClone && dcl.Interleave && dcl.CloneNodeMax == pri.CloneNodeMax {
		interleave = true
	}
	if pri.provisional {
		return
	}
	if interleave {
		if pi := s.findCompatibleChild(dep, pri, RoleUnknown); pi != nil {
			s.applyColocScore(dep, pi, co)
		} else if co.Score >= Infinity {
			s.finalize(dep, nil, true)
		}
		return
	}
	if co.Score >= Infinity {
		hosts := map[*Node]bool{}
		for _, inst := range pri.Children {
			if n := instanceAssigned(inst); n != nil && !instanceBlocked(inst) {
				hosts[n] = true
			}
		}
		t := s.table(dep)
		for i, n := range s.c.Nodes {
			if t.has[i] && !hosts[n] {
				t.w[i] = -Infinity
			}
		}
		for n := range hosts {
			if !t.has[n.Index] {
				t.has[n.Index] = true
				t.w[n.Index] = -Infinity
			}
		}
		return
	}
	// In the order Pacemaker keeps the instances after assignment (and
	// promotion): each instance's score is rolled back on its own when it
	// leaves no node available, so the order decides which ones count.
	for _, inst := range s.instanceOrder(pri) {
		s.applyColocScore(dep, inst, co)
	}
}

// instanceAssigned is the node an instance (all of its members) is
// assigned to.
func instanceAssigned(inst *Resource) *Node {
	if inst.Kind == KindGroup {
		if len(inst.Children) == 0 {
			return nil
		}
		return inst.Children[0].Assigned
	}
	return inst.Assigned
}

func instanceBlocked(inst *Resource) bool {
	for _, p := range inst.primitives(nil) {
		if p.Blocked {
			return true
		}
	}
	return false
}

// instanceNextRole is an instance's next role (a group's is its first
// member's).
func instanceNextRole(inst *Resource) Role {
	if inst.Kind == KindGroup && len(inst.Children) > 0 {
		return inst.Children[0].NextRole
	}
	return inst.NextRole
}

// findCompatibleChild finds the instance of clone pri to pair dep with: one
// assigned to dep's node, or else to dep's best node (find_compatible_child).
func (s *sched) findCompatibleChild(dep, pri *Resource, role Role) *Resource {
	byNode := func(n *Node) *Resource {
		for _, inst := range s.instanceOrder(pri) {
			if role != RoleUnknown && instanceNextRole(inst) != role {
				continue
			}
			if !instanceBlocked(inst) && instanceAssigned(inst) == n {
				return inst
			}
		}
		return nil
	}
	if n := instanceAssigned(dep); n != nil && !dep.provisional {
		return byNode(n)
	}
	t := s.table(dep)
	var ns []*Node
	for i, n := range s.c.Nodes {
		if t.has[i] {
			ns = append(ns, n)
		}
	}
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		wa, wb := t.w[a.Index], t.w[b.Index]
		if !a.available() {
			wa = -Infinity
		}
		if !b.available() {
			wb = -Infinity
		}
		if wa != wb {
			return wa > wb
		}
		return a.Name < b.Name
	})
	for _, n := range ns {
		if pi := byNode(n); pi != nil {
			return pi
		}
	}
	return nil
}

// updateDependentWithPromotable applies a role-restricted colocation with a
// promotable clone while the dependent is being placed.
func (s *sched) updateDependentWithPromotable(pri, dep *Resource, co *Colocation) {
	var affected []*Resource
	t := s.table(dep)
	for _, inst := range pri.Children {
		n := instanceAssigned(inst)
		if n == nil || instanceNextRole(inst) != co.PrimaryRole {
			continue
		}
		if co.Score < Infinity {
			for i, m := range s.c.Nodes {
				if t.has[i] && attrEqual(m, n, co.NodeAttr) {
					t.w[i] = AddScores(t.w[i], co.Score)
				}
			}
		}
		affected = append(affected, inst)
	}
	if co.Score >= Infinity && (co.DependentRole != RolePromoted || co.PrimaryRole != RolePromoted) {
		weight := map[*Node]int{}
		var nodes []*Node
		for _, inst := range affected {
			n := instanceAssigned(inst)
			if _, ok := weight[n]; !ok {
				nodes = append(nodes, n)
				weight[n] = instAssignedW(inst)
			}
		}
		for i, m := range s.c.Nodes {
			if !t.has[i] {
				continue
			}
			if w, ok := weight[m]; ok {
				t.w[i] = AddScores(t.w[i], w)
			} else {
				t.w[i] = -Infinity
			}
		}
		for _, n := range nodes {
			if !t.has[n.Index] {
				t.has[n.Index] = true
				t.w[n.Index] = -Infinity
			}
		}
	}
}

func instAssignedW(inst *Resource) int {
	if inst.Kind == KindGroup && len(inst.Children) > 0 {
		return inst.Children[0].assignedW
	}
	return inst.assignedW
}

// updatePromotableDependentPriority adds a colocation's score to the
// promotion priority of a dependent instance placed with an instance of
// the primary in the colocation's role.
func (s *sched) updatePromotableDependentPriority(pri, dep *Resource, co *Colocation) {
	if s.findCompatibleChild(dep, pri, co.PrimaryRole) != nil {
		s.promoPriority[dep] = AddScores(s.instPriority(dep), co.Score)
	} else if co.Score >= Infinity {
		s.promoPriority[dep] = -Infinity
	}
}

// colocToPriority adjusts a promotable instance's promotion priority for a
// colocation with a placed primitive (pcmk__apply_coloc_to_priority).
func (s *sched) colocToPriority(dep, pri *Resource, co *Colocation) {
	if pri.Kind == KindClone {
		s.applyColocWithClone(dep, pri, co)
		return
	}
	if pri.Assigned == nil || dep.Assigned == nil {
		return
	}
	attr := co.NodeAttr
	if attr == "" {
		attr = "#id"
	}
	if !attrEqual(dep.Assigned, pri.Assigned, attr) {
		if co.Score >= Infinity && co.DependentRole == RolePromoted {
			s.promoPriority[dep] = -Infinity
		}
		return
	}
	if co.PrimaryRole != RoleUnknown && co.PrimaryRole != pri.NextRole {
		return
	}
	mult := 1
	if co.DependentRole == RoleUnpromoted {
		mult = -1
	}
	s.promoPriority[dep] = AddScores(mult*co.Score, s.instPriority(dep))
}

// promotionScoreApplies says whether an instance's promotion score on n
// counts (promotion_score_applies).
func (s *sched) promotionScoreApplies(p *Resource, n *Node) bool {
	clone := p.inClone()
	ok := false
	if clone != nil && !clone.Unique {
		var active *Resource
		known := false
		for _, inst := range clone.Children {
			for _, m := range inst.primitives(nil) {
				if m.cloneOf != p.cloneOf {
					continue
				}
				if active == nil && containsNode(m.RunningOn, n) {
					active = m
				}
				if m.knownOn[n] {
					known = true
				}
			}
		}
		if active == p || (active == nil && known) {
			ok = true
		}
	}
	if !ok && len(p.RunningOn) == 0 && len(p.knownOn) == 0 {
		ok = true
	}
	if !ok && (p.knownOn[n] || containsNode(p.RunningOn, n)) {
		ok = true
	}
	if !ok {
		return false
	}
	t := s.table(p)
	return t.has[n.Index] && t.w[n.Index] >= 0
}

// promotionScore is an instance's promotion score on n: the node attribute
// master-<name>, summed over a cloned group's members; ok is false when
// no score is set.
func (s *sched) promotionScore(r *Resource, n *Node) (int, bool) {
	if r.Kind == KindGroup {
		sum, any := 0, false
		for _, ch := range r.Children {
			v, ok := s.promotionScore(ch, n)
			if ok {
				any = true
			}
			sum += v
		}
		return sum, any
	}
	if !s.promotionScoreApplies(r, n) {
		return 0, false
	}
	name := r.histName
	if name == "" {
		name = r.ID
	}
	v, ok := n.Attrs["master-"+name]
	if !ok {
		if cl := r.inClone(); cl != nil && !cl.Unique && r.cloneOf != nil {
			v, ok = n.Attrs["master-"+r.cloneOf.ID]
		}
	}
	if !ok {
		return 0, false
	}
	return ParseScore(v), true
}

// addPromotionScores adds positive promotion scores to the instances'
// node preferences and raises their priorities
// (pcmk__add_promotion_scores).
func (s *sched) addPromotionScores(r *Resource) {
	for _, inst := range r.Children {
		t := s.table(inst)
		for i, n := range s.c.Nodes {
			if !t.has[i] || !n.available() {
				continue
			}
			score, _ := s.promotionScore(inst, n)
			if score > 0 {
				t.w[i] = AddScores(t.w[i], score)
			}
			if score > s.instPriority(inst) {
				s.promoPriority[inst] = score
			}
		}
	}
}

// setInstanceRoles chooses which instances are promoted
// (pcmk__set_instance_roles).
func (s *sched) setInstanceRoles(r *Resource) {
	order := s.instanceOrder(r)
	for _, inst := range order {
		s.setInstancePriority(r, inst)
	}
	s.sortPromotable(r)
	order = s.instanceOrder(r)

	promoted := 0
	perNode := map[*Node]int{}
	freeze := !s.c.Options.HaveQuorum && s.c.Options.NoQuorumPolicy == "freeze"
	if s.c.scoreLog != nil {
		s.c.scoreLog.promotions(s, r, order)
	}
	for _, inst := range order {
		var chosen *Node
		if s.sortIndex[inst] >= 0 && (promoted < r.PromotedMax || !r.Managed) {
			chosen = s.nodeToBePromotedOn(r, inst, perNode)
		}
		if chosen != nil && inst.Role < RolePromoted && freeze {
			chosen = nil
		}
		if chosen == nil {
			setNextRoleUnpromoted(inst)
			continue
		}
		perNode[chosen]++
		setNextRolePromoted(inst)
		promoted++
	}
	// The instances' priorities were promotion priorities only.
	for _, inst := range r.Children {
		delete(s.promoPriority, inst)
	}
}

func setNextRoleUnpromoted(r *Resource) {
	if instanceAssigned(r) == nil {
		r.NextRole = RoleStopped
	} else {
		r.NextRole = RoleUnpromoted
	}
	for _, ch := range r.Children {
		setNextRoleUnpromoted(ch)
	}
}

func setNextRolePromoted(r *Resource) {
	if r.NextRole == RoleUnknown {
		r.NextRole = RolePromoted
	}
	for _, ch := range r.Children {
		setNextRolePromoted(ch)
	}
}

func (s *sched) nodeToBePromotedOn(clone, inst *Resource, perNode map[*Node]int) *Node {
	for _, ch := range inst.Children {
		if s.nodeToBePromotedOn(clone, ch, perNode) == nil {
			return nil
		}
	}
	n := instanceAssigned(inst)
	if n == nil {
		return nil
	}
	if !inst.Managed {
		if inst.Role != RolePromoted {
			return nil
		}
	} else if s.instPriority(inst) < 0 {
		return nil
	} else if !n.available() {
		return nil
	}
	ct := s.table(clone)
	if !ct.has[n.Index] {
		return nil
	}
	if perNode[n] >= clone.PromotedNodeMax && inst.Managed {
		return nil
	}
	return n
}

// setInstancePriority sets an instance's promotion priority
// (set_instance_priority).
func (s *sched) setInstancePriority(clone, inst *Resource) {
	n := instanceAssigned(inst)
	if n == nil {
		return
	}
	next := instanceNextRole(inst)
	target := inst.TargetRole
	if inst.Kind == KindGroup && len(inst.Children) > 0 && inst.Children[0].TargetRole != RoleUnknown {
		target = inst.Children[0].TargetRole
	}
	if target == RoleUnpromoted && next == RoleUnknown {
		next = RoleUnpromoted
	}
	switch next {
	case RoleStarted, RoleUnknown:
		score, ok := s.promotionScore(inst, n)
		if !ok {
			score = -1
		}
		s.promoPriority[inst] = score
	case RoleUnpromoted, RoleStopped:
		s.promoPriority[inst] = -Infinity
	}
	for _, l := range s.c.Locations {
		if l.Role == RolePromoted && (l.Rsc == clone || l.Rsc == inst) {
			if sc, ok := l.Scores[n]; ok {
				s.promoPriority[inst] = AddScores(s.instPriority(inst), sc)
			}
		}
	}
	for _, co := range inst.thisWith {
		s.applyColocForRole(inst, co)
	}
	s.sortIndex[inst] = s.instPriority(inst)
	if next == RolePromoted {
		s.sortIndex[inst] = Infinity
	}
}

// applyColocForRole applies one of an instance's colocations once it is
// placed: only promotion priorities change.
func (s *sched) applyColocForRole(inst *Resource, co *Colocation) {
	pri := co.Primary
	dep := inst
	if inst.Kind == KindGroup {
		return
	}
	switch pri.Kind {
	case KindClone:
		s.applyColocWithClone(dep, pri, co)
	case KindGroup:
		if pri.provisional || len(pri.Children) == 0 {
			return
		}
		m := pri.Children[0]
		if co.Score >= Infinity {
			m = pri.Children[len(pri.Children)-1]
		}
		if s.colocAffects(dep, m, co) == affectsRole {
			s.colocToPriority(dep, m, co)
		}
	default:
		if s.colocAffects(dep, pri, co) == affectsRole {
			s.colocToPriority(dep, pri, co)
		}
	}
}

// sortPromotable orders the instances by promotion priority
// (sort_promotable_instances).
func (s *sched) sortPromotable(r *Resource) {
	// The clone is merging (pe_rsc_merging): a colocation chain that leads
	// back to it stops there instead of adding its own scores again.
	s.merging[r] = true
	defer delete(s.merging, r)
	ct := s.table(r)
	for _, inst := range s.instanceOrder(r) {
		if s.sortIndex[inst] < 0 {
			continue
		}
		if n := instanceAssigned(inst); n != nil && ct.has[n.Index] {
			ct.w[n.Index] = AddScores(s.sortIndex[inst], ct.w[n.Index])
		}
	}
	for _, co := range r.thisWith {
		if co.DependentRole != RolePromoted {
			continue
		}
		flags := 0
		if co.Score < Infinity {
			flags = selectActive
		}
		s.addColocatedScores(co.Primary, &ct, co.NodeAttr, float64(co.Score)/Infinity, flags)
	}
	for _, co := range r.withThis {
		if co.PrimaryRole != RolePromoted || !colocInfluence(co) {
			continue
		}
		s.addColocatedScores(co.Dependent, &ct, co.NodeAttr, float64(co.Score)/Infinity, selectActive|selectNonnegative)
	}
	r.tbl = ct
	for _, inst := range s.instanceOrder(r) {
		n := instanceAssigned(inst)
		switch {
		case !inst.Managed && instanceNextRole(inst) == RolePromoted:
			s.sortIndex[inst] = Infinity
		case n == nil || s.sortIndex[inst] < 0:
		default:
			if ct.has[n.Index] {
				s.sortIndex[inst] = ct.w[n.Index]
			}
		}
	}
	order := append([]*Resource(nil), s.instanceOrder(r)...)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if s.sortIndex[a] != s.sortIndex[b] {
			return s.sortIndex[a] > s.sortIndex[b]
		}
		if a.Role != b.Role {
			return a.Role > b.Role
		}
		return s.cmpInstance(a, b) < 0
	})
	s.instOrder[r] = order
}

package pe

import (
	"sort"
	"strings"
)

// assignClone places a clone's instances (a simplified
// pcmk__clone_allocate / distribute_children): running, healthy instances
// stay where they are up to an even share per node, the rest go to the
// best remaining nodes; then promotable clones choose their promoted
// instances.
func (s *sched) assignClone(r *Resource) *Node {
	if !r.provisional || r.allocating {
		return nil
	}
	r.allocating = true
	for _, co := range r.thisWith {
		s.assign(co.Primary)
		s.applyColocScore(r, co.Primary, co)
	}
	for _, co := range r.withThis {
		if !colocInfluence(co) {
			continue
		}
		t := s.table(r)
		s.addColocatedScores(co.Dependent, &t, co.NodeAttr, float64(co.Score)/Infinity, selectActive|selectNonnegative)
		s.tables[r] = t
	}
	ct := s.table(r)
	// Nodes the clone itself cannot use are closed to every instance.
	for _, inst := range r.Children {
		for _, p := range append([]*Resource{inst}, inst.primitives(nil)...) {
			t := s.table(p)
			for i, n := range s.c.Nodes {
				if !ct.has[i] || ct.w[i] < 0 || !n.available() {
					t.add(i, -Infinity)
				}
			}
		}
	}
	perNode := map[*Node]int{}
	allocated := 0
	available := 0
	for i, n := range s.c.Nodes {
		if ct.has[i] && ct.w[i] >= 0 && n.available() {
			available++
		}
	}
	maxPerNode := r.CloneNodeMax
	if available > 0 {
		share := (r.CloneMax + available - 1) / available
		if share < maxPerNode {
			maxPerNode = share
		}
	}
	insts := append([]*Resource(nil), r.Children...)
	sort.SliceStable(insts, func(i, j int) bool {
		return instanceActive(insts[i]) && !instanceActive(insts[j])
	})
	// First pass: keep healthy running instances in place.
	for _, inst := range insts {
		cur := instanceNode(inst)
		if cur == nil || instanceFailed(inst) || !inst.provisional {
			continue
		}
		if allocated >= r.CloneMax || perNode[cur] >= maxPerNode {
			continue
		}
		if !cur.available() || s.table(inst).w[cur.Index] < 0 || !s.table(inst).has[cur.Index] {
			continue
		}
		if n := s.assignInstance(inst, cur, perNode, r.CloneNodeMax); n != nil {
			perNode[n]++
			allocated++
		}
	}
	for _, inst := range insts {
		if !inst.provisional {
			continue
		}
		if allocated >= r.CloneMax {
			s.stopInstance(inst)
			continue
		}
		if n := s.assignInstance(inst, nil, perNode, r.CloneNodeMax); n != nil {
			perNode[n]++
			allocated++
		}
	}
	if r.Promotable {
		s.setPromotedRoles(r)
	}
	r.allocating = false
	r.provisional = false
	return nil
}

func instanceNode(inst *Resource) *Node {
	ps := inst.primitives(nil)
	if len(ps) == 0 {
		return nil
	}
	return ps[0].current()
}

func instanceFailed(inst *Resource) bool {
	for _, p := range inst.primitives(nil) {
		if p.Failed {
			return true
		}
	}
	return false
}

func (s *sched) stopInstance(inst *Resource) {
	for _, p := range append([]*Resource{inst}, inst.primitives(nil)...) {
		if p.provisional {
			p.provisional = false
			p.Assigned = nil
			p.NextRole = RoleStopped
		}
	}
}

// assignInstance assigns one instance, preferring prefer, with nodes that
// already hold perNodeMax instances closed to it.
func (s *sched) assignInstance(inst *Resource, prefer *Node, perNode map[*Node]int, perNodeMax int) *Node {
	ps := append([]*Resource{inst}, inst.primitives(nil)...)
	saved := map[*Resource]nodeTable{}
	for _, p := range ps {
		saved[p] = s.table(p).clone()
		t := s.table(p)
		for i, n := range s.c.Nodes {
			if perNode[n] >= perNodeMax {
				t.add(i, -Infinity)
			}
			if prefer != nil && n != prefer {
				t.add(i, -Infinity)
			}
		}
	}
	var n *Node
	if inst.Kind == KindGroup {
		n = s.assignGroup(inst)
	} else {
		n = s.assignPrimitive(inst)
	}
	if n == nil && prefer != nil {
		// Could not stay: undo and let the second pass place it.
		for _, p := range ps {
			s.tables[p] = saved[p]
			p.provisional = true
			p.Assigned = nil
			p.NextRole = RoleUnknown
		}
		return nil
	}
	return n
}

// applyColocWithClone applies "dep with clone" (pcmk__clone_apply_coloc_score).
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
	if pri.provisional {
		return
	}
	// Role-restricted colocation of a promoted instance: affects promotion.
	if co.DependentRole >= RoleUnpromoted && dep.Parent != nil && dep.Parent.Promotable && !dep.provisional {
		s.colocToPriority(dep, pri, co)
		return
	}
	if !dep.provisional {
		return
	}
	if co.Score >= Infinity {
		hosts := map[*Node]bool{}
		for _, inst := range pri.Children {
			if inst.Assigned != nil && (co.PrimaryRole == RoleUnknown || co.PrimaryRole == inst.NextRole) {
				hosts[inst.Assigned] = true
			}
		}
		t := s.table(dep)
		for i, n := range s.c.Nodes {
			if t.has[i] && !hosts[n] {
				t.w[i] = -Infinity
			}
		}
		return
	}
	for _, inst := range pri.Children {
		if inst.Kind == KindGroup {
			s.applyColocScore(dep, inst, co)
			continue
		}
		switch s.colocAffects(dep, inst, co) {
		case affectsLocation:
			s.colocToWeights(dep, inst, co)
		}
	}
}

// colocToPriority adjusts a promotable instance's promotion priority for a
// role colocation (pcmk__apply_coloc_to_priority).
func (s *sched) colocToPriority(dep, pri *Resource, co *Colocation) {
	if dep.Assigned == nil || pri.Assigned == nil && pri.Kind != KindClone {
		return
	}
	var hosts []*Node
	if pri.Kind == KindClone {
		for _, inst := range pri.Children {
			if inst.Assigned != nil && (co.PrimaryRole == RoleUnknown || inst.NextRole == co.PrimaryRole) {
				hosts = append(hosts, inst.Assigned)
			}
		}
	} else if co.PrimaryRole == RoleUnknown || pri.NextRole == co.PrimaryRole {
		hosts = append(hosts, pri.Assigned)
	}
	match := false
	for _, h := range hosts {
		if attrEqual(dep.Assigned, h, co.NodeAttr) {
			match = true
		}
	}
	delta := 0
	switch {
	case match:
		delta = co.Score
	case co.Score >= Infinity:
		delta = -Infinity
	default:
		return
	}
	s.promoPriority[dep] = AddScores(s.promoPriority[dep], delta)
}

// promotionScore is the node attribute master-<rsc> on the instance's
// node, or -1 when absent.
func (s *sched) promotionScore(p *Resource, n *Node) int {
	id := p.ID
	if p.cloneOf != nil {
		id = p.cloneOf.ID
	}
	for _, name := range []string{"master-" + id, "master-" + p.ID} {
		if v, ok := n.Attrs[name]; ok {
			return ParseScore(v)
		}
	}
	return -1
}

// setPromotedRoles chooses which instances are promoted.
func (s *sched) setPromotedRoles(r *Resource) {
	type cand struct {
		inst *Resource
		prio int
	}
	var cands []cand
	for _, inst := range r.Children {
		if inst.Assigned == nil {
			continue
		}
		n := inst.Assigned
		prio := 0
		ps := inst.primitives(nil)
		for _, p := range ps {
			prio = AddScores(prio, s.promotionScore(p, n))
		}
		if len(ps) == 1 {
			prio = s.promotionScore(ps[0], n)
		}
		for _, l := range s.c.Locations {
			if l.Role == RolePromoted && (l.Rsc == r || l.Rsc == inst || l.Rsc == r.template) {
				if sc, ok := l.Scores[n]; ok {
					prio = AddScores(prio, sc)
				}
			}
		}
		s.promoPriority[inst] = prio
		// Role colocations of the clone or its instances.
		for _, co := range r.thisWith {
			if co.DependentRole == RolePromoted {
				s.assign(co.Primary)
				s.colocToPriority(inst, co.Primary, co)
			}
		}
		cands = append(cands, cand{inst, 0})
	}
	for i := range cands {
		cands[i].prio = s.promoPriority[cands[i].inst]
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].prio != cands[j].prio {
			return cands[i].prio > cands[j].prio
		}
		return strings.Compare(cands[i].inst.Assigned.Name, cands[j].inst.Assigned.Name) < 0
	})
	promoted := 0
	perNode := map[*Node]int{}
	freeze := !s.c.Options.HaveQuorum && s.c.Options.NoQuorumPolicy == "freeze"
	for _, cd := range cands {
		role := RoleUnpromoted
		inst := cd.inst
		if cd.prio >= 0 && promoted < r.PromotedMax && perNode[inst.Assigned] < r.PromotedNodeMax &&
			r.TargetRole != RoleUnpromoted && r.TargetRole != RoleStopped &&
			!(freeze && inst.Role != RolePromoted) {
			role = RolePromoted
			promoted++
			perNode[inst.Assigned]++
		}
		for _, p := range append([]*Resource{inst}, inst.primitives(nil)...) {
			if p.Assigned != nil {
				p.NextRole = role
			}
		}
	}
}

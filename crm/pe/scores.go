package pe

// Allocation scores as crm_simulate -s prints them: each resource's node
// scores at the moment its assignment starts (after the colocations it is
// given are folded in) and each promotable instance's promotion score when
// its role is chosen. The lines name the Pacemaker 2.1.5 function that
// prints them, so that they compare with Pacemaker's own regression files.
//
// The log is off unless RecordScores asks for it: every hook in the
// scheduler is a nil check, so scheduling without it costs nothing.

// Pacemaker 2.1.5's function names, as its score lines carry them.
const (
	scoreFnPrimitive = "pcmk__primitive_assign"
	scoreFnGroup     = "pcmk__group_assign"
	scoreFnClone     = "pcmk__clone_allocate"
)

// scoreLog collects the score lines in the order they are produced.
type scoreLog struct {
	lines []string
}

// RecordScores makes the next Schedule of c keep the allocation score
// lines (Result.Scores).
func (c *Cluster) RecordScores() { c.scoreLog = &scoreLog{} }

// Scores returns the allocation and promotion score lines in the order
// the scheduler produced them (empty unless Cluster.RecordScores was
// called before Schedule).
func (res *Result) Scores() []string {
	if res.Cluster == nil || res.Cluster.scoreLog == nil {
		return nil
	}
	return res.Cluster.scoreLog.lines
}

// weights records r's allowed nodes with their scores, sorted by node
// name, then its children's, recursively (pe__show_node_weights_as). An
// orphan and everything under it is left out.
func (l *scoreLog) weights(s *sched, fn string, r *Resource) {
	if r.Orphan {
		return
	}
	t := s.table(r)
	nodes := make([]*Node, 0, len(s.c.Nodes))
	for i, n := range s.c.Nodes {
		if i < len(t.has) && t.has[i] {
			nodes = append(nodes, n)
		}
	}
	sortNodesByName(nodes)
	for _, n := range nodes {
		l.lines = append(l.lines, fn+": "+r.ID+" allocation score on "+n.Name+": "+readableScore(t.w[n.Index]))
	}
	for _, ch := range r.Children {
		l.weights(s, fn, ch)
	}
}

// promotions records the promotion score of each instance of clone r, in
// the order their roles are chosen (set_instance_role). Pacemaker keeps a
// clone's orphan instances (extra active copies) among its children: they
// are listed too, where their sort index places them.
func (l *scoreLog) promotions(s *sched, r *Resource, order []*Resource) {
	var orphans []*Resource
	for _, o := range s.c.orphans {
		if o.Parent == r {
			orphans = append(orphans, o)
		}
	}
	for _, inst := range order {
		for len(orphans) > 0 && s.sortIndex[orphans[0]] > s.sortIndex[inst] {
			l.promotion(s, orphans[0])
			orphans = orphans[1:]
		}
		l.promotion(s, inst)
	}
	for _, o := range orphans {
		l.promotion(s, o)
	}
}

// promotion records an instance's promotion score on the node it is
// assigned to ("none" when unassigned), as show_promotion_score does.
func (l *scoreLog) promotion(s *sched, inst *Resource) {
	where := "none"
	if n := instanceAssigned(inst); n != nil {
		where = n.Name
	}
	l.lines = append(l.lines, inst.ID+" promotion score on "+where+": "+readableScore(s.sortIndex[inst]))
}

// readableScore is pcmk_readable_score: INFINITY without a sign.
func readableScore(v int) string {
	switch {
	case v >= Infinity:
		return "INFINITY"
	case v <= -Infinity:
		return "-INFINITY"
	}
	return itoa(v)
}

// sortNodesByName sorts as pe__cmp_node_name (insertion sort: few nodes).
func sortNodesByName(ns []*Node) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && numericStrcasecmp(ns[j].Name, ns[j-1].Name) < 0; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// numericStrcasecmp compares as pcmk__numeric_strcasecmp: runs of digits
// by value (then the shorter run first: 7 before 007), other bytes
// case-insensitively.
func numericStrcasecmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			ei, ej := i, j
			for ei < len(a) && isDigit(a[ei]) {
				ei++
			}
			for ej < len(b) && isDigit(b[ej]) {
				ej++
			}
			na, nb := digitsValue(a[i:ei]), digitsValue(b[j:ej])
			switch {
			case na < nb:
				return -1
			case na > nb:
				return 1
			case ei-i < ej-j:
				return -1
			case ei-i > ej-j:
				return 1
			}
			i, j = ei, ej
			continue
		}
		ca, cb := lower(a[i]), lower(b[j])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case i == len(a) && j < len(b):
		return -1
	case i < len(a) && j == len(b):
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// digitsValue is the value of a run of digits, saturating (strtol does at
// LONG_MAX).
func digitsValue(s string) int64 {
	var v int64
	for i := 0; i < len(s); i++ {
		if v > (1<<62)/10 {
			return 1<<63 - 1
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v
}

// orphansOf counts clone's orphan instances: Pacemaker numbers an extra
// instance after every instance of its own clone (total_clones), whatever
// other resources are orphaned.
func (c *Cluster) orphansOf(clone *Resource) int {
	n := 0
	for _, o := range c.orphans {
		if o.Parent == clone {
			n++
		}
	}
	return n
}

// unmanagedInPlace gives an unmanaged primitive INFINITY on each node it
// runs on, as Pacemaker's unpacking does (native_add_running:
// "not_managed_default"); colocations carry it to the resources placed
// with it, and crm_simulate -s shows it.
func (s *sched) unmanagedInPlace(prims []*Resource) {
	for _, p := range prims {
		if p.Managed || p.Orphan {
			continue
		}
		for _, n := range p.RunningOn {
			s.table(p).add(n.Index, Infinity)
		}
	}
}

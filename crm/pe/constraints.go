package pe

import (
	"sort"
	"strings"
)

func (c *Cluster) unpackConstraints(cons *Element) error {
	if cons == nil {
		return nil
	}
	for _, e := range cons.Children {
		e = c.deref(e)
		if e.Child("resource_set") != nil {
			c.warnf("%s: resource sets are not supported yet; ignored", e.Path())
			continue
		}
		var err error
		switch e.Name {
		case "rsc_location":
			err = c.unpackLocation(e)
		case "rsc_colocation":
			err = c.unpackColocation(e)
		case "rsc_order":
			err = c.unpackOrder(e)
		case "rsc_ticket":
			c.warnf("%s: tickets are not supported; ignored", e.Path())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// constraintRsc finds a constraint's resource; a clone instance name
// ("rsc:0") is not a valid target.
func (c *Cluster) constraintRsc(e *Element, attr string) (*Resource, error) {
	id := e.Get(attr)
	if id == "" {
		return nil, cfgErr(e, "%s is required", attr)
	}
	r := c.byID[id]
	if r == nil || r.cloneOf != nil || r.Orphan {
		return nil, cfgErr(e, "%s %q is not a configured resource", attr, id)
	}
	return r, nil
}

func locationRoleFilter(s string) Role {
	r, _ := parseRole(s)
	switch r {
	case RoleStarted, RoleUnpromoted, RoleUnknown:
		return RoleUnknown
	}
	return r
}

func (c *Cluster) unpackLocation(e *Element) error {
	if e.Get("rsc") == "" && e.Get("rsc-pattern") != "" {
		c.warnf("%s: rsc-pattern is not supported yet; ignored", e.Path())
		return nil
	}
	r, err := c.constraintRsc(e, "rsc")
	if err != nil {
		return err
	}
	id := e.Get("id")
	role := RoleUnknown
	if s, ok := e.Lookup("role"); ok {
		if _, ok := parseRole(s); !ok {
			return cfgErr(e, "bad role %q", s)
		}
		role = locationRoleFilter(s)
	}
	score, hasScore := e.Lookup("score")
	if node, ok := e.Lookup("node"); ok && hasScore {
		n := c.nodeByName[node]
		if n == nil {
			return nil // a node that is not in the cluster: ignored
		}
		c.Locations = append(c.Locations, &Location{ID: id, Rsc: r, Role: role, Scores: map[*Node]int{n: ParseScore(score)}})
		return nil
	}
	rules := e.All("rule")
	if len(rules) == 0 {
		return cfgErr(e, "needs node and score, or a rule")
	}
	for _, rule := range rules {
		rule = c.deref(rule)
		loc := &Location{ID: rule.Get("id"), Rsc: r, Role: role, Scores: map[*Node]int{}}
		if s, ok := rule.Lookup("role"); ok {
			rr, ok := parseRole(s)
			if !ok {
				return cfgErr(rule, "bad role %q", s)
			}
			if rr == RoleUnpromoted {
				rr = RoleUnknown
			}
			loc.Role = rr
		}
		rs, raw := rule.Lookup("score")
		scoreAttr := ""
		if !raw {
			scoreAttr = rule.Get("score-attribute")
		}
		for _, n := range c.Nodes {
			if !c.evalRule(rule, n) {
				continue
			}
			s := ParseScore(rs)
			if !raw {
				s = ParseScore(n.Attrs[scoreAttr])
			}
			loc.Scores[n] = s
		}
		c.Locations = append(c.Locations, loc)
	}
	return nil
}

func (c *Cluster) unpackColocation(e *Element) error {
	dep, err := c.constraintRsc(e, "rsc")
	if err != nil {
		return err
	}
	pri, err := c.constraintRsc(e, "with-rsc")
	if err != nil {
		return err
	}
	if _, ok := e.Lookup("score"); !ok {
		return cfgErr(e, "score is required")
	}
	score := ParseScore(e.Get("score"))
	drole, pRole := RoleUnknown, RoleUnknown
	if s, ok := e.Lookup("rsc-role"); ok {
		r, ok := parseRole(s)
		if !ok {
			return cfgErr(e, "bad rsc-role %q", s)
		}
		if r != RoleStarted {
			drole = r
		}
	}
	if s, ok := e.Lookup("with-rsc-role"); ok {
		r, ok := parseRole(s)
		if !ok {
			return cfgErr(e, "bad with-rsc-role %q", s)
		}
		if r != RoleStarted {
			pRole = r
		}
	}
	influence := true
	if v, ok := dep.Meta["critical"]; ok {
		influence = isTrue(v)
	}
	if v, ok := e.Lookup("influence"); ok {
		influence = isTrue(v)
	}
	c.addColocation(&Colocation{ID: e.Get("id"), Dependent: dep, Primary: pri, Score: score,
		DependentRole: drole, PrimaryRole: pRole, NodeAttr: e.Get("node-attribute"), Influence: influence})
	return nil
}

// addColocation registers a colocation on both resources, in the order
// Pacemaker keeps them (by the other side's priority, clones first, then
// id).
func (c *Cluster) addColocation(co *Colocation) {
	if co.Score == 0 {
		return
	}
	if co.NodeAttr == "" {
		co.NodeAttr = "#uname"
	}
	c.Colocations = append(c.Colocations, co)
	co.Dependent.thisWith = insertSorted(co.Dependent.thisWith, co, func(x *Colocation) *Resource { return x.Primary })
	co.Primary.withThis = insertSorted(co.Primary.withThis, co, func(x *Colocation) *Resource { return x.Dependent })
}

func colocKeyLess(a, b *Resource) int {
	switch {
	case a.Priority > b.Priority:
		return -1
	case a.Priority < b.Priority:
		return 1
	case a.Kind > b.Kind:
		return -1
	case a.Kind < b.Kind:
		return 1
	}
	if a.Kind == KindClone {
		if a.Promotable && !b.Promotable {
			return -1
		}
		if !a.Promotable && b.Promotable {
			return 1
		}
	}
	return strings.Compare(a.ID, b.ID)
}

// insertSorted inserts as g_list_insert_sorted does: before the first
// element that does not compare lower.
func insertSorted(list []*Colocation, co *Colocation, key func(*Colocation) *Resource) []*Colocation {
	i := sort.Search(len(list), func(i int) bool { return colocKeyLess(key(co), key(list[i])) <= 0 })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = co
	return list
}

func (c *Cluster) unpackOrder(e *Element) error {
	first, err := c.constraintRsc(e, "first")
	if err != nil {
		return err
	}
	then, err := c.constraintRsc(e, "then")
	if err != nil {
		return err
	}
	o := &Order{ID: e.Get("id"), First: first, Then: then,
		FirstAction: e.Get("first-action"), ThenAction: e.Get("then-action"), Symmetrical: true}
	if o.FirstAction == "" {
		o.FirstAction = "start"
	}
	if o.ThenAction == "" {
		o.ThenAction = o.FirstAction
	}
	kind, hasKind := e.Lookup("kind")
	switch {
	case hasKind:
		switch strings.ToLower(kind) {
		case "mandatory":
			o.Kind = OrderMandatory
		case "optional":
			o.Kind = OrderOptional
		case "serialize":
			o.Kind = OrderSerialize
		default:
			c.warnf("%s: kind %q is not valid; taken as Mandatory", e.Path(), kind)
		}
	default:
		if s, ok := e.Lookup("score"); ok && ParseScore(s) == 0 {
			o.Kind = OrderOptional
		}
	}
	if s, ok := e.Lookup("symmetrical"); ok {
		o.Symmetrical = isTrue(s)
	} else if o.Kind == OrderSerialize {
		o.Symmetrical = false
	}
	c.Orders = append(c.Orders, o)
	return nil
}

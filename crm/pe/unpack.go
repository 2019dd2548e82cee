package pe

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// ConfigError is a validation error that names the element it is about.
type ConfigError struct {
	Path string // e.g. constraints/rsc_colocation[@id='c1']
	Msg  string
}

func (e *ConfigError) Error() string { return e.Path + ": " + e.Msg }

func cfgErr(e *Element, format string, args ...any) error {
	return &ConfigError{Path: e.Path(), Msg: sprintf(format, args...)}
}

// Unpack reads a CIB document (configuration and status) as it stands at
// now (seconds since the epoch; failure timeouts and date rules use it).
func Unpack(root *Element, now int64) (*Cluster, error) {
	if root == nil || root.Name != "cib" {
		return nil, fmt.Errorf("cib: root element is not <cib>")
	}
	cfg := root.Child("configuration")
	if cfg == nil {
		return nil, fmt.Errorf("cib: no configuration section")
	}
	c := &Cluster{
		Now:        now,
		byID:       map[string]*Resource{},
		nodeByName: map[string]*Node{},
		nodeByID:   map[string]*Node{},
	}
	c.ids(root)
	// Which fail-count attributes count depends on the CIB's feature set
	// (generate_fail_regexes; an absent one compares lowest).
	if fs := root.Get("crm_feature_set"); fs == "" || compareVersion(fs, "3.0.13") < 0 {
		c.legacyFailcounts = true
	}
	c.unpackOptions(root, cfg)
	c.rscDefaults = c.nvsets(cfg.Child("rsc_defaults"), "meta_attributes", nil)
	c.opDefaults = c.nvsets(cfg.Child("op_defaults"), "meta_attributes", nil)
	if err := c.unpackNodes(cfg.Child("nodes")); err != nil {
		return nil, err
	}
	status := root.Child("status")
	c.unpackNodeStates(status)
	if err := c.unpackResources(cfg.Child("resources")); err != nil {
		return nil, err
	}
	if err := c.unpackConstraints(cfg.Child("constraints")); err != nil {
		return nil, err
	}
	c.unpackHistory(status)
	return c, nil
}

// ids indexes every element with an id, for id-ref.
func (c *Cluster) ids(root *Element) {
	idIndex := map[string]*Element{}
	root.Walk(func(e *Element) {
		if id, ok := e.Lookup("id"); ok {
			if _, dup := idIndex[id]; !dup {
				idIndex[id] = e
			}
		}
	})
	c.idIndex = idIndex
}

// deref follows an id-ref.
func (c *Cluster) deref(e *Element) *Element {
	if ref, ok := e.Lookup("id-ref"); ok {
		if t := c.idIndex[ref]; t != nil {
			return t
		}
	}
	return e
}

// nvsets merges the nvpairs of parent's <setName> children: sets in
// descending score, CIB order for ties; the first value for a name wins.
// Sets whose rule does not hold (for node, when given) are skipped.
func (c *Cluster) nvsets(parent *Element, setName string, node *Node) map[string]string {
	if parent == nil {
		return nil
	}
	// Most elements have no set or one: no slice, no sort, and no map
	// when there is nothing to hold (a nil map reads as empty).
	var sets []*Element
	var first *Element
	n := 0
	for _, ch := range parent.Children {
		if ch.Name != setName {
			continue
		}
		if n == 0 {
			first = c.deref(ch)
		} else {
			if n == 1 {
				sets = append(sets, first)
			}
			sets = append(sets, c.deref(ch))
		}
		n++
	}
	if n == 0 {
		return nil
	}
	var out map[string]string
	if n == 1 {
		c.nvsetInto(&out, first, node)
		return out
	}
	slices.SortStableFunc(sets, func(a, b *Element) int {
		return cmp.Compare(ParseScore(b.Get("score")), ParseScore(a.Get("score")))
	})
	for _, s := range sets {
		c.nvsetInto(&out, s, node)
	}
	return out
}

// nvsetInto adds one set's nvpairs not set already (when its rule holds).
func (c *Cluster) nvsetInto(out *map[string]string, s *Element, node *Node) {
	if r := s.Child("rule"); r != nil && !c.evalRule(r, node) {
		return
	}
	for _, nv := range s.Children {
		if nv.Name != "nvpair" {
			continue
		}
		nv = c.deref(nv)
		name := nv.Get("name")
		if name == "" {
			continue
		}
		if *out == nil {
			*out = make(map[string]string, len(s.Children))
		}
		if _, seen := (*out)[name]; !seen {
			(*out)[name] = nv.Get("value")
		}
	}
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

func boolOpt(m map[string]string, name string, def bool) bool {
	if v, ok := m[name]; ok {
		return isTrue(v)
	}
	return def
}

func (c *Cluster) unpackOptions(root, cfg *Element) {
	m := c.nvsets(cfg.Child("crm_config"), "cluster_property_set", nil)
	o := &c.Options
	o.Symmetric = boolOpt(m, "symmetric-cluster", true)
	o.StonithEnabled = boolOpt(m, "stonith-enabled", true)
	o.StonithAction = m["stonith-action"]
	if o.StonithAction == "" || o.StonithAction == "poweroff" {
		if o.StonithAction == "" {
			o.StonithAction = "reboot"
		} else {
			o.StonithAction = "off"
		}
	}
	o.NoQuorumPolicy = strings.ToLower(m["no-quorum-policy"])
	if o.NoQuorumPolicy == "" {
		o.NoQuorumPolicy = "stop"
	}
	o.StartFailureIsFatal = boolOpt(m, "start-failure-is-fatal", true)
	o.StopAllResources = boolOpt(m, "stop-all-resources", false)
	o.MaintenanceMode = boolOpt(m, "maintenance-mode", false)
	o.StartupFencing = boolOpt(m, "startup-fencing", true)
	o.StopOrphanResources = boolOpt(m, "stop-orphan-resources", true)
	o.PlacementStrategy = m["placement-strategy"]
	if o.PlacementStrategy == "" {
		o.PlacementStrategy = "default"
	}
	o.HaveQuorum = isTrue(root.Get("have-quorum"))
	o.DC = root.Get("dc-uuid")
	c.legacyStickiness, c.hasLegacyStickiness = m["default-resource-stickiness"]
}

func (c *Cluster) unpackNodes(nodes *Element) error {
	for _, ne := range nodes.All("node") {
		id := ne.Get("id")
		uname := ne.Get("uname")
		if id == "" {
			return cfgErr(ne, "node without id")
		}
		if uname == "" {
			uname = id
		}
		if t := ne.Get("type"); t == "remote" || t == "ping" {
			continue // remote and ping nodes are out of scope
		}
		n := &Node{ID: id, Name: uname, Index: len(c.Nodes), Attrs: map[string]string{}}
		for k, v := range c.nvsets(ne, "instance_attributes", nil) {
			n.Attrs[k] = v
		}
		n.Unseen = true
		c.Nodes = append(c.Nodes, n)
		c.nodeByName[uname] = n
		c.nodeByID[id] = n
	}
	return nil
}

// unpackNodeStates reads each node_state: transient attributes, then the
// online/clean verdict as Pacemaker's determine_online_status does.
func (c *Cluster) unpackNodeStates(status *Element) {
	for _, st := range status.All("node_state") {
		n := c.nodeByID[st.Get("id")]
		if n == nil {
			n = c.nodeByName[st.Get("uname")]
		}
		if n == nil {
			continue
		}
		n.Unseen = false
		if ta := st.Child("transient_attributes"); ta != nil {
			for k, v := range c.nvsets(ta, "instance_attributes", nil) {
				n.Attrs[k] = v
			}
		}
		n.Shutdown = n.Attrs["shutdown"] != "" && n.Attrs["shutdown"] != "0"
		n.ExpectedUp = st.Get("expected") == "member"
		var online bool
		if c.Options.StonithEnabled {
			online = c.onlineFencing(st, n)
		} else {
			online = c.onlineNoFencing(st, n)
		}
		n.Online = online
	}
	for _, n := range c.Nodes {
		if n.Unseen {
			// Never seen: fenced at start-up unless startup-fencing is off.
			if c.Options.StonithEnabled && c.Options.StartupFencing {
				c.fence(n, "node is unclean")
			}
		}
		if isTrue(n.Attrs["standby"]) {
			n.Standby = true
		}
		if isTrue(n.Attrs["maintenance"]) || c.Options.MaintenanceMode {
			n.Maintenance = true
		}
	}
}

func (c *Cluster) fence(n *Node, reason string) {
	if n.Unclean {
		return
	}
	n.Unclean = true
	n.fenceReason = reason
}

func (c *Cluster) onlineNoFencing(st *Element, n *Node) bool {
	inCluster := isTrue(st.Get("in_ccm"))
	peer := strings.EqualFold(st.Get("crmd"), "online")
	join := st.Get("join")
	switch {
	case !inCluster:
	case peer:
		if strings.EqualFold(join, "member") {
			return true
		}
	case !n.ExpectedUp:
	default:
		c.fence(n, "peer is unexpectedly down")
	}
	return false
}

func (c *Cluster) onlineFencing(st *Element, n *Node) bool {
	term := n.Attrs["terminate"]
	doTerminate := isTrue(term) || (term != "" && term[0] != '0' && term[0] >= '0' && term[0] <= '9')
	inClusterS, hasInCluster := st.Lookup("in_ccm")
	inCluster := isTrue(inClusterS)
	peer := strings.EqualFold(st.Get("crmd"), "online")
	join := strings.ToLower(st.Get("join"))
	exp := st.Get("expected")
	if exp == "" {
		exp = "down"
	}
	online := inCluster
	switch {
	case n.Shutdown:
		online = peer
	case !hasInCluster:
		c.fence(n, "peer has not been seen by the cluster")
	case join == "banned":
		c.fence(n, "peer failed Pacemaker membership criteria")
	case !doTerminate && exp == "down":
		if inCluster || peer {
			n.Standby = true
			n.Pending = true
		}
	case doTerminate && join == "down" && !inCluster && !peer:
		online = false
	case !inCluster:
		c.fence(n, "peer is no longer part of the cluster")
	case !peer:
		c.fence(n, "peer process is no longer available")
	case doTerminate:
		c.fence(n, "termination was requested")
	case join == "member":
	case join == "pending" || join == "down":
		n.Standby = true
		n.Pending = true
	default:
		c.fence(n, "peer was in an unknown state")
	}
	return online
}

// ruleAttrs is the attribute table rules see for a node.
func (c *Cluster) ruleAttrs(n *Node) map[string]string {
	m := make(map[string]string, len(n.Attrs)+4)
	for k, v := range n.Attrs {
		m[k] = v
	}
	m["#uname"] = n.Name
	m["#id"] = n.ID
	m["#kind"] = "cluster"
	if n.ID == c.Options.DC {
		m["#is_dc"] = "true"
	} else {
		m["#is_dc"] = "false"
	}
	return m
}

func msValue(s string) int {
	// Interval/timeout specifications: "10", "10s", "10000ms", "1m", "1h".
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0
	}
	mult := 1000
	for _, u := range []struct {
		suf string
		m   int
	}{{"msec", 1}, {"ms", 1}, {"usec", 0}, {"us", 0}, {"sec", 1000}, {"s", 1000}, {"min", 60000}, {"m", 60000}, {"hr", 3600000}, {"h", 3600000}} {
		if strings.HasSuffix(s, u.suf) {
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suf))
			mult = u.m
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n * mult
}

func (c *Cluster) unpackResources(rs *Element) error {
	if rs == nil {
		return nil
	}
	var top []*Resource
	for _, e := range rs.Children {
		r, err := c.unpackResource(c.deref(e), nil)
		if err != nil {
			return err
		}
		if r != nil {
			top = append(top, r)
		}
	}
	c.cibOrder = append([]*Resource(nil), top...)
	{
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].Priority > top[j].Priority })
	c.Resources = top
	return nil
}

func (c *Cluster) register(r *Resource, e *Element) error {
	if _, dup := c.byID[r.ID]; dup {
		return cfgErr(e, "duplicate resource id %q", r.ID)
	}
	c.byID[r.ID] = r
	return nil
}

func (c *Cluster) unpackResource(e *Element, parent *Resource) (*Resource, error) {
	var kind Kind
	switch e.Name {
	case "primitive":
		kind = KindPrimitive
	case "group":
		kind = KindGroup
	case "clone", "master":
		kind = KindClone
	case "template", "tag", "bundle":
		return nil, nil // not supported yet
	default:
		return nil, nil
	}
	id := e.Get("id")
	if id == "" {
		return nil, cfgErr(e, "resource without id")
	}
	if len(c.rscArena) == 0 {
		c.rscArena = make([]Resource, 32)
	}
	r := &c.rscArena[0]
	c.rscArena = c.rscArena[1:]
	*r = Resource{ID: id, Kind: kind, Parent: parent, elem: e, Managed: true, Role: RoleStopped}
	if err := c.register(r, e); err != nil {
		return nil, err
	}
	// Meta attributes: own, then the parent's, then rsc_defaults; the map
	// is made only when there is something to keep (nil reads as empty).
	r.Meta = c.nvsets(e, "meta_attributes", nil)
	set := func(k, v string) {
		if r.Meta == nil {
			r.Meta = make(map[string]string, len(c.rscDefaults)+len(parent.metaOf())+2)
		}
		r.Meta[k] = v
	}
	if kind == KindClone {
		if e.Name == "master" {
			set("promotable", "true")
		}
		if _, ok := r.Meta["resource-stickiness"]; !ok {
			if _, ok := c.rscDefaults["resource-stickiness"]; !ok {
				set("resource-stickiness", "1")
			}
		}
	}
	if parent != nil {
		for k, v := range parent.Meta {
			if _, ok := r.Meta[k]; !ok {
				set(k, v)
			}
		}
	}
	for k, v := range c.rscDefaults {
		if _, ok := r.Meta[k]; !ok {
			set(k, v)
		}
	}
	r.setMeta(c)
	switch kind {
	case KindPrimitive:
		r.Class, r.Provider, r.Type = e.Get("class"), e.Get("provider"), e.Get("type")
		if r.Class == "stonith" {
			c.haveStonith = true
		}
		r.Params = c.nvsets(e, "instance_attributes", nil)
		if ops := e.Child("operations"); ops != nil {
			k := len(ops.Children)
			if len(c.opArena) < k {
				c.opArena = make([]Op, max(128, k))
			}
			r.Ops = c.opArena[:0:k]
			c.opArena = c.opArena[k:]
			for _, oe := range ops.Children {
				if oe.Name != "op" {
					continue
				}
				oe = c.deref(oe)
				op := Op{Name: oe.Get("name"), IntervalMS: msValue(oe.Get("interval")), OnFail: oe.Get("on-fail")}
				op.Role, _ = parseRole(oe.Get("role"))
				if op.OnFail == "" {
					op.OnFail = c.nvsets(oe, "meta_attributes", nil)["on-fail"]
				}
				r.Ops = append(r.Ops, op)
			}
		}
	case KindGroup:
		for _, ce := range e.Children {
			if ce.Name != "primitive" {
				continue
			}
			ch, err := c.unpackResource(c.deref(ce), r)
			if err != nil {
				return nil, err
			}
			r.Children = append(r.Children, ch)
		}
	case KindClone:
		var child *Element
		for _, ce := range e.Children {
			if ce.Name == "primitive" || ce.Name == "group" {
				if child != nil {
					return nil, cfgErr(e, "clone has more than one child")
				}
				child = c.deref(ce)
			}
		}
		if child == nil {
			return nil, cfgErr(e, "clone has no child resource")
		}
		r.Promotable = isTrue(r.Meta["promotable"])
		r.Unique = isTrue(r.Meta["globally-unique"])
		r.Interleave = isTrue(r.Meta["interleave"])
		r.Ordered = isTrue(r.Meta["ordered"])
		r.CloneMax = metaInt(r.Meta, "clone-max", len(c.Nodes))
		r.CloneNodeMax = metaInt(r.Meta, "clone-node-max", 1)
		r.PromotedMax = metaInt(r.Meta, "promoted-max", metaInt(r.Meta, "master-max", 1))
		r.PromotedNodeMax = metaInt(r.Meta, "promoted-node-max", metaInt(r.Meta, "master-node-max", 1))
		tmpl, err := c.unpackResource(child, r)
		if err != nil {
			return nil, err
		}
		r.template = tmpl
		for i := 0; i < r.CloneMax; i++ {
			r.Children = append(r.Children, c.instance(tmpl, r, i))
		}
	}
	return r, nil
}

// instance makes clone instance i of tmpl (and of its members).
func (c *Cluster) instance(tmpl, parent *Resource, i int) *Resource {
	inst := *tmpl
	inst.ID = tmpl.ID + ":" + strconv.Itoa(i)
	inst.Parent = parent
	inst.cloneOf = tmpl
	inst.Children = nil
	for _, ch := range tmpl.Children {
		inst.Children = append(inst.Children, c.instance(ch, &inst, i))
	}
	c.byID[inst.ID] = &inst
	return &inst
}

func metaInt(m map[string]string, name string, def int) int {
	v, ok := m[name]
	if !ok || v == "" {
		return def
	}
	n, ok := leadingInt(strings.TrimSpace(v))
	if !ok {
		return def
	}
	return clampScore64(n)
}

func (r *Resource) setMeta(c *Cluster) {
	m := r.Meta
	r.Priority = ParseScore(m["priority"])
	if v, ok := m["resource-stickiness"]; ok {
		r.Stickiness = ParseScore(v)
	} else if c.hasLegacyStickiness {
		r.Stickiness = ParseScore(c.legacyStickiness)
	}
	r.MigrationThreshold = Infinity
	if v, ok := m["migration-threshold"]; ok {
		r.MigrationThreshold = ParseScore(v)
		if r.MigrationThreshold < 0 {
			r.MigrationThreshold = 0
		}
	}
	if v, ok := m["failure-timeout"]; ok {
		r.FailureTimeout = msValue(v) / 1000
	}
	if v, ok := m["target-role"]; ok {
		if role, ok := parseRole(v); ok && role != RoleStarted {
			r.TargetRole = role
		}
	}
	if v, ok := m["is-managed"]; ok {
		r.Managed = isTrue(v)
	}
	if isTrue(m["maintenance"]) || c.Options.MaintenanceMode {
		r.Managed = false
	}
}

// Locate the history of a resource id on a node: the configured primitive,
// a clone instance, or an orphan.
func (c *Cluster) historyResource(id string, n *Node, le *Element) *Resource {
	if r := c.byID[id]; r != nil && r.Kind == KindPrimitive && r.cloneOf == nil && r.inClone() == nil {
		return r
	}
	base := id
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		base = id[:i]
	}
	if t := c.byID[base]; t != nil && t.Kind == KindPrimitive && t.inClone() != nil {
		clone := t.inClone()
		if clone.Unique {
			if r := c.byID[id]; r != nil && r != t {
				return r
			}
		}
		return c.anonymousInstance(clone, t, n)
	}
	// An orphan: configured no more.
	r := c.byID[id]
	if r == nil {
		r = &Resource{ID: id, Kind: KindPrimitive, Orphan: true, Managed: true,
			Class: le.Get("class"), Provider: le.Get("provider"), Type: le.Get("type"),
			Meta: map[string]string{}, MigrationThreshold: Infinity, Role: RoleStopped}
		for k, v := range c.rscDefaults {
			r.Meta[k] = v
		}
		r.setMeta(c)
		c.byID[id] = r
		c.orphans = append(c.orphans, r)
	}
	return r
}

// anonymousInstance picks the instance of an anonymous clone that a node's
// history of primitive t belongs to (find_anonymous_clone): the instance
// already active on that node — a second history there is an orphan — or
// else the first instance active nowhere.
func (c *Cluster) anonymousInstance(clone, t *Resource, n *Node) *Resource {
	member := func(inst *Resource) *Resource {
		if inst.Kind != KindGroup {
			if inst.cloneOf == t || inst == t {
				return inst
			}
			return nil
		}
		for _, m := range inst.Children {
			if m.cloneOf == t {
				return m
			}
		}
		return nil
	}
	var found, inactive *Resource
	skipInactive := false
	for _, inst := range clone.Children {
		locs := activeNodes(inst)
		if len(locs) > 0 {
			if locs[0] == n {
				if p := member(inst); p != nil {
					if len(p.RunningOn) > 0 {
						skipInactive = true
					} else {
						found = p
						break
					}
				}
			}
			continue
		}
		if !skipInactive && inactive == nil && !instanceBlocked(inst) {
			inactive = member(inst)
		}
	}
	if found == nil && !skipInactive {
		found = inactive
	}
	// Without fencing, an instance on a node that is not cleanly online
	// does not take an instance number (unless every node gets one).
	if found != nil && !c.Options.StonithEnabled && (!n.Online || n.Unclean) && clone.CloneMax < len(c.Nodes) {
		found = nil
	}
	if found == nil {
		// More active copies than clone-max: an extra orphan instance.
		id := t.ID + ":" + strconv.Itoa(len(clone.Children)+c.orphansOf(clone))
		o := &Resource{ID: id, Kind: KindPrimitive, Orphan: true, Managed: t.Managed, Parent: clone, cloneOf: t,
			Class: t.Class, Provider: t.Provider, Type: t.Type, Meta: t.Meta, MigrationThreshold: t.MigrationThreshold, Role: RoleStopped}
		c.byID[id] = o
		c.orphans = append(c.orphans, o)
		return o
	}
	return found
}

func instanceActive(inst *Resource) bool {
	for _, p := range inst.primitives(nil) {
		if len(p.RunningOn) > 0 {
			return true
		}
	}
	return false
}

func instanceKnownOn(inst *Resource, n *Node) bool {
	for _, p := range inst.primitives(nil) {
		if p.knownOn[n] {
			return true
		}
	}
	return false
}

// unpackHistory reads every node's lrm history. Without fencing, an
// offline node's history is not read at all, as Pacemaker's
// unpack_node_history: what ran there is not known to run any more.
func (c *Cluster) unpackHistory(status *Element) {
	if status == nil {
		return
	}
	for _, st := range status.All("node_state") {
		n := c.nodeByID[st.Get("id")]
		if n == nil {
			n = c.nodeByName[st.Get("uname")]
		}
		if n == nil || (!c.Options.StonithEnabled && !n.Online) {
			continue
		}
		lrm := st.Child("lrm")
		if lrm == nil {
			continue
		}
		for _, le := range lrm.Child("lrm_resources").All("lrm_resource") {
			r := c.historyResource(le.Get("id"), n, le)
			c.unpackLrmResource(r, n, le)
		}
	}
	// The current role of collective resources follows their members.
	for _, r := range c.Resources {
		r.rollUpRole()
	}
}

func (r *Resource) rollUpRole() {
	if r.Kind == KindPrimitive {
		return
	}
	r.Role = RoleStopped
	for _, ch := range r.Children {
		ch.rollUpRole()
		if ch.Role > r.Role {
			r.Role = ch.Role
		}
	}
}

// metaOf is a resource's meta attributes, none for no resource.
func (r *Resource) metaOf() map[string]string {
	if r == nil {
		return nil
	}
	return r.Meta
}

package cib

import (
	"strconv"
	"strings"
	"unicode"
)

// UpgradeTarget is the schema an upgraded heartbeat 2.x CIB declares: the
// first Pacemaker schema, which Pacemaker's own upgrade from 0.6 produced
// and from which Pacemaker 2.1.5 upgrades further by itself.
const UpgradeTarget = "pacemaker-1.0"

// UpgradeReport says what Upgrade did. A zero report (Changed false) is a
// CIB that needed nothing.
type UpgradeReport struct {
	// From is the old CIB's schema: its validate-with, or "" when it had
	// none; FeatureSet its crm_feature_set ("" when absent).
	From, FeatureSet string
	// To is the schema written (UpgradeTarget), "" when nothing changed.
	To string
	// Notes are the changes of meaning an operator may want to know of,
	// one short line each (options moved to rsc_defaults, a default that
	// differs between heartbeat 2.x and Pacemaker made explicit).
	Notes []string
}

// Changed reports whether the CIB was upgraded.
func (r UpgradeReport) Changed() bool { return r.To != "" }

// String is the report as one log line: "upgraded the CIB from
// heartbeat 2.x (validate-with transitional-0.6, crm_feature_set 2.0) to
// pacemaker-1.0; ...".
func (r UpgradeReport) String() string {
	if !r.Changed() {
		return "the CIB needs no upgrade"
	}
	from := "no validate-with"
	if r.From != "" {
		from = "validate-with " + r.From
	}
	if r.FeatureSet != "" {
		from += ", crm_feature_set " + r.FeatureSet
	}
	s := "upgraded the CIB from heartbeat 2.x (" + from + ") to " + r.To
	if len(r.Notes) > 0 {
		s += "; " + strings.Join(r.Notes, "; ")
	}
	return s
}

// Upgrade turns a heartbeat 2.x CIB (validate-with absent, pacemaker-0.6
// or transitional-0.6) into a pacemaker-1.0 one that Validate accepts and
// the policy engine reads with the meaning heartbeat gave it:
//   - <attributes> wrappers inside nvsets are dropped, their nvpairs kept;
//   - resource options written as attributes of primitive, group, clone
//     and master_slave, or as 2.x instance attributes (target_role,
//     resource_stickiness, clone_max...), become meta attributes, with
//     '-' for '_' in their names; master_slave becomes master;
//   - rsc_colocation from/to and rsc_order from/to/type/action become
//     rsc/with-rsc and first/then with their actions (type=after, the
//     2.x default, reverses the pair);
//   - scores lose a decimal part ("100.0") and are upper-cased
//     ("infinity"); a rule without a score gets 0, an empty one matches
//     every node;
//   - underscore attribute and option names take their hyphenated form
//     (have_quorum, on_fail, start_delay, no_quorum_policy...), prereq
//     becomes requires, op disabled becomes enabled, an op without an
//     interval gets 0, provider is dropped from non-OCF primitives;
//   - 2.x's cluster-wide resource defaults move to rsc_defaults and
//     op_defaults (default-resource-stickiness, is-managed-default,
//     default-migration-threshold, default-action-timeout), as Pacemaker
//     moves them on its own way to 3.x; stonith-enabled=false is written
//     when the CIB does not set it, heartbeat 2.x's default;
//   - missing or invalid ids (not XML names) of elements nothing refers
//     to are made up from their parent's, deterministically, so that every
//     node upgrading the same CIB gets the same one.
//
// What has no faithful 1.0 form is refused with the element's path and
// root is left as it was: an element 1.0 does not know in resources or
// constraints, a resource id that is not an XML name (constraints and
// history refer to it), a constraint without its resources, a finite
// non-zero failure stickiness (Pacemaker has migration-threshold instead),
// validate-with pacemaker-0.7, or a result Validate refuses. A CIB of
// another schema is left alone (zero report).
//
// Versions (admin_epoch, epoch, num_updates) are kept: every node upgrades
// the same file to the same CIB, which stays comparable with its peers'.
func Upgrade(root *Element) (UpgradeReport, error) {
	var rep UpgradeReport
	if root == nil || root.Name != "cib" {
		return rep, &Error{Code: ErrSchema, Detail: "the root element is not <cib>"}
	}
	v, has := root.Lookup("validate-with")
	switch {
	case v == "pacemaker-0.6" || v == "transitional-0.6":
	case v == "pacemaker-0.7":
		return rep, schemaErr(root, "validate-with pacemaker-0.7 (Pacemaker 0.7) has no upgrade here; Pacemaker 2.1.5 refuses it too")
	case !has && looks2x(root):
	default:
		return rep, nil
	}
	rep.From, rep.FeatureSet = v, root.Get("crm_feature_set")
	w := root.Clone()
	u := &upgrader{ids: map[string]bool{}, rep: &rep}
	if err := u.check(w); err != nil {
		return UpgradeReport{}, err
	}
	u.run(w)
	if err := Validate(w); err != nil {
		return UpgradeReport{}, err
	}
	root.Attrs, root.Children = w.Attrs, w.Children
	for _, k := range root.Children {
		k.Parent = root
	}
	rep.To = UpgradeTarget
	return rep, nil
}

// looks2x tells a CIB without validate-with written by heartbeat 2.x: a
// feature set below Pacemaker's 3.x, or one of 2.x's own forms.
func looks2x(root *Element) bool {
	if fs, ok := root.Lookup("crm_feature_set"); ok {
		major, _, _ := strings.Cut(fs, ".")
		if n, err := strconv.Atoi(major); err == nil && n < 3 {
			return true
		}
	}
	found := false
	root.Walk(func(e *Element) {
		switch e.Name {
		case "attributes", "master_slave":
			found = true
		case "rsc_colocation", "rsc_order":
			if e.Get("from") != "" {
				found = true
			}
		}
	})
	return found
}

type upgrader struct {
	ids map[string]bool
	rep *UpgradeReport
}

// isXMLName reports whether s may be an XML ID (an NCName): a letter or
// '_' first, then letters, digits, '.', '-' and '_'.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || unicode.IsLetter(r)
		if i > 0 {
			ok = ok || r == '-' || r == '.' || unicode.IsDigit(r)
		}
		if !ok {
			return false
		}
	}
	return true
}

var resourceKinds = map[string]bool{"primitive": true, "group": true, "clone": true, "master_slave": true, "master": true}

// check refuses what has no faithful 1.0 form, before anything changes.
func (u *upgrader) check(root *Element) error {
	cfg := root.Child("configuration")
	if cfg == nil {
		return schemaErr(root, "no <configuration>")
	}
	var err error
	fail := func(e *Element, why string) {
		if err == nil {
			err = schemaErr(e, why)
		}
	}
	cfg.Walk(func(e *Element) {
		if err != nil || e.IsComment() {
			return
		}
		parent := ""
		if e.Parent != nil {
			parent = e.Parent.Name
		}
		switch {
		case parent == "resources" || parent == "group" || parent == "clone" || parent == "master_slave" || parent == "master":
			if resourceKinds[e.Name] {
				if !isXMLName(e.ID()) {
					fail(e, "resource id "+strconv.Quote(e.ID())+" is not an XML name: rename it (constraints and history refer to it)")
				}
			} else if parent == "resources" {
				fail(e, "<"+e.Name+"> has no pacemaker-1.0 form")
			}
		case parent == "constraints":
			switch e.Name {
			case "rsc_location":
				if e.Get("rsc") == "" {
					fail(e, "rsc_location without rsc")
				}
			case "rsc_colocation":
				if !(e.Get("from") != "" && e.Get("to") != "") && !(e.Get("rsc") != "" && e.Get("with-rsc") != "") {
					fail(e, "rsc_colocation without from and to")
				}
			case "rsc_order":
				if !(e.Get("from") != "" && e.Get("to") != "") && !(e.Get("first") != "" && e.Get("then") != "") {
					fail(e, "rsc_order without from and to")
				}
				if t := e.Get("type"); t != "" && t != "before" && t != "after" {
					fail(e, "rsc_order type "+strconv.Quote(t)+" is neither before nor after")
				}
			default:
				fail(e, "<"+e.Name+"> has no pacemaker-1.0 form")
			}
		}
		if e.Name == "nvpair" && isFailureStickiness(e.Get("name")) {
			if !failureStickinessOK(e.Get("value")) {
				fail(e, e.Get("name")+"="+e.Get("value")+": heartbeat 2.x's failure stickiness has no Pacemaker equivalent (set migration-threshold instead)")
			}
		}
		if resourceKinds[e.Name] {
			for _, a := range []string{"resource_failure_stickiness", "resource-failure-stickiness"} {
				if val, ok := e.Lookup(a); ok && !failureStickinessOK(val) {
					fail(e, a+"="+val+": heartbeat 2.x's failure stickiness has no Pacemaker equivalent (set migration-threshold instead)")
				}
			}
		}
	})
	return err
}

func isFailureStickiness(name string) bool {
	n := strings.TrimPrefix(strings.ReplaceAll(name, "_", "-"), "default-")
	return n == "resource-failure-stickiness"
}

// failureStickinessOK: 0 has no effect (failures never move the
// resource, as with Pacemaker's default migration-threshold), -INFINITY
// moves at the first failure (migration-threshold=1); anything else
// depends on the node scores.
func failureStickinessOK(v string) bool {
	v = strings.ToUpper(strings.TrimSpace(v))
	if v == "" || v == "-INFINITY" {
		return true
	}
	ip, _, _ := strings.Cut(strings.TrimLeft(v, "+-"), ".")
	n, err := strconv.Atoi(ip)
	return err == nil && n == 0
}

// run transforms the (checked) copy.
func (u *upgrader) run(root *Element) {
	cfg := root.Child("configuration")
	cfg.Walk(func(e *Element) {
		if id, ok := e.Lookup("id"); ok && !idIsReference(e) {
			u.ids[id] = true
		}
	})
	// Attributes first, everywhere (the status's history too).
	root.Walk(u.renameAttrs)
	root.Set("validate-with", UpgradeTarget)
	// Element forms, children before the nvsets they fill.
	var elems []*Element
	cfg.Walk(func(e *Element) { elems = append(elems, e) })
	for _, e := range elems {
		switch e.Name {
		case "cluster_property_set", "instance_attributes", "meta_attributes":
			flattenAttributes(e)
		}
	}
	for _, e := range elems {
		switch e.Name {
		case "primitive", "group", "clone", "master_slave", "master":
			u.resource(e)
		case "rsc_colocation":
			colocation(e)
		case "rsc_order":
			order(e)
		case "rule":
			u.rule(e)
		case "date_expression":
			if e.Get("operation") == "" {
				e.Set("operation", "in_range")
			}
		case "op":
			if _, ok := e.Lookup("interval"); !ok {
				e.Set("interval", "0")
			}
		}
	}
	for _, e := range elems {
		if e.Name == "nvpair" && e.Parent != nil && e.Parent.Name == "meta_attributes" {
			e.Set("name", strings.ReplaceAll(e.Get("name"), "_", "-"))
		}
	}
	u.crmConfig(cfg)
	// Ids last: every element the schema wants one of has a valid one.
	cfg.Walk(func(e *Element) {
		if e.IsComment() || !needID[e.Name] || idIsReference(e) || resourceKinds[e.Name] {
			return
		}
		if _, ok := e.Lookup("id-ref"); ok {
			return
		}
		id, ok := e.Lookup("id")
		if ok && isXMLName(id) {
			return
		}
		base := strings.ReplaceAll(id, ":", "-")
		if !isXMLName(base) {
			base = u.autoBase(e)
		}
		e.Set("id", u.newID(base))
	})
}

// renamedAttrs are 2.x's underscore attribute names with a hyphenated
// 1.0 form; the rest of the renames are by hand below.
var renamedAttrs = map[string]string{
	"boolean_op": "boolean-op", "on_fail": "on-fail", "have_quorum": "have-quorum", "dc_uuid": "dc-uuid",
	"op_status": "op-status", "transition_magic": "transition-magic", "call_id": "call-id", "rc_code": "rc-code",
	"op_digest": "op-digest", "transition_key": "transition-key", "op_restart_digest": "op-restart-digest",
	"op_force_restart": "op-force-restart", "score_attribute": "score-attribute",
	"score_attribute_mangled": "score-attribute-mangled", "start_delay": "start-delay",
	"node_attribute": "node-attribute", "prereq": "requires", "remote_access_port": "remote-tls-port",
}

// droppedAttrs are 2.x's bookkeeping on the cib element, unknown to 1.0.
var droppedAttrs = map[string]bool{
	"generated": true, "ccm_transition": true, "num_peers": true, "cib_last_written": true,
	"ignore_dtd": true, "cib_feature_revision": true, "crm-debug-origin": true,
}

func (u *upgrader) renameAttrs(e *Element) {
	if e.IsComment() {
		return
	}
	out := e.Attrs[:0:0]
	for _, a := range e.Attrs {
		n := a.Name.Local
		if droppedAttrs[n] {
			continue
		}
		if r, ok := renamedAttrs[n]; ok {
			if _, dup := e.Lookup(r); dup {
				continue
			}
			a.Name.Local = r
		}
		switch n {
		case "disabled":
			a.Name.Local, a.Value = "enabled", strconv.FormatBool(!strings.Contains(strings.ToLower(a.Value), "true"))
		case "score":
			a.Value = upgradeScore(a.Value)
		case "provider":
			if e.Name == "primitive" && !strings.Contains(e.Get("class"), "ocf") {
				continue
			}
		}
		out = append(out, a)
	}
	e.Attrs = out
}

func upgradeScore(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return strings.ToUpper(v)
}

// flattenAttributes lifts the nvpairs of 2.x's <attributes> wrappers
// into the set, where they were, and drops the wrapper (and anything
// else it held, which 2.x did not read either).
func flattenAttributes(set *Element) {
	var kids []*Element
	changed := false
	for _, k := range set.Children {
		if k.Name != "attributes" {
			kids = append(kids, k)
			continue
		}
		changed = true
		// Only its own nvpairs, as 2.x's DTD had them: lifting deeper
		// ones would leave them under two parents.
		for _, x := range k.Children {
			if x.Name == "nvpair" {
				kids = append(kids, x)
			}
		}
	}
	if !changed {
		return
	}
	for _, k := range kids {
		k.Parent = set
	}
	set.Children = kids
}

// metaFromInstance are 2.x resource options it read from instance
// attributes too: they are meta attributes in 1.0.
var metaFromInstance = map[string]bool{
	"resource_stickiness": true, "allow_migrate": true, "globally_unique": true, "target_role": true,
	"clone_max": true, "clone_node_max": true, "master_max": true, "master_node_max": true,
	"is_managed": true, "migration_threshold": true, "resource_failure_stickiness": true,
}

// keptResourceAttrs stay attributes of the resource element in 1.0.
var keptResourceAttrs = map[string]bool{"id": true, "class": true, "type": true, "provider": true, "description": true}

func (u *upgrader) resource(e *Element) {
	if e.Name == "master_slave" {
		e.Name = "master"
	}
	var metas [][2]string
	var kept = e.Attrs[:0:0]
	for _, a := range e.Attrs {
		if keptResourceAttrs[a.Name.Local] {
			kept = append(kept, a)
			continue
		}
		metas = append(metas, [2]string{strings.ReplaceAll(a.Name.Local, "_", "-"), a.Value})
	}
	e.Attrs = kept
	for _, ia := range e.All("instance_attributes") {
		var left []*Element
		for _, nv := range ia.Children {
			if nv.Name == "nvpair" && metaFromInstance[strings.ReplaceAll(nv.Get("name"), "-", "_")] {
				metas = append(metas, [2]string{strings.ReplaceAll(nv.Get("name"), "_", "-"), nv.Get("value")})
				continue
			}
			left = append(left, nv)
		}
		if len(left) == 0 && len(ia.Children) > 0 {
			// Emptied by the move (a clone's options): gone with them.
			ia.Remove()
			continue
		}
		ia.Children = left
	}
	for _, m := range e.All("meta_attributes") {
		var left []*Element
		for _, nv := range m.Children {
			if nv.Name == "nvpair" && isFailureStickiness(nv.Get("name")) {
				metas = append(metas, [2]string{"resource-failure-stickiness", nv.Get("value")})
				continue
			}
			left = append(left, nv)
		}
		m.Children = left
	}
	// Failure stickiness (checked: 0, no effect, or -INFINITY, move at
	// the first failure) becomes migration-threshold or nothing.
	j := 0
	for _, m := range metas {
		if m[0] == "resource-failure-stickiness" {
			if !strings.EqualFold(strings.TrimSpace(m[1]), "-INFINITY") {
				continue
			}
			m = [2]string{"migration-threshold", "1"}
		}
		metas[j] = m
		j++
	}
	metas = metas[:j]
	if len(metas) == 0 {
		return
	}
	var set *Element
	for _, m := range e.All("meta_attributes") {
		if m.Child("rule") == nil {
			set = m
			break
		}
	}
	if set == nil {
		set = NewElement("meta_attributes", "id", u.newID(e.ID()+"-meta_attributes"))
		e.InsertChild(0, set)
	}
	for _, m := range metas {
		if nvsetHas(set, m[0]) {
			continue
		}
		set.AddChild(NewElement("nvpair", "id", u.newID(set.ID()+"-"+m[0]), "name", m[0], "value", m[1]))
	}
}

func nvsetHas(set *Element, name string) bool {
	for _, nv := range set.All("nvpair") {
		if nv.Get("name") == name {
			return true
		}
	}
	return false
}

// camel is 2.x's role value in 1.0's case ("master" → "Master").
func camel(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

func colocation(e *Element) {
	from, to := e.Get("from"), e.Get("to")
	if from == "" && to == "" {
		return
	}
	fr, tr := e.Get("from_role"), e.Get("to_role")
	for _, a := range []string{"from", "to", "from_role", "to_role", "symmetrical"} {
		e.Unset(a)
	}
	e.Set("rsc", from)
	e.Set("with-rsc", to)
	if fr != "" {
		e.Set("rsc-role", camel(fr))
	}
	if tr != "" {
		e.Set("with-rsc-role", camel(tr))
	}
}

// order: in 2.x "from" is ordered relative to "to"; type=after (the
// default) means from starts after to, so to comes first.
func order(e *Element) {
	from, to := e.Get("from"), e.Get("to")
	if from == "" && to == "" {
		return
	}
	action, toAction, typ := e.Get("action"), e.Get("to_action"), e.Get("type")
	for _, a := range []string{"from", "to", "action", "to_action", "type"} {
		e.Unset(a)
	}
	if typ != "before" {
		e.Set("first", to)
		e.Set("then", from)
		then := action
		if then == "" {
			then = "start"
		}
		first := toAction
		if first == "" {
			first = then
		}
		e.Set("first-action", first)
		e.Set("then-action", then)
		return
	}
	e.Set("first", from)
	e.Set("then", to)
	if action != "" {
		e.Set("first-action", action)
	}
	if toAction != "" {
		e.Set("then-action", toAction)
	}
}

func (u *upgrader) rule(e *Element) {
	_, s := e.Lookup("score")
	_, sa := e.Lookup("score-attribute")
	if !s && !sa && e.Parent != nil && e.Parent.Name == "rsc_location" {
		e.Set("score", "0")
	}
	empty := true
	for _, k := range e.Children {
		if !k.IsComment() {
			empty = false
		}
	}
	if empty {
		base := e.ID()
		if base == "" {
			base = u.autoBase(e)
		}
		e.AddChild(NewElement("expression", "id", u.newID(base+"-expr"), "attribute", "#uname", "operation", "defined"))
	}
}

// crmConfig renames 2.x's option names, moves its resource and operation
// defaults to rsc_defaults and op_defaults, and writes heartbeat 2.x's
// stonith default.
func (u *upgrader) crmConfig(cfg *Element) {
	cc := cfg.Child("crm_config")
	if cc == nil {
		return
	}
	stonithSet := false
	var plain *Element
	var rscDefaults, opDefaults [][2]string
	for _, set := range cc.All("cluster_property_set") {
		if plain == nil && set.Child("rule") == nil {
			plain = set
		}
		var left []*Element
		for _, nv := range set.Children {
			if nv.Name != "nvpair" {
				left = append(left, nv)
				continue
			}
			name := nv.Get("name")
			if r, ok := optionRenames[name]; ok {
				name = r
				nv.Set("name", r)
			}
			val := nv.Get("value")
			if m, ok := movedOptions[name]; ok {
				if m.set == "op_defaults" {
					opDefaults = append(opDefaults, [2]string{m.name, val})
				} else {
					rscDefaults = append(rscDefaults, [2]string{m.name, val})
				}
				u.rep.Notes = append(u.rep.Notes, name+"="+val+" moved to "+m.set+" "+m.name)
				continue
			}
			switch name {
			case "stonith-enabled":
				stonithSet = true
			case "default-resource-failure-stickiness":
				// Checked: 0 (no effect) or -INFINITY.
				if strings.EqualFold(strings.TrimSpace(val), "-INFINITY") {
					rscDefaults = append(rscDefaults, [2]string{"migration-threshold", "1"})
					u.rep.Notes = append(u.rep.Notes, "default-resource-failure-stickiness=-INFINITY became rsc_defaults migration-threshold=1")
				}
				continue
			}
			left = append(left, nv)
		}
		set.Children = left
	}
	if !stonithSet {
		if plain == nil {
			plain = NewElement("cluster_property_set", "id", u.newID("cib-bootstrap-options"))
			cc.AddChild(plain)
		}
		plain.AddChild(NewElement("nvpair", "id", u.newID(plain.ID()+"-stonith-enabled"), "name", "stonith-enabled", "value", "false"))
		u.rep.Notes = append(u.rep.Notes, "stonith-enabled=false written (heartbeat 2.x's default; Pacemaker's is true)")
	}
	u.defaults(cfg, "rsc_defaults", rscDefaults)
	u.defaults(cfg, "op_defaults", opDefaults)
}

// optionRenames are 2.x's underscore cluster option names.
// movedOptions are heartbeat 2.x's cluster-wide defaults in crm_config,
// which Pacemaker keeps in rsc_defaults or op_defaults under another name.
var movedOptions = map[string]struct{ set, name string }{
	"default-resource-stickiness": {"rsc_defaults", "resource-stickiness"},
	"is-managed-default":          {"rsc_defaults", "is-managed"},
	"default-migration-threshold": {"rsc_defaults", "migration-threshold"},
	"default-action-timeout":      {"op_defaults", "timeout"},
}

var optionRenames = map[string]string{
	"default_resource_stickiness": "default-resource-stickiness", "no_quorum_policy": "no-quorum-policy",
	"transition_idle_timeout": "cluster-delay", "symmetric_cluster": "symmetric-cluster",
	"stonith_enabled": "stonith-enabled", "stonith_action": "stonith-action",
	"is_managed_default": "is-managed-default", "stop_orphan_resources": "stop-orphan-resources",
	"stop_orphan_actions": "stop-orphan-actions", "remove_after_stop": "remove-after-stop",
	"cluster_recheck_interval": "cluster-recheck-interval", "dc_deadtime": "dc-deadtime",
	"election_timeout": "election-timeout", "shutdown_escalation": "shutdown-escalation",
	"startup_fencing": "startup-fencing", "default_action_timeout": "default-action-timeout",
	"default_migration_threshold":         "default-migration-threshold",
	"default_resource_failure_stickiness": "default-resource-failure-stickiness",
}

func (u *upgrader) defaults(cfg *Element, section string, nvs [][2]string) {
	if len(nvs) == 0 {
		return
	}
	sec := cfg.Child(section)
	if sec == nil {
		sec = cfg.AddChild(NewElement(section))
	}
	var set *Element
	for _, m := range sec.All("meta_attributes") {
		if m.Child("rule") == nil {
			set = m
			break
		}
	}
	if set == nil {
		set = sec.AddChild(NewElement("meta_attributes", "id", u.newID(section+"-options")))
	}
	for _, nv := range nvs {
		if nvsetHas(set, nv[0]) {
			continue
		}
		set.AddChild(NewElement("nvpair", "id", u.newID(set.ID()+"-"+nv[0]), "name", nv[0], "value", nv[1]))
	}
}

// autoBase is a made-up id's stem: the nearest ancestor's id (or the
// element's name) with the element's name or nvpair name.
func (u *upgrader) autoBase(e *Element) string {
	parent := ""
	for p := e.Parent; p != nil; p = p.Parent {
		if id := p.ID(); id != "" && isXMLName(id) {
			parent = id
			break
		}
	}
	what := e.Name
	if n := e.Get("name"); n != "" && (e.Name == "nvpair" || e.Name == "op") {
		what = n
		if iv := e.Get("interval"); e.Name == "op" && iv != "" {
			what += "-" + iv
		}
	}
	if parent == "" {
		return sanitizeID(what)
	}
	return sanitizeID(parent + "-" + what)
}

// sanitizeID makes s an XML name: other characters become '-', and a
// stem that cannot start one gets "id-" in front.
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if !isXMLName(out) {
		out = "id-" + out
	}
	return out
}

// newID is base made unique in the configuration (base, base-1, ...).
func (u *upgrader) newID(base string) string {
	base = sanitizeID(base)
	id := base
	for i := 1; u.ids[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	u.ids[id] = true
	return id
}

// ParseUpgraded is ParseCIB for a CIB read at start-up (a node's
// cib.xml from store.Dir.Load): a heartbeat 2.x document comes back
// upgraded, and the report's String is the line the caller logs when
// Changed. The file itself is rewritten only with the next save, which
// keeps the 2.x file as a backup. A 2.x CIB that cannot be upgraded is
// an error naming the element.
func ParseUpgraded(data []byte) (*CIB, UpgradeReport, error) {
	c, err := ParseCIB(data)
	if err != nil {
		return nil, UpgradeReport{}, err
	}
	rep, err := Upgrade(c.Root)
	if err != nil {
		return nil, UpgradeReport{}, err
	}
	return c, rep, nil
}

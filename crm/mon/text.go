package mon

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/pe"
)

// Options selects what Text prints, as crm_mon's flags do.
type Options struct {
	Inactive   bool           // -r: inactive resources too ("Full List of Resources")
	FailCounts bool           // -f: the "Migration Summary" section
	Attributes bool           // -A: the "Node Attributes" section
	RscOnly    bool           // resources without their nodes (crm_resource --list)
	Updated    time.Time      // the "Last updated" stamp (the caller's clock)
	Loc        *time.Location // zone for times from the CIB; nil is UTC
}

// textOut is Pacemaker's text formatter: nested lists of "* " items, two
// spaces of indentation per level, a blank line between sections.
type textOut struct {
	b     bytes.Buffer
	depth int
}

func (o *textOut) indent() {
	for i := 0; i < o.depth; i++ {
		o.b.WriteString("  ")
	}
}

func (o *textOut) begin(title string) {
	if o.depth > 0 {
		o.indent()
		o.b.WriteString("* ")
	}
	o.b.WriteString(title)
	o.b.WriteString(":\n")
	o.depth++
}

func (o *textOut) end() { o.depth-- }

func (o *textOut) item(name, text string) {
	o.indent()
	o.b.WriteString("* ")
	if name != "" {
		o.b.WriteString(name)
		o.b.WriteString(": ")
	}
	o.b.WriteString(text)
	o.b.WriteByte('\n')
}

func (o *textOut) spacer() { o.b.WriteByte('\n') }

// view is one rendering's inputs.
type view struct {
	root    *pe.Element
	c       *pe.Cluster
	o       Options
	loc     *time.Location
	ignored map[*pe.Resource]bool // failureIgnored's answers
	probes  []FailedOp            // failedProbe's list
}

// Text prints the status as crm_mon -1 does (without -r: active resources
// only).
func Text(root *pe.Element, c *pe.Cluster, o Options) string {
	v := &view{root: root, c: c, o: o, loc: o.Loc}
	if v.loc == nil {
		v.loc = time.UTC
	}
	var out textOut
	v.summary(&out)
	printed := true
	v.nodeList(&out)
	printed = v.resourceList(&out, printed, true)
	if o.Attributes {
		if v.attributeList(&out) {
			printed = true
		}
	}
	if o.FailCounts {
		if v.migrationSummary(&out) {
			printed = true
		}
	}
	v.failedActions(&out, printed)
	return out.b.String()
}

// ResourceList prints the resources alone, as crm_resource --list does
// (every resource, without nodes); ok is false when there are none.
func ResourceList(root *pe.Element, c *pe.Cluster) (text string, ok bool) {
	v := &view{root: root, c: c, o: Options{Inactive: true, RscOnly: true}, loc: time.UTC}
	var out textOut
	ok = v.resourceList(&out, false, true)
	return out.b.String(), ok && len(v.topLevel()) > 0
}

// Ctime formats t as ctime(3) does, without the newline.
func Ctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

func (v *view) epoch(sec int64) string { return Ctime(time.Unix(sec, 0).In(v.loc)) }

func (v *view) summary(out *textOut) {
	root := v.root
	out.begin("Cluster Summary")
	stack := "unknown"
	if nv := v.nvpair("cluster-infrastructure"); nv != nil {
		stack = nv.Get("value")
	}
	out.item("Stack", stack)
	if dc := v.dcNode(); dc != nil {
		version := "unknown"
		if nv := v.nvpair("dc-version"); nv != nil {
			version = nv.Get("value") // present but empty prints empty
		}
		mixed := ""
		if v.mixedVersion() {
			mixed = "MIXED-VERSION "
		}
		with := "WITHOUT"
		if isTrue(root.Get("have-quorum")) {
			with = "with"
		}
		out.item("Current DC", dc.Name+" (version "+version+") - "+mixed+"partition "+with+" quorum")
	} else {
		out.item("Current DC", "NONE")
	}
	out.item("Last updated", Ctime(v.o.Updated.In(v.loc)))
	var change strings.Builder
	written, hw := root.Lookup("cib-last-written")
	user, hu := root.Lookup("update-user")
	client, hc := root.Lookup("update-client")
	origin, ho := root.Lookup("update-origin")
	if hw || hu || hc || ho {
		change.WriteString(written)
		if hu {
			change.WriteString(" by " + user)
		}
		if hc {
			change.WriteString(" via " + client)
		}
		if ho {
			change.WriteString(" on " + origin)
		}
	}
	out.item("Last change", " "+change.String())
	nn := len(v.c.Nodes)
	n, disabled, blocked := v.counts()
	out.item("", strconv.Itoa(nn)+" node"+plural(nn)+" configured")
	line := strconv.Itoa(n) + " resource instance" + plural(n) + " configured"
	switch {
	case disabled > 0 && blocked > 0:
		line += " (" + strconv.Itoa(disabled) + " DISABLED, " + strconv.Itoa(blocked) + " BLOCKED from further action due to failure)"
	case disabled > 0:
		line += " (" + strconv.Itoa(disabled) + " DISABLED)"
	case blocked > 0:
		line += " (" + strconv.Itoa(blocked) + " BLOCKED from further action due to failure)"
	}
	out.item("", line)
	out.end()
	switch {
	case v.c.Options.MaintenanceMode:
		out.b.WriteString("\n              *** Resource management is DISABLED ***\n")
		out.b.WriteString("  The cluster will not attempt to start, stop or recover services\n")
	case v.c.Options.StopAllResources:
		out.b.WriteString("\n    *** Resource management is DISABLED ***\n")
		out.b.WriteString("  The cluster will keep all resources stopped\n")
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

// nvpair finds the first nvpair with this name anywhere in the CIB, as
// Pacemaker's //nvpair[@name=...] lookup does.
func (v *view) nvpair(name string) *pe.Element {
	var found *pe.Element
	var walk func(e *pe.Element)
	walk = func(e *pe.Element) {
		for _, ch := range e.Children {
			if found != nil {
				return
			}
			if ch.Name == "nvpair" && ch.Get("name") == name {
				found = ch
				return
			}
			walk(ch)
		}
	}
	walk(v.root)
	return found
}

func (v *view) dcNode() *pe.Node {
	id := v.root.Get("dc-uuid")
	if id == "" {
		return nil
	}
	for _, n := range v.c.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// mixedVersion reports whether the nodes' feature sets differ.
func (v *view) mixedVersion() bool {
	first := ""
	for _, st := range v.nodeStates() {
		fs := st.Get("feature_set")
		if fs == "" {
			continue
		}
		if first == "" {
			first = fs
		} else if fs != first {
			return true
		}
	}
	return false
}

func (v *view) nodeStates() []*pe.Element {
	if st := v.root.Child("status"); st != nil {
		return st.All("node_state")
	}
	return nil
}

// counts is Pacemaker's instance count: every primitive (clone instances
// included), orphans while active; the disabled and blocked among them.
func (v *view) counts() (n, disabled, blocked int) {
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		if len(r.Children) > 0 {
			for _, ch := range r.Children {
				walk(ch)
			}
			// Pacemaker makes clone-max instances whatever runs.
			if r.Kind == pe.KindClone && r.CloneMax > len(r.Children) {
				per := 0
				if t := r.Template(); t != nil {
					anyPrimitive(t, func(*pe.Resource) bool { per++; return false })
				}
				n += (r.CloneMax - len(r.Children)) * per
			}
			return
		}
		if r.Kind != pe.KindPrimitive {
			return
		}
		if r.Orphan && len(r.RunningOn) == 0 {
			return
		}
		n++
		if disabledRsc(r) {
			disabled++
		}
		if r.Blocked {
			blocked++
		}
	}
	for _, r := range v.c.DisplayOrder() {
		walk(r)
	}
	for _, r := range v.c.Orphans() {
		if r.Parent == nil {
			walk(r)
		}
	}
	return
}

func top(r *pe.Resource) *pe.Resource {
	for r.Parent != nil {
		r = r.Parent
	}
	return r
}

// targetRole is the resource's target-role meta attribute, inherited from
// its parents as Pacemaker's meta attributes are.
func targetRole(r *pe.Resource) (string, bool) {
	for x := r; x != nil; x = x.Parent {
		if t, ok := x.Meta["target-role"]; ok {
			return t, true
		}
	}
	return "", false
}

func roleOf(s string) pe.Role {
	switch strings.ToLower(s) {
	case "stopped":
		return pe.RoleStopped
	case "started":
		return pe.RoleStarted
	case "unpromoted", "slave":
		return pe.RoleUnpromoted
	case "promoted", "master":
		return pe.RolePromoted
	}
	return pe.RoleUnknown
}

func disabledRsc(r *pe.Resource) bool {
	t, ok := targetRole(r)
	if !ok {
		return false
	}
	role := roleOf(t)
	return role == pe.RoleStopped || role == pe.RoleUnpromoted && top(r).Promotable
}

// CompareNodeNames orders node names as Pacemaker's pe__cmp_node_name:
// case-insensitively, runs of digits by their value.
func CompareNodeNames(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				if len(na) < len(nb) {
					return -1
				}
				return 1
			}
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			continue
		}
		la, lb := lower(ca), lower(cb)
		if la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
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

func (v *view) sortedNodes() []*pe.Node {
	ns := append([]*pe.Node(nil), v.c.Nodes...)
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && CompareNodeNames(ns[j].Name, ns[j-1].Name) < 0; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
	return ns
}

func sortNames(l []string) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && CompareNodeNames(l[j], l[j-1]) < 0; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

// nodeStatus is node_text_status.
func (v *view) nodeStatus(n *pe.Node) string {
	switch {
	case n.Unclean:
		if n.Online {
			return "UNCLEAN (online)"
		}
		if n.Pending {
			return "UNCLEAN (pending)"
		}
		return "UNCLEAN (offline)"
	case n.Pending:
		return "pending"
	case v.standby(n):
		if n.Online {
			if v.runsAny(n) {
				return "standby (with active resources)"
			}
			return "standby"
		}
		return "OFFLINE (standby)"
	case nodeMaintenance(n):
		if n.Online {
			return "maintenance"
		}
		return "OFFLINE (maintenance)"
	case n.Online:
		return "online"
	}
	return "OFFLINE"
}

func (v *view) runsAny(n *pe.Node) bool {
	found := false
	v.eachPrimitive(func(p *pe.Resource) {
		for _, x := range p.RunningOn {
			if x == n {
				found = true
			}
		}
	})
	return found
}

func (v *view) eachPrimitive(f func(p *pe.Resource)) {
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		if r.Kind == pe.KindPrimitive {
			f(r)
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, r := range v.c.DisplayOrder() {
		walk(r)
	}
	for _, r := range v.c.Orphans() {
		if r.Parent == nil {
			walk(r)
		}
	}
}

func (v *view) nodeList(out *textOut) {
	if len(v.c.Nodes) == 0 {
		return
	}
	out.spacer()
	out.begin("Node List")
	var online, offline []string
	for _, n := range v.sortedNodes() {
		switch {
		case n.Unclean || n.Pending || v.standby(n) || nodeMaintenance(n):
			out.item("", "Node "+n.Name+": "+v.nodeStatus(n))
		case n.Online:
			online = append(online, n.Name)
		default:
			offline = append(offline, n.Name)
		}
	}
	if len(online) > 0 {
		out.item("Online", "[ "+strings.Join(online, " ")+" ]")
	}
	if len(offline) > 0 {
		out.item("OFFLINE", "[ "+strings.Join(offline, " ")+" ]")
	}
	out.end()
}

// nodeMaintenance is the node's own maintenance attribute (the cluster's
// maintenance-mode does not show on its nodes).
func nodeMaintenance(n *pe.Node) bool { return isTrue(n.Attrs["maintenance"]) }

// standby is the node's standby state as Pacemaker unpacks it: any
// standby attribute of an online node, only its configured one (the nodes
// section) when it is offline.
func (v *view) standby(n *pe.Node) bool {
	if n.Online {
		return n.Standby
	}
	cfg := v.root.Child("configuration")
	if cfg == nil || cfg.Child("nodes") == nil {
		return false
	}
	for _, ne := range cfg.Child("nodes").All("node") {
		if ne.Get("id") != n.ID {
			continue
		}
		for _, s := range ne.All("instance_attributes") {
			for _, nv := range s.All("nvpair") {
				if nv.Get("name") == "standby" {
					return isTrue(nv.Get("value"))
				}
			}
		}
	}
	return false
}

package mon

import (
	"strings"

	"github.com/hbd-ha/hbd/crm/pe"
)

func activeAll(r *pe.Resource) bool {
	if r.Kind == pe.KindPrimitive {
		return len(r.RunningOn) > 0
	}
	for _, ch := range r.Children {
		if !activeAll(ch) {
			return false
		}
	}
	return true
}

func activeAny(r *pe.Resource) bool {
	if r.Kind == pe.KindPrimitive {
		return len(r.RunningOn) > 0
	}
	for _, ch := range r.Children {
		if activeAny(ch) {
			return true
		}
	}
	return false
}

func anyPrimitive(r *pe.Resource, f func(p *pe.Resource) bool) bool {
	if r.Kind == pe.KindPrimitive {
		return f(r)
	}
	for _, ch := range r.Children {
		if anyPrimitive(ch, f) {
			return true
		}
	}
	return false
}

// topLevel is what resource-list walks: data_set->resources, the
// configured resources stably sorted by priority (highest first), then the
// top-level orphans.
func (v *view) topLevel() []*pe.Resource {
	rs := append([]*pe.Resource(nil), v.c.Resources...)
	for _, r := range v.c.Orphans() {
		if r.Parent == nil {
			rs = append(rs, r)
		}
	}
	return rs
}

// resourceList is Pacemaker's resource-list message; it reports whether
// it printed anything.
func (v *view) resourceList(out *textOut, spacer, summary bool) bool {
	printed := false
	header := func() {
		if printed {
			return
		}
		printed = true
		if spacer {
			out.spacer()
		}
		if v.o.Inactive {
			out.begin("Full List of Resources")
		} else {
			out.begin("Active Resources")
		}
	}
	any := false
	for _, r := range v.topLevel() {
		partial := activeAny(r)
		if r.Orphan && !activeAll(r) {
			continue
		}
		if !partial && !v.o.Inactive {
			continue
		}
		mark := out.b.Len()
		depth := out.depth
		header()
		if v.resource(out, r) {
			any = true
		} else if !any {
			// Nothing printed for it: take the header back.
			out.b.Truncate(mark)
			out.depth = depth
			printed = false
		}
	}
	if summary && !any {
		header()
		if v.o.Inactive {
			out.item("", "No resources")
		} else {
			out.item("", "No active resources")
		}
	}
	if printed {
		out.end()
	}
	return printed
}

func (v *view) resource(out *textOut, r *pe.Resource) bool {
	switch r.Kind {
	case pe.KindGroup:
		return v.group(out, r)
	case pe.KindClone:
		return v.clone(out, r)
	}
	var node *pe.Node
	if len(r.RunningOn) > 0 {
		node = r.RunningOn[0]
	}
	out.item("", v.primitiveText(r, printableID(r), node))
	return true
}

// printableID strips an anonymous clone instance's ":N".
func printableID(r *pe.Resource) string {
	for x := r.Parent; x != nil; x = x.Parent {
		if x.Kind == pe.KindClone {
			if x.Unique {
				return r.ID
			}
			if i := strings.LastIndexByte(r.ID, ':'); i >= 0 {
				return r.ID[:i]
			}
		}
	}
	return r.ID
}

func agentText(r *pe.Resource) string {
	class, kind := r.Class, r.Type
	if class == "" {
		class = "unknown"
	}
	if kind == "" {
		kind = "unknown"
	}
	if strings.EqualFold(class, "ocf") {
		return class + ":" + r.Provider + ":" + kind
	}
	return class + ":" + kind
}

func displayRole(r *pe.Resource) pe.Role {
	role := r.Role
	if role == pe.RoleUnknown {
		role = pe.RoleStopped
	}
	if len(r.RunningOn) > 0 && role == pe.RoleStopped {
		role = pe.RoleStarted
	}
	if role == pe.RoleStarted && top(r).Promotable {
		role = pe.RoleUnpromoted
	}
	return role
}

// primitiveText is pcmk__native_output_string.
func (v *view) primitiveText(r *pe.Resource, name string, node *pe.Node) string {
	var b strings.Builder
	multiple := len(r.RunningOn) > 1
	if multiple || v.o.RscOnly {
		node = nil
	}
	pending := v.pendingTask(r)
	b.WriteString(name + "\t(" + agentText(r) + "):\t")
	if r.Orphan {
		b.WriteString(" ORPHANED")
	}
	role := displayRole(r)
	if r.Failed {
		b.WriteString(" FAILED")
		if role > pe.RoleUnpromoted {
			b.WriteString(" " + role.String())
		}
	} else {
		b.WriteString(" " + pendingState(role, pending))
	}
	if node != nil {
		b.WriteString(" " + node.Name)
	}
	if role == pe.RoleStopped {
		at := ""
		if node != nil {
			at = node.Name
		}
		if rc, ok := v.failedProbe(r.ID, top(r).ID, at); ok {
			b.WriteString(" (" + ExitText(rc) + ") ")
		}
	}
	flags := false
	flag := func(s string) {
		if flags {
			b.WriteString(", ")
		} else {
			b.WriteString(" (")
		}
		b.WriteString(s)
		flags = true
	}
	if node != nil && !node.Online && node.Unclean {
		flag("UNCLEAN")
	}
	if pending == "monitor" {
		flag("Monitoring")
	}
	if t, ok := targetRole(r); ok {
		switch tr := roleOf(t); {
		case tr == pe.RoleStopped:
			flag("disabled")
		case top(r).Promotable && tr == pe.RoleUnpromoted:
			flag("target-role:" + t)
		}
	}
	if r.Blocked {
		flag("blocked")
	} else if !managed(v.c, r) {
		flag("unmanaged")
	}
	if v.failureIgnored(r) {
		flag("failure ignored")
	}
	if flags {
		b.WriteByte(')')
	}
	if multiple && !v.o.RscOnly {
		b.WriteString(" [")
		for _, n := range r.RunningOn {
			b.WriteString(" " + n.Name)
		}
		b.WriteString(" ]")
	}
	return b.String()
}

func (v *view) group(out *textOut, g *pe.Resource) bool {
	all, partial := activeAll(g), activeAny(g)
	header := false
	for _, ch := range g.Children {
		if !activeAny(ch) && !v.o.Inactive {
			continue
		}
		if !header {
			header = true
			var attrs []string
			if !all && partial && !v.o.Inactive {
				n := 0
				for _, x := range g.Children {
					if !activeAll(x) {
						n++
					}
				}
				if n > 0 {
					attrs = append(attrs, itoa(n)+" member"+plural(n)+" inactive")
				}
			}
			if !g.Managed {
				attrs = append(attrs, "unmanaged")
			}
			if disabledRsc(g) {
				attrs = append(attrs, "disabled")
			}
			if len(attrs) > 0 {
				out.begin("Resource Group: " + g.ID + " (" + strings.Join(attrs, ", ") + ")")
			} else {
				out.begin("Resource Group: " + g.ID)
			}
		}
		v.resource(out, ch)
	}
	if header {
		out.end()
	}
	return header
}

func (v *view) cloneHeader(out *textOut, c *pe.Resource, done *bool) {
	if *done {
		return
	}
	*done = true
	var attrs []string
	if c.Promotable {
		attrs = append(attrs, "promotable")
	}
	if c.Unique {
		attrs = append(attrs, "unique")
	}
	if !c.Managed {
		attrs = append(attrs, "unmanaged")
	}
	if disabledRsc(c) {
		attrs = append(attrs, "disabled")
	}
	child := ""
	if t := c.Template(); t != nil {
		child = t.ID
	}
	title := "Clone Set: " + c.ID + " [" + child + "]"
	if len(attrs) > 0 {
		title += " (" + strings.Join(attrs, ", ") + ")"
	}
	out.begin(title)
}

// configuredRole is the clone's target-role, else its first child's.
func configuredRole(c *pe.Resource) pe.Role {
	if t, ok := c.Meta["target-role"]; ok {
		return roleOf(t)
	}
	if len(c.Children) > 0 {
		if t, ok := c.Children[0].Meta["target-role"]; ok {
			return roleOf(t)
		}
	}
	return pe.RoleUnknown
}

// location is a fully active instance's one node (nil when its members
// run apart).
func location(r *pe.Resource) *pe.Node {
	if r.Kind == pe.KindPrimitive {
		if len(r.RunningOn) == 1 {
			return r.RunningOn[0]
		}
		return nil
	}
	var at *pe.Node
	for _, ch := range r.Children {
		n := location(ch)
		if n == nil || at != nil && n != at {
			return nil
		}
		at = n
	}
	return at
}

func maxRole(r *pe.Resource) pe.Role {
	if r.Kind == pe.KindPrimitive {
		return r.Role
	}
	m := pe.RoleUnknown
	for _, ch := range r.Children {
		if x := maxRole(ch); x > m {
			m = x
		}
	}
	return m
}

// clone is pe__clone_default.
func (v *view) clone(out *textOut, c *pe.Resource) bool {
	done := false
	var promoted, started []string
	stopped := map[string]string{}
	for _, inst := range c.Children {
		partial := activeAny(inst)
		full := false
		switch {
		case c.Unique:
			full = partial || !c.Orphan
		case !partial:
			if !inst.Orphan && v.o.Inactive {
				stopped[inst.ID] = "Stopped"
			}
		case anyPrimitive(inst, func(p *pe.Resource) bool { return p.Orphan || !p.Managed || p.Failed }):
			full = true
		case activeAll(inst):
			if n := location(inst); n == nil || !n.Online && n.Unclean {
				full = true
			} else if maxRole(inst) > pe.RoleUnpromoted {
				promoted = append(promoted, n.Name)
			} else {
				started = append(started, n.Name)
			}
		default:
			full = true
		}
		if full {
			v.cloneHeader(out, c, &done)
			if inst.Kind == pe.KindGroup {
				v.group(out, inst)
			} else {
				var node *pe.Node
				if len(inst.RunningOn) > 0 {
					node = inst.RunningOn[0]
				}
				out.item("", v.primitiveText(inst, printableID(inst), node))
			}
		}
	}
	activeN := 0
	if len(promoted) > 0 {
		sortNames(promoted)
		activeN += len(promoted)
		v.cloneHeader(out, c, &done)
		out.item("", "Promoted: [ "+strings.Join(promoted, " ")+" ]")
	}
	if len(started) > 0 {
		sortNames(started)
		activeN += len(started)
		v.cloneHeader(out, c, &done)
		switch {
		case c.Promotable && configuredRole(c) == pe.RoleUnpromoted:
			out.item("", "Unpromoted (target-role): [ "+strings.Join(started, " ")+" ]")
		case c.Promotable:
			out.item("", "Unpromoted: [ "+strings.Join(started, " ")+" ]")
		default:
			out.item("", "Started: [ "+strings.Join(started, " ")+" ]")
		}
	}
	if v.o.Inactive {
		if !c.Unique && c.CloneMax > activeN {
			stopped = map[string]string{}
			running := map[*pe.Node]bool{}
			for _, inst := range c.Children {
				anyPrimitive(inst, func(p *pe.Resource) bool {
					for _, n := range p.RunningOn {
						running[n] = true
					}
					return false
				})
			}
			state := "Stopped"
			if configuredRole(c) == pe.RoleStopped {
				state = "Stopped (disabled)"
			}
			child := ""
			if t := c.Template(); t != nil {
				child = t.ID
			}
			for _, n := range v.allowedNodes(c) {
				if running[n] {
					continue
				}
				if rc, ok := v.failedProbe(child, c.ID, n.Name); ok {
					stopped[n.Name] = "Stopped (" + ExitText(rc) + ")"
				} else {
					stopped[n.Name] = state
				}
			}
		}
		if len(stopped) > 0 {
			v.cloneHeader(out, c, &done)
			byState := map[string][]string{}
			var states []string
			for k, s := range stopped {
				if byState[s] == nil {
					states = append(states, s)
				}
				byState[s] = append(byState[s], k)
			}
			sortStrings(states)
			for _, s := range states {
				l := byState[s]
				sortNames(l)
				out.item("", s+": [ "+strings.Join(l, " ")+" ]")
			}
		} else if activeN == 0 {
			v.cloneHeader(out, c, &done)
		}
	}
	if done {
		out.end()
	}
	return done
}

// allowedNodes approximates the clone's allowed nodes before scheduling:
// every node in a symmetric cluster; else the nodes a location constraint
// names for it, else the nodes where it has history.
func (v *view) allowedNodes(c *pe.Resource) []*pe.Node {
	var out []*pe.Node
	if v.c.Options.Symmetric {
		return v.sortedNodes()
	}
	seen := map[*pe.Node]bool{}
	for _, l := range v.c.Locations {
		if l.Rsc != c && l.Rsc != c.Template() {
			continue
		}
		for n := range l.Scores {
			seen[n] = true
		}
	}
	if len(seen) == 0 {
		for _, n := range v.c.Nodes {
			if anyPrimitive(c, func(p *pe.Resource) bool { return p.KnownOn(n) }) {
				seen[n] = true
			}
		}
	}
	for _, n := range v.sortedNodes() {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}

func sortStrings(l []string) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j] < l[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// pendingState is native_pending_state: a pending action's state, else
// the role.
func pendingState(role pe.Role, pending string) string {
	switch pending {
	case "start":
		return "Starting"
	case "stop":
		return "Stopping"
	case "migrate_to", "migrate_from":
		return "Migrating"
	case "promote":
		return "Promoting"
	case "demote":
		return "Demoting"
	}
	return role.String()
}

// managed is whether Pacemaker manages the resource: not when configured
// so, an orphan kept by stop-orphan-resources=false, or active on a node
// in maintenance.
func managed(c *pe.Cluster, r *pe.Resource) bool {
	if !r.Managed || r.Orphan && !c.Options.StopOrphanResources {
		return false
	}
	for _, n := range r.RunningOn {
		if nodeMaintenance(n) {
			return false
		}
	}
	return true
}

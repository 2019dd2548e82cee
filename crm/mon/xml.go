package mon

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/pe"
)

// XML prints the status as crm_mon --output-as=xml does; request is the
// command line Pacemaker echoes in its pacemaker-result element.
func XML(root *pe.Element, c *pe.Cluster, o Options, request string) string {
	v := &view{root: root, c: c, o: o, loc: o.Loc}
	if v.loc == nil {
		v.loc = time.UTC
	}
	var x xmlOut
	x.open("pacemaker-result", "api-version", "2.25", "request", request)
	v.xmlSummary(&x)
	v.xmlNodes(&x)
	x.open("resources")
	for _, r := range v.topLevel() {
		if r.Orphan && !activeAll(r) {
			continue
		}
		v.xmlResource(&x, r)
	}
	x.close("resources")
	v.xmlAttributes(&x)
	v.xmlHistory(&x)
	v.xmlFailures(&x)
	v.xmlTickets(&x)
	v.xmlBans(&x)
	x.leaf("status", "code", "0", "message", "OK")
	x.close("pacemaker-result")
	return x.b.String()
}

// xmlOut writes Pacemaker's formatted XML: two spaces a level, empty
// elements closed in place.
type xmlOut struct {
	b     bytes.Buffer
	depth int
	// pending is an opened element not yet given a child: it becomes
	// <x/> if closed at once.
	pending bool
}

func (x *xmlOut) start(name string, attrs []string) {
	if x.pending {
		x.b.WriteString(">\n")
	}
	x.b.WriteString(strings.Repeat("  ", x.depth))
	x.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.b.WriteString(" " + attrs[i] + "=\"" + escapeAttr(attrs[i+1]) + "\"")
	}
}

func (x *xmlOut) open(name string, attrs ...string) {
	x.start(name, attrs)
	x.pending = true
	x.depth++
}

func (x *xmlOut) close(name string) {
	x.depth--
	if x.pending {
		x.b.WriteString("/>\n")
		x.pending = false
		return
	}
	x.b.WriteString(strings.Repeat("  ", x.depth) + "</" + name + ">\n")
}

func (x *xmlOut) leaf(name string, attrs ...string) {
	x.start(name, attrs)
	x.b.WriteString("/>\n")
	x.pending = false
}

func escapeAttr(s string) string {
	if !strings.ContainsAny(s, "&<>\"") {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;")
	return r.Replace(s)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (v *view) xmlSummary(x *xmlOut) {
	root := v.root
	x.open("summary")
	stack := "unknown"
	if nv := v.nvpair("cluster-infrastructure"); nv != nil {
		stack = nv.Get("value")
	}
	x.leaf("stack", "type", stack)
	if dc := v.dcNode(); dc != nil {
		version := "" // the text says "unknown", the XML leaves it empty
		if nv := v.nvpair("dc-version"); nv != nil {
			version = nv.Get("value")
		}
		x.leaf("current_dc", "present", "true", "version", version, "name", dc.Name, "id", dc.ID,
			"with_quorum", boolText(isTrue(root.Get("have-quorum"))), "mixed_version", boolText(v.mixedVersion()))
	} else {
		x.leaf("current_dc", "present", "false")
	}
	x.leaf("last_update", "time", Ctime(v.o.Updated.In(v.loc)))
	x.leaf("last_change", "time", root.Get("cib-last-written"), "user", root.Get("update-user"),
		"client", root.Get("update-client"), "origin", root.Get("update-origin"))
	n, disabled, blocked := v.counts()
	x.leaf("nodes_configured", "number", strconv.Itoa(len(v.c.Nodes)))
	x.leaf("resources_configured", "number", strconv.Itoa(n), "disabled", strconv.Itoa(disabled), "blocked", strconv.Itoa(blocked))
	o := v.c.Options
	nq := o.NoQuorumPolicy
	if nq == "" {
		nq = "stop"
	}
	stonithTimeout := "60000"
	if nv := v.crmConfig("stonith-timeout"); nv != "" {
		stonithTimeout = strconv.Itoa(msOf(nv))
	}
	pfd := "0"
	if nv := v.crmConfig("priority-fencing-delay"); nv != "" {
		pfd = strconv.Itoa(msOf(nv))
	}
	x.leaf("cluster_options", "stonith-enabled", boolText(o.StonithEnabled), "symmetric-cluster", boolText(o.Symmetric),
		"no-quorum-policy", nq, "maintenance-mode", boolText(o.MaintenanceMode), "stop-all-resources", boolText(o.StopAllResources),
		"stonith-timeout-ms", stonithTimeout, "priority-fencing-delay-ms", pfd)
	x.close("summary")
}

// crmConfig is a cluster option's value as written.
func (v *view) crmConfig(name string) string {
	cfg := v.root.Child("configuration")
	if cfg == nil {
		return ""
	}
	cc := cfg.Child("crm_config")
	if cc == nil {
		return ""
	}
	for _, s := range cc.All("cluster_property_set") {
		for _, nv := range s.All("nvpair") {
			if nv.Get("name") == name {
				return nv.Get("value")
			}
		}
	}
	return ""
}

// msOf reads a duration (seconds by default) in milliseconds.
func msOf(s string) int {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n := atoi(s[:i], 0)
	switch strings.TrimSpace(s[i:]) {
	case "ms", "msec":
		return n
	case "m", "min":
		return n * 60000
	case "h", "hr":
		return n * 3600000
	}
	return n * 1000
}

func (v *view) xmlNodes(x *xmlOut) {
	x.open("nodes")
	dc := v.dcNode()
	for _, n := range v.sortedNodes() {
		running := 0
		v.eachPrimitive(func(p *pe.Resource) {
			for _, m := range p.RunningOn {
				if m == n {
					running++
				}
			}
		})
		attrs := []string{"name", n.Name, "id", n.ID, "online", boolText(n.Online), "standby", boolText(v.standby(n)),
			"standby_onfail", "false", "maintenance", boolText(nodeMaintenance(n)), "pending", boolText(n.Pending),
			"unclean", boolText(n.Unclean), "health", "green"}
		if n.Online {
			fs := "<3.15.1"
			for _, st := range v.nodeStates() {
				if nodeFor(v.c, st) == n && st.Get("feature_set") != "" {
					fs = st.Get("feature_set")
				}
			}
			attrs = append(attrs, "feature_set", fs)
		}
		attrs = append(attrs, "shutdown", boolText(n.Shutdown), "expected_up", boolText(n.ExpectedUp), "is_dc", boolText(n == dc),
			"resources_running", strconv.Itoa(running), "type", "member")
		x.leaf("node", attrs...)
	}
	x.close("nodes")
}

func (v *view) xmlResource(x *xmlOut, r *pe.Resource) {
	switch r.Kind {
	case pe.KindGroup:
		x.open("group", "id", r.ID, "number_resources", strconv.Itoa(len(r.Children)), "managed", boolText(r.Managed),
			"disabled", boolText(disabledRsc(r)))
		for _, ch := range r.Children {
			v.xmlResource(x, ch)
		}
		x.close("group")
	case pe.KindClone:
		// A clone's own failed flag: its instances' failures are theirs.
		attrs := []string{"id", r.ID, "multi_state", boolText(r.Promotable), "unique", boolText(r.Unique),
			"managed", boolText(r.Managed), "disabled", boolText(disabledRsc(r)), "failed", "false", "failure_ignored", "false"}
		if t, ok := configuredRoleText(r); ok {
			attrs = append(attrs, "target_role", t)
		}
		x.open("clone", attrs...)
		for _, ch := range r.Children {
			v.xmlResource(x, ch)
		}
		x.close("clone")
	default:
		pending := v.pendingTask(r)
		attrs := []string{"id", printableID(r), "resource_agent", agentText(r), "role", pendingState(displayRole(r), pending)}
		if t, ok := targetRole(r); ok {
			attrs = append(attrs, "target_role", t)
		}
		managed := managed(v.c, r) && !r.Blocked
		attrs = append(attrs, "active", boolText(len(r.RunningOn) > 0), "orphaned", boolText(r.Orphan), "blocked", boolText(r.Blocked),
			"managed", boolText(managed), "failed", boolText(r.Failed), "failure_ignored", boolText(v.failureIgnored(r)),
			"nodes_running_on", strconv.Itoa(len(r.RunningOn)))
		if pending == "monitor" {
			attrs = append(attrs, "pending", "Monitoring")
		}
		x.open("resource", attrs...)
		for _, n := range r.RunningOn {
			x.leaf("node", "name", n.Name, "id", n.ID, "cached", boolText(n.Online))
		}
		x.close("resource")
	}
}

// xmlHistory is node_history: each online node's resources with their
// operations (notifications and probes that found nothing left out).
func (v *view) xmlHistory(x *xmlOut) {
	any := false
	for _, st := range v.nodeStates() {
		n := nodeFor(v.c, st)
		if n == nil || !n.Online {
			continue
		}
		if !any {
			any = true
			x.open("node_history")
		}
		var lrs *pe.Element
		if lrm := st.Child("lrm"); lrm != nil {
			lrs = lrm.Child("lrm_resources")
		}
		if lrs == nil {
			continue
		}
		opened := false
		for _, lr := range lrs.All("lrm_resource") {
			var ops []*pe.Element
			for _, op := range lr.All("lrm_rsc_op") {
				task := op.Get("operation")
				probe := task == "monitor" && atoi(op.Get("interval"), 0) == 0
				if task == "notify" || probe && atoi(op.Get("rc-code"), 0) == 7 {
					continue
				}
				ops = append(ops, op)
			}
			if len(ops) == 0 {
				continue
			}
			for i := 1; i < len(ops); i++ {
				for j := i; j > 0 && historyOrder(ops[j]) < historyOrder(ops[j-1]); j-- {
					ops[j], ops[j-1] = ops[j-1], ops[j]
				}
			}
			if !opened {
				opened = true
				x.open("node", "name", n.Name)
			}
			r := findResource(v.c, lr.Get("id"))
			if r == nil {
				x.open("resource_history", "id", lr.Get("id"), "orphan", "true")
			} else {
				attrs := []string{"id", printableID(r), "orphan", "false", "migration-threshold", itoa(r.MigrationThreshold)}
				count, last := v.c.Failcount(r, n)
				if count > 0 {
					attrs = append(attrs, "fail-count", scoreText(count))
				}
				// Pacemaker's last failure comes with a fail count.
				if last > 0 && count > 0 {
					attrs = append(attrs, "last-failure", v.epoch(last))
				}
				x.open("resource_history", attrs...)
			}
			for _, op := range ops {
				task := op.Get("operation")
				iv := op.Get("interval")
				if task == "monitor" && (iv == "" || iv == "0") {
					task = "probe"
				}
				rc := max(atoi(op.Get("rc-code"), 0), 0)
				attrs := []string{"call", op.Get("call-id"), "task", task, "rc", strconv.Itoa(rc), "rc_text", ExitText(rc)}
				if iv != "" && iv != "0" {
					attrs = append(attrs, "interval", iv+"ms")
				}
				if ch := atoi(op.Get("last-rc-change"), 0); ch > 0 {
					attrs = append(attrs, "last-rc-change", v.epoch(int64(ch)))
				}
				if e, ok := op.Lookup("exec-time"); ok {
					attrs = append(attrs, "exec-time", e+"ms")
				}
				if q, ok := op.Lookup("queue-time"); ok {
					attrs = append(attrs, "queue-time", q+"ms")
				}
				x.leaf("operation_history", attrs...)
			}
			x.close("resource_history")
		}
		if opened {
			x.close("node")
		}
	}
	if any {
		x.close("node_history")
	}
}

func (v *view) xmlFailures(x *xmlOut) {
	fs := FailedOps(v.root, v.c)
	opened := false
	for _, f := range fs {
		op := f.Op
		key, hasKey := op.Lookup("operation_key")
		if !hasKey {
			key = op.Get("id")
		}
		if f.Masked {
			continue
		}
		if !opened {
			opened = true
			x.open("failures")
		}
		reason := op.Get("exit-reason")
		if reason == "" {
			reason = "none"
		}
		keyName := "op_key"
		if !hasKey {
			keyName = "id"
		}
		attrs := []string{keyName, key, "node", f.Node, "exitstatus", ExitText(f.RC), "exitreason", reason,
			"exitcode", strconv.Itoa(f.RC), "call", op.Get("call-id"), "status", ExecText(atoi(op.Get("op-status"), 0))}
		if ch := atoi(op.Get("last-rc-change"), 0); ch > 0 {
			t := time.Unix(int64(ch), 0).In(v.loc)
			zone := "Z"
			if _, off := t.Zone(); off != 0 {
				zone = t.Format("-07:00")
			}
			attrs = append(attrs, "last-rc-change", t.Format("2006-01-02 15:04:05")+zone)
			if q, ok := op.Lookup("queue-time"); ok {
				attrs = append(attrs, "queued", q)
			}
			if e, ok := op.Lookup("exec-time"); ok {
				attrs = append(attrs, "exec", e)
			}
			iv := op.Get("interval")
			if iv == "" {
				iv = "0"
			}
			attrs = append(attrs, "interval", iv, "task", op.Get("operation"))
		}
		x.leaf("failure", attrs...)
	}
	if opened {
		x.close("failures")
	}
}

// xmlAttributes is node_attributes: each online node's own attributes.
func (v *view) xmlAttributes(x *xmlOut) {
	opened := false
	for _, n := range v.sortedNodes() {
		if !n.Online {
			continue
		}
		var names []string
		for k := range n.Attrs {
			if !hiddenAttr(k) {
				names = append(names, k)
			}
		}
		if len(names) == 0 {
			continue
		}
		sortStrings(names)
		if !opened {
			opened = true
			x.open("node_attributes")
		}
		x.open("node", "name", n.Name)
		for _, k := range names {
			if expected, ok := v.pingExpected(n, k); ok {
				x.leaf("attribute", "name", k, "value", n.Attrs[k], "expected", itoa(expected))
			} else {
				x.leaf("attribute", "name", k, "value", n.Attrs[k])
			}
		}
		x.close("node")
	}
	if opened {
		x.close("node_attributes")
	}
}

// historyOrder sorts operations by call id, pending ones (-1) last.
func historyOrder(op *pe.Element) int {
	if id := callID(op); id >= 0 {
		return id
	}
	return int(^uint(0) >> 1)
}

// xmlBans is ban-list: every negative location score, the constraints
// and each one's nodes in the reverse of their order (Pacemaker prepends
// both to its lists).
func (v *view) xmlBans(x *xmlOut) {
	opened := false
	nodes := v.sortedNodes()
	for k := len(v.c.Locations) - 1; k >= 0; k-- {
		l := v.c.Locations[k]
		// The scheduler's own bans (__stop_fail__ and the like) are node
		// scores in Pacemaker, not constraints.
		if l.Rsc == nil || strings.HasPrefix(l.ID, "__") {
			continue
		}
		for i := len(nodes) - 1; i >= 0; i-- {
			n := nodes[i]
			w, ok := l.Scores[n]
			if !ok || w >= 0 {
				continue
			}
			if !opened {
				opened = true
				x.open("bans")
			}
			promoted := boolText(l.Role == pe.RolePromoted)
			x.leaf("ban", "id", l.ID, "resource", l.Rsc.ID, "node", n.Name, "weight", scoreText(w),
				"promoted-only", promoted, "master_only", promoted)
		}
	}
	if opened {
		x.close("bans")
	}
}

type ticket struct {
	id, lastGranted  string
	granted, standby bool
}

// tickets lists the tickets Pacemaker knows: those with a state in the
// status section, then those constraints name (revoked), by id.
func (v *view) tickets() []ticket {
	byID := map[string]*ticket{}
	var ids []string
	add := func(id string) *ticket {
		if t := byID[id]; t != nil {
			return t
		}
		t := &ticket{id: id}
		byID[id] = t
		ids = append(ids, id)
		return t
	}
	if st := v.root.Child("status"); st != nil {
		if ts := st.Child("tickets"); ts != nil {
			for _, e := range ts.All("ticket_state") {
				t := add(e.Get("id"))
				t.granted = isTrue(e.Get("granted"))
				t.standby = isTrue(e.Get("standby"))
				t.lastGranted = e.Get("last-granted")
			}
		}
	}
	if cfg := v.root.Child("configuration"); cfg != nil {
		if cons := cfg.Child("constraints"); cons != nil {
			for _, e := range cons.All("rsc_ticket") {
				if id := e.Get("ticket"); id != "" {
					add(id)
				}
			}
		}
	}
	sortNames(ids)
	out := make([]ticket, 0, len(ids))
	for _, id := range ids {
		out = append(out, *byID[id])
	}
	return out
}

func (v *view) xmlTickets(x *xmlOut) {
	ts := v.tickets()
	if len(ts) == 0 {
		return
	}
	x.open("tickets")
	for _, t := range ts {
		status := "revoked"
		if t.granted {
			status = "granted"
		}
		attrs := []string{"id", t.id, "status", status, "standby", boolText(t.standby)}
		if lg := atoi(t.lastGranted, -1); lg > -1 {
			attrs = append(attrs, "last-granted", v.epoch(int64(lg)))
		}
		x.leaf("ticket", attrs...)
	}
	x.close("tickets")
}

// configuredRoleText is configured_role_str: the clone's target-role, else
// its first instance's.
func configuredRoleText(c *pe.Resource) (string, bool) {
	if t, ok := c.Meta["target-role"]; ok {
		return t, true
	}
	if len(c.Children) > 0 {
		if t, ok := c.Children[0].Meta["target-role"]; ok {
			return t, true
		}
	}
	if t := c.Template(); t != nil {
		if v, ok := t.Meta["target-role"]; ok {
			return v, true
		}
	}
	return "", false
}

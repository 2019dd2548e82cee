package mon

import (
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/crm/pe"
)

// Pacemaker's execution status codes (PCMK_EXEC_*).
const (
	execPending      = -1
	execDone         = 0
	execError        = 4
	execErrorFatal   = 6
	execNotInstalled = 7
)

// FailedOp is an operation history entry Pacemaker lists under "Failed
// Resource Actions".
type FailedOp struct {
	Op   *pe.Element
	Node string
	Rsc  string
	RC   int
	// Status is the execution status after Pacemaker remaps the result
	// against the expected one.
	Status int
	// Masked is a probe that found the agent missing or misconfigured:
	// recorded, but listed as the resource's "Stopped (not installed)"
	// rather than as a failed action.
	Masked bool
}

// ExitText is services_ocf_exitcode_str.
func ExitText(rc int) string {
	switch rc {
	case 0:
		return "ok"
	case 1:
		return "error"
	case 2:
		return "invalid parameter"
	case 3:
		return "unimplemented feature"
	case 4:
		return "insufficient privileges"
	case 5:
		return "not installed"
	case 6:
		return "not configured"
	case 7:
		return "not running"
	case 8:
		return "promoted"
	case 9:
		return "promoted (failed)"
	case 190:
		return "degraded"
	case 191:
		return "promoted (degraded)"
	}
	return "unknown"
}

// ExecText is pcmk_exec_status_str.
func ExecText(s int) string {
	switch s {
	case -1:
		return "pending"
	case 0:
		return "complete"
	case 1:
		return "Cancelled"
	case 2:
		return "Timed Out"
	case 3:
		return "NOT SUPPORTED"
	case 4:
		return "Error"
	case 5:
		return "Hard error"
	case 6:
		return "Fatal error"
	case 7:
		return "Not installed"
	case 8:
		return "Internal communication failure"
	case 9:
		return "Cannot execute now"
	case 10:
		return "No fence device"
	case 11:
		return "CIB secrets unavailable"
	}
	return "UNKNOWN!"
}

// ReadableInterval is pcmk__readable_interval (its strict comparisons
// included: one minute prints as 60s).
func ReadableInterval(ms int) string {
	var b strings.Builder
	const s, m, h, d = 1000, 60 * 1000, 3600 * 1000, 86400 * 1000
	if ms > d {
		b.WriteString(itoa(ms/d) + "d")
		ms %= d
	}
	if ms > h {
		b.WriteString(itoa(ms/h) + "h")
		ms %= h
	}
	if ms > m {
		b.WriteString(itoa(ms/m) + "m")
		ms %= m
	}
	switch {
	case ms > s:
		b.WriteString(itoa(ms / s))
		if r := ms % s; r > 0 {
			x := itoa(r)
			b.WriteString("." + strings.Repeat("0", 3-len(x)) + x)
		}
		b.WriteString("s")
	case ms > 0:
		b.WriteString(itoa(ms) + "ms")
	case b.Len() == 0:
		b.WriteString("0s")
	}
	return b.String()
}

func atoi(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

// targetRC reads the expected result from the transition key
// (action:transition:target-rc:uuid), -1 when there is none.
func targetRC(op *pe.Element) int {
	key := op.Get("transition-key")
	if key == "" {
		if magic := op.Get("transition-magic"); magic != "" {
			if i := strings.IndexByte(magic, ';'); i >= 0 {
				key = magic[i+1:]
			}
		}
	}
	f := strings.Split(key, ":")
	if len(f) < 4 {
		return -1
	}
	return atoi(f[2], -1)
}

func isProbe(op *pe.Element) bool {
	return op.Get("operation") == "monitor" && atoi(op.Get("interval"), 0) == 0
}

// FailedOps lists the failed operations as Pacemaker's unpacking records
// them (data_set->failed): online nodes in status order, each resource's
// history in call order, one entry per operation key and node.
func FailedOps(root *pe.Element, c *pe.Cluster) []FailedOp {
	var out []FailedOp
	status := root.Child("status")
	if status == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, st := range status.All("node_state") {
		n := nodeFor(c, st)
		if n == nil || !n.Online {
			continue
		}
		lrm := st.Child("lrm")
		if lrm == nil {
			continue
		}
		lrs := lrm.Child("lrm_resources")
		if lrs == nil {
			continue
		}
		for _, lr := range lrs.All("lrm_resource") {
			ops := append([]*pe.Element(nil), lr.All("lrm_rsc_op")...)
			for i := 1; i < len(ops); i++ {
				for j := i; j > 0 && callID(ops[j]) < callID(ops[j-1]); j-- {
					ops[j], ops[j-1] = ops[j-1], ops[j]
				}
			}
			r := findResource(c, lr.Get("id"))
			for _, op := range ops {
				f, ok := failure(c, r, n, op)
				if !ok {
					continue
				}
				key := strings.ToLower(op.Get("operation_key") + "\x00" + n.Name)
				if seen[key] {
					continue
				}
				seen[key] = true
				f.Node, f.Rsc = n.Name, lr.Get("id")
				out = append(out, f)
			}
		}
	}
	return out
}

func callID(op *pe.Element) int { return atoi(op.Get("call-id"), -1) }

func nodeFor(c *pe.Cluster, st *pe.Element) *pe.Node {
	id := st.Get("id")
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	return c.Node(st.Get("uname"))
}

// failure decides whether one history entry is a recorded failure, as
// remap_operation and unpack_rsc_op_failure do.
func failure(c *pe.Cluster, r *pe.Resource, n *pe.Node, op *pe.Element) (FailedOp, bool) {
	status := atoi(op.Get("op-status"), 0)
	rc := atoi(op.Get("rc-code"), 0)
	f := FailedOp{Op: op, RC: rc}
	probe := isProbe(op)
	if probe && (rc == 5 || rc == 2 || status == execNotInstalled) {
		f.Masked = true
		return f, !expired(c, r, n, op)
	}
	recorded := false
	if op.Get("operation") == "monitor" && (rc == 190 || rc == 191) {
		recorded = true // a degraded result is remapped and recorded
		rc -= 190
		if rc == 1 {
			rc = 8
		}
	}
	if status == execDone || status == execError {
		target := targetRC(op)
		status = execDone
		if target < 0 || target != rc {
			status = execError
		}
		switch rc {
		case 0:
			if probe && target == 7 {
				status = execDone
			}
		case 7:
			if probe || target == rc || r != nil && configuredUnmanaged(c, r, n) {
				status = execDone
			}
		case 8:
			if probe && rc != target {
				status = execDone
			}
		case 9:
			status = execError
		case 6:
			status = execErrorFatal
		}
	}
	f.Status = status
	switch status {
	case execDone, execPending, 1:
		return f, recorded
	}
	if !c.Options.Symmetric && rc == 5 {
		return f, false
	}
	if expired(c, r, n, op) {
		return f, false
	}
	return f, true
}

// findResource maps a history entry's resource id to a configured resource
// or clone instance.
func findResource(c *pe.Cluster, id string) *pe.Resource {
	if r := c.Resource(id); r != nil {
		return r
	}
	base := id
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		base = id[:i]
	}
	var found *pe.Resource
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		if found != nil {
			return
		}
		if r.Kind == pe.KindPrimitive {
			pid := r.ID
			if pid == id {
				found = r
				return
			}
			if i := strings.LastIndexByte(pid, ':'); i >= 0 && pid[:i] == base {
				found = r
			}
			return
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, r := range c.DisplayOrder() {
		walk(r)
	}
	for _, r := range c.Orphans() {
		walk(r)
	}
	return found
}

// parseOpKey splits RSC_TASK_INTERVAL.
func parseOpKey(key string) (rsc, task string, interval int, ok bool) {
	i := strings.LastIndexByte(key, '_')
	if i <= 0 {
		return "", "", 0, false
	}
	iv, err := strconv.Atoi(key[i+1:])
	if err != nil {
		return "", "", 0, false
	}
	rest := key[:i]
	for _, t := range []string{"migrate_to", "migrate_from"} {
		if strings.HasSuffix(rest, "_"+t) {
			return rest[:len(rest)-len(t)-1], t, iv, true
		}
	}
	if j := strings.Index(rest, "_pre_notify_"); j > 0 {
		return rest[:j], rest[j+1:], iv, true
	}
	if j := strings.Index(rest, "_post_notify_"); j > 0 {
		return rest[:j], rest[j+1:], iv, true
	}
	j := strings.LastIndexByte(rest, '_')
	if j <= 0 {
		return "", "", 0, false
	}
	return rest[:j], rest[j+1:], iv, true
}

func (v *view) failedActions(out *textOut, spacer bool) {
	fs := FailedOps(v.root, v.c)
	header := false
	for _, f := range fs {
		if f.Masked {
			continue
		}
		key := f.Op.Get("operation_key")
		if key == "" {
			key = f.Op.Get("id")
		}
		if _, _, _, ok := parseOpKey(key); !ok {
			continue
		}
		if !header {
			header = true
			if spacer {
				out.spacer()
			}
			out.begin("Failed Resource Actions")
		}
		out.item("", v.failedText(f))
	}
	if header {
		out.end()
	}
}

// failedText is failed_action_friendly: the execution status is the
// entry's own, not the remapped one.
func (v *view) failedText(f FailedOp) string {
	op := f.Op
	key := op.Get("operation_key")
	if key == "" {
		key = op.Get("id")
	}
	rsc, task, interval, ok := parseOpKey(key)
	if !ok {
		rsc, task, interval = "unknown resource", "unknown action", 0
	}
	var b strings.Builder
	b.WriteString(rsc + " ")
	if interval != 0 {
		b.WriteString(ReadableInterval(interval) + "-interval ")
	}
	if task == "monitor" && interval == 0 {
		task = "probe"
	}
	b.WriteString(task + " on " + f.Node)
	reason := op.Get("exit-reason")
	status := atoi(op.Get("op-status"), 0)
	if status == execDone {
		b.WriteString(" returned '" + ExitText(f.RC) + "'")
		if reason != "" {
			b.WriteString(" (" + reason + ")")
		}
	} else {
		b.WriteString(" could not be executed (" + ExecText(status))
		if reason != "" {
			b.WriteString(": " + reason)
		}
		b.WriteByte(')')
	}
	if ch, err := strconv.ParseInt(op.Get("last-rc-change"), 10, 64); err == nil {
		b.WriteString(" at " + v.epoch(ch))
	}
	if ms := atoi(op.Get("exec-time"), 0); ms > 0 {
		b.WriteString(" after " + ReadableInterval(ms))
	}
	return b.String()
}

// pendingTask is the resource's first pending operation (not a probe), as
// unpacking records it in pending_task.
func (v *view) pendingTask(p *pe.Resource) string {
	status := v.root.Child("status")
	if status == nil {
		return ""
	}
	ids := []string{p.ID}
	if pid := printableID(p); pid != p.ID {
		ids = append(ids, pid)
	}
	for _, st := range status.All("node_state") {
		n := nodeFor(v.c, st)
		if n == nil {
			continue
		}
		on := p.KnownOn(n)
		for _, x := range p.RunningOn {
			on = on || x == n
		}
		if !on {
			continue
		}
		var lrs *pe.Element
		if lrm := st.Child("lrm"); lrm != nil {
			lrs = lrm.Child("lrm_resources")
		}
		if lrs == nil {
			continue
		}
		for _, lr := range lrs.All("lrm_resource") {
			match := false
			for _, id := range ids {
				match = match || lr.Get("id") == id
			}
			if !match {
				continue
			}
			ops := append([]*pe.Element(nil), lr.All("lrm_rsc_op")...)
			for i := 1; i < len(ops); i++ {
				for j := i; j > 0 && callID(ops[j]) < callID(ops[j-1]); j-- {
					ops[j], ops[j-1] = ops[j-1], ops[j]
				}
			}
			for _, op := range ops {
				if atoi(op.Get("op-status"), 0) != execPending {
					continue
				}
				if isProbe(op) {
					continue
				}
				return op.Get("operation")
			}
		}
	}
	return ""
}

// migrationSummary is node-summary with fail counts only (crm_mon -f).
func (v *view) migrationSummary(out *textOut) bool {
	status := v.root.Child("status")
	if status == nil || len(status.Children) == 0 {
		return false
	}
	header := false
	for _, st := range status.All("node_state") {
		n := nodeFor(v.c, st)
		if n == nil || !n.Online {
			continue
		}
		if !header {
			header = true
			out.spacer()
			out.begin("Migration Summary")
		}
		nodeHeader := false
		var lrs *pe.Element
		if lrm := st.Child("lrm"); lrm != nil {
			lrs = lrm.Child("lrm_resources")
		}
		if lrs == nil {
			continue
		}
		for _, lr := range lrs.All("lrm_resource") {
			r := findResource(v.c, lr.Get("id"))
			if r == nil {
				continue
			}
			// pe_fc_default: expired failures still count here.
			count, last := v.c.Failcount(r, n)
			if count <= 0 {
				continue
			}
			if !nodeHeader {
				nodeHeader = true
				out.begin("Node: " + n.Name)
			}
			line := lr.Get("id") + ": migration-threshold=" + itoa(r.MigrationThreshold)
			if count > 0 {
				line += " fail-count=" + scoreText(count)
			}
			if last > 0 {
				line += " last-failure='" + v.epoch(last) + "'"
			}
			out.item("", line)
		}
		if nodeHeader {
			out.end()
		}
	}
	if header {
		out.end()
	}
	return header
}

func scoreText(n int) string {
	switch {
	case n >= 1000000:
		return "1000000"
	case n <= -1000000:
		return "-1000000"
	}
	return itoa(n)
}

// attributeList is node-attribute-list (crm_mon -A): each online node's
// attributes other than Pacemaker's own, sorted by name.
func (v *view) attributeList(out *textOut) bool {
	header := false
	for _, n := range v.sortedNodes() {
		if !n.Online {
			continue
		}
		var names []string
		for k := range n.Attrs {
			if hiddenAttr(k) {
				continue
			}
			names = append(names, k)
		}
		if len(names) == 0 {
			continue
		}
		sortStrings(names)
		if !header {
			header = true
			out.spacer()
			out.begin("Node Attributes")
		}
		out.begin("Node: " + n.Name)
		for _, k := range names {
			line := pad(k, 32) + "\t: " + pad(n.Attrs[k], 10)
			if expected, ok := v.pingExpected(n, k); ok {
				switch val := atoi(n.Attrs[k], 0); {
				case val <= 0:
					line += "\t: Connectivity is lost"
				case val < expected:
					line += "\t: Connectivity is degraded (Expected=" + itoa(expected) + ")"
				}
			}
			out.item("", line)
		}
		out.end()
	}
	if header {
		out.end()
	}
	return header
}

// hiddenAttr is Pacemaker's FILTER_STR: attributes whose names start
// with these are never shown.
func hiddenAttr(k string) bool {
	for _, p := range []string{"fail-count-", "last-failure-", "shutdown", "terminate", "standby", "#"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// pad is printf's %-Ns.
func pad(s string, n int) string {
	for len(s) < n {
		s += " "
	}
	return s
}

// failureIgnored reports whether r has a failed operation configured
// with on-fail=ignore (pe_rsc_failure_ignored).
func (v *view) failureIgnored(r *pe.Resource) bool {
	if v.ignored == nil {
		v.ignored = map[*pe.Resource]bool{}
		for _, f := range FailedOps(v.root, v.c) {
			x := findResource(v.c, f.Rsc)
			if x == nil {
				continue
			}
			task := f.Op.Get("operation")
			iv := atoi(f.Op.Get("interval"), 0)
			for _, o := range x.Ops {
				if o.Name == task && o.IntervalMS == iv && strings.EqualFold(o.OnFail, "ignore") {
					v.ignored[x] = true
				}
			}
		}
	}
	return v.ignored[r]
}

// expired is check_operation_expiry: an entry older than the resource's
// failure-timeout (unless its on-fail is block) is expired, but not while
// the resource still has a fail count that has not expired.
func expired(c *pe.Cluster, r *pe.Resource, n *pe.Node, op *pe.Element) bool {
	if r == nil || r.FailureTimeout <= 0 {
		return false
	}
	last := int64(atoi(op.Get("last-rc-change"), 0))
	if last <= 0 || c.Now < last+int64(r.FailureTimeout) {
		return false
	}
	task, iv := op.Get("operation"), atoi(op.Get("interval"), 0)
	for _, o := range r.Ops {
		if o.Name == task && o.IntervalMS == iv && strings.EqualFold(o.OnFail, "block") {
			return false
		}
	}
	if raw, _ := c.Failcount(r, n); raw > 0 && c.EffectiveFailcount(r, n) != 0 {
		return false
	}
	return true
}

// configuredUnmanaged is whether the resource is unmanaged by its
// configuration (is-managed=false, maintenance), the state unpacking sees
// while it reads the history: a block after a failure comes later.
func configuredUnmanaged(c *pe.Cluster, r *pe.Resource, n *pe.Node) bool {
	if c.Options.MaintenanceMode || n != nil && nodeMaintenance(n) {
		return true
	}
	for x := r; x != nil; x = x.Parent {
		if v, ok := x.Meta["is-managed"]; ok {
			return !isTrue(v)
		}
		if v, ok := x.Meta["maintenance"]; ok && isTrue(v) {
			return true
		}
	}
	return false
}

// pingExpected is add_extra_info: when a ping resource running on n
// sets the attribute, the score it would have with every host answering.
func (v *view) pingExpected(n *pe.Node, attr string) (int, bool) {
	expected, found := 0, false
	v.eachPrimitive(func(p *pe.Resource) {
		if found || !strings.EqualFold(p.Type, "ping") && !strings.EqualFold(p.Type, "pingd") {
			return
		}
		on := false
		for _, x := range p.RunningOn {
			on = on || x == n
		}
		if !on {
			return
		}
		name := p.Params["name"]
		if name == "" {
			name = "pingd"
		}
		if !strings.EqualFold(name, attr) {
			return
		}
		hosts := 0
		if h, ok := p.Params["host_list"]; ok {
			hosts = len(strings.Split(h, " "))
		}
		mult, err := strconv.Atoi(strings.TrimSpace(p.Params["multiplier"]))
		if err != nil {
			mult = 1
		}
		expected, found = hosts*mult, true
	})
	return expected, found
}

// failedProbe is pe__failed_probe_for_rsc: a masked probe failure of the
// resource (id, or its top parent's) on the node ("" for any), with the
// probe's result.
func (v *view) failedProbe(id, parentID, node string) (rc int, ok bool) {
	if v.probes == nil {
		v.probes = FailedOps(v.root, v.c)
	}
	for _, f := range v.probes {
		if !f.Masked {
			continue
		}
		on, has := f.Op.Lookup("on_node")
		if !has || node != "" && !strings.EqualFold(on, node) {
			continue
		}
		key := f.Op.Get("operation_key")
		if key == "" {
			key = f.Op.Get("id")
		}
		rsc, _, _, ok := parseOpKey(key)
		if !ok || rsc != id && rsc != parentID {
			continue
		}
		return f.RC, true
	}
	return 0, false
}

package pe

import (
	"sort"
	"strconv"
	"strings"
)

// On-fail strategies, in increasing severity (Pacemaker keeps the most
// severe one seen in a resource's history on a node).
type onFail int

const (
	failIgnore onFail = iota
	failDemote
	failRecover
	failMigrate
	failBlock
	failStop
	failStandby
	failFence
)

// OCF result codes used by the history.
const (
	rcOK            = 0
	rcNotRunning    = 7
	rcRunningMaster = 8
	rcFailedMaster  = 9
	rcDegradedMastr = 190 // PCMK_OCF_DEGRADED_PROMOTED
	rcDegraded      = 191
	rcNotConfigured = 6
	rcNotInstalled  = 5
	rcInvalidParam  = 2
	rcInsuffPriv    = 4
	rcUnimplemented = 3
)

// Executor statuses (op-status).
const (
	execPending     = -1
	execDone        = 0
	execCancelled   = 1
	execTimeout     = 2
	execNotSupp     = 3
	execError       = 4
	execErrorHard   = 5
	execErrorFatal  = 6
	execNotInstall  = 7
	execNotConnect  = 8
	execInvalid     = 9
	execNoFence     = 10
	execNoSecrets   = 11
	execUnknownStat = 100
)

type histOp struct {
	e        *Element
	task     string
	callID   int
	rc       int
	status   int
	interval int
	targetRC int
}

func atoiDef(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

// targetRC takes the expected result from the transition key
// ("action:transition:target-rc:uuid"); -1 when absent.
func targetRC(e *Element) int {
	key := e.Get("transition-key")
	parts := strings.Split(key, ":")
	if len(parts) < 4 {
		return -1
	}
	return atoiDef(parts[2], -1)
}

// unpackLrmResource applies one lrm_resource's operation history on node n
// to r (unpack_lrm_resource, unpack_rsc_op, process_rsc_state).
func (c *Cluster) unpackLrmResource(r *Resource, n *Node, le *Element) {
	var ops []histOp
	for _, oe := range le.All("lrm_rsc_op") {
		op := histOp{e: oe, task: oe.Get("operation"), callID: atoiDef(oe.Get("call-id"), -1),
			rc: atoiDef(oe.Get("rc-code"), 0), status: atoiDef(oe.Get("op-status"), 0),
			interval: atoiDef(oe.Get("interval"), 0), targetRC: targetRC(oe)}
		if v, ok := oe.Lookup("interval"); ok {
			op.interval = msValue(v)
			if n, err := strconv.Atoi(v); err == nil {
				op.interval = n
			}
		}
		ops = append(ops, op)
	}
	// Pending operations (call-id -1) sort last, as Pacemaker's
	// sort_op_by_callid does.
	sort.SliceStable(ops, func(i, j int) bool {
		a, b := ops[i].callID, ops[j].callID
		if a == -1 || b == -1 {
			return a != -1 && b == -1
		}
		return a < b
	})
	if r.knownOn == nil {
		r.knownOn = map[*Node]bool{}
	}
	if r.nodeRole == nil {
		r.nodeRole = map[*Node]Role{}
	}
	saved := r.Role
	r.Role = RoleUnknown
	strategy := failIgnore
	var lastFailure *histOp
	for i := range ops {
		c.unpackOp(r, n, &ops[i], &strategy, &lastFailure)
	}
	role := r.Role
	// An instance goes by the name of the history entry that shows it
	// active (promotion scores are looked up by it; crm_simulate agrees
	// with this rather than with the last name seen).
	if id := le.Get("id"); role > RoleStopped || r.histName == "" {
		r.histName = id
	}
	c.processRscState(r, n, role, strategy)
	if role > RoleStopped {
		r.nodeRole[n] = role
	}
	if saved > r.Role {
		r.Role = saved
	}
	if r.Role == RoleUnknown {
		r.Role = RoleStopped
	}
}

func (r *Resource) promotableParent() bool {
	cl := r.inClone()
	return cl != nil && cl.Promotable
}

func (r *Resource) setActive() {
	if r.promotableParent() {
		r.Role = RoleUnpromoted
	} else {
		r.Role = RoleStarted
	}
}

// opExpired reports whether a history entry is older than the resource's
// failure-timeout with the resource's fail count on the node expired too
// (check_operation_expiry): now >= last-rc-change + failure-timeout, and
// no fail count still counts. A probe that found the resource running or
// stopped never expires.
func (c *Cluster) opExpired(r *Resource, n *Node, op *histOp) bool {
	if r.FailureTimeout <= 0 || r.failureTimeoutOff {
		return false
	}
	last, err := strconv.ParseInt(strings.TrimSpace(op.e.Get("last-rc-change")), 10, 64)
	if err != nil {
		return false
	}
	expired := c.Now >= last+int64(r.FailureTimeout)
	// The resource's fail count on the node, effective (this may drop the
	// failure-timeout for good, see failureTimeout) and raw.
	if raw, _ := c.rawFailcount(r, n); raw > 0 && c.failcountFor(r, n, op) > 0 && expired {
		expired = false // an unexpired fail count keeps the entry
	}
	if expired && op.task == "monitor" && op.interval == 0 {
		switch op.rc {
		case rcOK, rcNotRunning, rcRunningMaster, rcDegraded, rcDegradedMastr:
			return false
		}
	}
	return expired
}

func isProbe(op *histOp) bool { return op.task == "monitor" && op.interval == 0 }

func (c *Cluster) unpackOp(r *Resource, n *Node, op *histOp, strategy *onFail, lastFailure **histOp) {
	if op.task == "" || op.task == "notify" || op.task == "meta-data" {
		return
	}
	rc, status := op.rc, op.status
	expired := c.opExpired(r, n, op)
	// remap_operation
	if status == execDone || status == execError {
		status = execDone
		if op.targetRC < 0 || op.targetRC != rc {
			status = execError
		}
		probe := isProbe(op)
		switch rc {
		case rcOK:
			if probe && op.targetRC == rcNotRunning {
				status = execDone
			}
		case rcNotRunning:
			if probe || op.targetRC == rc || !r.Managed {
				status = execDone
				r.Role = RoleStopped
				*strategy = failIgnore
				r.NextRole = RoleUnknown
			}
		case rcRunningMaster:
			if probe && rc != op.targetRC {
				status = execDone
			}
			r.Role = RolePromoted
		case rcDegradedMastr, rcFailedMaster:
			r.Role = RolePromoted
			status = execError
		case rcNotConfigured:
			status = execErrorFatal
		case rcUnimplemented:
			if op.interval == 0 {
				status = execErrorHard
			} else {
				status = execNotSupp
			}
		case rcNotInstalled, rcInvalidParam, rcInsuffPriv:
			status = execErrorHard
		default:
			if status == execDone {
				status = execError
			}
		}
	}
	// An expired failure is ignored (a recurring one only on a node that
	// is up and clean: it is then rescheduled).
	if expired && rc != op.targetRC && (op.interval == 0 || (n.Online && !n.Unclean)) {
		return
	}
	switch status {
	case execCancelled:
		return
	case execPending:
		if op.task == "start" {
			r.pending = true
			r.setActive()
		} else if op.task == "promote" {
			r.Role = RolePromoted
		}
		return
	case execDone:
		c.updateResourceState(r, n, op, rc, strategy, *lastFailure)
		return
	}
	// Failures.
	if status == execNotInstall || status == execErrorHard {
		c.addBan(r, n, "hard-error")
	}
	if status == execErrorFatal {
		for _, m := range c.Nodes {
			c.addBan(r, m, "fatal-error")
		}
	}
	c.unpackOpFailure(r, n, op, rc, strategy, lastFailure)
}

// addBan records a -INFINITY location for r (or its anonymous clone) on n.
func (c *Cluster) addBan(r *Resource, n *Node, why string) {
	target := r
	if cl := r.inClone(); cl != nil && !cl.Unique {
		target = cl
	}
	c.Locations = append(c.Locations, &Location{ID: why, Rsc: target, Scores: map[*Node]int{n: -Infinity}})
}

func (c *Cluster) updateResourceState(r *Resource, n *Node, op *histOp, rc int, strategy *onFail, lastFailure *histOp) {
	clear := false
	switch {
	case rc == rcNotInstalled:
		r.Role = RoleStopped
	case rc == rcNotRunning:
		clear = true
	case op.task == "monitor":
		if lastFailure != nil && lastFailure.task == op.task && lastFailure.interval == op.interval {
			clear = true
		}
		if r.Role < RoleStarted {
			r.setActive()
		}
	case op.task == "start":
		r.Role = RoleStarted
		clear = true
	case op.task == "stop":
		r.Role = RoleStopped
		clear = true
	case op.task == "promote":
		r.Role = RolePromoted
		clear = true
	case op.task == "demote":
		if *strategy == failDemote {
			clear = true
		}
		r.Role = RoleUnpromoted
	case op.task == "migrate_from":
		r.Role = RoleStarted
		clear = true
	case op.task == "migrate_to":
		// A partial migration is out of scope; the source still runs it.
		if r.Role < RoleStarted {
			r.setActive()
		}
	default:
		if r.Role < RoleStarted {
			r.setActive()
		}
	}
	if r.Role == RoleStarted && r.promotableParent() {
		r.Role = RoleUnpromoted
	}
	if clear {
		switch *strategy {
		case failStop, failFence, failMigrate, failStandby:
		default:
			*strategy = failIgnore
			r.NextRole = RoleUnknown
		}
	}
}

// opOnFail is the configured or default on-fail for a failed operation
// (Pacemaker's unpack_operation defaults).
func (c *Cluster) opOnFail(r *Resource, op *histOp) onFail {
	spec := ""
	for _, o := range r.Ops {
		if o.Name == op.task && o.IntervalMS == op.interval {
			spec = o.OnFail
			break
		}
	}
	if spec == "" && op.task == "monitor" && op.interval == 0 {
		// Probes take the on-fail of the resource's monitors? No: defaults.
	}
	if spec == "" {
		spec = c.opDefaults["on-fail"]
	}
	switch strings.ToLower(spec) {
	case "ignore":
		return failIgnore
	case "block":
		return failBlock
	case "fence":
		if c.Options.StonithEnabled {
			return failFence
		}
		return failStop // reset to stop when fencing is disabled
	case "standby":
		return failStandby
	case "stop":
		return failStop
	case "demote":
		return failDemote
	case "restart":
		return failRecover
	}
	if op.task == "stop" {
		if c.Options.StonithEnabled {
			return failFence
		}
		return failBlock
	}
	return failRecover
}

func (c *Cluster) unpackOpFailure(r *Resource, n *Node, op *histOp, rc int, strategy *onFail, lastFailure **histOp) {
	*lastFailure = op
	action := c.opOnFail(r, op)
	if r.failedOn == nil {
		r.failedOn = map[*Node]bool{}
	}
	if action > *strategy {
		*strategy = action
	}
	if action == failStop {
		// The failure's role is Stopped: the resource (an anonymous
		// clone as a whole) must not come up again anywhere this time.
		if r.NextRole < RoleStopped {
			r.NextRole = RoleStopped
		}
		target := r
		if cl := r.top(); cl.Kind == KindClone && !cl.Unique {
			target = cl
		}
		ban := map[*Node]int{}
		for _, m := range c.Nodes {
			ban[m] = -Infinity
		}
		c.Locations = append(c.Locations, &Location{ID: "__fail_role_stopped__", Rsc: target, Scores: ban})
	}
	switch op.task {
	case "stop":
		c.Locations = append(c.Locations, &Location{ID: "__stop_fail__", Rsc: r, Scores: map[*Node]int{n: -Infinity}})
	case "promote":
		r.Role = RolePromoted
	case "demote":
		// A blocked demote stays promoted; otherwise the instance counts as
		// unpromoted (it is recovered by a stop, and staying promoted would
		// loop) or stopped when the agent said so.
		switch {
		case action == failBlock:
			r.Role = RolePromoted
			r.NextRole = RoleStopped
		case rc == rcNotRunning:
			r.Role = RoleStopped
		default:
			r.Role = RoleUnpromoted
		}
	}
	if isProbe(op) && rc == rcNotInstalled {
		r.Role = RoleStopped
	} else if r.Role < RoleStarted {
		r.setActive()
	}
	if action != failIgnore {
		r.failedOn[n] = true
	}
}

// processRscState turns the result of a node's history into the
// resource's state there (process_rsc_state).
func (c *Cluster) processRscState(r *Resource, n *Node, role Role, strategy onFail) {
	if role != RoleUnknown {
		r.knownOn[n] = true
	}
	if role > RoleStopped && !n.Online && !n.Maintenance && r.Managed {
		if c.Options.StonithEnabled {
			c.fence(n, r.ID+" is thought to be active there")
		}
	}
	if n.Unclean {
		strategy = failIgnore
	}
	switch strategy {
	case failDemote:
		r.Failed = true
	case failFence:
		c.fence(n, r.ID+" failed there")
	case failStandby:
		n.Standby = true
	case failBlock:
		r.Managed = false
		r.Blocked = true
	case failMigrate:
		c.addBan(r, n, "__action_migration_auto__")
	case failStop:
		r.NextRole = RoleStopped
	case failRecover:
		if role != RoleStopped && role != RoleUnknown {
			r.Failed = true
			r.stopNeeded = true
		}
	}
	if role != RoleStopped && role != RoleUnknown {
		if !containsNode(r.RunningOn, n) {
			r.RunningOn = append(r.RunningOn, n)
		}
		switch strategy {
		case failIgnore:
		case failDemote, failBlock:
			r.Failed = true
		default:
			r.Failed = true
			r.stopNeeded = true
		}
	}
}

func containsNode(ns []*Node, n *Node) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
)

// This file is crm_resource --restart and --wait against the running
// cluster, as Pacemaker 2.1.5's cli_resource_restart and wait_till_stable
// do them: the tool, not the cluster, waits, by reading the live CIB
// again and again. --restart sets the resource's target-role to stopped,
// works out (by scheduling the changed CIB to its end) which resources
// stop with it, waits until they have, restores the previous target-role
// (or deletes it) and waits until those resources run again. --wait
// schedules the live CIB until the transition graph has no action left.

// restartPoll is how often the live CIB is read again while waiting
// (Pacemaker sleeps 2 s; its step timeouts are kept below in time, not in
// polls).
var restartPoll = 500 * time.Millisecond

// restartStep is Pacemaker's sleep_interval: a step's timeout is counted
// in these.
const restartStep = 2 * time.Second

// waitDefaultTimeout is --wait's without --timeout (WAIT_DEFAULT_TIMEOUT_S).
const waitDefaultTimeout = time.Hour

// toolTimeout reads --timeout (crm_get_msec: a number of seconds, or with
// a unit); 0 when not given.
func toolTimeout(p *crmParsed) time.Duration {
	if s := p.last("timeout"); s != "" {
		if d, ok := cib.ParseInterval(s); ok && d > 0 {
			return d
		}
	}
	return 0
}

// livePE reads the live CIB (CIB_file's when set) and unpacks it.
func livePE() (*pe.Element, *pe.Cluster, error) {
	root, _, live, err := loadCIB()
	if live && err == nil {
		err = liveTransportError()
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := pe.Unpack(root, nowUnix())
	return root, c, err
}

// activeResources is get_active_resources: the top-level resources (a
// group's members in its place) running on host ("" anywhere); on
// decides where a primitive runs.
func activeResources(c *pe.Cluster, host string, on func(*pe.Resource) []*pe.Node) []string {
	var out []string
	var walk func(rs []*pe.Resource)
	walk = func(rs []*pe.Resource) {
		for _, r := range rs {
			if r.Kind == pe.KindGroup {
				walk(r.Children)
			} else if runsOn(r, host, on) {
				out = append(out, r.ID)
			}
		}
	}
	walk(c.DisplayOrder())
	return out
}

// runsOn: a primitive, or any primitive of a collective, runs on host
// ("" anywhere).
func runsOn(r *pe.Resource, host string, on func(*pe.Resource) []*pe.Node) bool {
	if r.Kind == pe.KindPrimitive {
		for _, n := range on(r) {
			if host == "" || n.Name == host {
				return true
			}
		}
		return false
	}
	for _, ch := range r.Children {
		if runsOn(ch, host, on) {
			return true
		}
	}
	return false
}

func currentNodes(r *pe.Resource) []*pe.Node { return r.RunningOn }

// subtract is pcmk__subtract_lists: the items of a not in b, in order.
func subtract(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// stopTimeout is a primitive's stop timeout (its stop op's, else the op
// defaults', else 20 s), which bounds a step of the restart.
func stopTimeout(root *pe.Element, id string) time.Duration {
	timeout := func(e *pe.Element) (time.Duration, bool) {
		if e == nil {
			return 0, false
		}
		if d, ok := cib.ParseInterval(e.Get("timeout")); ok && d > 0 {
			return d, true
		}
		for _, m := range e.All("meta_attributes") {
			for _, nv := range m.All("nvpair") {
				if nv.Get("name") == "timeout" {
					if d, ok := cib.ParseInterval(nv.Get("value")); ok && d > 0 {
						return d, true
					}
				}
			}
		}
		return 0, false
	}
	if e := rscElement(root, id); e != nil {
		if ops := e.Child("operations"); ops != nil {
			for _, op := range ops.All("op") {
				if op.Get("name") == "stop" {
					if d, ok := timeout(op); ok {
						return d
					}
				}
			}
		}
	}
	if cfg := root.Child("configuration"); cfg != nil {
		if d, ok := timeout(cfg.Child("op_defaults")); ok {
			return d
		}
	}
	return 20 * time.Second
}

// maxDelay is max_delay_in: 5 s and the longest stop timeout of the
// resources (their primitives) still to change.
func maxDelay(root *pe.Element, c *pe.Cluster, ids []string) time.Duration {
	var longest time.Duration
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		if r.Kind == pe.KindPrimitive {
			longest = max(longest, stopTimeout(root, baseID(r.ID)))
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, id := range ids {
		if r := findRsc(c, id); r != nil {
			walk(r)
		}
	}
	return 5*time.Second + longest.Truncate(time.Second)
}

// restartLive is --restart on the running cluster.
func restartLive(prog string, p *crmParsed, root *pe.Element, c *pe.Cluster, r *pe.Resource, stdout, stderr io.Writer) int {
	host := p.last("node")
	id := r.ID
	if r.Parent != nil && r.Parent.Kind == pe.KindClone && !r.Parent.Unique {
		id = baseID(r.ID)
	}
	if !runsOn(r, host, currentNodes) {
		if host != "" {
			fmt.Fprintf(stderr, "%s is not running on %s and so cannot be restarted\n", id, host)
		} else {
			fmt.Fprintf(stderr, "%s is not running anywhere and so cannot be restarted\n", id)
		}
		return crmFail(prog, p, stdout, stderr, crmExitNoSuch, "Error performing operation: No such object")
	}
	timeout := toolTimeout(p)
	origActive := activeResources(c, host, currentNodes)
	current := origActive
	db, err := cib.ParseCIB(root.AppendXML(nil))
	if err != nil {
		return liveReport(prog, p, stdout, stderr, err)
	}
	w := &rscWriter{prog: prog, p: p, db: db, stdout: stdout, stderr: stderr}
	orig := metaValue(root, id, "target-role")
	if rc := w.setParam(id, "target-role", "stopped", true, false); rc != crmExitOK {
		fmt.Fprintf(stderr, "Could not set target-role for %s\n", id)
		return rc
	}
	restore := func() int {
		if orig != "" {
			return w.setParam(id, "target-role", orig, true, false)
		}
		return w.deleteParam(id, "target-role", true, false)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, format, a...)
		restore()
		return crmFail(prog, p, stdout, stderr, 124, "Error performing operation: Timeout occurred")
	}
	// Where everything ends once the stop is carried out.
	root2, c2, err := livePE()
	if err != nil {
		restore()
		fmt.Fprintln(stderr, "Could not determine which resources would be stopped")
		return liveReport(prog, p, stdout, stderr, err)
	}
	res := pe.Schedule(c2)
	target := activeResources(c2, host, func(x *pe.Resource) []*pe.Node { return res.Final[x].Nodes })
	delta := subtract(current, target)
	fmt.Fprintf(stdout, "Waiting for %d resources to stop:\n", len(delta))
	for _, x := range delta {
		fmt.Fprintf(stdout, " * %s\n", x)
	}
	deadline := time.Time{}
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	// wait polls until done() or a step passes with no progress.
	wait := func(done func() (bool, int, error)) int {
		for {
			ok, before, err := done()
			if err != nil {
				return -1
			}
			if ok {
				return 0
			}
			step := timeout
			if timeout == 0 {
				step = maxDelay(root2, c2, delta)
			} else if left := time.Until(deadline); left < step {
				step = left
			}
			step = max(step.Truncate(restartStep), restartStep)
			end := time.Now().Add(step)
			left := before
			for time.Now().Before(end) {
				time.Sleep(restartPoll)
				if ok, left, err = done(); err != nil {
					return -1
				} else if ok {
					return 0
				}
			}
			if left == before {
				return 1
			}
		}
	}
	stopped := func() (bool, int, error) {
		_, cx, err := livePE()
		if err != nil {
			fmt.Fprintln(stderr, "Could not determine which resources were stopped")
			return false, 0, err
		}
		current = activeResources(cx, host, currentNodes)
		delta = subtract(current, target)
		return len(delta) == 0, len(delta), nil
	}
	switch wait(stopped) {
	case -1:
		restore()
		return crmFail(prog, p, stdout, stderr, crmExitNotConn, "Error performing operation: Not connected")
	case 1:
		return fail("Could not complete shutdown of %s, %d resources remaining\n%s", id, len(delta), bullets(delta))
	}
	if rc := restore(); rc != crmExitOK {
		fmt.Fprintf(stderr, "Could not unset target-role for %s\n", id)
		return rc
	}
	target = origActive
	delta = subtract(target, current)
	fmt.Fprintf(stdout, "Waiting for %d resources to start again:\n", len(delta))
	for _, x := range delta {
		fmt.Fprintf(stdout, " * %s\n", x)
	}
	started := func() (bool, int, error) {
		_, cx, err := livePE()
		if err != nil {
			fmt.Fprintln(stderr, "Could not determine which resources were started")
			return false, 0, err
		}
		// Dependents may have moved: anywhere counts.
		current = activeResources(cx, "", currentNodes)
		delta = subtract(target, current)
		rx := findRsc(cx, id)
		return len(delta) == 0 && rx != nil && runsOn(rx, host, currentNodes), len(delta), nil
	}
	switch wait(started) {
	case -1:
		return crmFail(prog, p, stdout, stderr, crmExitNotConn, "Error performing operation: Not connected")
	case 1:
		fmt.Fprintf(stderr, "Could not complete restart of %s, %d resources remaining\n%s", id, len(delta), bullets(delta))
		return crmFail(prog, p, stdout, stderr, 124, "Error performing operation: Timeout occurred")
	}
	return crmExitOK
}

func bullets(ids []string) string {
	s := ""
	for _, x := range ids {
		s += " * " + x + "\n"
	}
	return s
}

// metaValue is a resource's own meta attribute ("" when unset).
func metaValue(root *pe.Element, id, name string) string {
	if e := rscElement(root, id); e != nil {
		for _, s := range e.All("meta_attributes") {
			for _, nv := range s.All("nvpair") {
				if nv.Get("name") == name {
					return nv.Get("value")
				}
			}
		}
	}
	return ""
}

// pendingActions are the actions of the live CIB's transition graph that
// are still to run (wait_till_stable's action_is_pending: not pseudo, not
// a notify), as "Action N: key on node" lines, the last scheduled first
// as Pacemaker lists them.
func pendingActions(root *pe.Element, c *pe.Cluster) []string {
	g := pe.BuildGraph(pe.Schedule(c), root)
	var out []string
	for _, a := range g.Actions {
		if a.Kind == pe.ActionPseudo || a.Task == "notify" {
			continue
		}
		key := a.Key
		if a.Kind == pe.ActionRsc && a.Task != "stonith" {
			key = a.Rsc + "_" + a.Task + "_" + strconv.Itoa(a.IntervalMS)
		}
		if a.Node != "" {
			out = append(out, fmt.Sprintf("\tAction %d: %s\ton %s", a.ID, key, a.Node))
		} else {
			out = append(out, fmt.Sprintf("\tAction %d: %s", a.ID, key))
		}
	}
	slices.Reverse(out)
	return out
}

// waitLive is --wait: the live CIB is scheduled until its graph has no
// pending action, or the timeout (an hour by default) passes.
func waitLive(prog string, p *crmParsed, stdout, stderr io.Writer) int {
	timeout := toolTimeout(p)
	if timeout == 0 {
		timeout = waitDefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	var pending []string
	for first := true; ; first = false {
		if time.Now().After(deadline) {
			fmt.Fprintln(stdout, "Pending actions:")
			for _, l := range pending {
				fmt.Fprintln(stdout, l)
			}
			return crmFail(prog, p, stdout, stderr, 124, "Error performing operation: Timeout occurred")
		}
		if !first {
			time.Sleep(restartPoll)
		}
		root, c, err := livePE()
		if err != nil {
			return liveReport(prog, p, stdout, stderr, err)
		}
		if pending = pendingActions(root, c); len(pending) == 0 {
			return crmExitOK
		}
	}
}

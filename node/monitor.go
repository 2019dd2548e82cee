package node

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/metrics"
	"github.com/hbd-ha/hbd/rsc/lrm"
	"github.com/hbd-ha/hbd/wire"
)

// This file is the monitoring of haresources groups (hbd_monitor): the
// held groups' resources get recurring monitors in the daemon's LRM
// (lrm.go); a failure restarts the resource in place, stopping it and
// the resources after it in the group (right to left) and starting them
// again (left to right), up to hbd_monitor_restarts times within
// hbd_monitor_window; the next failure gives the group up as hb_standby
// does, so the peer takes it over through the ownership protocol
// (heartbeat 3.0.6 peers included). A group is watched only while this
// node holds it and no take or give of it runs.

// restartPolicy decides what a monitor failure leads to. It is pure: the
// caller passes the loop's time, so tests need no clock.
type restartPolicy struct {
	limit  int   // restarts allowed within window
	window int64 // nanoseconds
}

// decide records a failure at now against the group's past restarts
// (times, oldest first, updated in place) and reports whether to restart
// in place (true) or give the group up (false).
func (p restartPolicy) decide(times *[]int64, now int64) bool {
	ts := *times
	k := 0
	for k < len(ts) && ts[k] <= now-p.window {
		k++
	}
	ts = append(ts[:0], ts[k:]...)
	if len(ts) >= p.limit {
		*times = ts
		return false
	}
	*times = append(ts, now)
	return true
}

// Owner of the monitor's LRM operations: lrmd clients (Server) use their
// pids, which never come near it.
const monitorOwner = 1 << 62

// giveUpGrace is how long a group given up may stay held before the
// monitor concludes that nobody takes it (no live peer, a peer in flux,
// legacy auto_failback, more than two nodes: the standby exchange is
// refused) and watches it again with a fresh restart count.
const giveUpGrace = 30 * time.Second

// restartStepTimeout bounds each stop and start of a restart in place
// when hbd_action_timeout sets no limit: a hung agent must not leave the
// group unmonitored for ever (the give-up then runs with rsc's limits).
const restartStepTimeout = 2 * time.Minute

type monState uint8

const (
	monIdle       monState = iota // not held, or a take or give runs
	monWatching                   // monitors running
	monRestarting                 // a restart in place runs
	monGivingUp                   // standby asked for; waiting for the release
)

// monRsc is one monitored resource of a group.
type monRsc struct {
	id                string // LRM resource id
	token             string
	interval, timeout time.Duration
	call              int // the recurring monitor's call id; 0 when none
}

// monGroup is one haresources group under monitoring.
type monGroup struct {
	key   string
	local bool // this node is its preferred node: hb_standby's "local"
	rscs  []*monRsc
	state monState
	// restarts are the restart times within the window (loop time).
	restarts []int64
	// seq is the restart in place: the LRM operations to run in order,
	// step the one running (its call id in seqCall).
	seq     []monStep
	step    int
	seqCall int
	started int64 // loop time the restart began (the failure's verdict)
	failed  string
	giveUp  loop.Timer

	index int // in monitor.groups, the metrics' series
}

type monStep struct {
	rsc *monRsc
	op  string
}

// monitor is the node's haresources monitoring.
type monitor struct {
	n        *Node
	policy   restartPolicy
	groups   []*monGroup
	byKey    map[string]*monGroup
	byRsc    map[string]*monGroup
	inflight map[string]int      // group key → takes and gives running
	actions  map[uint64][]string // action id → its keys
	action   time.Duration       // start and stop timeout (hbd_action_timeout)
	sent     bool                // a message was sent: the node must flush
	metrics  *metrics.MonitorSeries
}

// newMonitor builds the monitoring of the haresources groups; the
// resources are added to the LRM (their agents located as
// ResourceManager locates them). It returns nil when no resource is
// monitored.
func newMonitor(n *Node, l *lrm.LRM, c *config.Config) *monitor {
	if c.Haresources == nil || !c.Monitored() {
		return nil
	}
	m := &monitor{n: n, byKey: map[string]*monGroup{}, byRsc: map[string]*monGroup{},
		inflight: map[string]int{}, actions: map[uint64][]string{}, action: cmp.Or(c.ActionTimeout, restartStepTimeout),
		policy: restartPolicy{limit: c.Monitor.Restarts, window: int64(c.Monitor.Window)}}
	ids := map[string]bool{}
	for _, g := range c.Haresources.Groups {
		if g.Key() == "" {
			continue
		}
		mg := &monGroup{key: g.Key(), local: g.Node == c.LocalNode}
		mg.giveUp.Init(func(int64) { m.giveUpExpired(mg) })
		any := false
		for i := range g.Resources {
			r := &g.Resources[i]
			iv, to := c.Monitor.MonitorOf(r)
			lr, err := n.lrmResource(r, ids)
			if err != nil {
				if iv > 0 {
					n.log.Logf(hblog.Warn, "hbd: resource %s of group %s is not monitored: %v", r.Token, mg.key, err)
				}
				// Still a member: a restart of an earlier resource
				// cannot stop and start it, so the group is given up
				// instead (restartable reports it).
				mg.rscs = append(mg.rscs, &monRsc{token: r.Token})
				continue
			}
			if err := l.Add(lr); err != nil {
				n.log.Logf(hblog.Warn, "hbd: resource %s of group %s is not monitored: %v", r.Token, mg.key, err)
				mg.rscs = append(mg.rscs, &monRsc{token: r.Token})
				continue
			}
			ids[lr.ID] = true
			mr := &monRsc{id: lr.ID, token: r.Token, interval: iv, timeout: to}
			mg.rscs = append(mg.rscs, mr)
			m.byRsc[lr.ID] = mg
			any = any || iv > 0
		}
		if !any {
			continue
		}
		mg.index = len(m.groups)
		m.groups = append(m.groups, mg)
		m.byKey[mg.key] = mg
	}
	if len(m.groups) == 0 {
		return nil
	}
	n.log.Logf(hblog.Info, "hbd: monitoring %d haresources group(s): restarts in place %d within %v, then the group is given up",
		len(m.groups), c.Monitor.Restarts, c.Monitor.Window)
	return m
}

// actionStarted notes a take or give handed to rsc: its groups are in
// flux and not watched until it ends.
func (m *monitor) actionStarted(id uint64, keys []string) {
	ks := append([]string(nil), keys...)
	m.actions[id] = ks
	for _, k := range ks {
		m.inflight[k]++
	}
	m.sync()
}

// actionDone notes the end of a take or give.
func (m *monitor) actionDone(id uint64) {
	for _, k := range m.actions[id] {
		if m.inflight[k]--; m.inflight[k] <= 0 {
			delete(m.inflight, k)
		}
	}
	delete(m.actions, id)
}

// sync starts watching the groups this node now holds, and stops
// watching those it does not hold or that are in flux.
func (m *monitor) sync() {
	n := m.n
	for _, g := range m.groups {
		held := n.own != nil && n.own.Holds(g.key) && m.inflight[g.key] == 0 && !n.stopping
		switch {
		case held && g.state == monIdle:
			m.watch(g)
		case !held && g.state == monGivingUp:
			n.loop.StopTimer(&g.giveUp)
			g.restarts = g.restarts[:0]
			g.state = monIdle
		case !held && g.state != monIdle:
			if g.state == monRestarting {
				// The running step's agent is killed: the release's stop
				// must not meet a start of ours still running.
				n.log.Logf(hblog.Warn, "hbd: restart of group %s abandoned: the group is being released or taken", g.key)
				if g.step >= 0 && g.step < len(g.seq) {
					_ = n.lrm.l.Cancel(g.seq[g.step].rsc.id, g.seqCall)
				}
			}
			m.unwatch(g)
			g.state = monIdle
		}
	}
}

// watch starts g's recurring monitors.
func (m *monitor) watch(g *monGroup) {
	g.state = monWatching
	for _, r := range g.rscs {
		if r.interval <= 0 || r.id == "" {
			continue
		}
		// The first run waits an interval: the take has just checked it.
		call, err := m.n.lrm.l.Perform(lrm.Op{Rsc: r.id, Name: "monitor", Interval: r.interval,
			Timeout: r.timeout, StartDelay: r.interval, Owner: monitorOwner})
		if err != nil {
			m.n.log.Logf(hblog.Error, "hbd: monitor of resource %s: %v", r.token, err)
			continue
		}
		r.call = call
	}
}

// unwatch cancels g's monitors (a run under way ends cancelled).
func (m *monitor) unwatch(g *monGroup) {
	for _, r := range g.rscs {
		if r.call != 0 {
			call := r.call
			r.call = 0 // before Cancel, which may report at once
			_ = m.n.lrm.l.Cancel(r.id, call)
		}
	}
}

// done takes the LRM's results of the monitor's operations (on the loop).
func (m *monitor) done(r *lrm.Result) {
	if r.Owner != monitorOwner || r.Status == lrm.StatusCancelled {
		return
	}
	g := m.byRsc[r.Rsc]
	if g == nil {
		return
	}
	if r.Op == "monitor" {
		m.monitorDone(g, r)
		return
	}
	if g.state == monRestarting && r.CallID == g.seqCall {
		m.stepDone(g, r)
	}
}

func (m *monitor) monitorDone(g *monGroup, r *lrm.Result) {
	var mr *monRsc
	for _, x := range g.rscs {
		if x.id == r.Rsc && x.call == r.CallID {
			mr = x
		}
	}
	if mr == nil || g.state != monWatching || (r.Status == lrm.StatusDone && r.RC == lrm.RCOK) {
		return
	}
	m.metrics.Failure(g.index)
	n := m.n
	n.log.Logf(hblog.Error, "hbd: monitor of resource %s (group %s) failed: %s", mr.token, g.key, describe(r))
	now := n.loop.Now()
	if !m.restartable(g, mr) {
		m.giveUpGroup(g, "its resources cannot be restarted one by one")
		return
	}
	if !m.policy.decide(&g.restarts, now) {
		m.giveUpGroup(g, fmt.Sprintf("%d restart(s) within %v did not keep it running",
			len(g.restarts), time.Duration(m.policy.window)))
		return
	}
	m.restart(g, mr, now)
}

// restartable reports whether every resource from mr on can be stopped
// and started through the LRM.
func (m *monitor) restartable(g *monGroup, mr *monRsc) bool {
	from := false
	for _, r := range g.rscs {
		from = from || r == mr
		if from && r.id == "" {
			return false
		}
	}
	return true
}

// restart stops mr and the resources after it, right to left, then
// starts them left to right.
func (m *monitor) restart(g *monGroup, mr *monRsc, now int64) {
	m.unwatch(g)
	g.state = monRestarting
	g.started = now
	g.failed = mr.token
	g.seq = g.seq[:0]
	i := 0
	for i < len(g.rscs) && g.rscs[i] != mr {
		i++
	}
	for _, st := range restartOrder(len(g.rscs), i) {
		g.seq = append(g.seq, monStep{g.rscs[st.index], st.op})
	}
	m.n.log.Logf(hblog.Info, "hbd: restarting resource %s of group %s in place (restart %d of %d within %v)",
		mr.token, g.key, len(g.restarts), m.policy.limit, time.Duration(m.policy.window))
	g.step = -1
	m.nextStep(g)
}

// orderStep is one operation of a restart in place: op on the group's
// resource index.
type orderStep struct {
	index int
	op    string
}

// restartOrder is a restart in place of resource failed of a group of n:
// the failed one and those after it are stopped right to left (as
// ResourceManager releases a group), then started left to right (as it
// takes one); the resources before it keep running.
func restartOrder(n, failed int) []orderStep {
	var out []orderStep
	for j := n - 1; j >= failed; j-- {
		out = append(out, orderStep{j, "stop"})
	}
	for j := failed; j < n; j++ {
		out = append(out, orderStep{j, "start"})
	}
	return out
}

func (m *monitor) nextStep(g *monGroup) {
	g.step++
	if g.step == len(g.seq) {
		m.metrics.Restart(g.index)
		m.n.log.Logf(hblog.Info, "hbd: resource %s of group %s restarted in place (%v after the failed monitor)",
			g.failed, g.key, time.Duration(m.n.loop.Now()-g.started).Round(time.Microsecond))
		m.watch(g)
		return
	}
	s := g.seq[g.step]
	call, err := m.n.lrm.l.Perform(lrm.Op{Rsc: s.rsc.id, Name: s.op, Timeout: m.action, Owner: monitorOwner})
	if err != nil {
		m.giveUpGroup(g, fmt.Sprintf("%s of %s: %v", s.op, s.rsc.token, err))
		return
	}
	g.seqCall = call
}

func (m *monitor) stepDone(g *monGroup, r *lrm.Result) {
	s := g.seq[g.step]
	if r.Status != lrm.StatusDone || r.RC != lrm.RCOK {
		m.n.log.Logf(hblog.Error, "hbd: %s of resource %s (group %s) failed: %s", s.op, s.rsc.token, g.key, describe(r))
		// A failed stop is the give-up's business too: rsc retries it and
		// fences the node if the resource cannot be stopped.
		m.giveUpGroup(g, s.op+" failed during the restart in place")
		return
	}
	m.nextStep(g)
}

// giveUpGroup gives g up as hb_standby does: an ask_resources "me" for
// the hold set the group belongs to (local when this node is its
// preferred node, else foreign); the ownership protocol does the rest.
func (m *monitor) giveUpGroup(g *monGroup, why string) {
	n := m.n
	m.unwatch(g)
	g.state = monGivingUp
	m.metrics.GiveUp(g.index)
	set := "foreign"
	if g.local {
		set = "local"
	}
	n.log.Logf(hblog.Error, "hbd: giving up group %s (%s): hb_standby %s", g.key, why, set)
	var msg wire.Message
	msg.AddString(wire.FieldType, "ask_resources")
	msg.AddString("rsc_hold", set)
	msg.AddString(wire.FieldInfo, "me")
	if err := n.master.Send(n.now(), &msg); err != nil {
		n.log.Logf(hblog.Error, "hbd: standby request for group %s: %v", g.key, err)
	}
	m.sent = true
	n.loop.After(&g.giveUp, giveUpGrace)
}

// giveUpExpired: the group is still held long after it was given up.
func (m *monitor) giveUpExpired(g *monGroup) {
	if g.state != monGivingUp {
		return
	}
	m.n.log.Logf(hblog.Warn, "hbd: group %s was not taken over within %v of the standby request (no peer to take it, or standby refused): monitoring it again", g.key, giveUpGrace)
	g.state = monIdle
	g.restarts = g.restarts[:0]
	m.sync()
}

// enableMetrics registers the groups' series (hbd_metrics_listen).
func (m *monitor) enableMetrics(mt *metrics.Metrics) {
	keys := make([]string, len(m.groups))
	for i, g := range m.groups {
		keys[i] = g.key
	}
	m.metrics = mt.MonitorEnable(keys)
}

// close stops every timer (the LRM is closed by its owner).
func (m *monitor) close() {
	for _, g := range m.groups {
		m.n.loop.StopTimer(&g.giveUp)
	}
}

// describe is a failed result for the log: rc, status and the agent's
// output.
func describe(r *lrm.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rc=%d", r.RC)
	if r.Status != lrm.StatusDone {
		fmt.Fprintf(&b, " (%s)", r.Status)
	}
	if r.ExitCode >= 0 && r.ExitCode != r.RC {
		fmt.Fprintf(&b, " exit code %d", r.ExitCode)
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, " %s", r.Reason)
	}
	out := strings.TrimSpace(r.Output)
	if len(out) > 256 {
		out = out[:256] + "…"
	}
	fmt.Fprintf(&b, ", output: %q", out)
	return b.String()
}

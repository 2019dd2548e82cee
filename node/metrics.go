package node

import (
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/metrics"
	"github.com/hbd-ha/hbd/rsc"
)

// This file feeds package metrics (hbd_metrics_listen) from the loop:
// every call stores numbers in pre-built series, so it costs no
// allocation; the HTTP side runs in goroutines of its own.

// metricsHeartbeat is the master's OnHeartbeat hook.
func (n *Node) metricsHeartbeat(node int, interval, deadInterval int64) {
	if n.metrics != nil {
		n.metrics.Heartbeat(node, time.Duration(interval), time.Duration(deadInterval-interval))
	}
}

// startMetrics builds the series for the configured nodes and links and
// opens the endpoint; a port that cannot be opened fails the start, as
// a medium that cannot be opened does.
func (n *Node) startMetrics() error {
	if n.cfg.MetricsListen == "" {
		return nil
	}
	m := n.master
	var nodes []string
	links := map[string][]string{}
	for i := range m.NumNodes() {
		nodes = append(nodes, m.NodeName(i))
		links[m.NodeName(i)] = m.Links(i)
	}
	n.metrics = metrics.New(n.cfg.LocalNode, nodes, links)
	n.metrics.SetLog(func(msg string) { n.log.Log(hblog.Warn, msg) })
	n.metricsFilter()
	if n.lrm.mon != nil {
		n.lrm.mon.enableMetrics(n.metrics)
	}
	if n.ccm.c != nil {
		n.metrics.CCMEnable()
	}
	if l := n.lrm.l; l != nil {
		n.metrics.LRMEnable(l.Classes())
		n.metrics.LRM(l.Stats)
	}
	stop, err := n.metrics.Serve(n.cfg.MetricsListen)
	if err != nil {
		n.metrics = nil
		return err
	}
	n.stopMetrics = stop
	n.log.Logf(hblog.Info, "hbd: metrics on http://%s/metrics", n.metrics.Addr())
	return nil
}

// metricsEvent records a status or link change.
func (n *Node) metricsEvent(e *master.Event) {
	if n.metrics == nil {
		return
	}
	switch e.Kind {
	case master.EventNodeStatus:
		n.metrics.NodeStatus(e.Node, string(e.New))
	case master.EventLinkStatus:
		for j, l := range n.master.Links(e.Node) {
			if l == e.Link {
				n.metrics.LinkStatus(e.Node, j, e.LinkUp)
			}
		}
	}
}

// metricsFlush records the counters after each round of work.
func (n *Node) metricsFlush() {
	if n.metrics == nil {
		return
	}
	n.metrics.Stats(n.master.Stats())
	n.metrics.Holding(n.holding())
	n.metrics.LogDropped(n.log.Dropped())
	n.metrics.FilterUser(n.filter.user[:])
}

// metricsAction records a finished resource action; why is remembered
// from the master's Action when it was handed to rsc.
func (n *Node) metricsAction(r *rsc.Result) {
	if n.metrics == nil {
		return
	}
	why := n.actionWhy[r.ID]
	delete(n.actionWhy, r.ID)
	n.metrics.Action(r.Take, why, r.Elapsed, len(r.Failed))
}

func (n *Node) noteAction(a own.Action) {
	if n.metrics != nil {
		n.actionWhy[a.ID] = a.Why
	}
}

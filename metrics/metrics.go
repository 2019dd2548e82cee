package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hbd-ha/hbd/master"
)

// Label values of the one-hot and labelled families; the index of a value
// is the index of its series in the slices of Metrics.
var (
	statuses    = []string{"init", "up", "active", "dead", "ping", "other"}
	holdings    = []string{"none", "local", "foreign", "all", "transition"}
	dropReasons = []string{"malformed", "unknown_sender", "replay", "duplicate", "not_for_us"}
	kinds       = []string{"take", "give"}
	results     = []string{"ok", "failed"}
	// reasons are the master's Action.Why words.
	reasons = []string{"mach_down", "req_our_resources", "ip-request", "ip-request-resp", "orphans",
		"standby", "hb_takeover", "shutdown", "shutdone", "partition", "failback", "other"}
)

const (
	statusOther         = 5 // index of "other" in statuses
	reasonOther         = 11
	kindTake, kindGive  = 0, 1
	resultOK, resultBad = 0, 1
)

// Histogram buckets, in seconds. Heartbeat intervals are keepalives (the
// default is 2 s, tests use 100 ms); margins run up to deadtime (30 s by
// default); resource actions from a few ms to minutes of a stuck agent.
var (
	intervalBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 5, 10, 20, 30, 60}
	marginBuckets   = []float64{0, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 60, 120}
	actionBuckets   = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics holds every series of one node. Its loop-side methods are for
// one goroutine (the event loop); Serve and scrapes run concurrently.
type Metrics struct {
	reg *prometheus.Registry

	nodeStatus [][]prometheus.Gauge // [node][status]
	curStatus  []int                // index into statuses, per node
	linkUp     [][]prometheus.Gauge // [node][link]
	interval   []prometheus.Observer
	margin     []prometheus.Gauge
	marginHist []prometheus.Observer

	received, authFailed, retransmitted, rexmitAsked prometheus.Counter
	dropped                                          []prometheus.Counter // by dropReasons
	last                                             master.Stats

	actionSeconds []prometheus.Observer    // [kind]
	actions       [][][]prometheus.Counter // [kind][reason][result]
	held          []prometheus.Gauge       // by holdings
	curHold       int
	logDropped    prometheus.Counter
	lastLogDrops  uint64
	filter        *filterCollector // nil until Filter

	mu     sync.Mutex // guards server, for Serve, Addr and stop
	server *server
}

// New makes the series of a cluster: local is this node's name, nodes the
// configured nodes in ha.cf order (the indexes the loop-side methods
// take), links each node's link names in the master's order.
func New(local string, nodes []string, links map[string][]string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := factory{m.reg}
	f.gaugeVec("hbd_info", "The local node: always 1.", "node").WithLabelValues(local).Set(1)

	statusVec := f.gaugeVec("hbd_node_status", "1 for the node's current status, 0 for the others.", "node", "status")
	linkVec := f.gaugeVec("hbd_link_up", "1 while the node's link is up.", "node", "link")
	intervalVec := f.histogramVec("hbd_heartbeat_interval_seconds", "Time between two status messages of a node, as they arrived.", intervalBuckets, "node")
	marginVec := f.gaugeVec("hbd_deadline_margin_seconds", "At the node's last status, the time left before it would have been declared dead (negative: it was).", "node")
	marginHistVec := f.histogramVec("hbd_heartbeat_margin_seconds", "Time left before the node would have been declared dead, at each of its statuses (negative ones count in the first bucket).", marginBuckets, "node")
	m.curStatus = make([]int, len(nodes))
	for _, n := range nodes {
		row := make([]prometheus.Gauge, len(statuses))
		for s, st := range statuses {
			row[s] = statusVec.WithLabelValues(n, st)
		}
		row[0].Set(1) // init, as the master starts every node
		m.nodeStatus = append(m.nodeStatus, row)
		var lrow []prometheus.Gauge
		for _, l := range links[n] {
			lrow = append(lrow, linkVec.WithLabelValues(n, l))
		}
		m.linkUp = append(m.linkUp, lrow)
		m.interval = append(m.interval, intervalVec.WithLabelValues(n))
		m.margin = append(m.margin, marginVec.WithLabelValues(n))
		m.marginHist = append(m.marginHist, marginHistVec.WithLabelValues(n))
	}

	m.received = f.counter("hbd_packets_received_total", "Datagrams handed to the membership layer.")
	m.authFailed = f.counter("hbd_auth_failures_total", "Datagrams that failed authentication.")
	dropVec := f.counterVec("hbd_packets_dropped_total", "Datagrams dropped before processing, by reason.", "reason")
	for _, r := range dropReasons {
		m.dropped = append(m.dropped, dropVec.WithLabelValues(r))
	}
	m.retransmitted = f.counter("hbd_retransmissions_total", "Packets resent on a peer's request.")
	m.rexmitAsked = f.counter("hbd_rexmit_requests_total", "Retransmission requests sent.")

	secondsVec := f.histogramVec("hbd_resource_action_seconds", "Duration of resource actions (take or give of a list of groups).", actionBuckets, "kind")
	actionVec := f.counterVec("hbd_resource_actions_total", "Resource actions finished, by kind, the protocol step that asked, and result (failed: some group failed).", "kind", "reason", "result")
	for _, k := range kinds {
		m.actionSeconds = append(m.actionSeconds, secondsVec.WithLabelValues(k))
		byReason := make([][]prometheus.Counter, len(reasons))
		for r, reason := range reasons {
			for _, res := range results {
				byReason[r] = append(byReason[r], actionVec.WithLabelValues(k, reason, res))
			}
		}
		m.actions = append(m.actions, byReason)
	}
	heldVec := f.gaugeVec("hbd_resources_held", "1 for what this node holds now (cl_status rscstatus), 0 for the rest.", "holding")
	for _, h := range holdings {
		m.held = append(m.held, heldVec.WithLabelValues(h))
	}
	m.held[0].Set(1)
	m.logDropped = f.counter("hbd_log_lines_dropped_total", "Log lines dropped because the log queue was full.")

	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics live in, for tests and for adding
// collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// factory registers new collectors; the names are constants, so a failure
// is a programming error and MustRegister's panic is right.
type factory struct{ reg *prometheus.Registry }

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(v)
	return v
}

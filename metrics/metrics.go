package metrics

import (
	"sync"

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
	reg registry

	nodeStatus [][]*gauge // [node][status]
	curStatus  []int      // index into statuses, per node
	linkUp     [][]*gauge // [node][link]
	interval   []*histogram
	margin     []*gauge
	marginHist []*histogram

	received, authFailed, retransmitted, rexmitAsked *counter
	dropped                                          []*counter // by dropReasons
	last                                             master.Stats

	actionSeconds []*histogram   // [kind]
	actions       [][][]*counter // [kind][reason][result]
	held          []*gauge       // by holdings
	curHold       int
	logDropped    *counter
	lastLogDrops  uint64
	filter        *filterSeries // nil until Filter
	ccm           *ccmSeries    // nil until CCMEnable
	lrm           *lrmSeries    // nil until LRMEnable

	mu     sync.Mutex // guards server and log, for Serve, Addr, SetLog and stop
	server *server
	log    func(string)
}

// New makes the series of a cluster: local is this node's name, nodes the
// configured nodes in ha.cf order (the indexes the loop-side methods
// take), links each node's link names in the master's order.
func New(local string, nodes []string, links map[string][]string) *Metrics {
	m := &Metrics{}
	r := &m.reg
	r.family("hbd_info", "The local node: always 1.", typeGauge, "node").gauge(local).Set(1)

	statusFam := r.family("hbd_node_status", "1 for the node's current status, 0 for the others.", typeGauge, "node", "status")
	linkFam := r.family("hbd_link_up", "1 while the node's link is up.", typeGauge, "node", "link")
	intervalFam := r.family("hbd_heartbeat_interval_seconds", "Time between two status messages of a node, as they arrived.", typeHistogram, "node")
	marginFam := r.family("hbd_deadline_margin_seconds", "At the node's last status, the time left before it would have been declared dead (negative: it was).", typeGauge, "node")
	marginHistFam := r.family("hbd_heartbeat_margin_seconds", "Time left before the node would have been declared dead, at each of its statuses (negative ones count in the first bucket).", typeHistogram, "node")
	m.curStatus = make([]int, len(nodes))
	for _, n := range nodes {
		row := make([]*gauge, len(statuses))
		for s, st := range statuses {
			row[s] = statusFam.gauge(n, st)
		}
		row[0].Set(1) // init, as the master starts every node
		m.nodeStatus = append(m.nodeStatus, row)
		var lrow []*gauge
		for _, l := range links[n] {
			lrow = append(lrow, linkFam.gauge(n, l))
		}
		m.linkUp = append(m.linkUp, lrow)
		m.interval = append(m.interval, intervalFam.histogram(intervalBuckets, n))
		m.margin = append(m.margin, marginFam.gauge(n))
		m.marginHist = append(m.marginHist, marginHistFam.histogram(marginBuckets, n))
	}

	m.received = r.family("hbd_packets_received_total", "Datagrams handed to the membership layer.", typeCounter).counter()
	m.authFailed = r.family("hbd_auth_failures_total", "Datagrams that failed authentication.", typeCounter).counter()
	dropFam := r.family("hbd_packets_dropped_total", "Datagrams dropped before processing, by reason.", typeCounter, "reason")
	for _, reason := range dropReasons {
		m.dropped = append(m.dropped, dropFam.counter(reason))
	}
	m.retransmitted = r.family("hbd_retransmissions_total", "Packets resent on a peer's request.", typeCounter).counter()
	m.rexmitAsked = r.family("hbd_rexmit_requests_total", "Retransmission requests sent.", typeCounter).counter()

	secondsFam := r.family("hbd_resource_action_seconds", "Duration of resource actions (take or give of a list of groups).", typeHistogram, "kind")
	actionFam := r.family("hbd_resource_actions_total", "Resource actions finished, by kind, the protocol step that asked, and result (failed: some group failed).", typeCounter, "kind", "reason", "result")
	for _, k := range kinds {
		m.actionSeconds = append(m.actionSeconds, secondsFam.histogram(actionBuckets, k))
		byReason := make([][]*counter, len(reasons))
		for i, reason := range reasons {
			for _, res := range results {
				byReason[i] = append(byReason[i], actionFam.counter(k, reason, res))
			}
		}
		m.actions = append(m.actions, byReason)
	}
	heldFam := r.family("hbd_resources_held", "1 for what this node holds now (cl_status rscstatus), 0 for the rest.", typeGauge, "holding")
	for _, h := range holdings {
		m.held = append(m.held, heldFam.gauge(h))
	}
	m.held[0].Set(1)
	m.logDropped = r.family("hbd_log_lines_dropped_total", "Log lines dropped because the log queue was full.", typeCounter).counter()

	r.collect = append(r.collect, collectRuntime, collectProcess)
	return m
}

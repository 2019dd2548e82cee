package te

import (
	"strconv"

	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/internal/layer"
)

// OpRecord is one lrm_rsc_op entry of a node's status, as Pacemaker's
// controller writes it after an operation. The CIB keeps one entry per
// ID: ID is <rsc>_last_0 for a non-recurring operation,
// <rsc>_<task>_<interval> for a recurring one, and a failure also writes
// <rsc>_last_failure_0.
type OpRecord struct {
	ID              string
	Rsc             string // the lrm_resource id
	Class           string
	Provider        string
	Type            string
	Node            string
	NodeID          string
	Operation       string
	OperationKey    string
	IntervalMS      int
	CallID          int
	RC              int
	Status          OpStatus
	LastRCChange    int64 // wall clock, seconds
	ExecMS, QueueMS int
	TransitionKey   string
	TransitionMagic string // op-status:rc;transition-key
	ExitReason      string
	FeatureSet      string
}

// FailCount is a fail-count update for the node's transient attributes.
type FailCount struct {
	Node       string
	Rsc        string
	Task       string
	IntervalMS int
	// Infinity sets the count to INFINITY; otherwise it goes up by one.
	Infinity bool
	// LastFailure is the time for last-failure-<rsc>#<task>_<interval>.
	LastFailure int64
}

// Attr is the fail count's attribute name, fail-count-<rsc>#<task>_<interval>.
func (f FailCount) Attr() string {
	return "fail-count-" + f.Rsc + "#" + f.Task + "_" + strconv.Itoa(f.IntervalMS)
}

// LastFailureAttr is last-failure-<rsc>#<task>_<interval>.
func (f FailCount) LastFailureAttr() string {
	return "last-failure-" + f.Rsc + "#" + f.Task + "_" + strconv.Itoa(f.IntervalMS)
}

// Value is what the attribute update says: INFINITY or value++ (the
// attribute daemon's increment).
func (f FailCount) Value() string {
	if f.Infinity {
		return "INFINITY"
	}
	return "value++"
}

func (e *Engine) record(a *pe.GraphAction, r Result, now layer.Time) {
	out := e.out.Pending()
	key := e.key(a)
	rec := OpRecord{
		Rsc: a.HistRsc, Class: a.Class, Provider: a.Provider, Type: a.Type, Node: a.Node, NodeID: a.NodeID,
		Operation: a.Task, OperationKey: a.HistRsc + "_" + a.Task + "_" + strconv.Itoa(a.IntervalMS),
		IntervalMS: a.IntervalMS, CallID: r.CallID, RC: r.RC, Status: r.Status, LastRCChange: now.Wall,
		ExecMS: r.ExecMS, QueueMS: r.QueueMS, TransitionKey: key,
		TransitionMagic: strconv.Itoa(int(r.Status)) + ":" + strconv.Itoa(r.RC) + ";" + key,
		ExitReason:      r.Reason, FeatureSet: e.cfg.FeatureSet,
	}
	if rec.Rsc == "" {
		rec.Rsc = a.Rsc
	}
	if a.IntervalMS > 0 {
		rec.ID = rec.OperationKey
	} else {
		rec.ID = rec.Rsc + "_last_0"
	}
	out.Records = append(out.Records, rec)
	probeOK := a.Task == "monitor" && a.IntervalMS == 0 && r.Status == ExecDone &&
		(r.RC == RCOK || r.RC == RCNotRunning || r.RC == RCPromoted)
	if (r.Status != ExecDone || r.RC != a.TargetRC) && !probeOK {
		rec.ID = rec.Rsc + "_last_failure_0"
		out.Records = append(out.Records, rec)
	}
}

// failCount counts a failed operation: INFINITY for a stop, and for a
// start when start-failure-is-fatal; one more otherwise.
func (e *Engine) failCount(a *pe.GraphAction, now layer.Time) {
	rsc := a.HistRsc
	if rsc == "" {
		rsc = a.Rsc
	}
	f := FailCount{Node: a.Node, Rsc: rsc, Task: a.Task, IntervalMS: a.IntervalMS, LastFailure: now.Wall}
	f.Infinity = a.Task == "stop" || (a.Task == "start" && e.cfg.StartFailureIsFatal)
	e.out.Pending().FailCounts = append(e.out.Pending().FailCounts, f)
}

// MonitorFailed takes a recurring monitor's failure outside any graph
// action (the resource failed while running): it is recorded, counted and
// aborts the graph.
func (e *Engine) MonitorFailed(a *pe.GraphAction, r Result, now layer.Time) {
	e.record(a, r, now)
	e.failCount(a, now)
	e.abort(a.Key + " on " + a.Node + " failed")
	e.step(now)
}

// AppendXML appends the record as an lrm_rsc_op element.
func (o *OpRecord) AppendXML(dst []byte) []byte {
	dst = append(dst, "<lrm_rsc_op"...)
	attr := func(k, v string) {
		dst = append(dst, ' ')
		dst = append(dst, k...)
		dst = append(dst, `="`...)
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '"':
				dst = append(dst, "&quot;"...)
			case '&':
				dst = append(dst, "&amp;"...)
			case '<':
				dst = append(dst, "&lt;"...)
			default:
				dst = append(dst, v[i])
			}
		}
		dst = append(dst, '"')
	}
	attr("id", o.ID)
	attr("operation_key", o.OperationKey)
	attr("operation", o.Operation)
	attr("crm-debug-origin", "do_update_resource")
	attr("crm_feature_set", o.FeatureSet)
	attr("transition-key", o.TransitionKey)
	attr("transition-magic", o.TransitionMagic)
	attr("exit-reason", o.ExitReason)
	attr("on_node", o.Node)
	attr("call-id", strconv.Itoa(o.CallID))
	attr("rc-code", strconv.Itoa(o.RC))
	attr("op-status", strconv.Itoa(int(o.Status)))
	attr("interval", strconv.Itoa(o.IntervalMS))
	attr("last-rc-change", strconv.FormatInt(o.LastRCChange, 10))
	attr("exec-time", strconv.Itoa(o.ExecMS))
	attr("queue-time", strconv.Itoa(o.QueueMS))
	return append(dst, "/>"...)
}

package controld

import (
	"sort"
	"strconv"
	"strings"
)

// record is one lrm_rsc_op of a resource's history, keyed by its id:
// <rsc>_last_0 for the last non-recurring operation, <rsc>_<task>_<ms>
// for a recurring one, <rsc>_last_failure_0 for the last failure.
type record struct {
	id string
	op Op
}

// rscHistory is one lrm_resource.
type rscHistory struct {
	class, provider, typ string
	ops                  map[string]Op // by record id
}

// history is a node's resource history (its lrm section).
type history map[string]*rscHistory

// recordIDs returns the ids an operation's result is kept under.
func recordIDs(o *Op, targetRC int) (id string, failure bool) {
	if o.IntervalMS > 0 {
		id = o.Rsc + "_" + o.Task + "_" + strconv.Itoa(o.IntervalMS)
	} else {
		id = o.Rsc + "_last_0"
	}
	probe := o.Task == "monitor" && o.IntervalMS == 0
	ok := o.Status == 0 && (o.RC == targetRC || probe && (o.RC == 0 || o.RC == 7 || o.RC == 8))
	return id, !ok
}

// add records a result as Pacemaker's controller does: the entry for its
// id, the last failure too when it failed, and a successful stop ends the
// resource's recurring entries (their operations were cancelled).
func (h history) add(o Op) {
	r := h[o.Rsc]
	if r == nil {
		r = &rscHistory{ops: map[string]Op{}}
		h[o.Rsc] = r
	}
	r.class, r.provider, r.typ = o.Class, o.Provider, o.Type
	if o.Task == "cancel" {
		delete(r.ops, o.Rsc+"_monitor_"+strconv.Itoa(o.IntervalMS))
		return
	}
	_, _, target := parseKey(o.Key)
	id, failed := recordIDs(&o, target)
	if o.Task == "stop" && o.Status == 0 && o.RC == 0 {
		for k, old := range r.ops {
			if old.IntervalMS > 0 && k != o.Rsc+"_last_failure_0" { // the failure stays until a clean-up
				delete(r.ops, k)
			}
		}
	}
	r.ops[id] = o
	if failed {
		r.ops[o.Rsc+"_last_failure_0"] = o
	}
}

// ops lists the history as join_confirm carries it (each entry with its
// id), in a fixed order.
func (h history) ops() []Op {
	var out []Op
	for _, rsc := range sortedKeys(h) {
		r := h[rsc]
		for _, id := range sortedKeys(r.ops) {
			o := r.ops[id]
			o.ID = id
			out = append(out, o)
		}
	}
	return out
}

// fromOps rebuilds a history from join_confirm's list.
func fromOps(ops []Op) history {
	h := history{}
	for _, o := range ops {
		r := h[o.Rsc]
		if r == nil {
			r = &rscHistory{ops: map[string]Op{}}
			h[o.Rsc] = r
		}
		r.class, r.provider, r.typ = o.Class, o.Provider, o.Type
		id := o.ID
		o.ID = ""
		r.ops[id] = o
	}
	return h
}

// parseKey reads a transition key, action:transition:target-rc:uuid.
func parseKey(key string) (action, transition, targetRC int) {
	parts := strings.SplitN(key, ":", 4)
	if len(parts) < 3 {
		return -1, -1, 0
	}
	a, err1 := strconv.Atoi(parts[0])
	t, err2 := strconv.Atoi(parts[1])
	rc, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return -1, -1, 0
	}
	return a, t, rc
}

// nodeStatus is the DC's view of one node's node_state.
type nodeStatus struct {
	inCCM    bool
	crmd     bool // the controller is up (joined)
	join     string
	expected string
	lrm      history
	attrs    map[string]string
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// appendNodeState writes the node_state element as Pacemaker's status
// section holds it.
func appendNodeState(dst []byte, id, uname string, st *nodeStatus) []byte {
	dst = append(dst, "<node_state"...)
	dst = attr(dst, "id", id)
	dst = attr(dst, "uname", uname)
	dst = attr(dst, "in_ccm", strconv.FormatBool(st.inCCM))
	crmd := "offline"
	if st.crmd {
		crmd = "online"
	}
	dst = attr(dst, "crmd", crmd)
	dst = attr(dst, "join", st.join)
	dst = attr(dst, "expected", st.expected)
	dst = attr(dst, "crm-debug-origin", "hbd_controld")
	dst = append(dst, '>')
	dst = append(dst, "<transient_attributes"...)
	dst = attr(dst, "id", id)
	dst = append(dst, "><instance_attributes"...)
	dst = attr(dst, "id", "status-"+id)
	dst = append(dst, '>')
	for _, k := range sortedKeys(st.attrs) {
		dst = append(dst, "<nvpair"...)
		dst = attr(dst, "id", "status-"+id+"-"+k)
		dst = attr(dst, "name", k)
		dst = attr(dst, "value", st.attrs[k])
		dst = append(dst, "/>"...)
	}
	dst = append(dst, "</instance_attributes></transient_attributes><lrm"...)
	dst = attr(dst, "id", id)
	dst = append(dst, "><lrm_resources>"...)
	for _, rsc := range sortedKeys(st.lrm) {
		r := st.lrm[rsc]
		dst = append(dst, "<lrm_resource"...)
		dst = attr(dst, "id", rsc)
		dst = attr(dst, "class", r.class)
		if r.provider != "" {
			dst = attr(dst, "provider", r.provider)
		}
		dst = attr(dst, "type", r.typ)
		dst = append(dst, '>')
		for _, rid := range sortedKeys(r.ops) {
			dst = appendOp(dst, rid, uname, r.ops[rid])
		}
		dst = append(dst, "</lrm_resource>"...)
	}
	return append(dst, "</lrm_resources></lrm></node_state>"...)
}

// appendOp writes an lrm_rsc_op.
func appendOp(dst []byte, id, node string, o Op) []byte {
	dst = append(dst, "<lrm_rsc_op"...)
	dst = attr(dst, "id", id)
	dst = attr(dst, "operation_key", o.Rsc+"_"+o.Task+"_"+strconv.Itoa(o.IntervalMS))
	dst = attr(dst, "operation", o.Task)
	dst = attr(dst, "crm-debug-origin", "do_update_resource")
	dst = attr(dst, "crm_feature_set", FeatureSet)
	dst = attr(dst, "transition-key", o.Key)
	dst = attr(dst, "transition-magic", strconv.Itoa(o.Status)+":"+strconv.Itoa(o.RC)+";"+o.Key)
	dst = attr(dst, "exit-reason", o.Reason)
	dst = attr(dst, "on_node", node)
	dst = attr(dst, "call-id", strconv.Itoa(o.CallID))
	dst = attr(dst, "rc-code", strconv.Itoa(o.RC))
	dst = attr(dst, "op-status", strconv.Itoa(o.Status))
	dst = attr(dst, "interval", strconv.Itoa(o.IntervalMS))
	dst = attr(dst, "last-rc-change", strconv.FormatInt(o.LastRCChange, 10))
	dst = attr(dst, "exec-time", strconv.Itoa(o.ExecMS))
	dst = attr(dst, "queue-time", strconv.Itoa(o.QueueMS))
	if o.Digest != "" {
		dst = attr(dst, "op-digest", o.Digest)
	}
	return append(dst, "/>"...)
}

func attr(dst []byte, k, v string) []byte {
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
		case '>':
			dst = append(dst, "&gt;"...)
		default:
			dst = append(dst, v[i])
		}
	}
	return append(dst, '"')
}

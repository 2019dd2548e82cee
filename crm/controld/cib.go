package controld

import (
	"strconv"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/internal/prio"
)

// The controller's side of the CIB (crm/cib): what the driver does with
// Ready's Status and ConfigAttrs, and what it feeds ConfigChanged with.
// Requests carry no LastWritten: status writes do not stamp
// cib-last-written in Pacemaker either; a permanent attribute is a
// configuration change and the driver may stamp it.

// ApplyStatus writes a node_state the controller handed out into the
// CIB's status section, replacing the node's or adding it.
func ApplyStatus(c *cib.CIB, x NodeStateXML) (*cib.Result, error) {
	e, err := cib.Parse(x.XML)
	if err != nil {
		return nil, err
	}
	if status := c.Section("status"); status != nil && status.Find("node_state", x.ID) != nil {
		return c.Apply(cib.Request{Op: cib.OpReplace, Section: "status", Data: e})
	}
	return c.Apply(cib.Request{Op: cib.OpCreate, Section: "status", Data: e})
}

// ApplyNodeAttr writes a permanent node attribute (crm_attribute -l
// forever) into the node's instance_attributes in the nodes section, as
// Pacemaker names them: nodes-<id> holding nodes-<id>-<name>.
func ApplyNodeAttr(c *cib.CIB, id string, a Attr) (*cib.Result, error) {
	nodes := c.Section("nodes")
	var node *cib.Element
	if nodes != nil {
		node = nodes.Find("node", id)
	}
	if node == nil {
		return nil, &cib.Error{Code: cib.ErrNoSuch, Detail: "no node " + id + " in the nodes section"}
	}
	node = node.Clone()
	set := node.Find("instance_attributes", "nodes-"+id)
	if set == nil {
		set = node.AddChild(cib.NewElement("instance_attributes", "id", "nodes-"+id))
	}
	var pair *cib.Element
	for _, p := range set.All("nvpair") {
		if p.Get("name") == a.Name {
			pair = p
		}
	}
	switch {
	case a.Delete && pair == nil:
		return &cib.Result{Old: c.Version(), New: c.Version()}, nil
	case a.Delete:
		pair.Remove()
	case pair == nil:
		set.AddChild(cib.NewElement("nvpair", "id", "nodes-"+id+"-"+a.Name, "name", a.Name, "value", a.Value))
	default:
		pair.Set("value", a.Value)
	}
	return c.Apply(cib.Request{Op: cib.OpReplace, Section: "nodes", Data: node})
}

// Configuration returns the CIB's configuration section in the form
// ConfigChanged takes.
func Configuration(c *cib.CIB) []byte {
	sec := c.Section("configuration")
	if sec == nil {
		return nil
	}
	return sec.AppendXML(nil)
}

// ApplyRoot writes the DC's have-quorum and dc-uuid on the cib element
// (Ready.RootChanged), as Pacemaker's DC does.
func ApplyRoot(c *cib.CIB, haveQuorum bool, dcUUID string) (*cib.Result, error) {
	q := "0"
	if haveQuorum {
		q = "1"
	}
	return c.Apply(cib.Request{Op: cib.OpModify, Data: cib.NewElement("cib", "have-quorum", q, "dc-uuid", dcUUID)})
}

// CIBStatus takes the replicated CIB's status section (<status>…</status>)
// as it changes on this node. A node that becomes DC starts from it for
// the nodes its join does not cover — it learns the departed nodes'
// expected state and history (a node that left cleanly is not fenced, one
// lost with resources is) — as Pacemaker's new DC starts from the CIB.
func (c *Controller) CIBStatus(now Time, status []byte) {
	c.replica = append(c.replica[:0], status...)
}

// seedStatus fills the DC's model with the replica's node_states of the
// nodes it has no state for.
func (c *Controller) seedStatus() {
	if len(c.replica) == 0 {
		return
	}
	root, err := cib.Parse(c.replica)
	if err != nil {
		c.logf(prio.Error, "replicated status unreadable: %v", err)
		return
	}
	for _, ns := range root.All("node_state") {
		n := ns.Get("uname")
		if n == "" || c.status[n] != nil {
			continue
		}
		st := &nodeStatus{inCCM: ns.Get("in_ccm") == "true", crmd: ns.Get("crmd") == "online",
			join: ns.Get("join"), expected: ns.Get("expected"), lrm: history{}, attrs: map[string]string{}}
		if ta := ns.Child("transient_attributes"); ta != nil {
			for _, set := range ta.All("instance_attributes") {
				for _, p := range set.All("nvpair") {
					st.attrs[p.Get("name")] = p.Get("value")
				}
			}
		}
		if lrm := ns.Child("lrm"); lrm != nil {
			for _, lr := range lrm.Child("lrm_resources").All("lrm_resource") {
				r := &rscHistory{class: lr.Get("class"), provider: lr.Get("provider"), typ: lr.Get("type"), ops: map[string]Op{}}
				for _, op := range lr.All("lrm_rsc_op") {
					r.ops[op.Get("id")] = opFromXML(lr.Get("id"), r, op)
				}
				st.lrm[lr.Get("id")] = r
			}
		}
		c.status[n] = st
		c.dirty[n] = true
	}
}

func opFromXML(rsc string, r *rscHistory, e *cib.Element) Op {
	num := func(k string) int { v, _ := strconv.Atoi(e.Get(k)); return v }
	wall, _ := strconv.ParseInt(e.Get("last-rc-change"), 10, 64)
	return Op{Rsc: rsc, Class: r.class, Provider: r.provider, Type: r.typ, Task: e.Get("operation"),
		IntervalMS: num("interval"), Key: e.Get("transition-key"), CallID: num("call-id"), RC: num("rc-code"),
		Status: num("op-status"), LastRCChange: wall, ExecMS: num("exec-time"), QueueMS: num("queue-time"),
		Reason: e.Get("exit-reason"), Digest: e.Get("op-digest")}
}

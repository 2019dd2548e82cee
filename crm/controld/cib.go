package controld

import (
	"github.com/hbd-ha/hbd/crm/cib"
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

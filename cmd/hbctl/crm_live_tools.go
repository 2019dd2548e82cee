package main

import (
	"fmt"
	"io"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/crm/pe"
)

// transientAttr is crm_attribute -l reboot against the running cluster:
// the update goes to the controller (attrd's job), which has the DC write
// it into the node's transient attributes; it is not a CIB request.
func transientAttr(prog string, c *cib.CIB, t attrTarget, p *crmParsed, name string, stdout, stderr io.Writer) int {
	node := p.last("node")
	if node == "" {
		node = localNodeName()
	}
	// -N may name the node by its id.
	if nodes := c.Section("nodes"); nodes != nil {
		for _, n := range nodes.All("node") {
			if n.Get("id") == node && n.Get("uname") != "" {
				node = n.Get("uname")
			}
		}
	}
	req := cibipc.Request{Op: cibipc.OpAttr, Node: node, Name: name}
	var nv *cib.Element
	if p.has("delete") {
		if nv, _ = findNvpair(c, t, name, p.last("set-name")); nv == nil {
			return crmExitOK
		}
		req.Delete = true
	} else {
		req.Value = p.last("update")
	}
	r, err := liveCall(req, 0)
	if err == nil && r.RC != 0 {
		err = replyError(r)
	}
	if err != nil {
		text, exit := liveErrExit(err)
		fmt.Fprintf(stderr, "%s: Error performing operation: %s\n", prog, text)
		return exit
	}
	if nv != nil {
		fmt.Fprintf(stdout, "Deleted %s attribute: id=%s name=%s\n", t.section, nv.Get("id"), name)
	}
	return crmExitOK
}

// cleanupLive is crm_resource --cleanup against the running cluster: the
// DC erases the resource's history and fail counts on the node (or every
// node) and re-plans, which probes it again; Pacemaker's lines are
// printed for each primitive and node.
func cleanupLive(prog string, p *crmParsed, c *pe.Cluster, r *pe.Resource, stdout, stderr io.Writer) int {
	node := p.last("node")
	if node != "" && c.Node(node) == nil {
		fmt.Fprintf(stderr, "%s: Node '%s' not found\nError performing operation: No such object\n", prog, node)
		return crmExitNoSuch
	}
	prims := cleanupPrimitives(c, r)
	k, err := dialCIB(0)
	if err != nil {
		fmt.Fprintf(stderr, "%s: Error performing operation: Transport endpoint is not connected\n", prog)
		return crmExitNotConn
	}
	defer k.Close()
	done := map[string]bool{}
	for _, x := range prims {
		id := baseID(x.ID)
		if done[id] {
			continue
		}
		done[id] = true
		rep, err := k.call(cibipc.Request{Op: cibipc.OpCleanup, Rsc: id, Node: node})
		if err == nil && rep.RC != 0 {
			err = replyError(rep)
		}
		if err != nil {
			text, exit := liveErrExit(err)
			fmt.Fprintf(stderr, "%s: Error performing operation: %s\n", prog, text)
			return exit
		}
	}
	if r == nil {
		name := node
		if name == "" {
			name = "all nodes"
		}
		fmt.Fprintf(stdout, "Cleaned up all resources on %s\n", name)
		return crmExitOK
	}
	for _, n := range c.Nodes {
		if node != "" && n.Name != node || node == "" && !n.Online {
			continue
		}
		for _, x := range prims {
			fmt.Fprintf(stdout, "Cleaned up %s on %s\n", x.ID, n.Name)
		}
	}
	return crmExitOK
}

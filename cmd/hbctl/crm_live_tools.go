package main

import (
	"fmt"
	"io"
	"strings"

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

// cleanupLive is crm_resource --cleanup (and --refresh) against the
// running cluster: the DC erases the resource's fail counts on the node
// (or every node) — only -n OPERATION's at -I INTERVAL when given — and
// its history where it holds such a failure (with --refresh, wherever it
// has one), and re-plans, which probes it again; Pacemaker's lines are
// printed for each primitive and node, then how many history deletions
// the controller carried out.
func cleanupLive(prog string, p *crmParsed, c *pe.Cluster, r *pe.Resource, stdout, stderr io.Writer) int {
	node := p.last("node")
	if node != "" && c.Node(node) == nil {
		fmt.Fprintf(stderr, "%s: Node '%s' not found\nError performing operation: No such object\n", prog, node)
		return crmExitNoSuch
	}
	scope := cibipc.Request{Op: cibipc.OpCleanup, Node: node, Refresh: p.has("refresh")}
	if !scope.Refresh {
		// -n and -I count for --cleanup only; the interval defaults to 0
		// (not every interval) once an operation is named, and one that
		// does not parse is 0 too, as crm_parse_interval_spec reads it.
		if scope.Operation = p.last("operation"); scope.Operation != "" {
			if d, ok := cib.ParseInterval(p.last("interval")); ok && d > 0 && d.Milliseconds() <= 1<<32-1 {
				scope.IntervalMS = uint32(d.Milliseconds())
			}
		}
	}
	prims := cleanupPrimitives(c, r)
	k, err := dialCIB(0)
	if err != nil {
		return liveReport(prog, p, stdout, stderr, err)
	}
	defer k.Close()
	done := map[string]bool{}
	deletions := 0
	for _, x := range prims {
		id := baseID(x.ID)
		if done[id] {
			continue
		}
		done[id] = true
		req := scope
		req.Rsc = id
		rep, err := k.call(req)
		if err == nil && rep.RC != 0 {
			err = replyError(rep)
		}
		if err != nil {
			return liveReport(prog, p, stdout, stderr, err)
		}
		deletions += strings.Count(string(rep.Output), "\n")
	}
	if r == nil {
		name := node
		if name == "" {
			name = "all nodes"
		}
		if !scope.Refresh {
			fmt.Fprintf(stdout, "Cleaned up all resources on %s\n", name)
		}
	} else {
		for _, n := range c.Nodes {
			if node != "" && n.Name != node || node == "" && !n.Online {
				continue
			}
			for _, x := range prims {
				fmt.Fprintf(stdout, "Cleaned up %s on %s\n", x.ID, n.Name)
			}
		}
	}
	if deletions > 0 && !p.has("quiet") {
		reply := "replies"
		if deletions == 1 {
			reply = "reply"
		}
		fmt.Fprintf(stdout, "Waiting for %d %s from the controller\n", deletions, reply)
	}
	return crmExitOK
}

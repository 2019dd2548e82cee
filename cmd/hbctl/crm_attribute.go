package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
)

var crmAttributeOpts = []crmOpt{
	{'n', "name", true}, {'v', "update", true}, {'G', "query", false}, {'D', "delete", false},
	{'l', "lifetime", true}, {'N', "node", true}, {'t', "type", true}, {'q', "quiet", false},
	{'Q', "quiet-legacy", false}, {'s', "set-name", true}, {'i', "id", true}, {'d', "default", true},
	{'h', "help", false}, {'V', "verbose", false},
}

// attrTarget is where crm_attribute reads and writes: the section, the
// set's element path from the section down, and the nvpair ids Pacemaker
// makes.
type attrTarget struct {
	section string // crm_config, nodes, status, rsc_defaults, op_defaults
	scope   string // as -G prints it
	nodeID  string
	setID   string
}

// runCrmAttribute is crm_attribute on a CIB_file: cluster options
// (crm_config), node attributes (-N, -l forever into nodes, -l reboot
// into the status section), rsc_defaults and op_defaults. Writes go
// through crm/cib (versions bumped as Pacemaker bumps them) and
// crm/cib/store (atomic replacement).
func runCrmAttribute(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmAttributeOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "Usage:\n  %s [OPTION?]\n\nManage node's attributes and cluster options.\n", prog)
		return crmExitOK
	}
	return crmAttribute(prog, p, stdout, stderr)
}

func crmAttribute(prog string, p *crmParsed, stdout, stderr io.Writer) int {
	name := p.last("name")
	if name == "" {
		fmt.Fprintf(stderr, "%s: Error performing operation: Invalid parameter\n", prog)
		return crmExitUsage
	}
	path := os.Getenv("CIB_file")
	var c *cib.CIB
	if path == "" {
		// The running node's CIB: its replica for reading, the DC for
		// writing, the controller's attrd for transient attributes.
		var err error
		if c, err = liveCIB(0); err != nil {
			fmt.Fprintf(stderr, "%s: Error signing on to the CIB service: Transport endpoint is not connected\n", prog)
			return crmExitNotConn
		}
	} else {
		data, err := store.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: Error signing on to the CIB service: No such device or address\n", prog)
			return crmExitNoSuch
		}
		if c, err = cib.ParseCIB(data); err != nil {
			fmt.Fprintf(stderr, "%s: Error signing on to the CIB service: %v\n", prog, err)
			return crmExitNoSuch
		}
	}
	t, rc := attrTargetFor(prog, c, p, stderr)
	if rc != crmExitOK {
		return rc
	}
	if path == "" && t.section == "status" && (p.has("update") || p.has("delete")) {
		return transientAttr(prog, c, t, p, name, stdout, stderr)
	}
	nv, multiple := findNvpair(c, t, name, p.last("set-name"))
	if multiple {
		fmt.Fprintf(stderr, "Multiple attributes match name=%s\n%s: Error performing operation: Name not unique on network\n", name, prog)
		return crmExitError
	}
	switch {
	case p.has("delete"):
		if nv == nil {
			return crmExitOK
		}
		req := cib.Request{Op: cib.OpDelete, Section: t.section, Data: cib.NewElement("nvpair", "id", nv.Get("id"), "name", name)}
		if rc := attrCommit(prog, c, path, req, stderr); rc != crmExitOK {
			return rc
		}
		kind := "option"
		if t.nodeID != "" {
			kind = "attribute"
		}
		fmt.Fprintf(stdout, "Deleted %s %s: id=%s name=%s\n", t.section, kind, nv.Get("id"), name)
		return crmExitOK
	case p.has("update"):
		value := p.last("update")
		var upd *cib.Element
		if nv != nil {
			upd = cib.NewElement("nvpair", "id", nv.Get("id"), "name", name, "value", value)
		} else {
			id := t.setID + "-" + name
			if p.has("id") {
				id = p.last("id")
			}
			upd = attrPath(t, cib.NewElement("nvpair", "id", id, "name", name, "value", value))
		}
		req := cib.Request{Op: cib.OpModify, Section: t.section, Data: upd, AllowCreate: true}
		if rc := attrCommit(prog, c, path, req, stderr); rc != crmExitOK {
			fmt.Fprintf(stderr, "Error setting %s=%s (section=%s, set=%s)\n", name, value, t.section, t.setID)
			return rc
		}
		return crmExitOK
	}
	// -G, the default.
	if nv == nil {
		if p.has("default") {
			printAttr(stdout, t, name, p.last("default"), p.has("quiet") || p.has("quiet-legacy"))
			return crmExitOK
		}
		fmt.Fprintf(stderr, "%s: Error performing operation: No such device or address\n", prog)
		return crmExitNoSuch
	}
	printAttr(stdout, t, name, nv.Get("value"), p.has("quiet") || p.has("quiet-legacy"))
	return crmExitOK
}

func printAttr(w io.Writer, t attrTarget, name, value string, quiet bool) {
	if quiet {
		fmt.Fprintln(w, value)
		return
	}
	fmt.Fprintf(w, "scope=%s  name=%s value=%s\n", t.scope, name, value)
}

func attrTargetFor(prog string, c *cib.CIB, p *crmParsed, stderr io.Writer) (attrTarget, int) {
	section := p.last("type")
	lifetime := p.last("lifetime")
	node := p.last("node")
	switch lifetime {
	case "", "forever", "permanent":
	case "reboot", "transient":
		lifetime = "reboot"
	default:
		fmt.Fprintf(stderr, "%s: Error performing operation: Invalid parameter\n", prog)
		return attrTarget{}, crmExitUsage
	}
	if section == "" {
		switch {
		case lifetime == "reboot":
			section = "status"
		case node != "" || lifetime == "forever" || lifetime == "permanent":
			section = "nodes"
		default:
			section = "crm_config"
		}
	}
	switch section {
	case "crm_config":
		return attrTarget{section: section, scope: section, setID: "cib-bootstrap-options"}, crmExitOK
	case "rsc_defaults", "op_defaults", "nodes", "status":
	default:
		fmt.Fprintf(stderr, "%s: Error performing operation: Invalid parameter\n", prog)
		return attrTarget{}, crmExitUsage
	}
	// Every type but cluster options is about a node: this one (its host
	// name, with a CIB_file) unless -N names another.
	if node == "" {
		node = localNodeName()
	}
	id := ""
	if nodes := c.Section("nodes"); nodes != nil {
		for _, n := range nodes.All("node") {
			if n.Get("uname") == node || n.Get("id") == node && n.Get("uname") == "" {
				id = n.Get("id")
				break
			}
		}
	}
	if id == "" {
		fmt.Fprintf(stderr, "%s: Could not map name=%s to a UUID\n", prog, node)
		return attrTarget{}, crmExitNoSuch
	}
	if section == "rsc_defaults" || section == "op_defaults" {
		return attrTarget{section: section, scope: section, nodeID: id, setID: section + "-options"}, crmExitOK
	}
	prefix := "nodes-"
	if section == "status" {
		prefix = "status-"
	}
	return attrTarget{section: section, scope: section, nodeID: id, setID: prefix + id}, crmExitOK
}

// attrSets returns the sets an attribute is looked for in.
func attrSets(c *cib.CIB, t attrTarget) []*cib.Element {
	sec := c.Section(t.section)
	if sec == nil {
		return nil
	}
	var holder *cib.Element
	switch t.section {
	case "crm_config":
		return sec.All("cluster_property_set")
	case "rsc_defaults", "op_defaults":
		return sec.All("meta_attributes")
	case "nodes":
		holder = sec.Find("node", t.nodeID)
	case "status":
		if ns := sec.Find("node_state", t.nodeID); ns != nil {
			holder = ns.Child("transient_attributes")
		}
	}
	if holder == nil {
		return nil
	}
	return holder.All("instance_attributes")
}

// findNvpair finds the attribute's nvpair in the target's sets (in the
// named set only with -s).
func findNvpair(c *cib.CIB, t attrTarget, name, set string) (nv *cib.Element, multiple bool) {
	for _, s := range attrSets(c, t) {
		if set != "" && s.Get("id") != set {
			continue
		}
		for _, x := range s.All("nvpair") {
			if x.Get("name") != name {
				continue
			}
			if nv != nil {
				return nv, true
			}
			nv = x
		}
	}
	return nv, false
}

// attrPath wraps a new nvpair in the elements that hold it, for a modify
// with create: the set, and the node or node_state above it.
func attrPath(t attrTarget, nv *cib.Element) *cib.Element {
	switch t.section {
	case "crm_config":
		s := cib.NewElement("cluster_property_set", "id", t.setID)
		s.AddChild(nv)
		return s
	case "rsc_defaults", "op_defaults":
		s := cib.NewElement("meta_attributes", "id", t.setID)
		s.AddChild(nv)
		return s
	case "nodes":
		n := cib.NewElement("node", "id", t.nodeID)
		n.AddChild(cib.NewElement("instance_attributes", "id", t.setID)).AddChild(nv)
		return n
	}
	ns := cib.NewElement("node_state", "id", t.nodeID)
	ns.AddChild(cib.NewElement("transient_attributes", "id", t.nodeID)).
		AddChild(cib.NewElement("instance_attributes", "id", t.setID)).AddChild(nv)
	return ns
}

// attrCommit applies a request and writes the CIB_file back.
func attrCommit(prog string, c *cib.CIB, path string, req cib.Request, stderr io.Writer) int {
	if path == "" {
		if err := liveApply(c, req); err != nil {
			text, exit := liveErrText(err)
			fmt.Fprintf(stderr, "%s: Error performing operation: %s\n", prog, text)
			return exit
		}
		return crmExitOK
	}
	if _, err := c.Apply(req); err != nil {
		fmt.Fprintf(stderr, "%s: Error performing operation: %s\n", prog, strings.TrimSpace(cib.CodeOf(err).String()))
		return cib.CodeOf(err).Exit()
	}
	if err := store.WriteFile(path, c.Bytes()); err != nil {
		fmt.Fprintf(stderr, "%s: Error performing operation: %v\n", prog, err)
		return crmExitError
	}
	return crmExitOK
}

// localNodeName is this host's name, as Pacemaker's tools take it with a
// CIB_file (uname's node name); without one, the running node's name.
func localNodeName() string {
	if os.Getenv("CIB_file") == "" {
		if n := liveNodeName(); n != "" {
			return n
		}
	}
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

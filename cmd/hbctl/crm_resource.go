package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hbd-ha/hbd/crm/mon"
	"github.com/hbd-ha/hbd/crm/pe"
)

var crmResourceOpts = []crmOpt{
	{'L', "list", false}, {'W', "locate", false}, {'r', "resource", true}, {'N', "node", true},
	{'M', "move", false}, {'B', "ban", false}, {'U', "clear", false}, {'u', "lifetime", true},
	{'C', "cleanup", false}, {0, "restart", false}, {'p', "set-parameter", true},
	{'g', "get-parameter", true}, {'d', "delete-parameter", true}, {'v', "parameter-value", true},
	{'m', "meta", false}, {'Q', "quiet", false}, {'f', "force", false}, {'h', "help", false},
	{'V', "verbose", false}, {'t', "resource-type", true}, {0, "set-name", true}, {'i', "attr-id", true},
	{'l', "list-raw", false}, {'o', "list-operations", false},
	{'n', "operation", true}, {'I', "interval", true}, {'R', "refresh", false}, {0, "wait", false},
	{'T', "timeout", true}, {0, "output-as", true},
}

// runCrmResource is crm_resource for the commands that read a CIB_file:
// --list, --locate and --get-parameter; the commands that change the CIB
// come with crm/cib (crm_resource_write.go).
func runCrmResource(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmResourceOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "Usage:\n  %s [OPTION?]\n\nPerform tasks related to Pacemaker cluster resources\n", prog)
		return crmExitOK
	}
	crmRequest = strings.TrimSpace(prog + " " + strings.Join(args, " "))
	rscID := p.last("resource")
	needRsc := p.has("locate") || p.has("get-parameter") || p.has("restart") || p.has("move") || p.has("ban") ||
		p.has("clear") || p.has("set-parameter") || p.has("delete-parameter")
	if needRsc && rscID == "" && !p.has("clear") {
		fmt.Fprintf(stderr, "%s: Must supply a resource id with -r\n", prog)
		return crmExitUsage
	}
	if !p.has("list") && !needRsc && !p.has("cleanup") && !p.has("refresh") && !p.has("wait") {
		fmt.Fprintf(stderr, "%s: No command given\n", prog)
		return crmExitUsage
	}
	if p.has("wait") && !p.has("restart") {
		return waitLive(prog, p, stdout, stderr)
	}
	root, _, live, err := loadCIBStrict()
	if live {
		if noAccess(err) {
			return liveReport(prog, p, stdout, stderr, err)
		}
		return crmFail(prog, p, stdout, stderr, crmExitNotConn, "Could not connect to the CIB: Transport endpoint is not connected\nError performing operation: Not connected")
	}
	if err != nil {
		return crmFail(prog, p, stdout, stderr, crmExitNoSuch, "Could not connect to the CIB: No such device or address\nError performing operation: No such object")
	}
	c, err := pe.Unpack(root, nowUnix())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitConfig
	}
	if p.has("list") {
		text, ok := mon.ResourceList(root, c)
		fmt.Fprint(stdout, text)
		if !ok {
			fmt.Fprintf(stderr, "%s: Error performing operation: No such device or address\n", prog)
			return crmExitNoSuch
		}
		return crmExitOK
	}
	r := findRsc(c, rscID)
	if r == nil && rscID != "" {
		return crmFail(prog, p, stdout, stderr, crmExitNoSuch, "Resource '"+rscID+"' not found\nError performing operation: No such object")
	}
	switch {
	case p.has("locate"):
		return locate(stdout, stderr, r, rscID, p.has("quiet"))
	case p.has("get-parameter"):
		return getParameter(root, stdout, stderr, r, p.last("get-parameter"), p.has("meta"), p.has("quiet"))
	case p.has("restart") && len(runningUnion(r).RunningOn) == 0:
		fmt.Fprintf(stderr, "%s is not running anywhere and so cannot be restarted\n%s: Error performing operation: No such object\n", r.ID, prog)
		return crmExitNoSuch
	case p.has("restart") && os.Getenv("CIB_file") == "":
		rc := restartLive(prog, p, root, c, r, stdout, stderr)
		if rc == crmExitOK && p.has("wait") {
			rc = waitLive(prog, p, stdout, stderr)
		}
		return rc
	case p.has("restart"):
		// Pacemaker's --restart sets target-role, then waits on the live
		// cluster's transitions: offline it reaches no cluster.
		fmt.Fprintf(stdout, "Set '%s' option: id=%s-meta_attributes-target-role set=%s-meta_attributes name=target-role value=stopped\n", r.ID, r.ID, r.ID)
		fmt.Fprintf(stdout, "Waiting for 1 resources to stop:\n * %s\n", r.ID)
		fmt.Fprintf(stderr, "Could not obtain the current CIB: No such device or address (6)\nCould not determine which resources were stopped\n%s: Error performing operation: No such object\n", prog)
		return crmExitNoSuch
	}
	return runCrmResourceWrite(prog, p, root, c, r, stdout, stderr)
}

// loadCIBStrict is loadCIB for the tools that, unlike crm_mon, refuse a
// CIB_file that does not exist.
func loadCIBStrict() (*pe.Element, string, bool, error) {
	root, path, live, err := loadCIB()
	if err == nil && !live && path != "" && root != nil && root.Get("epoch") == "0" && len(root.Child("configuration").Child("nodes").Children) == 0 && fileMissing(path) {
		return nil, path, false, fmt.Errorf("no CIB")
	}
	return root, path, live, err
}

// findRsc finds a resource by id: configured, a clone's child by its own
// id, or an instance (id:N).
func findRsc(c *pe.Cluster, id string) *pe.Resource {
	var found *pe.Resource
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		if found != nil {
			return
		}
		if r.ID == id || baseID(r.ID) == id {
			found = r
			return
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, r := range c.DisplayOrder() {
		walk(r)
	}
	if found == nil {
		found = c.Resource(id)
	}
	return found
}

// locate is --locate (cli_resource_search): every node the resource runs
// on, the last found first as Pacemaker's list prepends them.
func locate(stdout, stderr io.Writer, r *pe.Resource, name string, quiet bool) int {
	type hit struct {
		node     string
		promoted bool
	}
	var hits []hit
	add := func(x *pe.Resource, promotable bool) {
		for _, n := range x.RunningOn {
			hits = append([]hit{{n.Name, promotable && maxRole(x) == pe.RolePromoted}}, hits...)
		}
	}
	if r.Kind == pe.KindClone {
		for _, ch := range r.Children {
			add(runningUnion(ch), r.Promotable)
		}
	} else {
		x := runningUnion(r)
		for _, n := range x.RunningOn {
			hits = append([]hit{{n.Name, maxRole(r) == pe.RolePromoted}}, hits...)
		}
	}
	if len(hits) == 0 {
		if !quiet {
			fmt.Fprintf(stderr, "resource %s is NOT running\n", name)
		}
		return crmExitOK
	}
	for _, h := range hits {
		switch {
		case quiet:
			fmt.Fprintln(stdout, h.node)
		case h.promoted:
			fmt.Fprintf(stdout, "resource %s is running on: %s Promoted\n", name, h.node)
		default:
			fmt.Fprintf(stdout, "resource %s is running on: %s\n", name, h.node)
		}
	}
	return crmExitOK
}

// runningUnion returns a primitive as is, or a stand-in whose RunningOn is
// the union of a collective's members' nodes in the order they were found
// (a group's running_on in Pacemaker).
func runningUnion(r *pe.Resource) *pe.Resource {
	if r.Kind == pe.KindPrimitive {
		return r
	}
	u := &pe.Resource{ID: r.ID, Kind: r.Kind, Children: r.Children}
	var walk func(x *pe.Resource)
	walk = func(x *pe.Resource) {
		if x.Kind == pe.KindPrimitive {
			for _, n := range x.RunningOn {
				dup := false
				for _, m := range u.RunningOn {
					dup = dup || m == n
				}
				if !dup {
					u.RunningOn = append(u.RunningOn, n)
				}
			}
			return
		}
		for _, ch := range x.Children {
			walk(ch)
		}
	}
	walk(r)
	return u
}

func maxRole(r *pe.Resource) pe.Role {
	if r.Kind == pe.KindPrimitive {
		return r.Role
	}
	m := pe.RoleUnknown
	for _, ch := range r.Children {
		if x := maxRole(ch); x > m {
			m = x
		}
	}
	return m
}

// rscElement finds a resource's element in the configuration.
func rscElement(root *pe.Element, id string) *pe.Element {
	cfg := root.Child("configuration")
	if cfg == nil {
		return nil
	}
	var found *pe.Element
	var walk func(e *pe.Element)
	walk = func(e *pe.Element) {
		for _, ch := range e.Children {
			if found != nil {
				return
			}
			switch ch.Name {
			case "primitive", "group", "clone", "master", "bundle":
				if ch.Get("id") == id {
					found = ch
					return
				}
				walk(ch)
			}
		}
	}
	walk(cfg.Child("resources"))
	return found
}

// getParameter is --get-parameter: the value from the resource's own
// instance_attributes (meta_attributes with --meta), printed alone.
func getParameter(root *pe.Element, stdout, stderr io.Writer, r *pe.Resource, name string, meta, quiet bool) int {
	set := "instance_attributes"
	if meta {
		set = "meta_attributes"
	}
	e := rscElement(root, baseID(r.ID))
	if e != nil {
		for _, s := range e.All(set) {
			for _, nv := range s.All("nvpair") {
				if nv.Get("name") == name {
					fmt.Fprintln(stdout, nv.Get("value"))
					return crmExitOK
				}
			}
		}
	}
	fmt.Fprintf(stderr, "Attribute '%s' not found for '%s'\n", name, r.ID)
	return crmExitOK
}

// baseID strips a clone instance's ":N".
func baseID(id string) string {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		return id[:i]
	}
	return id
}

package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
	"github.com/hbd-ha/hbd/crm/pe"
)

// runCrmResourceWrite handles crm_resource's commands that change the CIB.
func runCrmResourceWrite(prog string, p *crmParsed, root *pe.Element, c *pe.Cluster, r *pe.Resource, stdout, stderr io.Writer) int {
	path := os.Getenv("CIB_file")
	if p.has("cleanup") || p.has("refresh") {
		if path == "" {
			return cleanupLive(prog, p, c, r, stdout, stderr)
		}
		return cleanupDryRun(p, c, r, stdout)
	}
	var db *cib.CIB
	if path == "" {
		var err error
		if db, err = liveCIB(0); err != nil {
			if noAccess(err) {
				return liveReport(prog, p, stdout, stderr, err)
			}
			fmt.Fprintf(stderr, "%s: Could not connect to the CIB: Transport endpoint is not connected\n", prog)
			return crmExitNotConn
		}
	} else {
		data, err := store.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: Could not connect to the CIB: No such device or address\n", prog)
			return crmExitNoSuch
		}
		if db, err = cib.ParseCIB(data); err != nil {
			fmt.Fprintf(stderr, "%s: Could not connect to the CIB: %v\n", prog, err)
			return crmExitNoSuch
		}
	}
	w := &rscWriter{prog: prog, p: p, db: db, path: path, stdout: stdout, stderr: stderr}
	id := r.ID
	if r.Parent != nil && r.Parent.Kind == pe.KindClone && !r.Parent.Unique {
		id = baseID(r.ID)
	}
	switch {
	case p.has("set-parameter"):
		return w.setParam(id, p.last("set-parameter"), p.last("parameter-value"), p.has("meta"), p.has("quiet"))
	case p.has("delete-parameter"):
		return w.deleteParam(id, p.last("delete-parameter"), p.has("meta"), p.has("quiet"))
	case p.has("clear"):
		return w.clear(id, p.last("node"))
	case p.has("move"), p.has("ban"):
		node := p.last("node")
		if node == "" {
			active := runningUnion(r).RunningOn
			if p.has("move") || len(active) != 1 {
				fmt.Fprintf(stderr, "%s: Resource '%s' not moved: active in %d locations.\n", prog, id, len(active))
				fmt.Fprintf(stderr, "To prevent '%s' from running on a specific location, specify a node.\n", id)
				return crmExitUsage
			}
			node = active[0].Name
		}
		if c.Node(node) == nil {
			fmt.Fprintf(stderr, "%s: Node '%s' not found\nError performing operation: No such object\n", prog, node)
			return crmExitNoSuch
		}
		if p.has("ban") {
			return w.ban(id, node, p.has("quiet"))
		}
		return w.move(id, node, p.last("lifetime"))
	}
	fmt.Fprintf(stderr, "%s: this command is not implemented by hbd yet\n", prog)
	return crmExitError
}

// rscWriter makes crm_resource's changes to a CIB_file, one CIB request a
// change as Pacemaker's tool makes them (so the epoch moves as it does).
type rscWriter struct {
	prog           string
	p              *crmParsed
	db             *cib.CIB
	path           string
	stdout, stderr io.Writer
}

func (w *rscWriter) apply(req cib.Request) int {
	if w.path == "" {
		// The running cluster: the DC applies it.
		if err := liveApply(w.db, req); err != nil {
			return liveReport(w.prog, w.p, w.stdout, w.stderr, err)
		}
		return crmExitOK
	}
	if _, err := w.db.Apply(req); err != nil {
		fmt.Fprintf(w.stderr, "%s: Error performing operation: %s\n", w.prog, cib.CodeOf(err).String())
		return cib.CodeOf(err).Exit()
	}
	if err := store.WriteFile(w.path, w.db.Bytes()); err != nil {
		fmt.Fprintf(w.stderr, "%s: Error performing operation: %v\n", w.prog, err)
		return crmExitError
	}
	return crmExitOK
}

// setParam is --set-parameter (with --meta, a meta attribute): an
// existing nvpair takes the value, else one is added to the resource's
// first set of that kind (made when there is none).
func (w *rscWriter) setParam(id, name, value string, meta, quiet bool) int {
	kind := "instance_attributes"
	if meta {
		kind = "meta_attributes"
	}
	e := w.db.FindID(id)
	if e == nil {
		fmt.Fprintf(w.stderr, "%s: Resource '%s' not found\nError performing operation: No such object\n", w.prog, id)
		return crmExitNoSuch
	}
	var nv, set *cib.Element
	for _, s := range e.All(kind) {
		if set == nil {
			set = s
		}
		for _, x := range s.All("nvpair") {
			if x.Get("name") == name && nv == nil {
				nv, set = x, s
			}
		}
	}
	upd := cib.NewElement(e.Name, "id", id)
	var msg string
	switch {
	case nv != nil:
		upd.AddChild(cib.NewElement(kind, "id", set.Get("id"))).AddChild(cib.NewElement("nvpair", "id", nv.Get("id"), "name", name, "value", value))
		msg = fmt.Sprintf("Set '%s' option: id=%s name=%s value=%s", id, nv.Get("id"), name, value)
	default:
		setID := id + "-" + kind
		if set != nil {
			setID = set.Get("id")
		}
		nvID := setID + "-" + name
		upd.AddChild(cib.NewElement(kind, "id", setID)).AddChild(cib.NewElement("nvpair", "id", nvID, "name", name, "value", value))
		msg = fmt.Sprintf("Set '%s' option: id=%s set=%s name=%s value=%s", id, nvID, setID, name, value)
	}
	if rc := w.apply(cib.Request{Op: cib.OpModify, Section: "resources", Data: upd, AllowCreate: true}); rc != crmExitOK {
		return rc
	}
	if !quiet {
		fmt.Fprintln(w.stdout, msg)
	}
	return crmExitOK
}

// deleteParam is --delete-parameter: the nvpair goes, its set stays.
func (w *rscWriter) deleteParam(id, name string, meta, quiet bool) int {
	kind := "instance_attributes"
	if meta {
		kind = "meta_attributes"
	}
	e := w.db.FindID(id)
	if e == nil {
		fmt.Fprintf(w.stderr, "%s: Resource '%s' not found\nError performing operation: No such object\n", w.prog, id)
		return crmExitNoSuch
	}
	for _, s := range e.All(kind) {
		for _, x := range s.All("nvpair") {
			if x.Get("name") != name {
				continue
			}
			nvID := x.Get("id")
			if rc := w.apply(cib.Request{Op: cib.OpDelete, Section: "resources", Data: cib.NewElement("nvpair", "id", nvID, "name", name)}); rc != crmExitOK {
				return rc
			}
			if !quiet {
				fmt.Fprintf(w.stdout, "Deleted '%s' option: id=%s name=%s\n", id, nvID, name)
			}
			return crmExitOK
		}
	}
	return crmExitOK // Pacemaker says nothing when there is none
}

// constraints returns a copy of the constraints section to edit.
func (w *rscWriter) constraints() *cib.Element {
	if sec := w.db.Section("constraints"); sec != nil {
		return sec.Clone()
	}
	return cib.NewElement("constraints")
}

func (w *rscWriter) replaceConstraints(sec *cib.Element) int {
	return w.apply(cib.Request{Op: cib.OpReplace, Section: "constraints", Data: sec})
}

// removeConstraint removes one constraint by id (one request), reporting
// whether it was there.
func (w *rscWriter) removeConstraint(id string) (bool, int) {
	sec := w.constraints()
	for _, ch := range sec.Children {
		if ch.Get("id") == id {
			ch.Remove()
			return true, w.replaceConstraints(sec)
		}
	}
	return false, crmExitOK
}

// putConstraint adds a constraint or replaces the one with its id.
func (w *rscWriter) putConstraint(loc *cib.Element) int {
	sec := w.constraints()
	for _, ch := range sec.Children {
		if ch.Get("id") == loc.Get("id") {
			ch.ReplaceWith(loc)
			return w.replaceConstraints(sec)
		}
	}
	sec.AddChild(loc)
	return w.replaceConstraints(sec)
}

// ban is --ban: cli-ban-RSC-on-NODE with -INFINITY, and Pacemaker's
// warning.
func (w *rscWriter) ban(id, node string, quiet bool) int {
	cid := "cli-ban-" + id + "-on-" + node
	if !quiet {
		fmt.Fprintf(w.stdout, "WARNING: Creating rsc_location constraint '%s' with a score of -INFINITY for resource %s on %s.\n"+
			"\tThis will prevent %s from running on %s until the constraint is removed using the clear option or by editing the CIB with an appropriate tool\n"+
			"\tThis will be the case even if %s is the last node in the cluster\n", cid, id, node, id, node, node)
	}
	return w.putConstraint(cib.NewElement("rsc_location", "id", cid, "rsc", id, "role", "Started", "node", node, "score", "-INFINITY"))
}

// move is --move: a ban on the destination goes first (its own request),
// then cli-prefer-RSC, with a rule ending at now + lifetime when -u gives
// one.
func (w *rscWriter) move(id, node, lifetime string) int {
	if _, rc := w.removeConstraint("cli-ban-" + id + "-on-" + node); rc != crmExitOK {
		return rc
	}
	loc := cib.NewElement("rsc_location", "id", "cli-prefer-"+id, "rsc", id, "role", "Started", "node", node, "score", "INFINITY")
	if lifetime != "" {
		d, ok := parseISODuration(lifetime)
		if !ok {
			fmt.Fprintf(w.stderr, "%s: Invalid duration specified: %s\n", w.prog, lifetime)
			return crmExitInvalid
		}
		end := time.Now().UTC().Add(d).Format("2006-01-02 15:04:05Z")
		fmt.Fprintf(w.stdout, "Migration will take effect until: %s\n", end)
		loc = cib.NewElement("rsc_location", "id", "cli-prefer-"+id, "rsc", id, "role", "Started")
		rule := loc.AddChild(cib.NewElement("rule", "id", "cli-prefer-rule-"+id, "score", "INFINITY", "boolean-op", "and"))
		rule.AddChild(cib.NewElement("expression", "id", "cli-prefer-expr-"+id, "attribute", "#uname", "operation", "eq", "value", node, "type", "string"))
		rule.AddChild(cib.NewElement("date_expression", "id", "cli-prefer-lifetime-end-"+id, "operation", "lt", "end", end))
	}
	return w.putConstraint(loc)
}

// clear is --clear: the resource's cli-ban constraints (on the node, or
// on every node) and its cli-prefer, each its own request.
func (w *rscWriter) clear(id, node string) int {
	var ids []string
	if sec := w.db.Section("constraints"); sec != nil {
		for _, ch := range sec.Children {
			cid := ch.Get("id")
			if ch.Name != "rsc_location" {
				continue
			}
			if node != "" && cid == "cli-ban-"+id+"-on-"+node || node == "" && strings.HasPrefix(cid, "cli-ban-"+id+"-on-") {
				ids = append(ids, cid)
			}
		}
		for _, ch := range sec.Children {
			if ch.Name == "rsc_location" && ch.Get("id") == "cli-prefer-"+id {
				ids = append(ids, ch.Get("id"))
			}
		}
	}
	for _, cid := range ids {
		if _, rc := w.removeConstraint(cid); rc != crmExitOK {
			return rc
		}
		fmt.Fprintf(w.stdout, "Removing constraint: %s\n", cid)
	}
	return crmExitOK
}

// parseISODuration reads crm_resource's --lifetime, an ISO 8601 duration
// (PT5M, P1D, P1DT2H).
func parseISODuration(s string) (time.Duration, bool) {
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, false
	}
	var d time.Duration
	inTime := false
	num := ""
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
		case c == 'T':
			inTime = true
		default:
			n, err := strconv.Atoi(num)
			if err != nil {
				return 0, false
			}
			num = ""
			switch {
			case c == 'Y':
				d += time.Duration(n) * 365 * 24 * time.Hour
			case c == 'M' && !inTime:
				d += time.Duration(n) * 30 * 24 * time.Hour
			case c == 'W':
				d += time.Duration(n) * 7 * 24 * time.Hour
			case c == 'D':
				d += time.Duration(n) * 24 * time.Hour
			case c == 'H':
				d += time.Duration(n) * time.Hour
			case c == 'M':
				d += time.Duration(n) * time.Minute
			case c == 'S':
				d += time.Duration(n) * time.Second
			default:
				return 0, false
			}
		}
	}
	return d, num == ""
}

// cleanupPrimitives are the primitives --cleanup names: every one (r
// nil), or those of r — of its whole clone when r is in one, as Pacemaker
// cleans every instance.
func cleanupPrimitives(c *pe.Cluster, r *pe.Resource) []*pe.Resource {
	rscs := c.DisplayOrder()
	if r != nil {
		x := r
		for y := r; y != nil; y = y.Parent {
			if y.Kind == pe.KindClone {
				x = y
			}
		}
		rscs = []*pe.Resource{x}
	}
	var prims []*pe.Resource
	var walk func(x *pe.Resource)
	walk = func(x *pe.Resource) {
		if x.Kind == pe.KindPrimitive {
			prims = append(prims, x)
		}
		for _, ch := range x.Children {
			walk(ch)
		}
	}
	for _, x := range rscs {
		walk(x)
	}
	return prims
}

// cleanupDryRun is --cleanup on a CIB_file: Pacemaker 2.1.5 cleans
// nothing there and says so for every instance (of the whole clone when
// the resource is in one) on the node, or on every node; it then crashes
// (exit 139), where hbd exits 0.
func cleanupDryRun(p *crmParsed, c *pe.Cluster, r *pe.Resource, stdout io.Writer) int {
	var nodes []*pe.Node
	if n := p.last("node"); n != "" {
		if node := c.Node(n); node != nil {
			nodes = append(nodes, node)
		}
	} else {
		for _, n := range c.Nodes {
			if n.Online {
				nodes = append(nodes, n)
			}
		}
	}
	prims := cleanupPrimitives(c, r)
	for _, n := range nodes {
		for _, x := range prims {
			fmt.Fprintf(stdout, "Dry run: skipping clean-up of %s on %s due to CIB_file\n", x.ID, n.Name)
		}
	}
	return crmExitOK
}

func fileMissing(path string) bool {
	_, err := os.Stat(path)
	return os.IsNotExist(err)
}

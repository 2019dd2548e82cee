package cib

import (
	"strconv"
	"strings"
)

// FeatureSet is the crm_feature_set Pacemaker 2.1.5 writes in a new CIB.
const FeatureSet = "3.16.1"

// CIB is a cluster information base: a <cib> document. Root may be read
// and handed to the policy engine freely; changes go through Apply (or
// ApplyPatch), which keep the version counters and refuse what does not
// validate without touching Root.
type CIB struct {
	Root *Element
}

// ParseCIB reads a CIB document; the root must be <cib>.
func ParseCIB(data []byte) (*CIB, error) {
	root, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return New(root)
}

// New wraps a parsed document; the root must be <cib>.
func New(root *Element) (*CIB, error) {
	if root == nil || root.Name != "cib" {
		name := ""
		if root != nil {
			name = root.Name
		}
		return nil, &Error{Code: ErrInvalid, Detail: "the document's root is <" + name + ">, not <cib>"}
	}
	root.Parent = nil
	return &CIB{Root: root}, nil
}

// Empty is a new CIB as Pacemaker creates one (createEmptyCib): the
// feature set, the schema, zero versions and the empty sections.
func Empty(validateWith string) *CIB {
	if validateWith == "" {
		validateWith = LatestSchema
	}
	root := NewElement("cib", "crm_feature_set", FeatureSet, "validate-with", validateWith,
		"epoch", "0", "num_updates", "0", "admin_epoch", "0")
	cfg := root.AddChild(NewElement("configuration"))
	for _, s := range []string{"crm_config", "nodes", "resources", "constraints"} {
		cfg.AddChild(NewElement(s))
	}
	root.AddChild(NewElement("status"))
	return &CIB{Root: root}
}

// LatestSchema is the newest schema Pacemaker 2.1.5 knows.
const LatestSchema = "pacemaker-3.9"

// Clone is a deep copy.
func (c *CIB) Clone() *CIB { return &CIB{Root: c.Root.Clone()} }

// Version is the CIB's version.
func (c *CIB) Version() Version { return VersionOf(c.Root) }

// Bytes is the CIB as Pacemaker writes it (cibadmin -Q, cib.xml).
func (c *CIB) Bytes() []byte { return c.Root.Format() }

// sectionParent says where each section Pacemaker knows lives
// (pcmk_find_cib_element's table).
var sectionParent = map[string]string{
	"configuration":    "cib",
	"status":           "cib",
	"crm_config":       "configuration",
	"nodes":            "configuration",
	"resources":        "configuration",
	"constraints":      "configuration",
	"rsc_defaults":     "configuration",
	"op_defaults":      "configuration",
	"acls":             "configuration",
	"fencing-topology": "configuration",
	"tags":             "configuration",
	"alerts":           "configuration",
}

// KnownSection reports whether Pacemaker knows the section name ("" and
// "all" and "cib" mean the whole document).
func KnownSection(name string) bool {
	_, ok := sectionParent[name]
	return ok || name == "" || name == "all" || name == "cib"
}

// Section returns the named section, or the root for "", "all", "cib"
// and names Pacemaker does not know (as cibadmin -Q -o bogus prints the
// whole CIB); nil when a known section is absent.
func (c *CIB) Section(name string) *Element {
	parent, ok := sectionParent[name]
	if !ok {
		return c.Root
	}
	if parent == "cib" {
		return c.Root.Child(name)
	}
	return c.Root.Child(parent).Child(name)
}

// FindID returns the first element with the id in document order, or nil.
func (c *CIB) FindID(id string) *Element {
	if id == "" {
		return nil
	}
	return c.Root.Find("", id)
}

// Op is a CIB request's kind, as cibadmin's commands.
type Op int

// The requests.
const (
	OpQuery   Op = iota // -Q
	OpCreate            // -C
	OpModify            // -M
	OpReplace           // -R
	OpDelete            // -D
	OpErase             // -E
)

func (o Op) String() string {
	return [...]string{"cib_query", "cib_create", "cib_modify", "cib_replace", "cib_delete", "cib_erase"}[o]
}

// Request is one CIB request.
type Request struct {
	Op Op
	// Section is the -o section ("" for the whole CIB).
	Section string
	// Data is the -X/-x element (nil for a query or erase).
	Data *Element
	// AllowCreate is cibadmin -M --allow-create: a modify of an absent
	// element adds it.
	AllowCreate bool
	// NoVersionBump leaves the counters alone (a replica applying the
	// DC's CIB, whose counters are already the DC's).
	NoVersionBump bool
	// LastWritten, when not "", is stamped as cib-last-written on a
	// configuration change, as Pacemaker's CIB daemon does (the offline
	// CIB_file tools do not). It is an input: this package reads no clock.
	LastWritten string
}

// Result is what a successful request did.
type Result struct {
	// Output is a query's answer (a copy), nil for the others.
	Output *Element
	// Changed says whether the CIB changed; ConfigChanged whether the
	// configuration did (then epoch was bumped, else num_updates).
	Changed, ConfigChanged bool
	// Old and New are the versions before and after.
	Old, New Version
	// Patch is the change as a v2 patchset (nil when nothing changed),
	// what a DC sends its replicas.
	Patch *Element
}

// Apply carries out a request. On error the CIB is unchanged.
func (c *CIB) Apply(req Request) (*Result, error) {
	if req.Op == OpQuery {
		sec := c.Section(req.Section)
		if sec == nil {
			return nil, &Error{Code: ErrNoSuch, Detail: "no section " + req.Section}
		}
		return &Result{Output: sec.Clone(), Old: c.Version(), New: c.Version()}, nil
	}
	old := c.Root
	scratch := old.Clone()
	var err error
	switch req.Op {
	case OpCreate:
		scratch, err = doCreate(scratch, req)
	case OpModify:
		scratch, err = doModify(scratch, req)
	case OpReplace:
		scratch, err = doReplace(scratch, req)
	case OpDelete:
		scratch, err = doDelete(scratch, req)
	case OpErase:
		scratch = doErase(scratch)
	default:
		return nil, &Error{Code: ErrUnsupported}
	}
	if err != nil {
		return nil, err
	}
	return c.commit(old, scratch, req)
}

// commit bumps the counters of the changed document, validates it and
// makes it the CIB.
func (c *CIB) commit(old, scratch *Element, req Request) (*Result, error) {
	changes := diffTrees(old, scratch)
	res := &Result{Old: VersionOf(old)}
	if len(changes) == 0 {
		res.New = res.Old
		return res, nil
	}
	res.Changed = true
	res.ConfigChanged = configChanged(changes)
	if !req.NoVersionBump {
		// The counters go on from the new document's own (a replacement
		// brings its own), as in Pacemaker's cib_perform_op.
		v := VersionOf(scratch)
		if res.ConfigChanged {
			v.Epoch++
			v.NumUpdates = 0
		} else {
			v.NumUpdates++
		}
		v.setOn(scratch)
		if res.ConfigChanged && req.LastWritten != "" {
			scratch.Set("cib-last-written", req.LastWritten)
		}
	}
	if nv := VersionOf(scratch); nv.Compare(res.Old) < 0 && req.Op != OpErase {
		return nil, &Error{Code: ErrOldData, Detail: "version " + nv.String() + " is older than " + res.Old.String()}
	}
	validate := Validate
	if !res.ConfigChanged {
		// The configuration is as it was (and valid): only the root's
		// sections need a look.
		validate = validateRoot
	}
	if err := validate(scratch); err != nil {
		if e, ok := err.(*Error); ok {
			e.Candidate = scratch
		}
		return nil, err
	}
	res.New = VersionOf(scratch)
	res.Patch = buildPatch(old, scratch, withRootChange(changes, old, scratch))
	c.Root = scratch
	return res, nil
}

// withRootChange updates the changes with the root's attributes as they
// are after the counters moved, rather than diffing the whole document
// again: the root's modify comes right after the deletions, as diffTrees
// orders it.
func withRootChange(changes []change, old, scratch *Element) []change {
	var root []change
	var dels []change
	diffAttrs(old, scratch, &root)
	out := make([]change, 0, len(changes)+1)
	for _, ch := range changes {
		if ch.op == "delete" {
			dels = append(dels, ch)
		}
	}
	out = append(out, dels...)
	out = append(out, root...)
	for _, ch := range changes {
		if ch.op == "delete" || ch.op == "modify" && ch.node == scratch {
			continue
		}
		out = append(out, ch)
	}
	return out
}

func configChanged(changes []change) bool {
	for _, ch := range changes {
		if strings.HasPrefix(ch.path, "/cib/configuration") {
			return true
		}
	}
	return false
}

// sectionRoot is pcmk_find_cib_element: the section, or the root.
func sectionRoot(root *Element, section string) *Element {
	c := CIB{Root: root}
	return c.Section(section)
}

func doCreate(root *Element, req Request) (*Element, error) {
	in := req.Data
	if in == nil {
		return nil, &Error{Code: ErrInvalid, Detail: "no data to create"}
	}
	section := req.Section
	if section == "all" || section == "cib" || in.Name == "cib" {
		section = ""
	}
	if section == "" {
		// Pacemaker's create without a section is a modify of the root.
		r := req
		r.Section = ""
		return doModify(root, r)
	}
	target := sectionRoot(root, section)
	if target == nil {
		return nil, &Error{Code: ErrNoSuch, Detail: "no section " + section}
	}
	failed := NewElement("failed")
	add := func(x *Element) {
		// Without an id, any element of the name is "the same" one, as in
		// Pacemaker's find_entity.
		attr := "id"
		if x.ID() == "" {
			attr = ""
		}
		if findChild(target, x.Name, attr, x.ID()) != nil {
			f := failed.AddChild(NewElement("failed_update", "id", x.ID(), "object_type", x.Name,
				"operation", OpCreate.String(), "reason", ErrExists.String()))
			f.AddChild(x.Clone())
			return
		}
		target.AddChild(x.Clone())
	}
	if strings.EqualFold(in.Name, section) {
		for _, k := range in.Children {
			add(k)
		}
	} else {
		add(in)
	}
	if len(failed.Children) > 0 {
		return nil, &Error{Code: ErrExists, Path: target.XPath(), Failed: failed}
	}
	return root, nil
}

// findChild is the first child with the name whose attribute attr is val
// (any child with the name when attr is "").
func findChild(parent *Element, name, attr, val string) *Element {
	for _, k := range parent.Children {
		if k.Name != name {
			continue
		}
		if attr == "" || k.Get(attr) == val {
			return k
		}
	}
	return nil
}

func doModify(root *Element, req Request) (*Element, error) {
	in := req.Data
	if in == nil {
		return nil, &Error{Code: ErrInvalid, Detail: "no data to modify"}
	}
	section := req.Section
	if section == "all" {
		section = ""
	}
	obj := sectionRoot(root, section)
	if obj == nil {
		if !req.AllowCreate {
			return nil, &Error{Code: ErrNoSuch, Detail: "no section " + section}
		}
		parent := root
		if p := sectionParent[section]; p == "configuration" {
			parent = root.Child("configuration")
		}
		obj = parent.AddChild(NewElement(section))
	}
	if !updateChild(obj, in) {
		if !req.AllowCreate {
			return nil, &Error{Code: ErrNoSuch, Path: obj.XPath() + "//" + in.Name + idPred(in), Detail: "no such element to modify"}
		}
		obj.AddChild(in.Clone())
	}
	return root, nil
}

func idPred(e *Element) string {
	if id, ok := e.Lookup("id"); ok {
		return "[@id='" + id + "']"
	}
	return ""
}

// updateChild is Pacemaker's update_xml_child: the first element under
// (and including) e, depth first, with the update's name and id is merged
// with it.
func updateChild(e, upd *Element) bool {
	if e.Name == upd.Name && e.Get("id") == upd.Get("id") {
		merge(e, upd)
		return true
	}
	for _, k := range e.Children {
		if updateChild(k, upd) {
			return true
		}
	}
	return false
}

// merge is add_xml_object without diff semantics: the update's attributes
// are copied in (with "name++" and "name+=N" arithmetic) and each of its
// children merged into the target's child of the same name and id (or
// id-ref, or just name when it has neither), created when absent.
func merge(target, upd *Element) {
	for _, a := range upd.Attrs {
		target.Set(a.Name.Local, expandPlusPlus(target, a.Name.Local, a.Value))
	}
	for _, uk := range upd.Children {
		attr, val := "", ""
		if id, ok := uk.Lookup("id"); ok {
			attr, val = "id", id
		} else if ref, ok := uk.Lookup("id-ref"); ok {
			attr, val = "id-ref", ref
		}
		tk := findChild(target, uk.Name, attr, val)
		if tk == nil {
			tk = target.AddChild(NewElement(uk.Name))
		}
		merge(tk, uk)
	}
}

// expandPlusPlus is Pacemaker's: a value "name++" or "name+=N" for the
// attribute name adds 1 or N to its current value (0 when absent or not a
// number; scores saturate at INFINITY).
func expandPlusPlus(target *Element, name, value string) string {
	if len(value) < len(name)+2 || !strings.HasPrefix(value, name) {
		return value
	}
	rest := value[len(name):]
	var add int
	switch {
	case rest == "++":
		add = 1
	case strings.HasPrefix(rest, "+="):
		n, err := strconv.Atoi(rest[2:])
		if err != nil {
			if s := rest[2:]; s == "INFINITY" || s == "+INFINITY" {
				n = infinity
			} else {
				return value
			}
		}
		add = n
	default:
		return value
	}
	cur, err := strconv.Atoi(target.Get(name))
	if err != nil {
		if v := target.Get(name); v == "INFINITY" || v == "+INFINITY" {
			cur = infinity
		} else {
			cur = 0
		}
	}
	n := cur + add
	if n > infinity {
		n = infinity
	}
	if n < -infinity {
		n = -infinity
	}
	return strconv.Itoa(n)
}

const infinity = 1000000

func doReplace(root *Element, req Request) (*Element, error) {
	in := req.Data
	if in == nil {
		return nil, &Error{Code: ErrInvalid, Detail: "no data to replace with"}
	}
	if in.Name == "cib" {
		cur, rep := VersionOf(root), VersionOf(in)
		if rep.Compare(cur) < 0 {
			return nil, &Error{Code: ErrOldData, Detail: "replacement " + rep.String() + " is older than the current " + cur.String()}
		}
		n := in.Clone()
		return n, nil
	}
	section := req.Section
	if section == "all" || strings.EqualFold(in.Name, section) {
		section = ""
	}
	obj := sectionRoot(root, section)
	if obj == nil || !replaceChild(obj, in, false) {
		return nil, &Error{Code: ErrNoSuch, Detail: "no <" + in.Name + idPred(in) + "> to replace"}
	}
	return root, nil
}

// replaceChild is Pacemaker's replace_xml_child: the first element under
// (and including) e with the name and id of upd (any id when upd has
// none) is replaced by a copy of upd, or, when deleting, removed if all
// upd's attributes match it.
func replaceChild(e, upd *Element, deleteOnly bool) bool {
	if e.Name == upd.Name && (upd.Get("id") == "" || e.Get("id") == upd.Get("id")) {
		ok := true
		if deleteOnly {
			for _, a := range upd.Attrs {
				if v, has := e.Lookup(a.Name.Local); !has || v != a.Value {
					ok = false
					break
				}
			}
		}
		if ok && e.Parent != nil {
			if deleteOnly {
				e.Remove()
			} else {
				e.ReplaceWith(upd.Clone())
			}
			return true
		}
	}
	for _, k := range e.Children {
		if replaceChild(k, upd, deleteOnly) {
			return true
		}
	}
	return false
}

func doDelete(root *Element, req Request) (*Element, error) {
	in := req.Data
	if in == nil {
		return nil, &Error{Code: ErrInvalid, Detail: "no data to delete"}
	}
	section := req.Section
	if section == "all" {
		section = ""
	}
	obj := sectionRoot(root, section)
	if obj == nil {
		return root, nil
	}
	// Deleting what is not there is no error, as in Pacemaker.
	if strings.EqualFold(in.Name, section) {
		for _, k := range in.Children {
			replaceChild(obj, k, true)
		}
	} else {
		replaceChild(obj, in, true)
	}
	return root, nil
}

// doErase is cibadmin -E: an empty CIB keeping the old one's root
// attributes, admin_epoch one higher.
func doErase(root *Element) *Element {
	e := Empty("").Root
	for _, a := range root.Attrs {
		e.Set(a.Name.Local, a.Value)
	}
	e.Set("admin_epoch", strconv.Itoa(intAttr(root, "admin_epoch")+1))
	return e
}

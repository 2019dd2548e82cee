package cib

import "strings"

// Validate checks the core of Pacemaker's schema (pacemaker-1.0 to 3.9)
// that the rest of hbd relies on, and names the first element at fault by
// its path: the root and its sections, ids present where the schema wants
// them and unique in the configuration, primitives' class, provider and
// type, groups and clones with members, constraints with their resources,
// nvpairs with names and operations with names and intervals. It is not
// the whole RelaxNG schema: what it does not know it lets through.
func Validate(root *Element) error {
	if err := validateRoot(root); err != nil {
		return err
	}
	cfg := root.Child("configuration")
	if cfg == nil {
		return schemaErr(root, "no <configuration>")
	}
	for _, s := range []string{"crm_config", "nodes", "resources", "constraints"} {
		if cfg.Child(s) == nil {
			return schemaErr(cfg, "no <"+s+">")
		}
	}
	ids := map[string]*Element{}
	var err error
	cfg.Walk(func(e *Element) {
		if err != nil {
			return
		}
		if id, ok := e.Lookup("id"); ok && !idIsReference(e) {
			if id == "" {
				err = schemaErr(e, "empty id")
				return
			}
			if prev := ids[id]; prev != nil {
				err = schemaErr(e, "id "+id+" is also used by "+prev.XPath())
				return
			}
			ids[id] = e
		}
		err = checkElement(e)
	})
	if err != nil {
		return err
	}
	return nil
}

// idIsReference reports whether an element's id attribute names another
// element rather than this one (the schema's IDREF): a set's
// resource_ref, an ACL's object and role references; and a node's id,
// which is the cluster layer's node id, not an XML ID (a remote node and
// its connection resource share one).
func idIsReference(e *Element) bool {
	switch e.Name {
	case "resource_ref", "obj_ref", "role_ref":
		return true
	case "role":
		return e.Parent != nil && (e.Parent.Name == "acl_target" || e.Parent.Name == "acl_group")
	case "node":
		return e.Parent != nil && e.Parent.Name == "nodes"
	}
	return false
}

// validateRoot checks the root and that it holds only its sections.
func validateRoot(root *Element) error {
	if root == nil || root.Name != "cib" {
		return &Error{Code: ErrSchema, Detail: "the root element is not <cib>"}
	}
	for _, k := range root.Children {
		if k.Name != "configuration" && k.Name != "status" && !k.IsComment() {
			return schemaErr(k, "<"+k.Name+"> is not a section of <cib>")
		}
	}
	if len(root.All("configuration")) != 1 {
		return schemaErr(root, "not exactly one <configuration>")
	}
	return nil
}

func schemaErr(e *Element, why string) error {
	return &Error{Code: ErrSchema, Path: e.XPath(), Detail: why}
}

// needID are the configuration elements the schema gives a required id
// (unless they are an id-ref to another).
var needID = map[string]bool{
	"node": true, "primitive": true, "group": true, "clone": true, "master": true, "bundle": true,
	"template": true, "rsc_location": true, "rsc_colocation": true, "rsc_order": true, "rsc_ticket": true,
	"op": true, "nvpair": true, "instance_attributes": true, "meta_attributes": true,
	"cluster_property_set": true, "utilization": true, "rule": true, "expression": true,
	"date_expression": true, "resource_set": true, "fencing-level": true, "tag": true, "alert": true,
}

var classes = map[string]bool{
	"ocf": true, "lsb": true, "heartbeat": true, "stonith": true, "service": true,
	"systemd": true, "upstart": true, "nagios": true,
}

// sectionChildren are the elements each section of the configuration may
// hold.
var sectionChildren = map[string]map[string]bool{
	"crm_config":  {"cluster_property_set": true},
	"nodes":       {"node": true},
	"resources":   {"primitive": true, "group": true, "clone": true, "master": true, "bundle": true, "template": true},
	"constraints": {"rsc_location": true, "rsc_colocation": true, "rsc_order": true, "rsc_ticket": true},
}

func checkElement(e *Element) error {
	if e.IsComment() {
		return nil
	}
	has := func(a string) bool { _, ok := e.Lookup(a); return ok }
	if e.Parent != nil && e.Parent.Parent != nil && e.Parent.Parent.Name == "configuration" {
		if allowed := sectionChildren[e.Parent.Name]; allowed != nil && !allowed[e.Name] {
			return schemaErr(e, "<"+e.Name+"> does not belong in <"+e.Parent.Name+">")
		}
	}
	if needID[e.Name] && !has("id") && !has("id-ref") {
		return schemaErr(e, "<"+e.Name+"> without id")
	}
	switch e.Name {
	case "primitive":
		if has("template") {
			return nil
		}
		class := e.Get("class")
		switch {
		case class == "":
			return schemaErr(e, "primitive without class")
		case !classes[class]:
			return schemaErr(e, "unknown resource class "+class)
		case e.Get("type") == "":
			return schemaErr(e, "primitive without type")
		case class == "ocf" && e.Get("provider") == "":
			return schemaErr(e, "ocf primitive without provider")
		case class != "ocf" && has("provider"):
			return schemaErr(e, "provider given for class "+class)
		}
	case "group":
		if len(e.All("primitive")) == 0 {
			return schemaErr(e, "group without a primitive")
		}
	case "clone", "master":
		n := len(e.All("primitive")) + len(e.All("group"))
		if n != 1 {
			return schemaErr(e, "a "+e.Name+" holds exactly one primitive or group")
		}
	case "node":
		if e.Parent != nil && e.Parent.Name == "nodes" && e.Get("uname") == "" {
			return schemaErr(e, "node without uname")
		}
	case "nvpair":
		if !has("id-ref") && !has("name") {
			return schemaErr(e, "nvpair without name")
		}
	case "op":
		if e.Get("name") == "" || !has("interval") {
			return schemaErr(e, "op without name or interval")
		}
	case "rsc_location":
		if !has("rsc") && !has("rsc-pattern") && e.Child("resource_set") == nil {
			return schemaErr(e, "location without rsc")
		}
		if e.Child("rule") == nil && e.Child("resource_set") == nil && !(has("node") && (has("score") || has("role"))) {
			return schemaErr(e, "location without node and score, or rule")
		}
	case "rsc_colocation":
		if e.Child("resource_set") == nil && (!has("rsc") || !has("with-rsc")) {
			return schemaErr(e, "colocation without rsc and with-rsc")
		}
	case "rsc_order":
		if e.Child("resource_set") == nil && (!has("first") || !has("then")) {
			return schemaErr(e, "order without first and then")
		}
	case "resource_ref":
		if !has("id") {
			return schemaErr(e, "resource_ref without id")
		}
	}
	if strings.HasSuffix(e.Name, "_attributes") && e.Parent != nil && e.Parent.Name == "configuration" {
		return schemaErr(e, "attributes outside a section")
	}
	return nil
}

package cib

import (
	"strconv"
	"strings"
)

// change is one entry of a v2 patchset.
type change struct {
	op       string // create, modify, delete, move
	path     string // create: the parent's path; else the element's
	position int    // create and move: the index among the siblings (a delete has none, as crm_diff writes it)
	node     *Element
	attrs    []attrChange // modify
}

type attrChange struct {
	name, value string
	unset       bool
}

// diffTrees lists the changes from a to b as Pacemaker's patchsets order
// them: deletions first, then the new tree in document order (an
// element's own modification, its children, then its move).
func diffTrees(a, b *Element) []change {
	var dels, rest []change
	diffNode(a, b, &dels, &rest)
	return append(dels, rest...)
}

func diffNode(a, b *Element, dels, rest *[]change) {
	diffAttrs(a, b, rest)
	diffChildren(a, b, dels, rest)
}

// diffAttrs adds b's modify, when its attributes differ from a's.
func diffAttrs(a, b *Element, rest *[]change) {
	var ac []attrChange
	for _, x := range b.Attrs {
		if v, ok := a.Lookup(x.Name.Local); !ok || v != x.Value {
			ac = append(ac, attrChange{name: x.Name.Local, value: x.Value})
		}
	}
	for _, x := range a.Attrs {
		if _, ok := b.Lookup(x.Name.Local); !ok {
			ac = append(ac, attrChange{name: x.Name.Local, unset: true})
		}
	}
	if len(ac) > 0 {
		*rest = append(*rest, change{op: "modify", path: b.XPath(), node: b, attrs: ac})
	}
}

func diffChildren(a, b *Element, dels, rest *[]change) {
	// Children match by name and id (or by name, in order, without id).
	match := make([]int, len(b.Children)) // index in a.Children or -1
	used := make([]bool, len(a.Children))
	for i, bk := range b.Children {
		match[i] = -1
		id, hasID := bk.Lookup("id")
		for j, ak := range a.Children {
			if used[j] || ak.Name != bk.Name || ak.Comment != bk.Comment {
				continue
			}
			if aid, ok := ak.Lookup("id"); ok != hasID || aid != id {
				continue
			}
			match[i], used[j] = j, true
			break
		}
	}
	oldPos := make([]int, len(a.Children)) // position among the kept
	n := 0
	for j, ak := range a.Children {
		if !used[j] {
			*dels = append(*dels, change{op: "delete", path: ak.XPath(), position: j})
			continue
		}
		oldPos[j] = n
		n++
	}
	n = 0
	for i, bk := range b.Children {
		if match[i] < 0 {
			*rest = append(*rest, change{op: "create", path: b.XPath(), position: i, node: bk})
			continue
		}
		diffNode(a.Children[match[i]], bk, dels, rest)
		if oldPos[match[i]] != n {
			*rest = append(*rest, change{op: "move", path: bk.XPath(), position: i})
		}
		n++
	}
}

// Diff is the v2 patchset that turns a into b, as crm_diff and the CIB
// daemon make it: <diff format="2"> with the versions and the changes. It
// is nil when the documents are the same.
func Diff(a, b *Element) *Element {
	ch := diffTrees(a, b)
	if len(ch) == 0 {
		return nil
	}
	return buildPatch(a, b, ch)
}

func buildPatch(a, b *Element, changes []change) *Element {
	d := NewElement("diff", "format", "2")
	ver := d.AddChild(NewElement("version"))
	for _, x := range []struct {
		name string
		v    Version
	}{{"source", VersionOf(a)}, {"target", VersionOf(b)}} {
		ver.AddChild(NewElement(x.name, "admin_epoch", strconv.Itoa(x.v.AdminEpoch),
			"epoch", strconv.Itoa(x.v.Epoch), "num_updates", strconv.Itoa(x.v.NumUpdates)))
	}
	for _, ch := range changes {
		c := d.AddChild(NewElement("change", "operation", ch.op, "path", ch.path))
		switch ch.op {
		case "create":
			c.Set("position", strconv.Itoa(ch.position))
			c.AddChild(ch.node.Clone())
		case "move":
			c.Set("position", strconv.Itoa(ch.position))
		case "modify":
			list := c.AddChild(NewElement("change-list"))
			for _, a := range ch.attrs {
				if a.unset {
					list.AddChild(NewElement("change-attr", "name", a.name, "operation", "unset"))
				} else {
					list.AddChild(NewElement("change-attr", "name", a.name, "operation", "set", "value", a.value))
				}
			}
			r := c.AddChild(NewElement("change-result")).AddChild(NewElement(ch.node.Name))
			r.Attrs = append(r.Attrs, ch.node.Attrs...)
		}
	}
	return d
}

// PatchVersions reads a v2 patchset's source and target versions.
func PatchVersions(patch *Element) (source, target Version, err error) {
	if patch == nil || patch.Name != "diff" || patch.Get("format") != "2" {
		return source, target, &Error{Code: ErrDiffFailed, Detail: "not a format 2 patchset"}
	}
	ver := patch.Child("version")
	return VersionOf(ver.Child("source")), VersionOf(ver.Child("target")), nil
}

// MaxPatchChanges caps the changes ApplyPatch takes from one patchset.
const MaxPatchChanges = 100000

// ApplyPatch applies a v2 patchset made on this CIB's version, as a
// replica applies the DC's: the source version must be this CIB's
// (ErrDiffResync when the CIB is behind it and needs the full copy,
// ErrOldData when it is ahead), the changes must all fit
// (ErrDiffFailed), and the result must validate. The CIB takes the
// target version; on any error it is unchanged.
func (c *CIB) ApplyPatch(patch *Element) error {
	src, tgt, err := PatchVersions(patch)
	if err != nil {
		return err
	}
	if src == tgt {
		return &Error{Code: ErrOldData, Detail: "the patch does not change the version " + src.String()}
	}
	cur := c.Version()
	for _, d := range [3][2]int{{cur.AdminEpoch, src.AdminEpoch}, {cur.Epoch, src.Epoch}, {cur.NumUpdates, src.NumUpdates}} {
		if d[0] < d[1] {
			return &Error{Code: ErrDiffResync, Detail: "the patch is for " + src.String() + ", this CIB is at " + cur.String()}
		}
		if d[0] > d[1] {
			return &Error{Code: ErrOldData, Detail: "the patch is for " + src.String() + ", this CIB is at " + cur.String()}
		}
	}
	changes := patch.All("change")
	if len(changes) > MaxPatchChanges {
		return &Error{Code: ErrTooBig, Detail: "more than " + strconv.Itoa(MaxPatchChanges) + " changes"}
	}
	scratch := c.Root.Clone()
	fail := func(ch *Element, why string) error {
		return &Error{Code: ErrDiffFailed, Path: ch.Get("path"), Detail: why}
	}
	var later []*Element
	for _, ch := range changes {
		switch ch.Get("operation") {
		case "delete":
			e := resolvePath(scratch, ch.Get("path"))
			if e == nil {
				return fail(ch, "no element at the path to delete")
			}
			if e.Parent == nil {
				return fail(ch, "the root cannot be deleted")
			}
			e.Remove()
		case "modify":
			e := resolvePath(scratch, ch.Get("path"))
			if e == nil {
				return fail(ch, "no element at the path to modify")
			}
			res := ch.Child("change-result")
			if res == nil || len(res.Children) != 1 {
				return fail(ch, "a modify without its change-result")
			}
			e.Attrs = append(e.Attrs[:0:0], res.Children[0].Attrs...)
		case "create", "move":
			later = append(later, ch)
		default:
			return fail(ch, "unknown operation "+strconv.Quote(ch.Get("operation")))
		}
	}
	for _, ch := range later {
		pos, err := strconv.Atoi(ch.Get("position"))
		if err != nil || pos < 0 {
			pos = -1
		}
		e := resolvePath(scratch, ch.Get("path"))
		if e == nil {
			return fail(ch, "no element at the path to "+ch.Get("operation"))
		}
		if ch.Get("operation") == "create" {
			if len(ch.Children) != 1 {
				return fail(ch, "a create without exactly one element")
			}
			if pos < 0 {
				pos = len(e.Children)
			}
			e.InsertChild(pos, ch.Children[0].Clone())
			continue
		}
		p := e.Parent
		if p == nil || pos < 0 {
			return fail(ch, "a move of the root or without a position")
		}
		p.InsertChild(pos, e)
	}
	tgt.setOn(scratch)
	if err := Validate(scratch); err != nil {
		return err
	}
	c.Root = scratch
	return nil
}

// resolvePath finds the element a patchset path names: steps of
// "/name" or "/name[@id='x']", each the first matching child.
func resolvePath(root *Element, path string) *Element {
	var cur *Element
	for path != "" {
		if path[0] != '/' {
			return nil
		}
		path = path[1:]
		i := strings.IndexAny(path, "/[")
		if i < 0 {
			i = len(path)
		}
		name := path[:i]
		path = path[i:]
		id, hasID := "", false
		if strings.HasPrefix(path, "[@id=") && len(path) > 6 {
			q := path[5]
			if q != '\'' && q != '"' {
				return nil
			}
			j := strings.IndexByte(path[6:], q)
			if j < 0 || !strings.HasPrefix(path[6+j+1:], "]") {
				return nil
			}
			id, hasID = path[6:6+j], true
			path = path[6+j+2:]
		} else if strings.HasPrefix(path, "[") {
			return nil
		}
		if cur == nil {
			if root.Name != name || (hasID && root.Get("id") != id) {
				return nil
			}
			cur = root
			continue
		}
		var next *Element
		for _, k := range cur.Children {
			if k.Name == name && (!hasID || k.Get("id") == id) {
				next = k
				break
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

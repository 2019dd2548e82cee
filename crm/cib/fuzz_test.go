package cib

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no document makes the parser panic or pass its limits; a
// parsed document written compactly (AppendXML) parses to an equal tree,
// and Pacemaker's formatting of it is stable through a second round.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "pe", "testdata", "cases", "*", "cib.xml"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(small))
	f.Add([]byte("<a b='&#10;&#9;&amp;'><c d=\"\t\n\"/></a>"))
	f.Add([]byte("<a><!-- x -- y -><b/><!---->-</a>"))
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := ParseLimited(data, lim)
		if err != nil {
			return
		}
		depth, n := 0, 0
		var walk func(e *Element, d int)
		walk = func(e *Element, d int) {
			n++
			if d > depth {
				depth = d
			}
			for _, c := range e.Children {
				walk(c, d+1)
			}
		}
		walk(root, 1)
		if depth > lim.MaxDepth || n > lim.MaxElements {
			t.Fatalf("limits passed: depth %d, %d elements", depth, n)
		}
		again, err := Parse(root.AppendXML(nil))
		if err != nil || !again.Equal(root) {
			t.Fatalf("compact round trip: %v\n%s", err, root.AppendXML(nil))
		}
		// With comments kept, Pacemaker's formatting is stable too.
		if withc, err := ParseKeepComments(data); err == nil {
			o1 := withc.Format()
			w2, err := ParseKeepComments(o1)
			if err != nil {
				t.Fatalf("formatted with comments does not parse: %v\n%s", err, o1)
			}
			if o2 := w2.Format(); !bytes.Equal(o1, o2) {
				t.Fatalf("formatting with comments unstable:\n%s\n%s", o1, o2)
			}
		}
		out := root.Format()
		third, err := Parse(out)
		if err != nil {
			t.Fatalf("formatted does not parse: %v\n%s", err, out)
		}
		if out2 := third.Format(); !bytes.Equal(out, out2) {
			t.Fatalf("formatting unstable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzApplyPatch: no patchset makes ApplyPatch panic; one it refuses
// leaves the CIB as it was, and one it takes leaves a CIB that validates,
// at the patch's target version.
func FuzzApplyPatch(f *testing.F) {
	base := `<cib admin_epoch="0" epoch="1" num_updates="25" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes><node id="n1" uname="n1"/></nodes><resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="d2" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>`
	c0, err := ParseCIB([]byte(base))
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range []Request{
		{Op: OpCreate, Section: "resources", Data: NewElement("primitive", "id", "d3", "class", "lsb", "type", "x")},
		{Op: OpModify, Section: "resources", Data: NewElement("primitive", "id", "d1", "description", "y")},
		{Op: OpDelete, Data: NewElement("node", "id", "n1")},
		{Op: OpReplace, Section: "resources", Data: func() *Element {
			r := NewElement("resources")
			r.AddChild(NewElement("primitive", "id", "d2", "class", "ocf", "provider", "heartbeat", "type", "Dummy"))
			r.AddChild(NewElement("primitive", "id", "d1", "class", "ocf", "provider", "heartbeat", "type", "Dummy"))
			return r
		}()},
	} {
		c := c0.Clone()
		res, err := c.Apply(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(res.Patch.AppendXML(nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		patch, err := ParseLimited(data, Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000})
		if err != nil {
			return
		}
		c := c0.Clone()
		before := c.Root
		if err := c.ApplyPatch(patch); err != nil {
			if c.Root != before || !c.Root.Equal(c0.Root) {
				t.Fatalf("refused patch changed the CIB: %v", err)
			}
			return
		}
		if err := Validate(c.Root); err != nil {
			t.Fatalf("patched CIB does not validate: %v", err)
		}
		if _, tgt, _ := PatchVersions(patch); c.Version() != tgt {
			t.Fatalf("version %v, patch's target %v", c.Version(), tgt)
		}
	})
}

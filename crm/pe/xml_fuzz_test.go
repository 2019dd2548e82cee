package pe

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseXML: no document makes the parser, the unpacking or the
// scheduler panic; a document that parses writes out (AppendXML) as one
// that parses to the same tree; a CIB that unpacks is scheduled and its
// graph built without a panic. Seeded with the regression cases' CIBs.
func FuzzParseXML(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "cib.xml"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<cib><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := ParseXML(data)
		if err != nil {
			return
		}
		out := root.AppendXML(nil)
		again, err := ParseXML(out)
		if err != nil {
			t.Fatalf("written document does not parse: %v\n%s", err, out)
		}
		if out2 := again.AppendXML(nil); !bytes.Equal(out, out2) {
			t.Fatalf("unstable:\n%s\n%s", out, out2)
		}
		c, err := Unpack(root, 1_700_000_000)
		if err != nil {
			return
		}
		res := Schedule(c)
		BuildGraph(res, root)
	})
}

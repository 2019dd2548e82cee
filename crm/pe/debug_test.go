package pe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// TestDebugCase prints hbd's and the expected answer for the cases named
// in HBD_PCMK_CASE (a development aid; skipped otherwise).
func TestDebugCase(t *testing.T) {
	names := os.Getenv("HBD_PCMK_CASE")
	dir, _ := casesDir()
	if names == "" || dir == "" {
		t.Skip("set HBD_PCMK_CASE and HBD_PCMK_CASES")
	}
	cases, err := pecase.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range strings.Fields(names) {
		want[filepath.Base(n)] = true
	}
	for _, cs := range cases {
		if !want[cs.Name] {
			continue
		}
		root, _ := ParseXML(cs.CIB)
		c, err := Unpack(root, time.Now().Unix())
		if err != nil {
			t.Logf("%s: %v", cs.Name, err)
			continue
		}
		res := Schedule(c)
		got, _ := runCase(cs, time.Now().Unix())
		t.Logf("=== %s\n%s\n--- got:\n%s\n--- want:\n%s", cs.Name, res.Text(), strings.Join(got, "\n"), strings.Join(cs.Expected, "\n"))
	}
}

package own

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Own is a pure layer: its files import the standard library minus what
// reaches the system, and of hbd only the pure pieces below it.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/hbd-ha/hbd/internal/layer": true,
		"github.com/hbd-ha/hbd/internal/prio":  true,
		"github.com/hbd-ha/hbd/master":         true,
		"github.com/hbd-ha/hbd/wire":           true,
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case allowed[p]:
			case strings.Contains(p, "."):
				t.Errorf("%s imports %s", name, p)
			case p == "os", p == "net", p == "syscall", p == "time", p == "math/rand", p == "testing",
				strings.HasPrefix(p, "os/"), strings.HasPrefix(p, "net/"):
				t.Errorf("%s imports %s: a pure layer reads no clock and does no I/O", name, p)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d files checked: wrong directory?", checked)
	}
}

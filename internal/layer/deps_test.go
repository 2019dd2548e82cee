package layer

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layer imports the standard library (minus the system) and prio only.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case p == "github.com/hbd-ha/hbd/internal/prio":
			case strings.Contains(p, "."), p == "os", p == "net", p == "syscall", p == "time", p == "testing",
				strings.HasPrefix(p, "os/"), strings.HasPrefix(p, "net/"):
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}

package master

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// master is pure: its own files import nothing that reaches the system
// (internal/deptest checks net, os, syscall and x/sys/unix module-wide),
// nor config, which reads files, nor loop, the event loop that drives it.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	denied := func(p string) bool {
		switch {
		case p == "net", p == "os", p == "syscall", p == "golang.org/x/sys/unix":
		case strings.HasPrefix(p, "os/"), strings.HasPrefix(p, "net/"):
		case p == "github.com/hbd-ha/hbd/config", p == "github.com/hbd-ha/hbd/loop":
		case p == "time" || p == "math/rand": // time.Now, and the global rand source
		default:
			return false
		}
		return true
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
			if denied(p) && !(p == "time" && name == "config.go") {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d files checked: wrong directory?", checked)
	}
}

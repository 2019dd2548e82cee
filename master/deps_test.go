package master

import (
	"go/ast"
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
		case p == "math/rand": // the global rand source
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
			if denied(p) {
				t.Errorf("%s imports %s", name, p)
			}
		}
		checkNoClock(t, name)
	}
	if checked < 5 {
		t.Fatalf("only %d files checked: wrong directory?", checked)
	}
}

// checkNoClock fails if file name reads the clock or waits through package
// time: its types and constants (Duration, Millisecond) are all master may
// use.
func checkNoClock(t *testing.T, name string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	local := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
			local = "time"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		}
	}
	if local == "" {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == local {
			switch sel.Sel.Name {
			case "Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker":
				t.Errorf("%s uses time.%s: master never reads a clock", name, sel.Sel.Name)
			}
		}
		return true
	})
}

package deptest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const unixPkg = "golang.org/x/sys/unix"

// goFile is one parsed source file.
type goFile struct {
	path string // slash-separated, relative to the module root
	dir  string
	name string
	test bool
	fset *token.FileSet
	ast  *ast.File
}

func (f *goFile) imports() []string {
	var out []string
	for _, s := range f.ast.Imports {
		if v, err := strconv.Unquote(s.Path.Value); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// violation is one broken rule: where, what (an import path, pkg.Ident or
// "go"), and why.
type violation struct {
	file string
	line int
	what string
	why  string
}

func (v violation) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", v.file, v.line, v.what, v.why)
}

// checker holds the module's files and finds the violations.
type checker struct {
	module string // module path, from go.mod
	files  []*goFile
	out    []violation
}

func (c *checker) add(f *goFile, pos token.Pos, what, format string, args ...any) {
	c.out = append(c.out, violation{file: f.path, line: f.fset.Position(pos).Line, what: what, why: fmt.Sprintf(format, args...)})
}

// local returns the package directory of an import of this module ("" for
// another module's or the standard library's).
func (c *checker) local(imp string) (string, bool) {
	if imp == c.module {
		return ".", true
	}
	rest, ok := strings.CutPrefix(imp, c.module+"/")
	return rest, ok
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func under(imp, root string) bool { return imp == root || strings.HasPrefix(imp, root+"/") }

func (c *checker) run() []violation {
	dirs := map[string]bool{}
	for _, f := range c.files {
		c.unixRule(f)
		kind := kindOf(f.dir)
		if kind == unlisted {
			if !dirs[f.dir] {
				dirs[f.dir] = true
				c.add(f, f.ast.Package, f.dir, "package not in the layer table (internal/deptest layers): add it as pure, adapter, driver or tool")
			}
			continue
		}
		if f.test || kind == tool {
			continue
		}
		for _, s := range f.ast.Imports {
			imp, _ := strconv.Unquote(s.Path.Value)
			if under(imp, "testing") {
				c.add(f, s.Pos(), imp, "only tests and tool packages may import testing (the daemon must not link it)")
			}
			if dir, ok := c.local(imp); ok {
				c.localImport(f, kind, s, dir)
			}
		}
		switch kind {
		case pure:
			c.pureRules(f)
		case adapter:
			c.adapterRules(f)
		}
	}
	slices.SortFunc(c.out, func(a, b violation) int { return strings.Compare(a.String(), b.String()) })
	return c.out
}

// localImport checks an import of one of the module's packages by a
// non-test file of kind k.
func (c *checker) localImport(f *goFile, k kind, s *ast.ImportSpec, dir string) {
	imp, _ := strconv.Unquote(s.Path.Value)
	to := kindOf(dir)
	switch {
	case to == tool:
		c.add(f, s.Pos(), imp, "%s package %s imports tool package %s (tests and test helpers)", k, f.dir, dir)
	case k == pure && to != pure:
		c.add(f, s.Pos(), imp, "pure package %s imports %s package %s: pure layers import only each other and the standard library", f.dir, to, dir)
	case k == adapter && to == driver:
		c.add(f, s.Pos(), imp, "adapter %s imports driver %s: only node and cmd import both sides", f.dir, dir)
	}
}

// unixRule: golang.org/x/sys/unix is imported by internal/sysio, the
// _linux.go files of loop, media and rsc/ipaddr, and cilium/ebpf's users
// under media/bpf, tests included.
func (c *checker) unixRule(f *goFile) {
	imps := f.imports()
	if !slices.Contains(imps, unixPkg) {
		return
	}
	switch {
	case under(f.dir, "internal/sysio"):
		return
	case under(f.dir, "media/bpf") && slices.ContainsFunc(imps, func(p string) bool { return under(p, "github.com/cilium/ebpf") }):
		return
	case (under(f.dir, "loop") || under(f.dir, "media") || under(f.dir, "rsc/ipaddr")) && strings.HasSuffix(f.name, "_linux.go"):
		return
	}
	for _, s := range f.ast.Imports {
		if imp, _ := strconv.Unquote(s.Path.Value); imp == unixPkg {
			c.add(f, s.Pos(), imp, "only internal/sysio (and _linux.go files of loop, media and rsc/ipaddr) may import it")
		}
	}
}

// pureRules: no system packages, only the pure identifiers of net, time,
// path/filepath and math/rand, no goroutines.
func (c *checker) pureRules(f *goFile) {
	if f.dir == "config" && slices.ContainsFunc(configSystemFiles, func(p string) bool { return strings.HasPrefix(f.name, p) }) {
		return
	}
	names := map[string]string{} // local name → checked import path
	for _, s := range f.ast.Imports {
		imp, _ := strconv.Unquote(s.Path.Value)
		name := path.Base(imp)
		if imp == "math/rand/v2" {
			name = "rand"
		}
		if s.Name != nil {
			name = s.Name.Name
		}
		switch {
		case imp == unixPkg, slices.ContainsFunc(deniedStd, func(d string) bool { return under(imp, d) }):
			c.add(f, s.Pos(), imp, "pure package %s must not touch the system", f.dir)
			continue
		case under(imp, "net") && imp != "net" && imp != "net/netip":
			c.add(f, s.Pos(), imp, "pure package %s must not touch the network (net/netip and net's parsers are allowed)", f.dir)
			continue
		case !isStd(imp):
			if _, ok := c.local(imp); !ok && !slices.ContainsFunc(pureThirdParty, func(p string) bool { return strings.HasPrefix(imp, p) }) {
				c.add(f, s.Pos(), imp, "pure package %s imports an outside library not known to be pure (internal/deptest pureThirdParty)", f.dir)
			}
			continue
		}
		if imp == "net" || imp == "time" || imp == "path/filepath" || imp == "math/rand" || imp == "math/rand/v2" {
			if name == "." || name == "_" {
				c.add(f, s.Pos(), imp, "pure package %s imports %s as %q: its identifiers cannot be checked", f.dir, imp, name)
				continue
			}
			names[name] = imp
		}
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.add(f, n.Pos(), "go", "pure package %s starts a goroutine: pure layers run on their driver's goroutine", f.dir)
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok || id.Obj != nil { // Obj is set for local names, nil for imports
				return true
			}
			imp, ok := names[id.Name]
			if !ok {
				return true
			}
			sel := n.Sel.Name
			what := imp + "." + sel
			switch imp {
			case "net":
				if !slices.Contains(netAllowed, sel) {
					c.add(f, n.Pos(), what, "pure package %s may use only net's parsers and address values (%s), not its I/O", f.dir, strings.Join(netAllowed, ", "))
				}
			case "math/rand", "math/rand/v2":
				if !slices.Contains(randAllowed, sel) {
					c.add(f, n.Pos(), what, "pure package %s must draw from the rand.Source it is given, not the process-wide one", f.dir)
				}
			default:
				if slices.Contains(deniedIdents[imp], sel) {
					c.add(f, n.Pos(), what, "pure package %s must not read the clock, wait, or reach the file system (it is given now)", f.dir)
				}
			}
		}
		return true
	})
}

// adapterRules: of a pure package, an adapter uses only its value types.
func (c *checker) adapterRules(f *goFile) {
	names := map[string]string{} // local name → pure package dir
	for _, s := range f.ast.Imports {
		imp, _ := strconv.Unquote(s.Path.Value)
		dir, ok := c.local(imp)
		if !ok || kindOf(dir) != pure || slices.Contains(valueTypes[dir], "*") {
			continue
		}
		name := path.Base(imp)
		if s.Name != nil {
			name = s.Name.Name
		}
		if name == "." || name == "_" {
			c.add(f, s.Pos(), imp, "adapter %s imports pure package %s as %q: it may use only its value types", f.dir, dir, name)
			continue
		}
		names[name] = dir
	}
	if len(names) == 0 {
		return
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		se, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := se.X.(*ast.Ident)
		if !ok || id.Obj != nil {
			return true
		}
		if dir, ok := names[id.Name]; ok && !slices.Contains(valueTypes[dir], se.Sel.Name) {
			c.add(f, se.Pos(), dir+"."+se.Sel.Name, "adapter %s may use only the value types of pure package %s (internal/deptest valueTypes: %s)",
				f.dir, dir, strings.Join(valueTypes[dir], ", "))
		}
		return true
	})
}

// load parses every .go file in fsys, skipping testdata and directories
// whose names start with "." or "_", as the go tool does.
func load(fsys fs.FS) (*checker, error) {
	mod, err := fs.ReadFile(fsys, "go.mod")
	if err != nil {
		return nil, err
	}
	c := &checker{}
	for _, l := range strings.Split(string(mod), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			c.module = strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	if c.module == "" {
		return nil, fmt.Errorf("go.mod: no module line")
	}
	fset := token.NewFileSet()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != "." && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		af, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			// A file being written by someone else may not parse yet; the
			// compiler will complain about it, this test need not.
			return nil
		}
		dir, name := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		c.files = append(c.files, &goFile{path: p, dir: dir, name: name, test: strings.HasSuffix(name, "_test.go"), fset: fset, ast: af})
		return nil
	})
	return c, err
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// knownViolations are violations tracked with their owners, by file and
// what (import path, pkg.Ident or "go"); anything else fails the test.
// Remove entries as they are fixed (the test reports stale ones).
var knownViolations = map[[2]string]bool{}

// TestLayers enforces the layer table on the module.
func TestLayers(t *testing.T) {
	c, err := load(os.DirFS(moduleRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(c.files, func(f *goFile) bool { return f.dir == "internal/sysio" }) {
		t.Fatal("internal/sysio not found: the walk is looking in the wrong place")
	}
	seen := map[[2]string]bool{}
	for _, v := range c.run() {
		key := [2]string{v.file, v.what}
		seen[key] = true
		if !knownViolations[key] {
			t.Error(v)
		}
	}
	for key := range knownViolations {
		if !seen[key] {
			t.Errorf("knownViolations: %s no longer has %s; remove the entry", key[0], key[1])
		}
	}
}

// The rules themselves, on a made-up module, so that the test above can
// fail: every line marked "bad" must be reported, and nothing else.
func TestLayersCatchViolations(t *testing.T) {
	file := func(body string, imports ...string) *fstest.MapFile {
		var b strings.Builder
		b.WriteString("package p\n\nimport (\n")
		for _, imp := range imports {
			fmt.Fprintf(&b, "\t%s\n", imp)
		}
		b.WriteString(")\n\n" + body)
		return &fstest.MapFile{Data: []byte(b.String())}
	}
	blank := func(imports ...string) *fstest.MapFile {
		var q []string
		for _, imp := range imports {
			q = append(q, "_ "+strconv.Quote(imp))
		}
		return file("", q...)
	}
	fsys := fstest.MapFS{
		"go.mod":                        {Data: []byte("module example.com/m\n")},
		"internal/sysio/epoll_linux.go": blank(unixPkg),
		"loop/poll_linux.go":            blank(unixPkg),
		"loop/poll.go":                  blank(unixPkg),                               // bad: unix
		"loop/poll_linux_test.go":       blank(unixPkg),                               // bad: unix (tests use sysio)
		"media/udp_linux.go":            blank(unixPkg, "example.com/m/wire"),         //
		"media/bpf/filter.go":           blank(unixPkg, "github.com/cilium/ebpf/asm"), //
		"media/bpf/other.go":            blank(unixPkg),                               // bad: unix, not an ebpf user
		"rsc/agent.go":                  blank(unixPkg),                               // bad: unix
		"rsc/ipaddr/arp_linux.go":       blank(unixPkg),                               //
		"wire/msg.go":                   blank("net/netip", "bytes", "github.com/klauspost/compress/zlib"),
		"wire/io.go":                    blank("os", "github.com/other/lib"),                           // bad: os, bad: outside library
		"wire/msg_test.go":              blank("os", "net", "testing"),                                 // tests may
		"master/node.go":                blank("syscall", "os/exec", "net/http", "example.com/m/loop"), // 4 bad
		"master/sim/sim.go": file(`func f() {
	_ = time.Duration(1) + time.Second
	_ = rand.New(rand.NewPCG(1, 2))
	_ = rand.IntN(3) // bad: rand.IntN
	go f()           // bad: go
	time.Sleep(1)    // bad: time.Sleep
}
`, `"math/rand/v2"`, `"time"`),
		"master/own/own.go": file(`func f(net int) int { return net.Dial }
var _ = n.Dial // bad: n.Dial
var _ = n.SplitHostPort
`, `n "net"`, `"example.com/m/master"`, `"example.com/m/api/apitest"`), // bad: apitest
		"ccm/ccm.go":             blank("example.com/m/rsc"), // bad: a layer to come, covered already
		"config/parse.go":        file("var _ = net.SplitHostPort\nvar _ = filepath.Glob // bad: filepath.Glob\n", `"net"`, `"path/filepath"`),
		"config/env_system.go":   blank("os", "syscall", "net"),
		"config/other.go":        blank("os"), // bad: os
		"metrics/m.go":           file("var _ master.Stats\nvar _ = master.New // bad: master.New\nvar _ = wire.Decode\n", `"example.com/m/master"`, `"example.com/m/wire"`),
		"rsc/rsc.go":             file("var _ = cfg.Group{}\nvar _ = cfg.Load // bad: config.Load\n", `cfg "example.com/m/config"`),
		"api/api.go":             blank("example.com/m/node"), // bad: adapter imports the driver
		"internal/proc/run.go":   blank("testing"),            // bad: testing
		"node/node.go":           blank("example.com/m/master", "example.com/m/loop"),
		"node/helper.go":         blank("example.com/m/internal/clustertest"), // bad: a tool
		"cmd/hbd/main.go":        blank("example.com/m/node", "os"),
		"api/apitest/apitest.go": blank("testing", "os", "example.com/m/node"),
		"newpkg/x.go":            blank("fmt"),   // bad: not in the table
		"newpkg/y.go":            blank("fmt"),   // (reported once)
		"config/testdata/x.go":   blank(unixPkg), // skipped
		".git/hooks/x.go":        blank(unixPkg), // skipped
	}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range c.run() {
		got = append(got, v.file+" "+v.what)
	}
	want := []string{
		"api/api.go example.com/m/node",
		"ccm/ccm.go example.com/m/rsc",
		"config/other.go os",
		"config/parse.go path/filepath.Glob",
		"internal/proc/run.go testing",
		"loop/poll.go " + unixPkg,
		"loop/poll_linux_test.go " + unixPkg,
		"master/node.go example.com/m/loop",
		"master/node.go net/http",
		"master/node.go os/exec",
		"master/node.go syscall",
		"master/own/own.go example.com/m/api/apitest",
		"master/own/own.go net.Dial",
		"master/sim/sim.go go",
		"master/sim/sim.go math/rand/v2.IntN",
		"master/sim/sim.go time.Sleep",
		"media/bpf/other.go " + unixPkg,
		"metrics/m.go master.New",
		"newpkg/x.go newpkg",
		"node/helper.go example.com/m/internal/clustertest",
		"rsc/agent.go " + unixPkg,
		"rsc/rsc.go config.Load",
		"wire/io.go github.com/other/lib",
		"wire/io.go os",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s\nfull report:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), report(c.out))
	}
}

func report(vs []violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.String() + "\n")
	}
	return b.String()
}

// Every package of the module has a place in the table (tools included),
// and the table's examples sit where DESIGN.md puts them.
func TestLayerTable(t *testing.T) {
	for dir, want := range map[string]kind{
		"master": pure, "master/own": pure, "master/sim": pure, "master/masterconf": pure, "wire": pure, "config": pure,
		"ccm": pure, "crm/pe": pure, "crm/cib": pure, "crm/te": pure, "internal/layer": pure,
		"loop": adapter, "media/bpf": adapter, "rsc/lrm": adapter, "ipc": adapter, "internal/proc": adapter, "logd": adapter, "apphb": adapter,
		"node": driver, "cmd/hbd": driver, "cmd/hbctl": driver,
		"api/apitest": tool, "test/netns": tool, "bench": tool, "cmd/hbd-benchplot": tool,
		"masterx": unlisted, "internal": unlisted,
	} {
		if got := kindOf(dir); got != want {
			t.Errorf("%s: %v, want %v", dir, got, want)
		}
	}
}

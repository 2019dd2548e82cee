package deptest

import (
	"fmt"
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

// goFile is what the rules need to know about one source file.
type goFile struct {
	path    string // slash-separated, relative to the module root
	imports []string
}

// violations returns one line for every import that breaks a rule and is
// not listed in known (file path → import).
func violations(files []goFile, known map[string]string) []string {
	var out []string
	for _, f := range files {
		dir, name := path.Split(f.path)
		dir = strings.TrimSuffix(dir, "/")
		test := strings.HasSuffix(name, "_test.go")
		for _, imp := range f.imports {
			if imp == unixPkg && !unixAllowed(dir, name, f.imports) {
				out = append(out, fmt.Sprintf("%s imports %s: only internal/sysio (and _linux.go files of loop, media and rsc/ipaddr) may", f.path, imp))
			}
			if !test && pureDenied(dir, name, imp) && known[f.path] != imp {
				out = append(out, fmt.Sprintf("%s imports %s: package %s must not touch the system", f.path, imp, dir))
			}
		}
	}
	return out
}

func under(dir, root string) bool {
	return dir == root || strings.HasPrefix(dir, root+"/")
}

func unixAllowed(dir, name string, imports []string) bool {
	switch {
	case under(dir, "internal/sysio"):
		return true
	case under(dir, "media/bpf") && slices.ContainsFunc(imports, func(p string) bool {
		return p == "github.com/cilium/ebpf" || strings.HasPrefix(p, "github.com/cilium/ebpf/")
	}):
		return true
	case (under(dir, "loop") || under(dir, "media") || under(dir, "rsc/ipaddr")) && strings.HasSuffix(name, "_linux.go"):
		return true
	}
	return false
}

// configSystemFiles are the file name prefixes of config's system
// look-ups (uname, /etc/services, users, interfaces), the one place config
// may use the system. The design calls the file sysenv*.go; its author
// named it env_system.go.
var configSystemFiles = []string{"sysenv", "env_system"}

// knownViolations are imports that break a rule today and are tracked with
// their owners; anything else fails the test. Remove entries as they are
// fixed (the test reports stale ones).
var knownViolations = map[string]string{}

// pureDenied reports whether a non-test file of wire, master or config may
// not import imp.
func pureDenied(dir, name, imp string) bool {
	switch dir {
	case "wire", "master":
	case "config":
		for _, p := range configSystemFiles {
			if strings.HasPrefix(name, p) {
				return false
			}
		}
	default:
		return false
	}
	switch {
	case imp == "net", imp == "os", imp == "syscall", imp == unixPkg:
		return true
	case strings.HasPrefix(imp, "os/"): // os/exec, os/user, os/signal
		return true
	case strings.HasPrefix(imp, "net/") && imp != "net/netip":
		return true
	}
	return false
}

// load parses the imports of every .go file in fsys, skipping testdata and
// directories whose names start with "." or "_", as the go tool does.
func load(fsys fs.FS) ([]goFile, error) {
	var files []goFile
	fset := token.NewFileSet()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
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
		f, err := parser.ParseFile(fset, p, src, parser.ImportsOnly)
		if err != nil {
			// A file being written by someone else may not parse yet; the
			// compiler will complain about it, this test need not.
			return nil
		}
		gf := goFile{path: p}
		for _, s := range f.Imports {
			if v, err := strconv.Unquote(s.Path.Value); err == nil {
				gf.imports = append(gf.imports, v)
			}
		}
		files = append(files, gf)
		return nil
	})
	return files, err
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

func TestImportRules(t *testing.T) {
	files, err := load(os.DirFS(moduleRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(files, func(f goFile) bool { return strings.HasPrefix(f.path, "internal/sysio/") }) {
		t.Fatal("internal/sysio not found: the walk is looking in the wrong place")
	}
	for _, v := range violations(files, knownViolations) {
		t.Error(v)
	}
	// A known violation that no longer exists must leave the list.
	for path, imp := range knownViolations {
		i := slices.IndexFunc(files, func(f goFile) bool { return f.path == path })
		if i < 0 || !slices.Contains(files[i].imports, imp) {
			t.Errorf("knownViolations: %s no longer imports %s; remove the entry", path, imp)
		}
	}
}

// The rules themselves, on a made-up module, so that the test above can fail.
func TestImportRulesCatchViolations(t *testing.T) {
	src := func(imports ...string) *fstest.MapFile {
		var b strings.Builder
		b.WriteString("package p\n\nimport (\n")
		for _, imp := range imports {
			fmt.Fprintf(&b, "\t_ %q\n", imp)
		}
		b.WriteString(")\n")
		return &fstest.MapFile{Data: []byte(b.String())}
	}
	fsys := fstest.MapFS{
		"go.mod":                        {Data: []byte("module m\n")},
		"internal/sysio/epoll_linux.go": src(unixPkg),
		"loop/poll_linux.go":            src(unixPkg),
		"loop/poll.go":                  src(unixPkg),                               // bad
		"loop/poll_linux_test.go":       src(unixPkg),                               // bad: tests use sysio
		"media/udp_linux.go":            src(unixPkg),                               //
		"media/bpf/filter.go":           src(unixPkg, "github.com/cilium/ebpf/asm"), //
		"media/bpf/other.go":            src(unixPkg),                               // bad: not an ebpf user
		"rsc/agent.go":                  src(unixPkg),                               // bad
		"rsc/agent_linux.go":            src(unixPkg),                               // bad: only rsc/ipaddr
		"rsc/ipaddr/arp_linux.go":       src(unixPkg),                               //
		"rsc/ipaddr/arp.go":             src(unixPkg),                               // bad
		"wire/msg.go":                   src("net/netip", "bytes"),                  //
		"wire/io.go":                    src("os"),                                  // bad
		"wire/msg_test.go":              src("os", "net"),                           // tests may
		"master/node.go":                src("net", "syscall", "os/exec"),           // 3 bad
		"master/sim/sim.go":             src("os"),                                  // not master itself
		"config/parse.go":               src("os"),                                  // bad
		"config/sysenv_linux.go":        src("os", "os/user", "net"),                //
		"config/env_system.go":          src("os", "syscall"),
		"config/load.go":                src("os"),    // known
		"config/other.go":               src("os"),    // bad
		"config/testdata/x.go":          src(unixPkg), // skipped
		".git/hooks/x.go":               src(unixPkg), // skipped
	}
	files, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got := violations(files, map[string]string{"config/load.go": "os"})
	wantFiles := []string{
		"config/other.go", "config/parse.go", "loop/poll.go", "loop/poll_linux_test.go",
		"master/node.go", "master/node.go", "master/node.go",
		"media/bpf/other.go", "rsc/agent.go", "rsc/agent_linux.go", "rsc/ipaddr/arp.go", "wire/io.go",
	}
	var gotFiles []string
	for _, v := range got {
		gotFiles = append(gotFiles, v[:strings.Index(v, " ")])
	}
	slices.Sort(gotFiles)
	if !slices.Equal(gotFiles, wantFiles) {
		t.Errorf("violations in %q\nwant %q\nfull report:\n%s", gotFiles, wantFiles, strings.Join(got, "\n"))
	}
}

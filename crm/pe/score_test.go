package pe

import (
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddScores(t *testing.T) {
	for _, tc := range []struct{ a, b, want int }{
		{1, 2, 3},
		{-Infinity, Infinity, -Infinity}, // -INFINITY wins
		{Infinity, -Infinity, -Infinity},
		{Infinity, -5, Infinity},
		{-Infinity, 999999, -Infinity},
		{999999, 5, Infinity}, // finite sums saturate
		{-999999, -5, -Infinity},
		{500000, 400000, 900000},
	} {
		if got := AddScores(tc.a, tc.b); got != tc.want {
			t.Errorf("AddScores(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseScore(t *testing.T) {
	for s, want := range map[string]int{
		"INFINITY": Infinity, "+INFINITY": Infinity, "inf": 0, "-infinity": -Infinity,
		"100": 100, "-50": -50, "2000000": Infinity, "-2000000": -Infinity,
		"12abc": 12, "abc": 0, "": 0, "red": -Infinity, "green": 0,
	} {
		if got := ParseScore(s); got != want {
			t.Errorf("ParseScore(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestRuleComparisons(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		l, r string
		typ  *string
		op   string
		want int
	}{
		{"10", "9", nil, "gt", 1},             // integer by default for ordering ops
		{"10", "9", nil, "eq", -1},            // string for eq: "10" < "9" byte-wise
		{"1.5", "1.25", nil, "gt", 1},         // a '.' makes it a number
		{"abc", "ABC", nil, "eq", 0},          // strings compare case-insensitively
		{"3.9", "3", str("integer"), "lt", 0}, // strtoll reads the leading 3
		{"x", "1", str("integer"), "gt", 1},   // parse failure: compared as strings
	} {
		l, r := tc.l, tc.r
		if got := compareVals(&l, &r, tc.typ, tc.op); got != tc.want {
			t.Errorf("compareVals(%q, %q, %v, %s) = %d, want %d", tc.l, tc.r, tc.typ, tc.op, got, tc.want)
		}
	}
}

func TestValidationErrorsNameTheElement(t *testing.T) {
	cib := `<cib><configuration><crm_config/><nodes><node id="n1" uname="n1"/></nodes>
<resources><primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints><rsc_colocation id="c1" rsc="a" with-rsc="nope" score="INFINITY"/></constraints>
</configuration><status/></cib>`
	root, err := ParseXML([]byte(cib))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Unpack(root, 0)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Unpack error = %v, want a ConfigError", err)
	}
	if want := "constraints/rsc_colocation[@id='c1']: with-rsc \"nope\" is not a configured resource"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// TestPure checks that the package's non-test files import only the
// standard library (no os, net, syscall, time.Now) and other crm packages.
func TestPure(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	sub, _ := filepath.Glob("pecase/*.go")
	files = append(files, sub...)
	denied := []string{"os", "net", "syscall", "unsafe", "golang.org/x/sys/unix"}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for _, d := range denied {
				if p == d || strings.HasPrefix(p, d+"/") {
					t.Errorf("%s imports %s", f, p)
				}
			}
			if strings.Contains(p, ".") && !strings.HasPrefix(p, "github.com/hbd-ha/hbd/crm/") {
				t.Errorf("%s imports %s (not the standard library or crm/...)", f, p)
			}
		}
		if strings.Contains(string(src), "time.Now") {
			t.Errorf("%s reads the clock; the time is an input", f)
		}
	}
}

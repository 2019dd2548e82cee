package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds adds every file matching the patterns to the corpus.
func seeds(f *testing.F, patterns ...string) {
	for _, pat := range patterns {
		files, _ := filepath.Glob(pat)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// goldenSections adds one section of every testdata/heartbeat case.
func goldenSections(f *testing.F, name string) {
	files, _ := filepath.Glob("testdata/heartbeat/*.txt")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		if c, err := parseGolden(string(data)); err == nil {
			f.Add([]byte(c.sections[name]))
		}
	}
}

// checkErr is the property every parse shares: an error is a Diagnostics
// whose entries all name the file, at a line that exists.
func checkErr(t *testing.T, path string, data []byte, ds Diagnostics, err error) {
	if err == nil {
		return
	}
	var fatal Diagnostics
	if !errors.As(err, &fatal) || len(fatal) == 0 {
		t.Fatalf("error %v is not a non-empty Diagnostics", err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, d := range fatal {
		if d.File != path || d.Line < 0 || d.Line > lines || !d.Fatal {
			t.Fatalf("bad diagnostic %#v (file has %d lines)", d, lines)
		}
	}
}

func FuzzParseHACF(f *testing.F) {
	seeds(f, "../testdata/vectors/*/node*.ha.cf", "testdata/debian/ha.cf")
	goldenSections(f, "ha.cf")
	f.Add([]byte(base + "ping_group g 10.0.0.1\nstonith_host * null a\napiauth x uid=0\nrespawn root /bin/true\nenv A=b\n"))
	f.Add([]byte(base + "hbd_self_fence /bin/true -x a,b\nhbd_action_timeout 90\nhbd_ip_agent script\nhbd_rsc_workers 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ds, err := ParseHACF(testPath, data, testEnv())
		checkErr(t, testPath, data, ds, err)
		if err != nil {
			return
		}
		again, ds2, err := ParseHACF(testPath, []byte(recordedHACF(c)), testEnv())
		if err != nil {
			t.Fatalf("recorded values do not parse: %v\n%s\n%s", err, recordedHACF(c), strings.Join(render(ds2), "\n"))
		}
		if diff := compareRecorded(c, again); diff != "" {
			t.Fatalf("%s\nrecorded:\n%s", diff, recordedHACF(c))
		}
	})
}

func FuzzParseAuthkeys(f *testing.F) {
	seeds(f, "../testdata/vectors/*/authkeys", "testdata/debian/authkeys")
	goldenSections(f, "authkeys")
	f.Fuzz(func(t *testing.T, data []byte) {
		ak, ds, err := ParseAuthkeys(akPath, data)
		checkErr(t, akPath, data, ds, err)
		if err != nil {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "auth %d\n", ak.Active)
		for i, k := range ak.Keys {
			if k.Method != "" {
				fmt.Fprintf(&b, "%d %s %s\n", i, k.Method, k.Key)
			}
		}
		again, _, err := ParseAuthkeys(akPath, []byte(b.String()))
		if err != nil {
			t.Fatalf("recorded keys do not parse: %v\n%s", err, b.String())
		}
		for i := range ak.Keys {
			ak.Keys[i].Line, again.Keys[i].Line = 0, 0
		}
		if *ak != *again {
			t.Fatalf("reparse differs:\n%+v\n%+v", ak, again)
		}
	})
}

func FuzzParseHaresources(f *testing.F) {
	seeds(f, "../testdata/vectors/*/haresources", "testdata/debian/haresources")
	goldenSections(f, "haresources")
	nodes := []Node{{Name: "node1"}, {Name: "node2"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		hr, ds, err := ParseHaresources(hrPath, data, nodes)
		checkErr(t, hrPath, data, ds, err)
		if err != nil {
			return
		}
		// Written back one group per line, the groups read the same,
		// unless a token holds what sed treats specially there.
		var b strings.Builder
		for _, g := range hr.Groups {
			for _, tok := range g.Tokens {
				if strings.ContainsAny(tok, "#\n") || strings.HasSuffix(tok, "\\") {
					return
				}
			}
			b.WriteString(strings.Join(g.Tokens, " ") + "\n")
		}
		again, _, err := ParseHaresources(hrPath, []byte(b.String()), nodes)
		if err != nil {
			t.Fatalf("groups do not parse back: %v\n%s", err, b.String())
		}
		if len(again.Groups) != len(hr.Groups) {
			t.Fatalf("%d groups, then %d", len(hr.Groups), len(again.Groups))
		}
		for i, g := range hr.Groups {
			if strings.Join(g.Tokens, " ") != strings.Join(again.Groups[i].Tokens, " ") || g.Key() != again.Groups[i].Key() {
				t.Fatalf("group %d: %q, then %q", i, g.Tokens, again.Groups[i].Tokens)
			}
		}
	})
}

package pecase

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Case is one scheduler regression case: the CIB and the expected answer
// in canonical form.
type Case struct {
	Name     string
	CIB      []byte
	Expected []string
	Now      int64 // the time the answer holds at (seconds since the epoch; 0 = any)
}

// Load reads a case directory in either layout:
//
//   - Pacemaker's cts/scheduler: xml/NAME.xml and summary/NAME.summary
//     (crm_simulate text, normalized here);
//   - one directory per case: NAME/cib.xml and NAME/expected.txt (already
//     canonical), and optionally NAME/now, the time the answer holds at
//     (a case with failure-timeout depends on it).
func Load(fsys fs.FS) ([]Case, error) {
	if st, err := fs.Stat(fsys, "xml"); err == nil && st.IsDir() {
		return loadPacemaker(fsys)
	}
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		cib, err := fs.ReadFile(fsys, path.Join(e.Name(), "cib.xml"))
		if err != nil {
			continue
		}
		exp, err := fs.ReadFile(fsys, path.Join(e.Name(), "expected.txt"))
		if err != nil {
			continue
		}
		cs := Case{Name: e.Name(), CIB: cib, Expected: splitLines(string(exp))}
		if now, err := fs.ReadFile(fsys, path.Join(e.Name(), "now")); err == nil {
			cs.Now, _ = strconv.ParseInt(strings.TrimSpace(string(now)), 10, 64)
		}
		out = append(out, cs)
	}
	return out, nil
}

func loadPacemaker(fsys fs.FS) ([]Case, error) {
	names, err := fs.Glob(fsys, "xml/*.xml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Case
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".xml")
		sum, err := fs.ReadFile(fsys, "summary/"+name+".summary")
		if err != nil {
			continue
		}
		cib, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		if !HasRevisedStatus(string(sum)) {
			continue
		}
		out = append(out, Case{Name: name, CIB: cib, Expected: Normalize(string(sum), Groups(cib), false)})
	}
	return out, nil
}

func splitLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Groups maps each group id in a CIB's resources to its member primitives,
// as normalize.py's --cib does.
func Groups(cib []byte) map[string][]string {
	groups := map[string][]string{}
	d := xml.NewDecoder(bytes.NewReader(cib))
	depth := 0
	inResources := -1
	var stack []string // group ids by depth ("" when not a group)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			id := ""
			for _, a := range t.Attr {
				if a.Name.Local == "id" {
					id = a.Value
				}
			}
			if t.Name.Local == "resources" && inResources < 0 {
				inResources = depth
			}
			g := ""
			if inResources >= 0 && t.Name.Local == "group" {
				g = id
				if _, ok := groups[id]; !ok {
					groups[id] = []string{}
				}
			}
			if inResources >= 0 && t.Name.Local == "primitive" && len(stack) > 0 && stack[len(stack)-1] != "" {
				parent := stack[len(stack)-1]
				groups[parent] = append(groups[parent], id)
			}
			stack = append(stack, g)
		case xml.EndElement:
			if depth == inResources {
				inResources = -1
			}
			depth--
			stack = stack[:len(stack)-1]
		}
	}
	return groups
}

// Census is a case's tier and features, from census.tsv.
type Census struct {
	Tier     string
	Features []string
}

// ParseCensus reads census.tsv (case, tier, in_cts, non_core, features).
func ParseCensus(data []byte) map[string]Census {
	out := map[string]Census{}
	for i, line := range strings.Split(string(data), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 5 {
			continue
		}
		out[f[0]] = Census{Tier: f[1], Features: strings.Split(f[4], ",")}
	}
	return out
}

package cib

import (
	"fmt"
	"strings"
)

// Select evaluates the XPath subset cibadmin's --xpath and the other
// tools' queries use, on the document e belongs to: absolute paths
// (/cib/configuration/...) and descendant steps (//nvpair), each step a
// name or *, with predicates [@attr='value'], [@attr] and "and" between
// them, and unions with |. Matches come in document order, each once.
func Select(root *Element, xpath string) ([]*Element, error) {
	var out []*Element
	seen := map[*Element]bool{}
	for _, alt := range splitOutsideQuotes(xpath, '|') {
		alt = strings.TrimSpace(alt)
		if !strings.HasPrefix(alt, "/") {
			return nil, fmt.Errorf("cib: xpath %q: only absolute paths are supported", xpath)
		}
		steps, err := parseSteps(alt)
		if err != nil {
			return nil, fmt.Errorf("cib: xpath %q: %v", xpath, err)
		}
		// The context starts above the root, so "/cib" names it.
		doc := &Element{Children: []*Element{root}}
		cur := []*Element{doc}
		for _, st := range steps {
			var next []*Element
			for _, c := range cur {
				if st.desc {
					for _, k := range c.Children {
						k.Walk(func(d *Element) {
							if st.match(d) {
								next = append(next, d)
							}
						})
					}
				} else {
					for _, k := range c.Children {
						if st.match(k) {
							next = append(next, k)
						}
					}
				}
			}
			cur = next
		}
		for _, e := range cur {
			if e != doc && !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	// Document order across the alternatives.
	if len(out) > 1 {
		order := map[*Element]int{}
		n := 0
		root.Walk(func(e *Element) { order[e] = n; n++ })
		sortByOrder(out, order)
	}
	return out, nil
}

func sortByOrder(es []*Element, order map[*Element]int) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && order[es[j]] < order[es[j-1]]; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

type step struct {
	desc  bool
	name  string
	preds []pred
}

type pred struct {
	attr, value string
	exists      bool
}

func (s step) match(e *Element) bool {
	if s.name != "*" && e.Name != s.name {
		return false
	}
	for _, p := range s.preds {
		v, ok := e.Lookup(p.attr)
		if !ok || (!p.exists && v != p.value) {
			return false
		}
	}
	return true
}

func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	var q byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func parseSteps(p string) ([]step, error) {
	var steps []step
	for p != "" {
		var st step
		switch {
		case strings.HasPrefix(p, "//"):
			st.desc, p = true, p[2:]
		case strings.HasPrefix(p, "/"):
			p = p[1:]
		default:
			return nil, fmt.Errorf("expected / at %q", p)
		}
		i := strings.IndexAny(p, "/[")
		if i < 0 {
			i = len(p)
		}
		st.name, p = strings.TrimSpace(p[:i]), p[i:]
		if st.name == "" {
			return nil, fmt.Errorf("empty step")
		}
		for strings.HasPrefix(p, "[") {
			j := closingBracket(p)
			if j < 0 {
				return nil, fmt.Errorf("unclosed predicate")
			}
			for _, term := range strings.Split(p[1:j], " and ") {
				pr, err := parsePred(strings.TrimSpace(term))
				if err != nil {
					return nil, err
				}
				st.preds = append(st.preds, pr)
			}
			p = p[j+1:]
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func closingBracket(p string) int {
	var q byte
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == ']':
			return i
		}
	}
	return -1
}

func parsePred(t string) (pred, error) {
	if !strings.HasPrefix(t, "@") {
		return pred{}, fmt.Errorf("unsupported predicate [%s]", t)
	}
	t = t[1:]
	eq := strings.IndexByte(t, '=')
	if eq < 0 {
		return pred{attr: strings.TrimSpace(t), exists: true}, nil
	}
	v := strings.TrimSpace(t[eq+1:])
	if len(v) < 2 || (v[0] != '\'' && v[0] != '"') || v[len(v)-1] != v[0] {
		return pred{}, fmt.Errorf("unquoted value in [@%s]", t)
	}
	return pred{attr: strings.TrimSpace(t[:eq]), value: v[1 : len(v)-1]}, nil
}

// WithoutMatches returns a copy of root with the elements xpath selects
// removed (only the first when all is false): what cibadmin -D --xpath
// replaces the CIB with. Matching nothing is no error, as in Pacemaker.
func WithoutMatches(root *Element, xpath string, all bool) (*Element, error) {
	m, err := Select(root, xpath)
	if err != nil {
		return nil, &Error{Code: ErrInvalid, Detail: err.Error()}
	}
	if !all && len(m) > 1 {
		m = m[:1]
	}
	out := root.Clone()
	// Select ran on root: find every match in the copy first, by position,
	// then remove them (a removal shifts its siblings).
	var targets []*Element
	for _, e := range m {
		if x := samePlace(out, e); x != nil && x.Parent != nil {
			targets = append(targets, x)
		}
	}
	for _, x := range targets {
		x.Remove()
	}
	return out, nil
}

// samePlace finds in a copy of a document the element at e's position in
// the original (by child indexes from the root).
func samePlace(copyRoot, e *Element) *Element {
	var idx []int
	for x := e; x.Parent != nil; x = x.Parent {
		idx = append(idx, x.Index())
	}
	cur := copyRoot
	for i := len(idx) - 1; i >= 0; i-- {
		if idx[i] < 0 || idx[i] >= len(cur.Children) {
			return nil
		}
		cur = cur.Children[idx[i]]
	}
	return cur
}

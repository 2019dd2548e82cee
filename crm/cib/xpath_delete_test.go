package cib

import "testing"

// TestWithoutMatches: cibadmin -D --xpath removes the first match, -d
// every one, in a copy; every match is found before any is removed; nothing matched is no error; a bad expression is ErrInvalid.
func TestWithoutMatches(t *testing.T) {
	root, err := Parse([]byte(`<cib><configuration><resources><primitive id="a"/><primitive id="b"/><primitive id="c"/></resources></configuration></cib>`))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(e *Element) (out []string) {
		for _, p := range e.Children[0].Children[0].Children {
			out = append(out, p.ID())
		}
		return out
	}
	first, err := WithoutMatches(root, "//primitive", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(first); len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("first match removed: %v", got)
	}
	all, err := WithoutMatches(root, "//primitive", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); len(got) != 0 {
		t.Fatalf("every match removed: %v", got)
	}
	if got := ids(root); len(got) != 3 {
		t.Fatalf("the original changed: %v", got)
	}
	none, err := WithoutMatches(root, "//group", true)
	if err != nil || len(ids(none)) != 3 {
		t.Fatalf("no match: %v, %v", ids(none), err)
	}
	if _, err := WithoutMatches(root, "//primitive[", true); CodeOf(err) != ErrInvalid {
		t.Fatalf("bad xpath: %v", err)
	}
}

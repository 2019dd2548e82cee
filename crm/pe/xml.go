package pe

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Element is one XML element of a CIB: its name, attributes in document
// order, and children. The CIB needs nothing more (no text content, no
// namespaces), and keeping the order lets constraints and nvpair sets be
// taken in CIB order as Pacemaker takes them.
type Element struct {
	Name     string
	Attrs    []xml.Attr
	Children []*Element
	Parent   *Element
}

// ParseXML reads a CIB document.
func ParseXML(data []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root *Element
	var cur *Element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cib: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &Element{Name: t.Name.Local, Parent: cur}
			for _, a := range t.Attr {
				e.Attrs = append(e.Attrs, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: a.Value})
			}
			if cur == nil {
				if root != nil {
					return nil, fmt.Errorf("cib: more than one root element")
				}
				root = e
			} else {
				cur.Children = append(cur.Children, e)
			}
			cur = e
		case xml.EndElement:
			cur = cur.Parent
		}
	}
	if root == nil {
		return nil, fmt.Errorf("cib: no root element")
	}
	return root, nil
}

// Get returns the attribute's value, or "" when absent.
func (e *Element) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// Lookup returns the attribute's value and whether it is present.
func (e *Element) Lookup(name string) (string, bool) {
	if e == nil {
		return "", false
	}
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child with the name, or nil.
func (e *Element) Child(name string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// All returns the children with the name.
func (e *Element) All(name string) []*Element {
	if e == nil {
		return nil
	}
	var out []*Element
	for _, c := range e.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Path names the element for error messages the way the issue asks:
// "constraints/rsc_colocation[@id='c1']", relative to the configuration
// or status section.
func (e *Element) Path() string {
	var parts []string
	for x := e; x != nil; x = x.Parent {
		if x.Name == "configuration" || x.Name == "cib" {
			break
		}
		p := x.Name
		if id, ok := x.Lookup("id"); ok {
			p += "[@id='" + id + "']"
		}
		parts = append(parts, p)
		if x.Name == "status" {
			break
		}
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// walk calls f on e and every descendant, in document order.
func (e *Element) walk(f func(*Element)) {
	f(e)
	for _, c := range e.Children {
		c.walk(f)
	}
}

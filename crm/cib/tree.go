package cib

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// NewElement makes a detached element with attributes given as name,
// value pairs, in that order.
func NewElement(name string, attrs ...string) *Element {
	e := &Element{Name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Set(attrs[i], attrs[i+1])
	}
	return e
}

// ID is the element's id attribute ("" when absent).
func (e *Element) ID() string { return e.Get("id") }

// Set sets an attribute, adding it at the end when absent (Pacemaker adds
// new attributes after the existing ones, and so does its output).
func (e *Element) Set(name, value string) {
	for i := range e.Attrs {
		if e.Attrs[i].Name.Local == name {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, xml.Attr{Name: xml.Name{Local: name}, Value: value})
}

// Unset removes an attribute; it reports whether it was there.
func (e *Element) Unset(name string) bool {
	for i := range e.Attrs {
		if e.Attrs[i].Name.Local == name {
			e.Attrs = append(e.Attrs[:i:i], e.Attrs[i+1:]...)
			return true
		}
	}
	return false
}

// Clone is a deep copy of e, detached (its Parent is nil).
func (e *Element) Clone() *Element {
	c := &Element{Name: e.Name, Comment: e.Comment}
	if len(e.Attrs) > 0 {
		c.Attrs = append([]xml.Attr(nil), e.Attrs...)
	}
	if len(e.Children) > 0 {
		c.Children = make([]*Element, len(e.Children))
		for i, k := range e.Children {
			kc := k.Clone()
			kc.Parent = c
			c.Children[i] = kc
		}
	}
	return c
}

// AddChild appends c (detached from any former parent) as e's last child.
func (e *Element) AddChild(c *Element) *Element {
	return e.InsertChild(len(e.Children), c)
}

// InsertChild puts c at position i among e's children (clamped to the
// ends), detaching it from any former parent first.
func (e *Element) InsertChild(i int, c *Element) *Element {
	c.Remove()
	if i < 0 {
		i = 0
	}
	if i > len(e.Children) {
		i = len(e.Children)
	}
	// Appending never writes into another element's children: the
	// parser's slices are capped, so they are copied on the first growth.
	e.Children = append(e.Children, nil)
	copy(e.Children[i+1:], e.Children[i:])
	e.Children[i] = c
	c.Parent = e
	return c
}

// Remove detaches e from its parent (nothing when it has none).
func (e *Element) Remove() {
	p := e.Parent
	if p == nil {
		return
	}
	if i := e.Index(); i >= 0 {
		p.Children = append(p.Children[:i:i], p.Children[i+1:]...)
	}
	e.Parent = nil
}

// ReplaceWith puts r where e is, detaching e.
func (e *Element) ReplaceWith(r *Element) {
	p := e.Parent
	if p == nil {
		return
	}
	i := e.Index()
	e.Remove()
	p.InsertChild(i, r)
}

// Index is e's position among its parent's children (-1 without parent).
func (e *Element) Index() int {
	if e.Parent == nil {
		return -1
	}
	for i, c := range e.Parent.Children {
		if c == e {
			return i
		}
	}
	return -1
}

// Find returns the first element in e's subtree (e included), in document
// order, with the name (any when "") and id (any when ""), or nil.
func (e *Element) Find(name, id string) *Element {
	if (name == "" || e.Name == name) && (id == "" || e.Get("id") == id) {
		return e
	}
	for _, c := range e.Children {
		if f := c.Find(name, id); f != nil {
			return f
		}
	}
	return nil
}

// Equal reports whether two subtrees have the same names, attributes (in
// any order) and children (in order).
func (e *Element) Equal(o *Element) bool {
	if e.Name != o.Name || e.Comment != o.Comment || len(e.Attrs) != len(o.Attrs) || len(e.Children) != len(o.Children) {
		return false
	}
	for _, a := range e.Attrs {
		if v, ok := o.Lookup(a.Name.Local); !ok || v != a.Value {
			return false
		}
	}
	for i := range e.Children {
		if !e.Children[i].Equal(o.Children[i]) {
			return false
		}
	}
	return true
}

// XPath is e's absolute path as Pacemaker writes it in patchsets and
// error messages: "/cib/configuration/resources/primitive[@id='d1']".
func (e *Element) XPath() string {
	var parts []string
	for x := e; x != nil; x = x.Parent {
		p := x.Name
		if id, ok := x.Lookup("id"); ok {
			p += "[@id='" + id + "']"
		}
		parts = append(parts, p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// AppendXML appends e as compact XML (no whitespace between elements,
// attributes in their order), the form sent between nodes.
func (e *Element) AppendXML(dst []byte) []byte {
	if e.IsComment() {
		return appendComment(dst, e.Comment)
	}
	dst = append(dst, '<')
	dst = append(dst, e.Name...)
	for _, a := range e.Attrs {
		dst = appendAttr(dst, a.Name.Local, a.Value, false)
	}
	if len(e.Children) == 0 {
		return append(dst, "/>"...)
	}
	dst = append(dst, '>')
	for _, c := range e.Children {
		dst = c.AppendXML(dst)
	}
	dst = append(dst, "</"...)
	dst = append(dst, e.Name...)
	return append(dst, '>')
}

// AppendFormatted appends e as Pacemaker 2.1.5 prints and writes a CIB:
// two spaces of indentation per level, one element per line, empty
// elements self-closed, each line ending in a newline.
func (e *Element) AppendFormatted(dst []byte) []byte {
	return e.appendFormatted(dst, 0)
}

// Format is AppendFormatted into a new slice.
func (e *Element) Format() []byte { return e.AppendFormatted(nil) }

func (e *Element) appendFormatted(dst []byte, depth int) []byte {
	for i := 0; i < depth; i++ {
		dst = append(dst, "  "...)
	}
	if e.IsComment() {
		return append(appendComment(dst, e.Comment), '\n')
	}
	dst = append(dst, '<')
	dst = append(dst, e.Name...)
	for _, a := range e.Attrs {
		dst = appendAttr(dst, a.Name.Local, a.Value, true)
	}
	if len(e.Children) == 0 {
		return append(dst, "/>\n"...)
	}
	dst = append(dst, ">\n"...)
	for _, c := range e.Children {
		dst = c.appendFormatted(dst, depth+1)
	}
	for i := 0; i < depth; i++ {
		dst = append(dst, "  "...)
	}
	dst = append(dst, "</"...)
	dst = append(dst, e.Name...)
	return append(dst, ">\n"...)
}

func appendAttr(dst []byte, name, val string, pcmk bool) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, val, pcmk)
	return append(dst, '"')
}

// appendEscaped escapes an attribute value. With pcmk it is as Pacemaker
// 2.1.5's crm_xml_escape: the five XML entities, a newline as the two
// characters \n and a tab as four spaces (so such a value does not survive
// Pacemaker's round trip, nor this one); without, control characters are
// character references and every value comes back as it was.
func appendEscaped(dst []byte, s string, pcmk bool) []byte {
	if !strings.ContainsAny(s, "<>&\"'\n\t\r") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		case '\'':
			dst = append(dst, "&apos;"...)
		case '\n':
			if pcmk {
				dst = append(dst, `\n`...)
			} else {
				dst = append(dst, "&#10;"...)
			}
		case '\t':
			if pcmk {
				dst = append(dst, "    "...)
			} else {
				dst = append(dst, "&#9;"...)
			}
		case '\r':
			dst = append(dst, "&#13;"...)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// intAttr reads a non-negative integer attribute; absent or malformed is 0,
// as Pacemaker's crm_element_value_int leaves its default.
func intAttr(e *Element, name string) int {
	v, err := strconv.Atoi(e.Get(name))
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// appendComment writes a comment; a text that could not stand in one
// ("--", or a trailing '-') is made safe with a space, as it cannot be
// escaped.
func appendComment(dst []byte, text string) []byte {
	text = strings.ReplaceAll(text, "--", "- -")
	if strings.HasSuffix(text, "-") {
		text += " "
	}
	dst = append(dst, "<!--"...)
	dst = append(dst, text...)
	return append(dst, "-->"...)
}

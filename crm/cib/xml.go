package cib

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
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
	// Comment is a comment's text when Name is CommentName (only
	// ParseKeepComments makes them; Parse drops comments).
	Comment string
}

// CommentName is the Name of an element that stands for an XML comment,
// one no real element can have.
const CommentName = "!--"

// IsComment reports whether e stands for a comment.
func (e *Element) IsComment() bool { return e.Name == CommentName }

// Limits caps what Parse accepts, so that a hostile or broken document
// (a peer's update, a corrupt file) costs bounded memory and stack: the
// document's size in bytes, the depth of element nesting and the number of
// elements. Pacemaker's libxml2 stops at a depth of 256 as well.
type Limits struct {
	MaxBytes    int
	MaxDepth    int
	MaxElements int
}

// DefaultLimits are Parse's: far above any real CIB (Pacemaker's largest
// regression inputs are under 2 MiB and 20 deep).
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxDepth: 256, MaxElements: 1 << 20}

// Parse reads a CIB document with DefaultLimits: well-formed XML whose
// elements and attributes are all the CIB has (text, comments, processing
// instructions and DOCTYPE are skipped). It is a small parser of its own
// rather than encoding/xml because parsing was most of the policy
// engine's time and allocations: names and values are substrings of one
// copy of the document, and elements, attributes and child lists come
// from a few slabs sized by counting '<' and '='. The tree may be changed
// afterwards (Set, Unset, AddChild, Remove...): the slabs' slices are
// capped, so growing one element never writes into another's.
func Parse(data []byte) (*Element, error) {
	return ParseLimited(data, DefaultLimits)
}

// ParseKeepComments is Parse keeping the comments inside the root as
// elements (IsComment), as Pacemaker keeps them in a CIB and cibadmin
// prints them. The policy engine's input is parsed without them.
func ParseKeepComments(data []byte) (*Element, error) {
	return parseWith(data, DefaultLimits, true)
}

// ParseLimited is Parse with explicit limits; a zero field means no limit.
func ParseLimited(data []byte, lim Limits) (*Element, error) {
	return parseWith(data, lim, false)
}

func parseWith(data []byte, lim Limits, keepComments bool) (*Element, error) {
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("cib: document of %d bytes exceeds the limit of %d", len(data), lim.MaxBytes)
	}
	p := xmlParser{src: string(data), maxDepth: lim.MaxDepth, keepComments: keepComments}
	nel := strings.Count(p.src, "<") - strings.Count(p.src, "</")
	if lim.MaxElements > 0 && nel > lim.MaxElements {
		return nil, fmt.Errorf("cib: document of up to %d elements exceeds the limit of %d", nel, lim.MaxElements)
	}
	p.elems = make([]Element, 0, nel)
	p.attrs = make([]xml.Attr, 0, strings.Count(p.src, "="))
	p.kids = make([]*Element, 0, nel)
	return p.parse()
}

type xmlParser struct {
	src          string
	pos          int
	elems        []Element
	attrs        []xml.Attr
	kids         []*Element // children lists, each a slice of this slab
	pending      []*Element // children of the open elements, innermost last
	maxDepth     int
	keepComments bool
}

func (p *xmlParser) errorf(format string, args ...any) error {
	line := 1 + strings.Count(p.src[:p.pos], "\n")
	return fmt.Errorf("cib: XML syntax error on line %d: %s", line, fmt.Sprintf(format, args...))
}

func (p *xmlParser) parse() (*Element, error) {
	var root, cur *Element
	var starts []int // index into pending where each open element's children begin
	src := p.src
	for {
		i := strings.IndexByte(src[p.pos:], '<')
		if i < 0 {
			break
		}
		p.pos += i
		rest := src[p.pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			j := strings.Index(rest[4:], "-->")
			if j < 0 {
				return nil, p.errorf("unexpected EOF in comment")
			}
			if p.keepComments && cur != nil {
				c := &Element{Name: CommentName, Comment: rest[4 : 4+j], Parent: cur}
				p.pending = append(p.pending, c)
			}
			p.pos += 4 + j + 3
		case strings.HasPrefix(rest, "<?"):
			j := strings.Index(rest[2:], "?>")
			if j < 0 {
				return nil, p.errorf("unexpected EOF in processing instruction")
			}
			p.pos += 2 + j + 2
		case strings.HasPrefix(rest, "<![CDATA["):
			j := strings.Index(rest[9:], "]]>")
			if j < 0 {
				return nil, p.errorf("unexpected EOF in CDATA section")
			}
			p.pos += 9 + j + 3
		case strings.HasPrefix(rest, "<!"):
			j := strings.IndexByte(rest, '>')
			if j < 0 {
				return nil, p.errorf("unexpected EOF in directive")
			}
			p.pos += j + 1
		case strings.HasPrefix(rest, "</"):
			p.pos += 2
			name := p.name()
			p.space()
			if p.pos >= len(src) || src[p.pos] != '>' {
				return nil, p.errorf("invalid characters between </%s and >", name)
			}
			p.pos++
			if cur == nil || name != cur.Name {
				return nil, p.errorf("unexpected end element </%s>", name)
			}
			p.close(cur, starts[len(starts)-1])
			starts = starts[:len(starts)-1]
			cur = cur.Parent
		default:
			p.pos++
			e, empty, err := p.startTag()
			if err != nil {
				return nil, err
			}
			e.Parent = cur
			if cur == nil {
				if root != nil {
					return nil, fmt.Errorf("cib: more than one root element")
				}
				root = e
			} else {
				p.pending = append(p.pending, e)
			}
			if !empty {
				if p.maxDepth > 0 && len(starts) >= p.maxDepth {
					return nil, p.errorf("elements nested deeper than %d", p.maxDepth)
				}
				starts = append(starts, len(p.pending))
				cur = e
			}
		}
	}
	if cur != nil {
		return nil, p.errorf("unexpected EOF: <%s> not closed", cur.Name)
	}
	if root == nil {
		return nil, fmt.Errorf("cib: no root element")
	}
	return root, nil
}

// close gives e its children, pending[from:], as a slice of the slab.
func (p *xmlParser) close(e *Element, from int) {
	if n := len(p.pending) - from; n > 0 {
		at := len(p.kids)
		p.kids = append(p.kids, p.pending[from:]...)
		e.Children = p.kids[at : at+n : at+n]
		p.pending = p.pending[:from]
	}
}

// startTag reads an element's name and attributes after its '<'.
func (p *xmlParser) startTag() (*Element, bool, error) {
	src := p.src
	name := p.name()
	if name == "" {
		return nil, false, p.errorf("expected element name after <")
	}
	p.elems = append(p.elems, Element{Name: name})
	e := &p.elems[len(p.elems)-1]
	if len(p.elems) == cap(p.elems) {
		// The count of '<' bounds the elements; a '<' inside an attribute
		// value is not allowed, so this is only reached at the last one.
		p.elems = make([]Element, 0, 16)
	}
	at := len(p.attrs)
	for {
		p.space()
		if p.pos >= len(src) {
			return nil, false, p.errorf("unexpected EOF in <%s>", name)
		}
		switch src[p.pos] {
		case '>':
			p.pos++
			e.Attrs = p.attrs[at:len(p.attrs):len(p.attrs)]
			return e, false, nil
		case '/':
			if p.pos+1 >= len(src) || src[p.pos+1] != '>' {
				return nil, false, p.errorf("expected /> in element <%s>", name)
			}
			p.pos += 2
			e.Attrs = p.attrs[at:len(p.attrs):len(p.attrs)]
			return e, true, nil
		}
		an := p.name()
		if an == "" {
			return nil, false, p.errorf("expected attribute name in element <%s>", name)
		}
		p.space()
		if p.pos >= len(src) || src[p.pos] != '=' {
			return nil, false, p.errorf("attribute name %s without = in element <%s>", an, name)
		}
		p.pos++
		p.space()
		if p.pos >= len(src) || (src[p.pos] != '"' && src[p.pos] != '\'') {
			return nil, false, p.errorf("unquoted or missing attribute value in element <%s>", name)
		}
		q := src[p.pos]
		j := strings.IndexByte(src[p.pos+1:], q)
		if j < 0 {
			return nil, false, p.errorf("unexpected EOF in attribute value")
		}
		raw := src[p.pos+1 : p.pos+1+j]
		p.pos += j + 2
		if strings.IndexByte(raw, '<') >= 0 {
			return nil, false, p.errorf("unescaped < inside quoted string")
		}
		v, err := p.unescape(raw)
		if err != nil {
			return nil, false, err
		}
		for _, a := range p.attrs[at:] {
			if a.Name.Local == an {
				return nil, false, p.errorf("attribute %s redefined in element <%s>", an, name)
			}
		}
		p.attrs = append(p.attrs, xml.Attr{Name: xml.Name{Local: an}, Value: v})
	}
}

// name reads an XML name and returns its local part (after any prefix).
func (p *xmlParser) name() string {
	src := p.src
	start := p.pos
	colon := -1
	for p.pos < len(src) {
		c := src[p.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '=' || c == '>' || c == '/' || c == '<' || c == '"' || c == '\'' {
			break
		}
		if c == ':' {
			colon = p.pos
		}
		p.pos++
	}
	if colon >= 0 {
		return src[colon+1 : p.pos]
	}
	return src[start:p.pos]
}

func (p *xmlParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// unescape replaces the predefined entities and character references;
// a value without '&' (or '\r') is returned as is, without a copy.
func (p *xmlParser) unescape(s string) (string, error) {
	if strings.IndexByte(s, '&') < 0 && strings.IndexByte(s, '\r') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' {
			// Line ends are normalized to \n, as encoding/xml does.
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
			continue
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		j := strings.IndexByte(s[i:], ';')
		if j < 0 {
			return "", p.errorf("invalid character entity in attribute value")
		}
		ent := s[i+1 : i+j]
		switch ent {
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "amp":
			b.WriteByte('&')
		case "apos":
			b.WriteByte('\'')
		case "quot":
			b.WriteByte('"')
		default:
			r, ok := charRef(ent)
			if !ok {
				return "", p.errorf("invalid character entity &%s;", ent)
			}
			b.WriteRune(r)
		}
		i += j
	}
	return b.String(), nil
}

// charRef decodes "#N" or "#xH".
func charRef(ent string) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	base, digits := 10, ent[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || n > utf8.MaxRune {
		return 0, false
	}
	return rune(n), true
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

// Walk calls f on e and every descendant, in document order.
func (e *Element) Walk(f func(*Element)) {
	f(e)
	for _, c := range e.Children {
		c.Walk(f)
	}
}

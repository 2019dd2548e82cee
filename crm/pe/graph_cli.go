package pe

import (
	"encoding/xml"
	"strings"
)

// CurrentText is crm_simulate's "Current cluster status" section: the
// input as the scheduler understood it.
func (res *Result) CurrentText() string {
	cur := *res
	cur.Final = map[*Resource]FinalState{}
	for p := range res.Final {
		cur.Final[p] = FinalState{Nodes: append([]*Node(nil), p.RunningOn...), Role: p.Role, Failed: p.Failed}
	}
	var b strings.Builder
	b.WriteString("Current cluster status:\n")
	cur.writeStatus(&b)
	return b.String()
}

// AppendXML writes the element back as XML (attributes in their order).
func (e *Element) AppendXML(dst []byte) []byte {
	dst = append(dst, '<')
	dst = append(dst, e.Name...)
	for _, a := range e.Attrs {
		dst = appendAttr(dst, a.Name.Local, a.Value)
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

// Set sets an attribute, adding it when absent.
func (e *Element) Set(name, value string) {
	for i := range e.Attrs {
		if e.Attrs[i].Name.Local == name {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, xml.Attr{Name: xml.Name{Local: name}, Value: value})
}

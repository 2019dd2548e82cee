package pe

import "github.com/hbd-ha/hbd/crm/cib"

// Element is one XML element of a CIB: its name, attributes in document
// order, and children. It is crm/cib's tree, so that a CIB the cib layer
// holds is scheduled as it is, without a copy.
type Element = cib.Element

// ParseXML reads a CIB document with crm/cib's parser (cib.Parse: its
// own small parser, for speed, with size, depth and count limits).
func ParseXML(data []byte) (*Element, error) { return cib.Parse(data) }

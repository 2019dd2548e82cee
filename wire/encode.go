package wire

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// Decode parses one message in either form, sniffed from its first bytes
// ("###\n" netstring, ">>>\n" classic), without authentication: use it for
// nested, decompressed and FIFO messages. It returns the bytes consumed.
// m is Reset first; its fields are views into b.
func (m *Message) Decode(b []byte) (int, error) {
	// Reset, with src written once and err only when set (each pointer
	// store checks for the write barrier).
	m.fields = m.fields[:0]
	if m.err != nil {
		m.err = nil
	}
	m.buf = m.buf[:0]
	m.src = b
	if len(b) >= len(netstringStart) && string(b[:len(netstringStart)]) == netstringStart {
		// decodeNetstring(b, 0), its fast path without its call.
		nf, i, done := scanFields(b, len(netstringStart), m.fields)
		m.fields = m.fields[:nf]
		if done {
			return i, nil
		}
		return m.parseFields(m.src, i, 0, true)
	}
	return m.decodeClassic(b, 0)
}

// AppendNetstring appends m in netstring form ("###\n" … "%%%\n", no auth
// trailer) to dst, exactly as libplumb's msg2netstring writes it. String
// values are written with LF where 0x13 stands for it, as heartbeat holds
// them after decoding.
func AppendNetstring(dst []byte, m *Message) ([]byte, error) {
	return appendNetstring(dst, m, 0)
}

func appendNetstring(dst []byte, m *Message, depth int) ([]byte, error) {
	if m.err != nil {
		return dst, m.err
	}
	if depth > MaxDepth {
		return dst, &Error{Op: "encode", Offset: -1, Reason: "nested too deep"}
	}
	// Fields were validated when decoded or added: this is a plain copy.
	dst = append(dst, netstringStart...)
	for i := range m.fields {
		f := &m.fields[i]
		name, value := m.bytes(f.name), m.bytes(f.value)
		switch f.typ() {
		case List:
			if len(value) >= MaxListLength {
				return dst, &Error{Op: "encode", Offset: -1, Field: string(name), Reason: "packed list too long"}
			}
		case Struct, Uncompressed:
			if f.classicDepth() > 0 {
				var err error
				if value, err = convertNested(m.At(i), depth, -1); err != nil {
					return dst, err
				}
			}
		}
		dst = slices.Grow(dst, 12+len(name)+len(value))
		dst = appendDecimal(dst, uint64(3+len(name)+1+len(value)))
		dst = append(dst, ':', '(', '0'+byte(f.typ()), ')')
		dst = append(dst, name...)
		dst = append(dst, '=')
		if f.flags()&hasEscapedLF != 0 {
			dst = appendUnescaped(dst, value)
		} else {
			dst = append(dst, value...)
		}
		dst = append(dst, ',')
	}
	return append(dst, netstringEnd...), nil
}

// convertNested re-encodes a nested field's message in the other form:
// netstring when toClassicDepth < 0, else classic for that depth. Nested
// messages are rare on heartbeat's wire, so this may allocate.
func convertNested(f Field, depth, toClassicDepth int) ([]byte, error) {
	var child Message
	if err := f.Nested(&child); err != nil {
		return nil, err
	}
	if toClassicDepth < 0 {
		return appendNetstring(nil, &child, depth+1)
	}
	return appendClassic(nil, &child, toClassicDepth, true)
}

// AppendClassic appends m in classic form (">>>\n" … "<<<\n") to dst. It
// does not add the trailing NUL that classic datagrams carry.
func AppendClassic(dst []byte, m *Message) ([]byte, error) {
	return appendClassic(dst, m, 0, true)
}

// appendClassicBody appends the fields of m in classic form without
// markers: the text heartbeat's inner auth digest covers. Fields named
// "auth" are left out.
func appendClassicBody(dst []byte, m *Message) ([]byte, error) {
	return appendClassic(dst, m, 0, false)
}

// appendClassic writes m at classic depth cd (0 = top level). With
// markers false it writes only the field lines and skips "auth" fields.
func appendClassic(dst []byte, m *Message, cd int, markers bool) ([]byte, error) {
	if cd > MaxDepth {
		return dst, &Error{Op: "encode classic", Offset: -1, Reason: "nested too deep"}
	}
	if m.err != nil {
		return dst, m.err
	}
	term := byte('\n')
	if cd > 0 {
		term = depthSymbol[cd-1]
	}
	if markers {
		dst = append(dst, classicStart...)
		dst = append(dst, term)
	}
	for i := range m.fields {
		f := m.At(i)
		if !markers && f.Is(FieldAuth) {
			continue
		}
		if f.Name[0] == '(' {
			return dst, &Error{Op: "encode classic", Offset: -1, Field: string(f.Name), Reason: `name starts with "("`}
		}
		start := len(dst)
		switch f.Type {
		case String:
			dst = append(dst, f.Name...)
			dst = append(dst, '=')
			if m.fields[i].flags()&hasLF != 0 {
				dst = appendEscapedLF(dst, f.Value)
			} else {
				dst = append(dst, f.Value...)
			}
		case Binary, Compressed:
			dst = append(dst, '(', '0'+byte(f.Type), ')')
			dst = append(dst, f.Name...)
			dst = append(dst, '=')
			dst = base64.StdEncoding.AppendEncode(dst, f.Value)
		case List:
			dst = append(dst, "(3)"...)
			dst = append(dst, f.Name...)
			dst = append(dst, '=')
			dst = append(dst, f.Value...)
		case Struct:
			dst = append(dst, "(2)"...)
			dst = append(dst, f.Name...)
			dst = append(dst, '=')
			if int(f.classicDepth) == cd+1 {
				dst = append(dst, f.Value...)
			} else {
				child, err := convertNested(f, cd, cd+1)
				if err != nil {
					return dst, err
				}
				dst = append(dst, child...)
			}
		default:
			return dst, &Error{Op: "encode classic", Offset: -1, Field: string(f.Name), Reason: f.Type.String() + " field has no classic form"}
		}
		// A line may not hold its own terminator: it would split the field.
		// String lines have had their LFs escaped, and top-level binary
		// lines are base64: only lists and nested lines need the check.
		if line := dst[start:]; (f.Type == List || f.Type == Struct || cd > 0) &&
			(bytes.IndexByte(line, term) >= 0 || bytes.IndexByte(line, '\n') >= 0) {
			return dst, &Error{Op: "encode classic", Offset: -1, Field: string(f.Name), Reason: "value holds its own line terminator"}
		}
		dst = append(dst, term)
	}
	if markers {
		dst = append(dst, classicEnd...)
		dst = append(dst, term)
	}
	return dst, nil
}

// appendEscapedLF appends v with every LF written as 0x13.
func appendEscapedLF(dst, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, '\n')
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, escapedLF)
		v = v[i+1:]
	}
}

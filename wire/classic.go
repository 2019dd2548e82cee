package wire

import (
	"bytes"
	"encoding/base64"
)

// decodeClassic parses a classic-form message at the start of b. cd is 0 for
// a top-level message, whose lines end in LF, and k ≥ 1 for a message nested
// k levels deep, whose lines end in depthSymbol[k-1]. It returns the number
// of bytes consumed, through the end marker's terminator (a top-level end
// marker may also end the input). Bytes after the end marker are ignored, as
// heartbeat ignores the trailing NUL of classic datagrams.
func (m *Message) decodeClassic(b []byte, cd int) (int, error) {
	const op = "decode classic"
	if cd > MaxDepth {
		return 0, &Error{Op: op, Offset: 0, Reason: "nested too deep"}
	}
	term := byte('\n')
	if cd > 0 {
		term = depthSymbol[cd-1]
	}
	if len(b) < 4 || string(b[:3]) != classicStart || b[3] != term {
		return 0, &Error{Op: op, Offset: 0, Reason: `no ">>>" start marker`}
	}
	i := 4
	for {
		if i >= len(b) {
			return 0, &Error{Op: op, Offset: i, Reason: `no "<<<" end marker`}
		}
		end := bytes.IndexByte(b[i:], term)
		var line []byte
		next := 0
		if end < 0 {
			line, next = b[i:], len(b)
		} else {
			line, next = b[i:i+end], i+end+1
		}
		if nul := bytes.IndexByte(line, 0); nul >= 0 {
			return 0, &Error{Op: op, Offset: i + nul, Reason: "NUL byte before the end marker"}
		}
		switch {
		case len(line) == 0:
			// Runs of blank lines are skipped.
		case string(line) == classicEnd:
			if end < 0 && cd > 0 {
				return 0, &Error{Op: op, Offset: i, Reason: "unterminated end marker"}
			}
			return next, nil
		case end < 0:
			return 0, &Error{Op: op, Offset: i, Reason: `no "<<<" end marker`}
		default:
			if err := m.parseClassicLine(line, i, cd); err != nil {
				err.Offset += i
				return 0, err
			}
		}
		i = next
	}
}

// parseClassicLine parses "[(T)]name=value", found at offset off of m.src.
// Error offsets are relative to line.
func (m *Message) parseClassicLine(line []byte, off, cd int) *Error {
	const op = "decode classic"
	eq := bytes.IndexByte(line, '=')
	if eq <= 0 {
		return &Error{Op: op, Offset: 0, Reason: "line has no name or no '='"}
	}
	name, value := line[:eq], line[eq+1:]
	t := String
	nameOff := 0
	if name[0] == '(' {
		if len(name) < 3 || name[2] != ')' || name[1] < '1' || name[1] > '4' {
			return &Error{Op: op, Offset: 0, Reason: "wrong type prefix"}
		}
		t = Type(name[1] - '0')
		name = name[3:]
		nameOff = 3
	}
	if msg := checkName(name); msg != "" {
		return &Error{Op: op, Offset: nameOff, Field: string(name), Reason: msg}
	}
	f := field{
		name:  m.srcSpan(off+nameOff, len(name)),
		value: m.srcSpan(off+eq+1, len(value)),
		meta:  fieldMeta(t, 0, 0),
	}
	switch t {
	case String:
		flags, _ := scanString(value) // NUL was ruled out for the whole line
		f.meta = fieldMeta(t, 0, flags)
	case Binary, Compressed:
		raw, ok := m.appendBase64(value)
		if !ok {
			return &Error{Op: op, Offset: eq + 1, Field: string(name), Reason: "bad base64"}
		}
		f.value = raw
	case Struct:
		f.meta = fieldMeta(t, uint8(cd+1), 0)
		if msg := checkValue(Struct, value, cd, cd+1); msg != "" {
			return &Error{Op: op, Offset: eq + 1, Field: string(name), Reason: msg}
		}
	case List:
		if msg := checkValue(List, value, cd, 0); msg != "" {
			return &Error{Op: op, Offset: eq + 1, Field: string(name), Reason: msg}
		}
	}
	m.fields = append(m.fields, f)
	return nil
}

// appendBase64 decodes standard, padded base64 into the message's buffer.
func (m *Message) appendBase64(src []byte) (span, bool) {
	if len(src)%4 != 0 {
		return span{}, false
	}
	start := len(m.buf)
	var err error
	m.buf, err = base64.StdEncoding.AppendDecode(m.buf, src)
	if err != nil {
		m.buf = m.buf[:start]
		return span{}, false
	}
	return span{uint32(start) | inBuf, uint32(len(m.buf) - start)}, true
}

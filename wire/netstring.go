package wire

import "bytes"

// decodeNetstring parses a netstring-form message at the start of b:
// "###\n" { LEN ":" "(" T ")" name "=" body "," } "%%%\n". It returns the
// number of bytes consumed, up to and including the end marker. depth counts
// enclosing messages (the top level is 0) to bound nesting.
//
// The rules are libplumb's (wire spec §4.2), made strict where libplumb would
// read garbage or crash (§4.3): LEN is plain digits, the body starts with
// "(digit)", the type digit is 0–5, names are non-empty and free of LF and
// NUL, and strings hold no NUL.
//
// The structure is parsed first and the string values checked after
// (checkStrings); a NUL in a string parsed before a structural error is
// still the error reported, as a field-by-field check would.
func (m *Message) decodeNetstring(b []byte, depth int) (int, error) {
	first := len(m.fields)
	n, err := m.parseNetstring(b, depth)
	if serr := m.checkStrings(b, first); serr != nil {
		return 0, serr
	}
	return n, err
}

// parseNetstring is decodeNetstring without the check of string values.
func (m *Message) parseNetstring(b []byte, depth int) (int, error) {
	const op = "decode netstring"
	if depth > MaxDepth {
		return 0, &Error{Op: op, Offset: 0, Reason: "nested too deep"}
	}
	if len(b) < len(netstringStart) || string(b[:len(netstringStart)]) != netstringStart {
		return 0, &Error{Op: op, Offset: 0, Reason: `no "###" start marker`}
	}
	// A local slice header: appending through m would store it back on
	// every field.
	fields := m.fields
	i := len(netstringStart)
	for {
		if i < len(b) && b[i] == '%' && len(b)-i >= len(netstringEnd) && string(b[i:i+len(netstringEnd)]) == netstringEnd {
			m.fields = fields
			return i + len(netstringEnd), nil
		}
		m.fields = fields // for the error returns below
		// The length: plain digits, no leading zero, at most
		// MaxUncompressed (parseLength, inlined by hand).
		j, n := i, 0
		for j < len(b) {
			d := b[j] - '0'
			if d > 9 {
				break
			}
			n = n*10 + int(d)
			if n > MaxUncompressed {
				break
			}
			j++
		}
		if j == i || n > MaxUncompressed || (b[i] == '0' && j-i > 1) {
			return 0, &Error{Op: op, Offset: i, Reason: "bad field length (or missing %%% end marker)"}
		}
		if j >= len(b) || b[j] != ':' {
			return 0, &Error{Op: op, Offset: j, Reason: `field length not followed by ":"`}
		}
		j++
		if n > len(b)-j-1 {
			return 0, &Error{Op: op, Offset: i, Reason: "field length runs past the end of the message"}
		}
		// The body "(T)name=value" and its ",".
		body := b[j : j+n+1]
		if body[n] != ',' {
			return 0, &Error{Op: op, Offset: j + n, Reason: `field not terminated by ","`}
		}
		if n < 3 || body[0] != '(' || body[2] != ')' {
			return 0, &Error{Op: op, Offset: j, Reason: `field does not start with "(T)"`}
		}
		t := Type(body[1] - '0')
		if t > 5 {
			return 0, &Error{Op: op, Offset: j + 1, Reason: "invalid field type " + string(body[1:2])}
		}
		eq := nameEnd(body[3:n])
		if eq <= 0 {
			if eq == 0 {
				return 0, &Error{Op: op, Offset: j + 3, Reason: "field has no name"}
			}
			return 0, &Error{Op: op, Offset: j + 3, Reason: "name holds LF or NUL, or no '='"}
		}
		valOff := j + 3 + eq + 1
		if t != String {
			if msg := checkValue(t, b[valOff:j+n], depth, 0); msg != "" {
				return 0, &Error{Op: op, Offset: valOff, Field: string(body[3 : 3+eq]), Reason: msg}
			}
		}
		// Stored in place: a field built on the stack and copied in is
		// written narrow and read back wide, which stalls store forwarding.
		if len(fields) == cap(fields) {
			fields = append(fields, field{})
		} else {
			fields = fields[:len(fields)+1]
		}
		f := &fields[len(fields)-1]
		f.name = span{uint32(j + 3), uint32(eq)}
		f.value = span{uint32(valOff), uint32(j + n - valOff)}
		f.typ, f.classicDepth, f.flags = t, 0, 0
		i = j + n + 1
	}
}

// checkStrings sets the flags of the string fields from first on, decoded
// from b, and fails on the first that holds a NUL. Three vectorised looks
// over the bytes the fields cover spare a scan of every string value in the
// common case: a status message has no NUL, LF or 0x13 (a binary value may).
func (m *Message) checkStrings(b []byte, first int) error {
	fs := m.fields[first:]
	if len(fs) == 0 {
		return nil
	}
	last := fs[len(fs)-1].value
	span := b[fs[0].name.off : last.off+last.n]
	if bytes.IndexByte(span, 0) < 0 && bytes.IndexByte(span, escapedLF) < 0 && bytes.IndexByte(span, '\n') < 0 {
		return nil
	}
	for k := range fs {
		f := &fs[k]
		if f.typ != String {
			continue
		}
		var nul bool
		if f.flags, nul = scanString(b[f.value.off : f.value.off+f.value.n]); nul {
			return &Error{Op: "decode netstring", Offset: int(f.value.off), Field: string(m.bytes(f.name)), Reason: "string holds a NUL byte"}
		}
	}
	return nil
}

// nameEnd returns the index of the '=' ending the name at the start of b,
// or -1 if the name holds LF or NUL or no '=' follows. Names are short, so
// one byte loop beats several IndexByte calls.
func nameEnd(b []byte) int {
	for i, c := range b {
		switch c {
		case '=':
			return i
		case '\n', 0:
			return -1
		}
	}
	return -1
}

// checkName enforces heartbeat's rules for names: no '=', LF or NUL.
func checkName(name []byte) string {
	if len(name) == 0 {
		return "empty name"
	}
	if bytes.IndexByte(name, '=') >= 0 || bytes.IndexByte(name, '\n') >= 0 || bytes.IndexByte(name, 0) >= 0 {
		return "name holds '=', LF or NUL"
	}
	return ""
}

// checkValue validates a non-string value in logical/netstring form
// (classicDepth 0) or a nested classic message escaped for depth
// classicDepth-1.
func checkValue(t Type, value []byte, depth, classicDepth int) string {
	switch t {
	case List:
		if err := validateList(value); err != nil {
			return err.Error()
		}
	case Struct, Uncompressed:
		probe := Message{src: value}
		var err error
		if classicDepth > 0 {
			_, err = probe.decodeClassic(value, classicDepth)
		} else {
			var n int
			n, err = probe.decodeNetstring(value, depth+1)
			if err == nil && n != len(value) {
				return "bytes after nested message"
			}
		}
		if err != nil {
			return "bad nested message: " + err.Error()
		}
	}
	return ""
}

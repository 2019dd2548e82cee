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
func (m *Message) decodeNetstring(b []byte, depth int) (int, error) {
	const op = "decode netstring"
	if depth > MaxDepth {
		return 0, &Error{Op: op, Offset: 0, Reason: "nested too deep"}
	}
	if !bytes.HasPrefix(b, []byte(netstringStart)) {
		return 0, &Error{Op: op, Offset: 0, Reason: `no "###" start marker`}
	}
	// One vectorised look for NUL, 0x13 and LF over the whole message
	// spares a scan of every string value in the common case: a status
	// message has none beyond its two marker LFs (binary values may).
	clean := depth == 0 && bytes.IndexByte(b, 0) < 0 && bytes.IndexByte(b, escapedLF) < 0 &&
		bytes.Count(b, []byte{'\n'}) == 2
	i := len(netstringStart)
	for {
		if i < len(b) && b[i] == '%' && bytes.HasPrefix(b[i:], []byte(netstringEnd)) {
			return i + len(netstringEnd), nil
		}
		n, digits, ok := parseLength(b[i:])
		if !ok {
			return 0, &Error{Op: op, Offset: i, Reason: "bad field length (or missing %%% end marker)"}
		}
		j := i + digits
		if j >= len(b) || b[j] != ':' {
			return 0, &Error{Op: op, Offset: j, Reason: `field length not followed by ":"`}
		}
		j++
		if n > len(b)-j-1 {
			return 0, &Error{Op: op, Offset: i, Reason: "field length runs past the end of the message"}
		}
		if b[j+n] != ',' {
			return 0, &Error{Op: op, Offset: j + n, Reason: `field not terminated by ","`}
		}
		// The body "(T)name=value" is b[j:j+n].
		if n < 3 || b[j] != '(' || b[j+2] != ')' {
			return 0, &Error{Op: op, Offset: j, Reason: `field does not start with "(T)"`}
		}
		if b[j+1] < '0' || b[j+1] > '5' {
			return 0, &Error{Op: op, Offset: j + 1, Reason: "invalid field type " + string(b[j+1:j+2])}
		}
		t := Type(b[j+1] - '0')
		nameOff := j + 3
		eq := nameEnd(b[nameOff : j+n])
		if eq <= 0 {
			if eq == 0 {
				return 0, &Error{Op: op, Offset: nameOff, Reason: "field has no name"}
			}
			return 0, &Error{Op: op, Offset: nameOff, Reason: "name holds LF or NUL, or no '='"}
		}
		valOff := nameOff + eq + 1
		value := b[valOff : j+n]
		var flags uint8
		if t == String && !clean {
			var nul bool
			if flags, nul = scanString(value); nul {
				return 0, &Error{Op: op, Offset: valOff, Field: string(b[nameOff : nameOff+eq]), Reason: "string holds a NUL byte"}
			}
		} else if t != String {
			if msg := checkValue(t, value, depth, 0); msg != "" {
				return 0, &Error{Op: op, Offset: valOff, Field: string(b[nameOff : nameOff+eq]), Reason: msg}
			}
		}
		m.fields = append(m.fields, field{
			name:  span{uint32(nameOff), uint32(eq)},
			value: span{uint32(valOff), uint32(len(value))},
			typ:   t,
			flags: flags,
		})
		i = j + n + 1
	}
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

package wire

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// decodeNetstring parses a netstring-form message at the start of b:
// "###\n" { LEN ":" "(" T ")" name "=" body "," } "%%%\n". It returns the
// number of bytes consumed, up to and including the end marker. depth counts
// enclosing messages (the top level is 0) to bound nesting.
//
// The rules are libplumb's (wire spec §4.2), made strict where libplumb would
// read garbage or crash (§4.3): LEN is plain digits, the body starts with
// "(digit)", the type digit is 0–5, names are non-empty and free of LF and
// NUL, and strings hold no NUL. Fields are checked in order, so the error
// is the first field's that fails.
//
// scanFields takes the fields every heartbeat message is made of; a field it
// doubts goes to parseField, the exact one-field parser, so that every
// refusal and its error come from one place.
func (m *Message) decodeNetstring(b []byte, depth int) (int, error) {
	// scanFields leaves the cap on a length to the size of b.
	return m.parseNetstring(b, depth, len(b) <= MaxUncompressed)
}

// parseNetstring is decodeNetstring, with scanFields only when fast (the
// tests compare the two).
func (m *Message) parseNetstring(b []byte, depth int, fast bool) (int, error) {
	const op = "decode netstring"
	if depth > MaxDepth {
		return 0, &Error{Op: op, Offset: 0, Reason: "nested too deep"}
	}
	if len(b) < len(netstringStart) || string(b[:len(netstringStart)]) != netstringStart {
		return 0, &Error{Op: op, Offset: 0, Reason: `no "###" start marker`}
	}
	i := len(netstringStart)
	for {
		var done bool
		if fast {
			if m.fields, i, done = scanFields(b, i, m.fields); done {
				return i, nil
			}
		}
		var err error
		if i, done, err = m.parseField(b, i, depth); done || err != nil {
			return i, err
		}
	}
}

// scanFields appends to fields the fields from offset i of b on that take
// the common path: a length of at most 7 digits with no leading zero,
// "(T)" with T a string or binary field, a name of 1 to 15 bytes, a string
// value with no byte below 0x14 (NUL, LF and 0x13 are), room left in
// fields. It stops at the end marker (returning the offset past it and
// true) or at the first field it doubts (returning its offset and false):
// it accepts nothing parseField refuses, and makes no call, so nothing is
// spilled around one.
func scanFields(b []byte, i int, fields []field) ([]field, int, bool) {
	const (
		ones  = 0x0101010101010101
		eqs   = '=' * ones
		lows  = 0x14 * ones
		highs = 0x80 * ones
		// ":(T)" with T masked out, read little-endian.
		typeMask = 0xff00ffff
		typeWant = ')'<<24 | '('<<8 | ':'
	)
	// Fields are written in place, up to the capacity.
	fs, nf := fields[:cap(fields)], len(fields)
	for i < len(b) && nf < len(fs) {
		c := b[i]
		if c == '%' {
			if len(b)-i >= len(netstringEnd) && string(b[i:i+len(netstringEnd)]) == netstringEnd {
				return fs[:nf], i + len(netstringEnd), true
			}
			break
		}
		// The length. A body has at least 3 bytes, so no valid length
		// starts with 0; with at most 7 digits, a length is at most
		// MaxUncompressed when it fits in b (the caller's bound).
		n := int(c) - '1'
		if uint(n) > 8 {
			break
		}
		n++
		j := i + 1
		for j < len(b) {
			d := b[j] - '0'
			if d > 9 {
				break
			}
			n = n*10 + int(d)
			j++
		}
		if j-i > 7 || len(b)-j < 12 || n > len(b)-j-2 {
			break
		}
		// ":(T)" in one word, then the name a word at a time. A byte
		// below 0x14 borrows and has its top bit clear; with none
		// below it in the word, no byte does both: so a bit of low
		// below the '=' is a real one, and names holding one (NUL and
		// LF among them) go to parseField.
		w := le64(b, j)
		t := Type(byte(w>>16) - '0')
		if w&typeMask != typeWant || t > Binary || b[j+1+n] != ',' {
			break
		}
		nw := le64(b, j+4)
		eq := zeroBytes(nw ^ eqs)
		low := (nw - lows) &^ nw & highs
		k := 0
		if eq == 0 {
			// A name of 8 bytes or more ("protocol").
			if low != 0 || len(b)-j < 20 {
				break
			}
			nw = le64(b, j+12)
			eq = zeroBytes(nw ^ eqs)
			low = (nw - lows) &^ nw & highs
			k = 8
		}
		k += bits.TrailingZeros64(eq) >> 3
		if eq == 0 || k == 0 || k > n-4 || low&(eq&-eq-1) != 0 {
			break
		}
		valOff, end := j+5+k, j+1+n
		if t == String {
			// A string value a word at a time, the last word ending
			// the value: a short value's word starts in its field's
			// header, whose bytes are all above 0x13 (or the field
			// goes to parseField).
			w := le64(b, end-8)
			low := (w - lows) &^ w
			for q := valOff; q < end-8; q += 8 {
				w := le64(b, q)
				low |= (w - lows) &^ w
			}
			if low&highs != 0 {
				break
			}
		}
		f := &fs[nf]
		nf++
		f.name = span{uint32(j + 4), uint32(k)}
		f.value = span{uint32(valOff), uint32(end - valOff)}
		f.typ, f.classicDepth, f.flags = t, 0, 0
		i = end + 1
	}
	return fs[:nf], i, false
}

// le64 reads the 8 bytes at b[i:] little-endian: one load.
func le64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8 : i+8]) }

// zeroBytes sets the top bit of each zero byte of w. The lowest bit set is
// exact; a byte above a zero byte may be marked falsely (by the borrow).
func zeroBytes(w uint64) uint64 {
	return (w - 0x0101010101010101) &^ w & 0x8080808080808080
}

// parseField parses the field at offset i of b, or the end marker (then
// done is true and next is the offset past it), with every check and its
// error.
func (m *Message) parseField(b []byte, i, depth int) (next int, done bool, err error) {
	const op = "decode netstring"
	if i < len(b) && b[i] == '%' && len(b)-i >= len(netstringEnd) && string(b[i:i+len(netstringEnd)]) == netstringEnd {
		return i + len(netstringEnd), true, nil
	}
	// The length: plain digits, no leading zero, at most MaxUncompressed.
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
		return 0, false, &Error{Op: op, Offset: i, Reason: "bad field length (or missing %%% end marker)"}
	}
	if j >= len(b) || b[j] != ':' {
		return 0, false, &Error{Op: op, Offset: j, Reason: `field length not followed by ":"`}
	}
	j++
	if n > len(b)-j-1 {
		return 0, false, &Error{Op: op, Offset: i, Reason: "field length runs past the end of the message"}
	}
	// The body "(T)name=value" and its ",".
	body := b[j : j+n+1]
	if body[n] != ',' {
		return 0, false, &Error{Op: op, Offset: j + n, Reason: `field not terminated by ","`}
	}
	if n < 3 || body[0] != '(' || body[2] != ')' {
		return 0, false, &Error{Op: op, Offset: j, Reason: `field does not start with "(T)"`}
	}
	t := Type(body[1] - '0')
	if t > 5 {
		return 0, false, &Error{Op: op, Offset: j + 1, Reason: "invalid field type " + string(body[1:2])}
	}
	eq := nameEnd(body[3:n])
	if eq <= 0 {
		if eq == 0 {
			return 0, false, &Error{Op: op, Offset: j + 3, Reason: "field has no name"}
		}
		return 0, false, &Error{Op: op, Offset: j + 3, Reason: "name holds LF or NUL, or no '='"}
	}
	valOff := j + 3 + eq + 1
	var flags uint8
	if t == String {
		var nul bool
		if flags, nul = scanString(b[valOff : j+n]); nul {
			return 0, false, &Error{Op: op, Offset: valOff, Field: string(body[3 : 3+eq]), Reason: "string holds a NUL byte"}
		}
	} else if msg := checkValue(t, b[valOff:j+n], depth, 0); msg != "" {
		return 0, false, &Error{Op: op, Offset: valOff, Field: string(body[3 : 3+eq]), Reason: msg}
	}
	m.fields = append(m.fields, field{
		name:  span{uint32(j + 3), uint32(eq)},
		value: span{uint32(valOff), uint32(j + n - valOff)},
		typ:   t,
		flags: flags,
	})
	return j + n + 1, false, nil
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

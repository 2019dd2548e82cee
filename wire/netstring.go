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
	// scanFields takes lengths below 1 000, far under MaxUncompressed.
	// It comes first, so that a message it takes whole costs two calls.
	if depth > MaxDepth || len(b) < len(netstringStart) || string(b[:len(netstringStart)]) != netstringStart {
		return m.parseNetstring(b, depth, true) // its error
	}
	nf, i, done := scanFields(b, len(netstringStart), m.fields)
	m.fields = m.fields[:nf]
	if done {
		return i, nil
	}
	return m.parseFields(b, i, depth, true)
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
	if fast {
		var nf int
		var done bool
		if nf, i, done = scanFields(b, i, m.fields); done {
			m.fields = m.fields[:nf]
			return i, nil
		}
		m.fields = m.fields[:nf]
	}
	return m.parseFields(b, i, depth, fast)
}

// parseFields parses the fields from offset i of b, where scanFields (when
// fast) stopped, to the end marker: a field with parseField, then the
// fields after it with scanFields.
func (m *Message) parseFields(b []byte, i, depth int, fast bool) (int, error) {
	for {
		var done bool
		var err error
		if i, done, err = m.parseField(b, i, depth); done || err != nil {
			return i, err
		}
		if fast {
			var nf int
			nf, i, done = scanFields(b, i, m.fields)
			m.fields = m.fields[:nf]
			if done {
				return i, nil
			}
		}
	}
}

// scanFields writes after fields, in their capacity, the fields from
// offset i of b on that take the common path, and returns how many fields
// there are then (the caller reslices: a length store, no write barrier).
// The common path: a length of 1 to 3 digits with no leading zero, "(T)"
// with T a string or binary field, a name of 1 to 15 bytes, a string value
// with no byte below 0x14 (NUL, LF and 0x13 are), room left in fields, at
// least 15 bytes from the field's start to the end of b. It stops at the
// end marker (returning the offset past it and true) or at the first
// field it doubts (returning its offset and false): it accepts nothing
// parseField refuses, and makes no call, so nothing is spilled around one.
//
// Its cost is instructions and spilled registers. Cachegrind counts, for
// the §12 status message: 2 223 instructions with a digit loop and a
// bounds-checked load per word; 1 617 with one view of b checked once for
// the length, ":(T)" and the name's first word, and a string's name and
// value checked for low bytes together; 1 318 with the digits' count
// found by where ":(T)" is (which checks the type too), the ',' and the
// name's start counted from i, a name's length from one TrailingZeros64,
// "no name, or '=' past the body" as one sign test, and the field
// written, in one store for its type, before the low bytes are checked;
// 1 294 now, two digits checked and converted as one 16-bit word. Small
// rewrites move the spills around, so measure each: writing the field
// early cost 30 instructions before field.meta and saved 74 after; a loop
// over a subslice cost 4. Tried and dropped (each 15 to 360 more): a second,
// leaner loop for two-digit fields, a call for the other fields, two
// passes (lengths, then names), masks read from memory, '=' and ','
// checks rewritten as unsigned compares, the loop's tests swapped.
func scanFields(b []byte, i int, fields []field) (nf, next int, done bool) {
	const (
		ones  = 0x0101010101010101
		eqs   = '=' * ones
		lows  = 0x14 * ones
		highs = 0x80 * ones
		// ":(0)" or ":(1)" (a string or binary field) read
		// little-endian, the bit between '0' and '1' masked out.
		typeMask = 0xfffeffff
		typeWant = ')'<<24 | '0'<<16 | '('<<8 | ':'
	)
	// Fields are written in place, up to the capacity.
	fs := fields[:cap(fields)]
	nf = len(fields)
	// With cap(b) == len(b) one bound serves both checks.
	b = b[:len(b):len(b)]
	for nf < len(fs) && i+15 <= len(b) {
		// The length. A body has at least 3 bytes, so no valid length
		// starts with 0. ":(T)" and the name's first word are read
		// from the same view, at the length's end.
		v := (*[15]byte)(b[i : i+15])
		// The digits' count is where ":(T)" is: after two (most
		// fields), one or three.
		var end, s int // the ',' after the body, the name's start
		var nw uint64  // the name's first word
		var t uint32   // the type, as field.meta holds it
		if w := binary.LittleEndian.Uint64(v[2:10]); w&typeMask == typeWant {
			// Both digits at once: a byte above '9' sets its top
			// bit when 0x46 is added, one below '1' (the first)
			// or '0' when subtracted, and a byte that carries or
			// borrows is itself refused. Times 0xa01, the second
			// byte is 10*first + second.
			x := uint(binary.LittleEndian.Uint16(v[0:2]))
			if ((x+0x4646)|(x-0x3031))&0x8080 != 0 {
				break
			}
			end = i + 3 + int((x-0x3030)*0xa01>>8&0xff)
			s = i + 6
			t = uint32(w>>16) & 1
			nw = binary.LittleEndian.Uint64(v[6:14])
		} else if w := binary.LittleEndian.Uint64(v[1:9]); w&typeMask == typeWant {
			n := int(v[0]) - '1'
			if uint(n) > 8 {
				break
			}
			end = i + n + 3
			s = i + 5
			t = uint32(w>>16) & 1
			nw = binary.LittleEndian.Uint64(v[5:13])
		} else if w := binary.LittleEndian.Uint64(v[3:11]); w&typeMask == typeWant {
			// Three digits. Four or more, a body of 1 000 bytes or
			// more, go to parseField, whose call costs less than
			// checking such a value.
			n, d, e := int(v[0])-'1', v[1]-'0', v[2]-'0'
			if uint(n) > 8 || d > 9 || e > 9 {
				break
			}
			end = i + n*100 + int(d)*10 + int(e) + 104
			s = i + 7
			t = uint32(w>>16) & 1
			nw = binary.LittleEndian.Uint64(v[7:15])
		} else {
			break
		}
		// The ',' after the body, then the name's '=' a word at a time.
		if uint(end) >= uint(len(b)) || b[end] != ',' {
			break
		}
		eq := zeroBytes(nw ^ eqs)
		k := bits.TrailingZeros64(eq) >> 3 // 8 if no '='
		if eq == 0 {
			// A name of 8 bytes or more ("protocol").
			if len(b)-s < 16 || lowBytes(nw) != 0 {
				break
			}
			nw = le64(b, s+8)
			if eq = zeroBytes(nw ^ eqs); eq == 0 {
				break
			}
			k += bits.TrailingZeros64(eq) >> 3
		}
		valOff := s + 1 + k
		if (k-1)|(end-valOff) < 0 { // no name, or the '=' is past the body
			break
		}
		// The field is written before its last check, so fewer values
		// are held through it; if that check doubts it, it is not
		// counted, and the next field or parseField overwrites it.
		f := &fs[nf]
		f.name = span{uint32(s), uint32(k)}
		f.value = span{uint32(valOff), uint32(end - valOff)}
		f.meta = t
		// A string field has no byte below 0x14 from its name to its
		// ',': the name's first 8 bytes (nw, or checked above for a
		// longer name), the words from its 9th byte on, and the word
		// ending at the ','. A short body's words reach into the
		// field after it or the length before it (a field with a
		// byte below 0x14 there goes to parseField).
		//
		// A binary field's name has no such byte below its '=': a
		// byte below 0x14 borrows and has its top bit clear; with none
		// below it in the word, no byte does both, so a bit of
		// lowBytes below the '=' is a real one. Names holding one (NUL
		// and LF among them) go to parseField.
		if t == uint32(String) {
			low := (nw - lows) &^ nw
			wl := le64(b, end-8)
			low |= (wl - lows) &^ wl
			for q := s + 8; q < end-8; q += 8 {
				w := le64(b, q)
				low |= (w - lows) &^ w
			}
			if low&highs != 0 {
				break
			}
		} else if lowBytes(nw)&(eq&-eq-1) != 0 {
			break
		}
		nf++
		i = end + 1
	}
	if len(b)-i >= len(netstringEnd) && string(b[i:i+len(netstringEnd)]) == netstringEnd {
		return nf, i + len(netstringEnd), true
	}
	return nf, i, false
}

// le64 reads the 8 bytes at b[i:] little-endian: one load.
func le64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8 : i+8]) }

// lowBytes sets the top bit of each byte of w below 0x14 (NUL, LF and 0x13
// among them). The lowest bit set is exact; a byte above a low byte may be
// marked falsely (by the borrow); with no low byte, none is marked.
func lowBytes(w uint64) uint64 {
	return (w - 0x1414141414141414) &^ w & 0x8080808080808080
}

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
		meta:  fieldMeta(t, 0, flags),
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

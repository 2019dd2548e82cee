package wire

import "bytes"

// span locates bytes of a message: in the decoded input (src) or, when the
// top bit of off is set, in the message's own buffer. Offsets rather than
// slices keep fields pointer-free, so decoding writes no pointers and the
// garbage collector never scans a field table.
type span struct{ off, n uint32 }

const inBuf = 1 << 31

// field is a message entry as stored.
type field struct {
	name, value span
	// meta is the type, classicDepth and flags (see fieldMeta) in one
	// word, which the decoder's fast path writes with one store where
	// three byte fields took six instructions.
	meta uint32
}

// fieldMeta packs a field's type; its classicDepth, 1+d when the value is
// a nested message in classic form whose line terminators are
// depthSymbol[d], 0 for netstring; and its flags, what a string value
// holds, learnt once when the field was decoded or added, so encoding is a
// plain copy.
func fieldMeta(t Type, classicDepth, flags uint8) uint32 {
	return uint32(t) | uint32(classicDepth)<<8 | uint32(flags)<<16
}

func (f *field) typ() Type           { return Type(f.meta) }
func (f *field) classicDepth() uint8 { return uint8(f.meta >> 8) }
func (f *field) flags() uint8        { return uint8(f.meta >> 16) }

const (
	hasEscapedLF uint8 = 1 << iota // the value holds 0x13
	hasLF                          // the value holds LF
)

// scanString returns the flags of a string value and whether it holds a
// NUL, in one pass for the short values heartbeat's messages are made of.
func scanString(v []byte) (flags uint8, nul bool) {
	if len(v) > 64 {
		if bytes.IndexByte(v, escapedLF) >= 0 {
			flags |= hasEscapedLF
		}
		if bytes.IndexByte(v, '\n') >= 0 {
			flags |= hasLF
		}
		return flags, bytes.IndexByte(v, 0) >= 0
	}
	for _, c := range v {
		if c < 0x14 {
			switch c {
			case 0:
				nul = true
			case '\n':
				flags |= hasLF
			case escapedLF:
				flags |= hasEscapedLF
			}
		}
	}
	return flags, nul
}

// Field is one (name, type, value) entry of a message.
//
// Name and Value are views: into the decoded packet, or into the Message's
// own buffer for fields added with Add* or converted while decoding. They stay
// valid until the packet buffer is reused or the Message is Reset or decoded
// into again.
//
// Value holds the field in its logical form, except where noted:
//   - String: the text, in which 0x13 stands for LF (see [Field.AppendText]);
//   - Binary, Compressed: the raw bytes (base64 already decoded);
//   - List: the packed list "len:bytes," (see [Field.List]);
//   - Struct, Uncompressed: the nested message as it was received, netstring
//     ("###\n…%%%\n") or classic text escaped for its depth (see
//     [Field.Nested]).
type Field struct {
	Name  []byte
	Value []byte
	Type  Type

	classicDepth uint8
}

// Is reports whether the field is named name.
func (f Field) Is(name string) bool { return string(f.Name) == name }

// AppendText appends a string field's text to dst, with the escaped LFs
// (0x13) turned back into LF as heartbeat does on every decode.
func (f Field) AppendText(dst []byte) []byte {
	return appendUnescaped(dst, f.Value)
}

func appendUnescaped(dst, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, escapedLF)
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, '\n')
		v = v[i+1:]
	}
}

// Nested decodes a Struct or Uncompressed field's message into into.
// into's views point into f.Value.
func (f Field) Nested(into *Message) error {
	if f.Type != Struct && f.Type != Uncompressed {
		return &Error{Op: "nested", Offset: -1, Field: string(f.Name), Reason: "not a nested message"}
	}
	into.Reset()
	into.src = f.Value
	if f.classicDepth > 0 {
		_, err := into.decodeClassic(f.Value, int(f.classicDepth))
		return err
	}
	_, err := into.decodeNetstring(f.Value, 1)
	return err
}

// List returns an iterator over a List field's elements.
func (f Field) List() ListIter { return ListIter{rest: f.Value} }

// Message is an ordered list of fields. Duplicate names are legal; lookups
// return the first match, as in heartbeat.
//
// The zero Message is ready to use. A Message reused across decodes keeps its
// capacity, so decoding into it allocates nothing once it has grown to the
// largest message seen.
type Message struct {
	fields []field
	// err is the first invalid field added; encoding reports it.
	err error
	// src is the decoded input the fields' spans point into.
	src []byte
	// buf holds the bytes of fields added with Add* and values converted
	// while decoding (classic base64). Reset truncates it.
	buf []byte
}

// Reset empties the message, keeping its capacity.
func (m *Message) Reset() {
	m.fields = m.fields[:0]
	m.err = nil
	m.src = nil
	m.buf = m.buf[:0]
}

// Len returns the number of fields.
func (m *Message) Len() int { return len(m.fields) }

func (m *Message) bytes(s span) []byte {
	if s.off&inBuf != 0 {
		o := s.off &^ inBuf
		return m.buf[o : o+s.n : o+s.n]
	}
	return m.src[s.off : s.off+s.n : s.off+s.n]
}

func (m *Message) name(i int) []byte  { return m.bytes(m.fields[i].name) }
func (m *Message) value(i int) []byte { return m.bytes(m.fields[i].value) }

// At returns field i.
func (m *Message) At(i int) Field {
	f := &m.fields[i]
	return Field{Name: m.bytes(f.name), Value: m.bytes(f.value), Type: f.typ(), classicDepth: f.classicDepth()}
}

// Index returns the position of the first field named name, or -1.
func (m *Message) Index(name string) int {
	// Lengths first: most names differ in length, and a receiver looks up
	// absent fields (dest, _compressed) in every status.
	n := uint32(len(name))
	for i := range m.fields {
		if f := &m.fields[i]; f.name.n == n && string(m.bytes(f.name)) == name {
			return i
		}
	}
	return -1
}

// Get returns the first field named name.
func (m *Message) Get(name string) (Field, bool) {
	i := m.Index(name)
	if i < 0 {
		return Field{}, false
	}
	return m.At(i), true
}

// Value returns the raw value of the first field named name, or nil.
func (m *Message) Value(name string) []byte {
	if i := m.Index(name); i >= 0 {
		return m.value(i)
	}
	return nil
}

// Type returns the value of the "t" field, the message type.
func (m *Message) Type() []byte { return m.Value(FieldType) }

// Hex parses the first field named name as heartbeat reads it with %lx.
func (m *Message) Hex(name string) (uint64, bool) {
	v := m.Value(name)
	if v == nil {
		return 0, false
	}
	return ParseHex(v)
}

// hasNested reports whether the message holds a field of type 2, 4 or 5;
// heartbeat then never builds the classic inner auth field.
func (m *Message) hasNested() bool {
	for i := range m.fields {
		switch m.fields[i].typ() {
		case Struct, Compressed, Uncompressed:
			return true
		}
	}
	return false
}

// srcSpan locates b, a sub-slice of m.src.
func (m *Message) srcSpan(off, n int) span { return span{uint32(off), uint32(n)} }

// own copies b into the message's buffer.
func (m *Message) own(b []byte) span {
	start := len(m.buf)
	m.buf = append(m.buf, b...)
	return span{uint32(start) | inBuf, uint32(len(b))}
}

func (m *Message) ownString(s string) span {
	start := len(m.buf)
	m.buf = append(m.buf, s...)
	return span{uint32(start) | inBuf, uint32(len(s))}
}

// Add appends a field, copying name and value into the message. An invalid
// field (a name that is empty or holds '=', LF or NUL, a string holding NUL,
// a malformed list or nested message, an unknown type) is kept, and makes
// every later encoding of the message fail with the reason.
func (m *Message) Add(name string, t Type, value []byte) {
	m.fields = append(m.fields, m.newField(m.ownString(name), t, m.own(value)))
}

// AddString appends a string field.
func (m *Message) AddString(name, value string) {
	m.fields = append(m.fields, m.newField(m.ownString(name), String, m.ownString(value)))
}

// AddHex appends a string field holding v in lowercase hex, as heartbeat
// writes seq, hg, ts, dt and ackseq.
func (m *Message) AddHex(name string, v uint64) {
	n := m.ownString(name)
	start := len(m.buf)
	m.buf = appendHex(m.buf, v)
	m.fields = append(m.fields, m.newField(n, String, span{uint32(start) | inBuf, uint32(len(m.buf) - start)}))
}

// AddMessage appends a nested message field of type Struct or Uncompressed.
func (m *Message) AddMessage(name string, t Type, child *Message) error {
	start := len(m.buf)
	var err error
	m.buf, err = AppendNetstring(m.buf, child)
	if err != nil {
		m.buf = m.buf[:start]
		return err
	}
	v := span{uint32(start) | inBuf, uint32(len(m.buf) - start)}
	m.fields = append(m.fields, field{name: m.ownString(name), value: v, meta: fieldMeta(t, 0, 0)})
	if !validName(m.bytes(m.fields[len(m.fields)-1].name)) {
		m.invalid(name, "empty name, or name holds '=', LF or NUL")
	}
	return nil
}

// newField validates a field being added and learns its flags.
func (m *Message) newField(name span, t Type, value span) field {
	f := field{name: name, value: value, meta: fieldMeta(t, 0, 0)}
	if !validName(m.bytes(name)) {
		m.invalid(string(m.bytes(name)), "empty name, or name holds '=', LF or NUL")
	}
	if t > Uncompressed {
		m.invalid(string(m.bytes(name)), "invalid field type")
	}
	if t == String {
		flags, nul := scanString(m.bytes(value))
		if nul {
			m.invalid(string(m.bytes(name)), "string holds a NUL byte")
		}
		f.meta = fieldMeta(t, 0, flags)
	} else if msg := checkValue(t, m.bytes(value), 0, 0); msg != "" {
		m.invalid(string(m.bytes(name)), msg)
	}
	return f
}

func (m *Message) invalid(name, reason string) {
	if m.err == nil {
		m.err = &Error{Op: "encode", Offset: -1, Field: name, Reason: reason}
	}
}

// validName reports whether name is non-empty and free of '=', LF and NUL.
// Names are short: one byte loop beats several IndexByte calls.
func validName(name []byte) bool {
	for _, c := range name {
		if c == '=' || c == '\n' || c == 0 {
			return false
		}
	}
	return len(name) > 0
}

// Set replaces the value of the first field named name in place (keeping
// its position), or appends the field: heartbeat's modify-or-append.
func (m *Message) Set(name string, t Type, value []byte) {
	if i := m.Index(name); i >= 0 {
		m.fields[i] = m.newField(m.fields[i].name, t, m.own(value))
		return
	}
	m.Add(name, t, value)
}

// SetString is Set for a string field.
func (m *Message) SetString(name, value string) {
	if i := m.Index(name); i >= 0 {
		m.fields[i] = m.newField(m.fields[i].name, String, m.ownString(value))
		return
	}
	m.AddString(name, value)
}

// SetHex is Set for a hex number.
func (m *Message) SetHex(name string, v uint64) {
	var tmp [16]byte
	m.Set(name, String, appendHex(tmp[:0], v))
}

// Remove deletes field i.
func (m *Message) Remove(i int) {
	m.fields = append(m.fields[:i], m.fields[i+1:]...)
}

// CopyFrom makes m a deep copy of src, owning all its bytes.
func (m *Message) CopyFrom(src *Message) {
	m.Reset()
	for i := range src.fields {
		f := &src.fields[i]
		m.fields = append(m.fields, field{
			name: m.own(src.bytes(f.name)), value: m.own(src.bytes(f.value)),
			meta: f.meta,
		})
	}
	m.err = src.err
}

package wire

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// A native body is the message's fields in order, each as
//
//	type (1 byte) | name length (1 byte) | value length (uvarint) | name | value
//
// with the value in the logical form Message keeps (strings with 0x13 for
// LF, binary and compressed values raw, lists packed, nested messages in
// netstring form). Nothing is text to parse: a field costs two byte reads,
// a varint and two bounds checks.

// AppendNative appends m as a native packet signed with the signing slot,
// marked with that slot's cluster id and srcIndex (the sender's position in
// the sorted node list, or NoSrcIndex). The generation and sequence in the
// header are copied from m's hg and seq fields. It allocates nothing once
// dst has grown, unless m holds a nested message in classic form.
func (k *Keyring) AppendNative(dst []byte, m *Message, srcIndex uint16) ([]byte, error) {
	if m.err != nil {
		return dst, m.err
	}
	if k.sign < 0 {
		return dst, errNoSigner
	}
	s := &k.slots[k.sign]
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, NativeMagic)
	dst = append(dst, NativeVersion, byte(k.sign), 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, s.cluster)
	dst = binary.BigEndian.AppendUint16(dst, srcIndex)
	dst = append(dst, 0, 0) // body length, set below
	gen, _ := m.Hex(FieldGeneration)
	seq, _ := m.Hex(FieldSeq)
	dst = binary.BigEndian.AppendUint64(dst, gen)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	body := len(dst)
	for i := range m.fields {
		f := &m.fields[i]
		name, value := m.bytes(f.name), m.bytes(f.value)
		if len(name) > 255 {
			return dst[:start], &Error{Op: "encode native", Offset: -1, Field: string(name), Reason: "name longer than 255 bytes"}
		}
		if f.classicDepth() > 0 {
			v, err := convertNested(m.At(i), 0, -1)
			if err != nil {
				return dst[:start], err
			}
			value = v
		}
		dst = append(dst, byte(f.typ()), byte(len(name)))
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		dst = append(dst, name...)
		dst = append(dst, value...)
	}
	n := len(dst) - body
	if n > NativeMaxBody {
		return dst[:start], errNativeTooLarge
	}
	binary.BigEndian.PutUint16(dst[start+NativeOffBodyLen:], uint16(n))
	s.native.Reset()
	s.native.Write(dst[start:])
	return s.native.Sum(dst), nil
}

var errNativeTooLarge = &Error{Op: "encode native", Offset: -1, Reason: "body longer than 65535 bytes"}

// decodeNative parses a native packet into p: the header, then the body's
// fields as views into b. It checks the framing, not the MAC.
func (p *Packet) decodeNative(b []byte) error {
	const op = "decode native"
	if len(b) < NativeHeaderLen+NativeMACLen {
		return &Error{Op: op, Offset: 0, Reason: "shorter than a native header and MAC"}
	}
	if b[NativeOffVersion] != NativeVersion {
		return &Error{Op: op, Offset: NativeOffVersion, Reason: "unknown native version " + fmt.Sprint(b[NativeOffVersion])}
	}
	if binary.BigEndian.Uint16(b[NativeOffFlags:]) != 0 {
		return &Error{Op: op, Offset: NativeOffFlags, Reason: "unknown native flags"}
	}
	n := int(binary.BigEndian.Uint16(b[NativeOffBodyLen:]))
	end := NativeHeaderLen + n
	if end+NativeMACLen != len(b) {
		return &Error{Op: op, Offset: NativeOffBodyLen, Reason: "body length does not match the datagram"}
	}
	p.Format = Native
	p.Signed = b[:end]
	p.Auth = b[end:]
	m := &p.Msg
	for i := NativeHeaderLen; i < end; {
		if end-i < 3 {
			return &Error{Op: op, Offset: i, Reason: "truncated field header"}
		}
		t := Type(b[i])
		if t > Uncompressed {
			return &Error{Op: op, Offset: i, Reason: "invalid field type " + fmt.Sprint(b[i])}
		}
		nameLen := int(b[i+1])
		vlen, k := binary.Uvarint(b[i+2 : end])
		if k <= 0 {
			return &Error{Op: op, Offset: i + 2, Reason: "bad value length"}
		}
		nameOff := i + 2 + k
		if vlen > uint64(end-nameOff-nameLen) || nameOff+nameLen > end {
			return &Error{Op: op, Offset: i, Reason: "field runs past the end of the body"}
		}
		valOff := nameOff + nameLen
		name, value := b[nameOff:valOff], b[valOff:valOff+int(vlen)]
		if !validName(name) {
			return &Error{Op: op, Offset: nameOff, Reason: "empty name, or name holds '=', LF or NUL"}
		}
		var flags uint8
		if t == String {
			var nul bool
			if flags, nul = scanString(value); nul {
				return &Error{Op: op, Offset: valOff, Field: string(name), Reason: "string holds a NUL byte"}
			}
		} else if msg := checkValue(t, value, 0, 0); msg != "" {
			return &Error{Op: op, Offset: valOff, Field: string(name), Reason: msg}
		}
		m.fields = append(m.fields, field{
			name:  span{uint32(nameOff), uint32(nameLen)},
			value: span{uint32(valOff), uint32(vlen)},
			meta:  fieldMeta(t, 0, flags),
		})
		i = valOff + int(vlen)
	}
	return nil
}

// verifyNative checks a native packet's MAC with the key of the slot its
// header names.
func (k *Keyring) verifyNative(p *Packet) error {
	slot := int(p.Signed[NativeOffKeySlot])
	if slot >= MaxSlots || k.slots[slot].method == NoMethod {
		return errAuthSlot
	}
	s := &k.slots[slot]
	if binary.BigEndian.Uint32(p.Signed[NativeOffCluster:]) != s.cluster {
		return errAuthCluster
	}
	s.native.Reset()
	s.native.Write(p.Signed)
	if subtle.ConstantTimeCompare(s.native.Sum(k.sum[:0]), p.Auth) != 1 {
		return errAuthDigest
	}
	return nil
}

var errAuthCluster = fmt.Errorf("%w: foreign cluster id", ErrAuth)

// NativeHeader is the fixed part of a native packet, for logs and tools.
type NativeHeader struct {
	Version    uint8
	KeySlot    uint8
	Flags      uint16
	Cluster    uint32
	SrcIndex   uint16
	BodyLen    uint16
	Generation uint64
	Seq        uint64
}

// ParseNativeHeader reads the header of a native packet.
func ParseNativeHeader(b []byte) (NativeHeader, bool) {
	if !IsNative(b) || len(b) < NativeHeaderLen {
		return NativeHeader{}, false
	}
	be := binary.BigEndian
	return NativeHeader{
		Version:    b[NativeOffVersion],
		KeySlot:    b[NativeOffKeySlot],
		Flags:      be.Uint16(b[NativeOffFlags:]),
		Cluster:    be.Uint32(b[NativeOffCluster:]),
		SrcIndex:   be.Uint16(b[NativeOffSrcIndex:]),
		BodyLen:    be.Uint16(b[NativeOffBodyLen:]),
		Generation: be.Uint64(b[NativeOffGeneration:]),
		Seq:        be.Uint64(b[NativeOffSeq:]),
	}, true
}

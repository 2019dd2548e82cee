package wire

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
)

// Compression is one of heartbeat's compression plugins.
type Compression uint8

const (
	Zlib Compression = iota + 1 // zlib.so: compress() at the default level
	Bz2                         // bz2.so: BZ2_bzBuffToBuffCompress, block size 1
)

// ErrUnsupported is returned for what hbd cannot do: compressing with bz2
// (no bzip2 encoder is available to hbd; it decompresses bz2 fine).
var ErrUnsupported = errors.New("not supported")

// ParseCompression maps a plugin name (ha.cf compression, or a message's
// _compression_algorithm) to a Compression.
func ParseCompression(name []byte) (Compression, bool) {
	switch string(name) {
	case "zlib":
		return Zlib, true
	case "bz2":
		return Bz2, true
	}
	return 0, false
}

func (c Compression) String() string {
	switch c {
	case Zlib:
		return "zlib"
	case Bz2:
		return "bz2"
	}
	return "none"
}

// AppendCompressed appends the compressed form of src to dst.
func AppendCompressed(dst, src []byte, c Compression) ([]byte, error) {
	if c != Zlib {
		return dst, fmt.Errorf("wire: %s compression: %w", c, ErrUnsupported)
	}
	buf := bytes.NewBuffer(dst)
	w := zlib.NewWriter(buf)
	if _, err := w.Write(src); err != nil {
		return dst, fmt.Errorf("wire: zlib: %w", err)
	}
	if err := w.Close(); err != nil {
		return dst, fmt.Errorf("wire: zlib: %w", err)
	}
	return buf.Bytes(), nil
}

// AppendDecompressed appends the decompressed form of src to dst, failing
// if it exceeds MaxUncompressed bytes, heartbeat's limit.
func AppendDecompressed(dst, src []byte, c Compression) ([]byte, error) {
	var r io.Reader
	switch c {
	case Zlib:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return dst, fmt.Errorf("wire: zlib: %w", err)
		}
		defer zr.Close()
		r = zr
	case Bz2:
		r = bzip2.NewReader(bytes.NewReader(src))
	default:
		return dst, fmt.Errorf("wire: unknown compression %d", c)
	}
	buf := bytes.NewBuffer(dst)
	n, err := buf.ReadFrom(io.LimitReader(r, MaxUncompressed+1))
	if err != nil {
		return dst, fmt.Errorf("wire: %s: %w", c, err)
	}
	if n > MaxUncompressed {
		return dst, &Error{Op: "decompress", Offset: -1, Reason: "decompressed message exceeds 2 MiB"}
	}
	return buf.Bytes(), nil
}

// serializeForCompression writes a child message as heartbeat does before
// compressing it: classic text with its trailing NUL when msgfmt is classic
// and the child has no nested field, netstring otherwise.
func serializeForCompression(dst []byte, child *Message, classic bool) ([]byte, error) {
	if classic && !child.hasNested() {
		dst, err := AppendClassic(dst, child)
		return append(dst, 0), err
	}
	return AppendNetstring(dst, child)
}

// CompressFields replaces every Uncompressed (type 5) field of m in place
// by a Compressed (type 4) field holding the compressed serialized child,
// and sets _compression_algorithm on m (appended the first time), as
// heartbeat does when it sends a client's message.
func (m *Message) CompressFields(c Compression, classic bool) error {
	for i := range m.fields {
		if m.fields[i].typ() != Uncompressed {
			continue
		}
		var child Message
		if err := m.At(i).Nested(&child); err != nil {
			return err
		}
		text, err := serializeForCompression(nil, &child, classic)
		if err != nil {
			return err
		}
		z, err := AppendCompressed(nil, text, c)
		if err != nil {
			return err
		}
		m.fields[i] = field{name: m.fields[i].name, value: m.own(z), meta: fieldMeta(Compressed, 0, 0)}
		m.SetString(FieldCompressionAlgorithm, c.String())
	}
	return nil
}

// Decompress decodes a Compressed field's message into into, using the
// algorithm named by the parent message's _compression_algorithm. into's
// views point into the returned buffer, which reuses scratch.
func (m *Message) Decompress(f Field, into *Message, scratch []byte) ([]byte, error) {
	if f.Type != Compressed {
		return scratch, &Error{Op: "decompress", Offset: -1, Field: string(f.Name), Reason: "not a compressed field"}
	}
	return decompressInto(m.Value(FieldCompressionAlgorithm), f.Value, into, scratch)
}

func decompressInto(alg, z []byte, into *Message, scratch []byte) ([]byte, error) {
	c, ok := ParseCompression(alg)
	if !ok {
		return scratch, &Error{Op: "decompress", Offset: -1, Reason: fmt.Sprintf("unknown compression algorithm %q", alg)}
	}
	text, err := AppendDecompressed(scratch[:0], z, c)
	if err != nil {
		return scratch, err
	}
	if _, err := into.Decode(text); err != nil {
		return text, err
	}
	return text, nil
}

// Compress makes whole the message heartbeat sends instead of m when m is
// too large (or traditional_compression applies): exactly the two fields
// (1)_compressed_payload and (0)_compression_algorithm.
func (whole *Message) Compress(m *Message, c Compression, classic bool) error {
	text, err := serializeForCompression(nil, m, classic)
	if err != nil {
		return err
	}
	z, err := AppendCompressed(nil, text, c)
	if err != nil {
		return err
	}
	whole.Reset()
	whole.Add(FieldCompressedPayload, Binary, z)
	whole.AddString(FieldCompressionAlgorithm, c.String())
	return nil
}

// Uncompress undoes whole-message compression: if m carries a binary
// _compressed_payload, the decompressed message is decoded into into (no
// authentication: the outer packet was authenticated) and ok is true.
func (m *Message) Uncompress(into *Message, scratch []byte) (buf []byte, ok bool, err error) {
	f, found := m.Get(FieldCompressedPayload)
	if !found || f.Type != Binary {
		return scratch, false, nil
	}
	buf, err = decompressInto(m.Value(FieldCompressionAlgorithm), f.Value, into, scratch)
	return buf, true, err
}

// HasUncompressed reports whether m has a field of type Uncompressed (5),
// which heartbeat compresses whenever it sends the message.
func (m *Message) HasUncompressed() bool {
	for i := range m.fields {
		if m.fields[i].typ() == Uncompressed {
			return true
		}
	}
	return false
}

// IsTooLarge reports whether err is Keyring.AppendPacket's refusal of a
// message of MaxMessage bytes or more (which heartbeat compresses whole).
func IsTooLarge(err error) bool { return err == errTooLarge }

// WireLen is the length heartbeat's msg2wirefmt compares with
// compression_threshold and MAXMSG: the classic text with its NUL when
// classic (msgfmt classic, which m's inner auth field, if any, is part
// of) and m has no nested field, the netstring form otherwise. scratch is
// reused and returned.
func (m *Message) WireLen(classic bool, scratch []byte) (int, []byte, error) {
	var err error
	if classic && !m.hasNested() {
		scratch, err = AppendClassic(scratch[:0], m)
		return len(scratch) + 1, scratch, err
	}
	scratch, err = AppendNetstring(scratch[:0], m)
	return len(scratch), scratch, err
}

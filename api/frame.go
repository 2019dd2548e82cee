package api

import (
	"encoding/binary"
	"fmt"

	"github.com/hbd-ha/hbd/wire"
)

// FrameError is a framing violation: the stream cannot be trusted past
// Offset, so the connection is closed.
type FrameError struct {
	Offset int // byte offset of the bad header in the stream
	Reason string
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("api: IPC frame at byte %d: %s", e.Offset, e.Reason)
}

// SplitFrame looks for one frame at the start of b. It returns the body
// (a view into b) and the frame's total length, or n == 0 and a nil error
// when b holds only part of a frame, or an error for a bad magic number or
// length, which cluster-glue also treats as a broken channel.
func SplitFrame(b []byte) (body []byte, n int, err error) {
	if len(b) < HeaderLen {
		return nil, 0, nil
	}
	length := int32(binary.NativeEndian.Uint32(b[0:4]))
	if magic := binary.NativeEndian.Uint32(b[4:8]); magic != Magic {
		return nil, 0, &FrameError{Reason: fmt.Sprintf("magic %#x, want %#x", magic, Magic)}
	}
	if length < 0 || length > MaxMessage {
		return nil, 0, &FrameError{Reason: fmt.Sprintf("body length %d outside [0, %d]", length, MaxMessage)}
	}
	end := HeaderLen + int(length)
	if len(b) < end {
		return nil, 0, nil
	}
	return b[HeaderLen:end:end], end, nil
}

// frameLen returns the total length of the frame whose header starts b,
// once SplitFrame has accepted the header (len(b) ≥ HeaderLen).
func frameLen(b []byte) int {
	return HeaderLen + int(int32(binary.NativeEndian.Uint32(b[0:4])))
}

// AppendFrame appends m as one IPC frame, encoded as libplumb's
// msg2ipcchan does: classic text with its trailing NUL, or the netstring
// form (no auth trailer) when netstring is set or m holds a nested or
// compressed field, which classic text cannot carry.
func AppendFrame(dst []byte, m *wire.Message, netstring bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	var err error
	if netstring || mustUseNetstring(m) {
		dst, err = wire.AppendNetstring(dst, m)
	} else {
		dst, err = wire.AppendClassic(dst, m)
		dst = append(dst, 0)
	}
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - HeaderLen
	if n > MaxMessage {
		return dst[:start], fmt.Errorf("api: message of %d bytes exceeds %d", n, MaxMessage)
	}
	binary.NativeEndian.PutUint32(dst[start:], uint32(n))
	binary.NativeEndian.PutUint32(dst[start+4:], Magic)
	return dst, nil
}

// AppendRawFrame appends body as one frame, unchecked: tests use it to send
// what a broken client would.
func AppendRawFrame(dst []byte, length int32, magic uint32, body []byte) []byte {
	dst = binary.NativeEndian.AppendUint32(dst, uint32(length))
	dst = binary.NativeEndian.AppendUint32(dst, magic)
	return append(dst, body...)
}

// mustUseNetstring is libplumb's must_use_netstring.
func mustUseNetstring(m *wire.Message) bool {
	for i := range m.Len() {
		switch m.At(i).Type {
		case wire.Struct, wire.Compressed, wire.Uncompressed:
			return true
		}
	}
	return false
}

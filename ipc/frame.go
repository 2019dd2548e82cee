package ipc

import (
	"encoding/binary"
	"fmt"
)

// Framing facts of cluster-glue's ipc.h: ONLY APPEND, never change.
const (
	HeaderLen = 8      // sizeof(struct SOCKET_MSG_HEAD): int32 length, uint32 magic
	Magic     = 0xabcd // HEADMAGIC
	// MaxFrame is cluster-glue's MAXMSG (256 KiB): the largest body
	// either side of heartbeat's sockets accepts, and the default cap.
	MaxFrame = 256 * 1024
)

// FrameError is a framing violation: the stream cannot be trusted past
// Offset, so the connection is closed.
type FrameError struct {
	Offset int // byte offset of the bad header in what was buffered
	Reason string
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("IPC frame at byte %d: %s", e.Offset, e.Reason)
}

// SplitFrame looks for one frame at the start of b whose body may be up to
// max bytes long. It returns the body (a view into b) and the frame's
// total length; or n == 0 and a nil error when b holds only part of a
// frame; or an error for a bad magic number or a length outside [0, max],
// which cluster-glue also treats as a broken channel.
func SplitFrame(b []byte, max int) (body []byte, n int, err error) {
	if len(b) < HeaderLen {
		return nil, 0, nil
	}
	length := int32(binary.NativeEndian.Uint32(b[0:4]))
	if magic := binary.NativeEndian.Uint32(b[4:8]); magic != Magic {
		return nil, 0, &FrameError{Reason: fmt.Sprintf("magic %#x, want %#x", magic, Magic)}
	}
	if length < 0 || int64(length) > int64(max) {
		return nil, 0, &FrameError{Reason: fmt.Sprintf("body length %d outside [0, %d]", length, max)}
	}
	end := HeaderLen + int(length)
	if len(b) < end {
		return nil, 0, nil
	}
	return b[HeaderLen:end:end], end, nil
}

// BeginFrame appends a header to be completed by EndFrame once the body
// has been appended after it; it returns dst and the header's offset.
func BeginFrame(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0), len(dst)
}

// EndFrame fills in the header at dst[start:] for the body that follows
// it, which may be at most max bytes; otherwise it returns dst without the
// frame and an error.
func EndFrame(dst []byte, start, max int) ([]byte, error) {
	n := len(dst) - start - HeaderLen
	if n > max {
		return dst[:start], fmt.Errorf("ipc: message of %d bytes exceeds %d", n, max)
	}
	binary.NativeEndian.PutUint32(dst[start:], uint32(n))
	binary.NativeEndian.PutUint32(dst[start+4:], Magic)
	return dst, nil
}

// AppendRawFrame appends body as one frame with the given header fields,
// unchecked: tests use it to send what a broken client would.
func AppendRawFrame(dst []byte, length int32, magic uint32, body []byte) []byte {
	dst = binary.NativeEndian.AppendUint32(dst, uint32(length))
	dst = binary.NativeEndian.AppendUint32(dst, magic)
	return append(dst, body...)
}

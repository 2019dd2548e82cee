package ipc_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hbd-ha/hbd/ipc"
)

// FuzzSplitFrame: any bytes either split into a frame whose header says
// its body's length (within the cap) and the magic, wait for more, or
// fail; never panic, and a frame re-framed gives the same bytes.
func FuzzSplitFrame(f *testing.F) {
	f.Add([]byte(nil), 16)
	f.Add(ipc.AppendRawFrame(nil, 4, ipc.Magic, []byte(">>>\n")), 16)
	f.Add(ipc.AppendRawFrame(nil, 100, ipc.Magic, []byte(">>>\n"))[:5], 16)
	f.Add(ipc.AppendRawFrame(nil, -1, ipc.Magic, nil), 16)
	f.Add(ipc.AppendRawFrame(nil, 17, ipc.Magic, make([]byte, 17)), 16)
	f.Add(ipc.AppendRawFrame(nil, 3, 0xdcba, []byte("abc")), 16)
	f.Add(ipc.AppendRawFrame(ipc.AppendRawFrame(nil, 1, ipc.Magic, []byte("a")), 2, ipc.Magic, []byte("bc")), ipc.MaxFrame)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max & (ipc.MaxFrame - 1)
		body, n, err := ipc.SplitFrame(b, max)
		switch {
		case err != nil:
			if n != 0 || body != nil {
				t.Fatalf("error %v with n=%d", err, n)
			}
			var fe *ipc.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FrameError", err)
			}
		case n == 0:
			if len(b) >= ipc.HeaderLen+max {
				t.Fatalf("%d bytes with a cap of %d reported as a partial frame", len(b), max)
			}
		default:
			if n != ipc.HeaderLen+len(body) || n > len(b) || len(body) > max || !bytes.Equal(body, b[ipc.HeaderLen:n]) {
				t.Fatalf("n=%d body %d bytes of %d, cap %d", n, len(body), len(b), max)
			}
			if again := ipc.AppendRawFrame(nil, int32(len(body)), ipc.Magic, body); !bytes.Equal(again, b[:n]) {
				t.Fatal("re-framing the body does not give the same bytes")
			}
			dst, start := ipc.BeginFrame([]byte("x"))
			dst = append(dst, body...)
			if dst, err := ipc.EndFrame(dst, start, max); err != nil || !bytes.Equal(dst[1:], b[:n]) {
				t.Fatalf("BeginFrame/EndFrame: %v", err)
			}
		}
	})
}

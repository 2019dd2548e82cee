package api

import (
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// AppendFrame appends m as one IPC frame, encoded as libplumb's
// msg2ipcchan does: classic text with its trailing NUL, or the netstring
// form (no auth trailer) when netstring is set or m holds a nested or
// compressed field, which classic text cannot carry.
func AppendFrame(dst []byte, m *wire.Message, netstring bool) ([]byte, error) {
	dst, start := ipc.BeginFrame(dst)
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
	return ipc.EndFrame(dst, start, MaxMessage)
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

package core

import (
	"bytes"
	"encoding/binary"
)

// Request sizes and offsets of libapphb's structs (amd64).
// WARNING: wire layout of cluster-glue's apphb_cs.h; never change.
const (
	TypeLen    = 8
	NameLen    = 256
	RegLen     = 788 // type, appname, appinstance, curdir, pid, uid, gid
	IntLen     = 16  // setint, setwarn, setboot: type, uint64
	regPID     = 776
	regUID     = 780
	regGID     = 784
	regName    = 8
	regInst    = 8 + NameLen
	regCurdir  = 8 + 2*NameLen
	intValueAt = 8
)

// Errno values apphbd replies with (Linux).
const (
	OK     int32 = 0
	EPERM  int32 = 1
	ESRCH  int32 = 3
	EEXIST int32 = 17
	EINVAL int32 = 22
)

// Kind is a request type.
type Kind uint8

// Request kinds.
const (
	KindUnknown Kind = iota
	KindReg
	KindSetInt
	KindSetWarn
	KindSetBoot
	KindHB
	KindUnreg
)

var kindNames = [...]string{"unknown", "reg", "setint", "setwarn", "setboot", "hb", "unreg"}

func (k Kind) String() string { return kindNames[k] }

// Req is one decoded request; Name, Instance and Curdir point into the
// frame and are valid only as long as it.
type Req struct {
	Kind          Kind
	Name          []byte
	Instance      []byte
	Curdir        []byte
	PID, UID, GID int32
	Value         uint64 // setint/setwarn ms, setboot 0/1
}

// Decode reads a request body. It reports false when the body's length
// does not fit its type (apphbd replies EINVAL); an unknown type decodes
// as KindUnknown.
func Decode(body []byte, r *Req) bool {
	*r = Req{}
	if len(body) < TypeLen {
		return false
	}
	switch string(cstr(body[:TypeLen])) {
	case "reg":
		r.Kind = KindReg
		if len(body) != RegLen {
			return false
		}
		le := binary.LittleEndian
		r.Name = cstr(body[regName : regName+NameLen])
		r.Instance = cstr(body[regInst : regInst+NameLen])
		r.Curdir = cstr(body[regCurdir : regCurdir+NameLen])
		r.PID = int32(le.Uint32(body[regPID:]))
		r.UID = int32(le.Uint32(body[regUID:]))
		r.GID = int32(le.Uint32(body[regGID:]))
		return true
	case "setint", "setwarn", "setboot":
		switch body[3] {
		case 'i':
			r.Kind = KindSetInt
		case 'w':
			r.Kind = KindSetWarn
		default:
			r.Kind = KindSetBoot
		}
		if len(body) != IntLen {
			return false
		}
		r.Value = binary.LittleEndian.Uint64(body[intValueAt:])
		return true
	case "hb":
		r.Kind = KindHB
		return len(body) == TypeLen
	case "unreg":
		r.Kind = KindUnreg
		return len(body) == TypeLen
	}
	r.Kind = KindUnknown
	return true
}

// AppendReg appends a reg body (what libapphb's apphb_register sends).
func AppendReg(dst []byte, name, inst, curdir string, pid, uid, gid int32) []byte {
	dst = appendPadded(dst, "reg", TypeLen)
	dst = appendPadded(dst, name, NameLen)
	dst = appendPadded(dst, inst, NameLen)
	dst = appendPadded(dst, curdir, NameLen)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pid))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(uid))
	return binary.LittleEndian.AppendUint32(dst, uint32(gid))
}

// AppendInt appends a setint, setwarn or setboot body.
func AppendInt(dst []byte, kind Kind, v uint64) []byte {
	dst = appendPadded(dst, kind.String(), TypeLen)
	return binary.LittleEndian.AppendUint64(dst, v)
}

// AppendBare appends an hb or unreg body.
func AppendBare(dst []byte, kind Kind) []byte { return appendPadded(dst, kind.String(), TypeLen) }

// AppendRC appends a reply body: the errno as an int32.
func AppendRC(dst []byte, rc int32) []byte { return binary.LittleEndian.AppendUint32(dst, uint32(rc)) }

func appendPadded(dst []byte, s string, n int) []byte {
	if len(s) > n-1 {
		s = s[:n-1]
	}
	dst = append(dst, s...)
	for range n - len(s) {
		dst = append(dst, 0)
	}
	return dst
}

func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

package logd

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire constants of cluster-glue's logd protocol (amd64 layout).
// WARNING: they are what ha_logd and cl_log speak; never change them.
const (
	// MsgLogit is LD_LOGIT, the only message type a client sends.
	MsgLogit = 2
	// HeaderSize is the fixed part of a record before its text.
	HeaderSize = 96
	// EntityMax is the size of the entity field (NUL-padded).
	EntityMax = 64
	// DefaultSocket is where ha_logd listens (not under /var/run).
	DefaultSocket = "/var/lib/heartbeat/log_daemon"
)

// Record is one log message. Decode fills it with Entity and Text
// pointing into the frame: they are valid only as long as the frame.
type Record struct {
	Facility  int32 // syslog facility code (already shifted: 8 = user)
	Priority  int32 // syslog priority, 0 emerg … 7 debug
	UsePriStr bool  // prefix the priority word, as cl_log does
	PID       int32
	Entity    []byte // at most EntityMax-1 bytes, no NUL
	Time      int64  // seconds since the epoch
	Text      []byte // without its NUL
}

// ErrShort and the other decoding errors name what is wrong with a frame.
var (
	ErrShort   = errors.New("logd: record shorter than its 96-byte header")
	ErrType    = errors.New("logd: not an LD_LOGIT record")
	ErrTextLen = errors.New("logd: text length does not match the frame")
)

// AppendRecord appends r's body (header and NUL-terminated text) to dst.
// An entity longer than EntityMax-1 bytes is cut, as cl_log does.
func AppendRecord(dst []byte, r *Record) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, MsgLogit)
	dst = le.AppendUint32(dst, uint32(r.Facility))
	dst = le.AppendUint32(dst, uint32(r.Priority))
	dst = le.AppendUint32(dst, uint32(len(r.Text)+1))
	var pri uint32
	if r.UsePriStr {
		pri = 1
	}
	dst = le.AppendUint32(dst, pri)
	dst = le.AppendUint32(dst, uint32(r.PID))
	ent := r.Entity
	if len(ent) > EntityMax-1 {
		ent = ent[:EntityMax-1]
	}
	dst = append(dst, ent...)
	for range EntityMax - len(ent) {
		dst = append(dst, 0)
	}
	dst = le.AppendUint64(dst, uint64(r.Time))
	dst = append(dst, r.Text...)
	return append(dst, 0)
}

// Decode fills r from a frame body. The text length in the header must
// fit the frame (cluster-glue's clients put exactly the text and its NUL
// after the header); a text that holds a NUL early ends there.
func Decode(body []byte, r *Record) error {
	if len(body) < HeaderSize {
		return ErrShort
	}
	le := binary.LittleEndian
	if t := le.Uint32(body[0:]); t != MsgLogit {
		return fmt.Errorf("%w (type %d)", ErrType, t)
	}
	r.Facility = int32(le.Uint32(body[4:]))
	r.Priority = int32(le.Uint32(body[8:]))
	n := le.Uint32(body[12:])
	r.UsePriStr = le.Uint32(body[16:]) != 0
	r.PID = int32(le.Uint32(body[20:]))
	// A full field has no NUL: keep what a C string of that size holds.
	r.Entity = cstr(body[24 : 24+EntityMax-1])
	r.Time = int64(le.Uint64(body[88:]))
	text := body[HeaderSize:]
	if n == 0 || uint64(n) > uint64(len(text)) {
		return fmt.Errorf("%w (says %d, has %d)", ErrTextLen, n, len(text))
	}
	r.Text = cstr(text[:n])
	return nil
}

// cstr is b up to its first NUL.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

package wire

import (
	"errors"
	"strconv"
)

// Error describes why a message could not be decoded or encoded.
type Error struct {
	Op     string // "decode netstring", "decode classic", "encode", "verify", …
	Offset int    // byte offset in the input where the problem is, or -1
	Field  string // the field concerned, if known
	Reason string
}

func (e *Error) Error() string {
	s := "wire: " + e.Op
	if e.Offset >= 0 {
		s += " at byte " + strconv.Itoa(e.Offset)
	}
	if e.Field != "" {
		s += " field " + strconv.Quote(e.Field)
	}
	return s + ": " + e.Reason
}

// ErrAuth is wrapped by every authentication failure.
var ErrAuth = errors.New("authentication failed")

var (
	errListSyntax = errors.New("bad packed list")
	errListEmpty  = errors.New("empty list element")
)

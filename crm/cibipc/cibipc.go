package cibipc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Caps. MaxFrame is crm/cib's parse cap: a whole CIB fits in one frame.
const (
	// SocketName is the socket's name in the API socket's directory.
	SocketName = "cib_rw"
	// MaxFrame bounds a request's or reply's body.
	MaxFrame = 64 << 20
	// MaxPending is how many requests one client may have in flight; the
	// next is answered ErrBusy at once.
	MaxPending = 16
	// maxText bounds the short fields (names, sections, xpaths).
	maxText = 64 << 10
)

// Op is a request's kind.
type Op uint8

// The requests: cibadmin's commands, a transient attribute for the
// controller's attrd, and a resource's cleanup.
const (
	OpQuery       Op = iota + 1 // whole CIB or Section, with the status
	OpCreate                    // -C
	OpModify                    // -M (AllowCreate: -c)
	OpReplace                   // -R
	OpDelete                    // -D with -X
	OpXPathDelete               // -D/-d with -A (All: every match)
	OpErase                     // -E
	OpBump                      // -B
	OpPatch                     // -P
	OpAttr                      // a transient node attribute (crm_attribute -l reboot)
	OpCleanup                   // crm_resource --cleanup, crm_failcount --delete
	OpNodeName                  // the node's name (crm_node -n): Reply.Output
	opEnd
)

var opNames = [...]string{"", "query", "create", "modify", "replace", "delete", "xpath-delete",
	"erase", "bump", "patch", "attr", "cleanup", "node-name"}

func (o Op) String() string {
	if o > 0 && o < opEnd {
		return opNames[o]
	}
	return fmt.Sprintf("op%d", uint8(o))
}

// Write reports whether the op changes the CIB (and so goes to the DC).
func (o Op) Write() bool { return o >= OpCreate && o <= OpPatch }

// Request is one tool request.
type Request struct {
	// CallID is the client's number for the request; the reply carries it.
	CallID uint64
	Op     Op
	// Section is -o (""/"all": the whole CIB); XPath is -A.
	Section, XPath string
	// Data is the XML given with -X/-x/-p.
	Data []byte
	// AllowCreate is -M -c; All is --delete-all (every xpath match).
	AllowCreate, All bool
	// OpAttr: Node, Name, Value (Delete removes it); OpCleanup: Rsc on
	// Node ("" every node).
	Node, Name, Value, Rsc string
	Delete                 bool
	// OpCleanup's scope (crm_resource -n, -I, --refresh): Operation and
	// IntervalMS limit the fail counts erased to that operation's (and
	// the history to a node where it failed); Refresh erases the history
	// whether or not anything failed. A node of an earlier version skips
	// these fields and cleans up everything, as it did.
	Operation  string
	IntervalMS uint32
	Refresh    bool
	// TimeoutMS is how long the tool waits (cibadmin -t); 0: the node's
	// default.
	TimeoutMS uint32
}

// Reply answers one request. RC is Pacemaker's legacy CIB return code
// (crm/cib's Code: 0, or a negated errno or pcmk_err_*).
type Reply struct {
	CallID uint64
	RC     int32
	// Detail says more about a failure (the element's path, why no DC).
	Detail string
	// Output is a query's XML.
	Output []byte
}

// Return codes beyond crm/cib's, for failures of the transport.
const (
	// ErrNotConnected (ENOTCONN): no DC, or the DC was lost before it
	// answered; the tool may retry.
	ErrNotConnected int32 = -107
	// ErrTimeout (ETIME): no answer within the timeout.
	ErrTimeout int32 = -62
	// ErrBusy (EAGAIN): the client has MaxPending requests in flight.
	ErrBusy int32 = -11
	// ErrProto (EPROTO): a request that does not decode.
	ErrProto int32 = -71
)

const (
	kindRequest = 'q'
	kindReply   = 'r'
	version     = 1
)

// Field tags. ONLY APPEND.
const (
	tagCallID = iota + 1
	tagOp
	tagSection
	tagXPath
	tagData
	tagFlags
	tagNode
	tagName
	tagValue
	tagRsc
	tagTimeout
	tagRC
	tagDetail
	tagOutput
	tagOperation
	tagInterval
	tagMax
)

const (
	flagAllowCreate = 1 << iota
	flagAll
	flagDelete
	flagRefresh
)

// Errors of Decode.
var (
	ErrShort     = errors.New("cibipc: truncated body")
	ErrKind      = errors.New("cibipc: not a request or reply of this version")
	ErrDuplicate = errors.New("cibipc: field given twice")
	ErrTooLarge  = errors.New("cibipc: body or field too large")
	ErrBadOp     = errors.New("cibipc: unknown op")
)

func appendField(dst []byte, tag byte, b []byte) []byte {
	dst = append(dst, tag)
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendUint(dst []byte, tag byte, v uint64) []byte {
	var tmp [binary.MaxVarintLen64]byte
	return appendField(dst, tag, tmp[:binary.PutUvarint(tmp[:], v)])
}

func appendText(dst []byte, tag byte, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, tag)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendRequest appends r's body.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, kindRequest, version)
	dst = appendUint(dst, tagCallID, r.CallID)
	dst = appendUint(dst, tagOp, uint64(r.Op))
	dst = appendText(dst, tagSection, r.Section)
	dst = appendText(dst, tagXPath, r.XPath)
	if r.Data != nil {
		dst = appendField(dst, tagData, r.Data)
	}
	var f uint64
	if r.AllowCreate {
		f |= flagAllowCreate
	}
	if r.All {
		f |= flagAll
	}
	if r.Delete {
		f |= flagDelete
	}
	if r.Refresh {
		f |= flagRefresh
	}
	if f != 0 {
		dst = appendUint(dst, tagFlags, f)
	}
	dst = appendText(dst, tagNode, r.Node)
	dst = appendText(dst, tagName, r.Name)
	dst = appendText(dst, tagValue, r.Value)
	dst = appendText(dst, tagRsc, r.Rsc)
	if r.TimeoutMS != 0 {
		dst = appendUint(dst, tagTimeout, uint64(r.TimeoutMS))
	}
	dst = appendText(dst, tagOperation, r.Operation)
	if r.IntervalMS != 0 {
		dst = appendUint(dst, tagInterval, uint64(r.IntervalMS))
	}
	return dst
}

// AppendReply appends r's body.
func AppendReply(dst []byte, r *Reply) []byte {
	dst = append(dst, kindReply, version)
	dst = appendUint(dst, tagCallID, r.CallID)
	// The code is negative: zigzag keeps it short.
	dst = appendUint(dst, tagRC, uint64(uint32(r.RC<<1)^uint32(r.RC>>31)))
	dst = appendText(dst, tagDetail, r.Detail)
	if r.Output != nil {
		dst = appendField(dst, tagOutput, r.Output)
	}
	return dst
}

// fields walks a body's fields after its kind and version; f gets each
// known tag once (data is a view into b).
func fields(b []byte, kind byte, f func(tag byte, data []byte) error) error {
	if len(b) > MaxFrame {
		return ErrTooLarge
	}
	if len(b) < 2 || b[0] != kind || b[1] != version {
		return ErrKind
	}
	b = b[2:]
	var seen [tagMax]bool
	for len(b) > 0 {
		tag := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 {
			return ErrShort
		}
		b = b[1+k:]
		if n > uint64(len(b)) {
			return ErrShort
		}
		data := b[:n:n]
		b = b[n:]
		if tag == 0 || tag >= tagMax {
			continue // a later version's field
		}
		if seen[tag] {
			return ErrDuplicate
		}
		seen[tag] = true
		if err := f(tag, data); err != nil {
			return err
		}
	}
	return nil
}

func uintOf(data []byte) (uint64, error) {
	v, k := binary.Uvarint(data)
	if k <= 0 || k != len(data) {
		return 0, ErrShort
	}
	return v, nil
}

func textOf(data []byte) (string, error) {
	if len(data) > maxText {
		return "", ErrTooLarge
	}
	return string(data), nil
}

// DecodeRequest reads a request body. Data is a copy.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	err := fields(b, kindRequest, func(tag byte, data []byte) error {
		var err error
		var v uint64
		switch tag {
		case tagCallID:
			r.CallID, err = uintOf(data)
		case tagOp:
			if v, err = uintOf(data); err == nil {
				if v == 0 || v >= uint64(opEnd) {
					return ErrBadOp
				}
				r.Op = Op(v)
			}
		case tagSection:
			r.Section, err = textOf(data)
		case tagXPath:
			r.XPath, err = textOf(data)
		case tagData:
			r.Data = append(make([]byte, 0, len(data)), data...)
		case tagFlags:
			if v, err = uintOf(data); err == nil {
				r.AllowCreate, r.All, r.Delete = v&flagAllowCreate != 0, v&flagAll != 0, v&flagDelete != 0
				r.Refresh = v&flagRefresh != 0
			}
		case tagNode:
			r.Node, err = textOf(data)
		case tagName:
			r.Name, err = textOf(data)
		case tagValue:
			r.Value, err = textOf(data)
		case tagRsc:
			r.Rsc, err = textOf(data)
		case tagTimeout:
			if v, err = uintOf(data); err == nil {
				if v > 1<<32-1 {
					return ErrTooLarge
				}
				r.TimeoutMS = uint32(v)
			}
		case tagOperation:
			r.Operation, err = textOf(data)
		case tagInterval:
			if v, err = uintOf(data); err == nil {
				if v > 1<<32-1 {
					return ErrTooLarge
				}
				r.IntervalMS = uint32(v)
			}
		}
		return err
	})
	if err == nil && r.Op == 0 {
		err = ErrBadOp
	}
	return r, err
}

// DecodeReply reads a reply body. Output is a copy.
func DecodeReply(b []byte) (Reply, error) {
	var r Reply
	err := fields(b, kindReply, func(tag byte, data []byte) error {
		var err error
		var v uint64
		switch tag {
		case tagCallID:
			r.CallID, err = uintOf(data)
		case tagRC:
			if v, err = uintOf(data); err == nil {
				if v > 1<<32-1 {
					return ErrTooLarge
				}
				u := uint32(v)
				r.RC = int32(u>>1) ^ -int32(u&1)
			}
		case tagDetail:
			r.Detail, err = textOf(data)
		case tagOutput:
			r.Output = append(make([]byte, 0, len(data)), data...)
		}
		return err
	})
	return r, err
}

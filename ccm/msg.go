package ccm

import (
	"encoding/base64"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/hbd-ha/hbd/wire"
)

// Type is a ccm message type, the value of field "t".
type Type uint8

// Message types. The values are hbd's; on the wire a type is its name.
// WARNING: ONLY APPEND (tests index types by value).
const (
	TypeProtoVersion Type = iota + 1
	TypeProtoVersionResp
	TypeJoin
	TypeReqMemlist
	TypeResMemlist
	TypeFinalMemlist
	TypeAbort
	TypeNodeLeaveNotice
	TypeNodeLeave
	TypeMemList
	TypeAlive
	TypeNewNode
	TypeStateInfo
	TypeRestart
	typeEnd
)

var typeNames = [typeEnd]string{
	TypeProtoVersion:     "CCM_TYPE_PROTOVERSION",
	TypeProtoVersionResp: "CCM_TYPE_PROTOVERSION_RESP",
	TypeJoin:             "CCM_TYPE_JOIN",
	TypeReqMemlist:       "CCM_TYPE_REQ_MEMLIST",
	TypeResMemlist:       "CCM_TYPE_RES_MEMLIST",
	TypeFinalMemlist:     "CCM_TYPE_FINAL_MEMLIST",
	TypeAbort:            "CCM_TYPE_ABORT",
	TypeNodeLeaveNotice:  "CCM_TYPE_NODE_LEAVE_NOTICE",
	TypeNodeLeave:        "CCM_TYPE_NODE_LEAVE",
	TypeMemList:          "CCM_TYPE_MEM_LIST",
	TypeAlive:            "CCM_TYPE_ALIVE",
	TypeNewNode:          "CCM_TYPE_NEW_NODE",
	TypeStateInfo:        "CCM_TYPE_STATE_INFO",
	TypeRestart:          "CCM_TYPE_RESTART",
}

func (t Type) String() string {
	if t > 0 && t < typeEnd {
		return typeNames[t]
	}
	return "CCM_TYPE_" + strconv.Itoa(int(t))
}

// ParseType returns the Type named b, and whether b names one.
func ParseType(b []byte) (Type, bool) {
	for t := TypeProtoVersion; t < typeEnd; t++ {
		if string(b) == typeNames[t] {
			return t, true
		}
	}
	return 0, false
}

// Wire field names (ccm.h), and the ids the API server adds.
const (
	FieldType      = "t"
	FieldMajor     = "ccmmajor"
	FieldNumNodes  = "numnodes"
	FieldCookie    = "ccmcookie"
	FieldUptime    = "ccmuptime"
	FieldMinor     = "ccmminor"
	FieldProto     = "ccmproto"
	FieldClSize    = "ccmclsize"
	FieldMaxTrans  = "ccmmaxt"
	FieldMemList   = "ccmmemlist"
	FieldQuorum    = "ccmquorum"
	FieldUptimes   = "ccmuptimelist"
	FieldNewCookie = "ccmnewcookie"
	FieldNode      = "node"
	FieldState     = "state"
	FieldDest      = "dest"
	FieldFromID    = "from_id"
	FieldToID      = "to_id"
	FieldClientGen = "client_gen"
	FieldSrc       = "src"

	// ClientID is ccm's heartbeat API client name: from_id and to_id.
	ClientID = "ccm"
)

// MaxNodes is ccm's MAXNODE: the member bitmap has room for this many.
const MaxNodes = 100

// Bitmap is ccm's member bitmap: bit i (byte i/8, least significant bit
// first) is the node of index i.
type Bitmap [(MaxNodes + 7) / 8]byte

// Has reports whether index i is set.
func (b *Bitmap) Has(i int) bool { return i >= 0 && i < MaxNodes && b[i/8]&(1<<(i%8)) != 0 }

// Set sets index i.
func (b *Bitmap) Set(i int) { b[i/8] |= 1 << (i % 8) }

// Count is the number of indexes set.
func (b *Bitmap) Count() int {
	n := 0
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return n
}

// bitmapLen is the base64 length of a Bitmap: always 20 characters.
var bitmapLen = base64.StdEncoding.EncodedLen(len(Bitmap{}))

// Msg is one ccm message, decoded. Which fields a type carries is in the
// table of Encode; the others are zero.
type Msg struct {
	Type     Type
	Major    int // first ccmmajor: the sender's membership instance
	NumNodes int // the sender's node count

	// The standard header (every type but PROTOVERSION and RESTART).
	Cookie string
	Major2 int // the duplicated ccmmajor, normally equal to Major
	Uptime int // the instance the sender joined in, 0 if none
	Minor  int
	Proto  int // PROTOVERSION_RESP
	// ClSize: PROTOVERSION_RESP; also STATE_INFO from hbd (its member
	// count, 0 when absent: a 3.0.6 sender).
	ClSize   int
	MaxTrans int    // RES_MEMLIST, FINAL_MEMLIST
	MemList  Bitmap // RES_MEMLIST, FINAL_MEMLIST, MEM_LIST
	// NoMemList: the memlist field was empty ("I do not accept you as
	// leader" in RES_MEMLIST).
	NoMemList bool
	Quorum    int   // FINAL_MEMLIST, MEM_LIST: 1, 0, or -1 when unknown
	Uptimes   []int // MEM_LIST: born of each member, by increasing index
	NewCookie string
	Node      string // NODE_LEAVE_NOTICE, NODE_LEAVE, NEW_NODE
	State     string // STATE_INFO

	// What the API adds: Dest for a message to one node, ClientGen.
	Dest      string
	ClientGen int
	// Src is the sending node (heartbeat's control field), read on decode.
	Src string
}

// The shape of each type after t, ccmmajor, numnodes.
const (
	hasStd = 1 << iota
	hasProto
	hasMaxT
	hasMemList
	hasQuorum
	hasUptimes
	hasNewCookie
	hasNode
	hasState
)

var shapes = [typeEnd]uint16{
	TypeProtoVersion:     0,
	TypeProtoVersionResp: hasStd | hasProto,
	TypeJoin:             hasStd,
	TypeReqMemlist:       hasStd,
	TypeResMemlist:       hasStd | hasMaxT | hasMemList,
	TypeFinalMemlist:     hasStd | hasMaxT | hasMemList | hasQuorum | hasNewCookie,
	TypeAbort:            hasStd,
	TypeNodeLeaveNotice:  hasStd | hasNode,
	TypeNodeLeave:        hasStd | hasNode,
	TypeMemList:          hasStd | hasMemList | hasQuorum | hasUptimes | hasNewCookie,
	TypeAlive:            hasStd,
	TypeNewNode:          hasStd | hasNode,
	TypeStateInfo:        hasStd | hasState,
	TypeRestart:          0,
}

// swapUptime converts a born instance to the value ccm writes in its
// uptime list (and back): the 32-bit value byte-swapped and printed as a
// signed host int.
func swapUptime(v int) int { return int(int32(bits.ReverseBytes32(uint32(int32(v))))) }

// Encode appends msg's fields to m in ccm's order, then what heartbeat's
// API adds for a client message: dest (node messages), from_id, to_id,
// client_gen. Heartbeat's control fields (src, seq, …) are the sender's
// heartbeat layer's to add.
func (msg *Msg) Encode(m *wire.Message) error {
	if msg.Type == 0 || msg.Type >= typeEnd {
		return fmt.Errorf("ccm: encode: unknown type %d", msg.Type)
	}
	shape := shapes[msg.Type]
	var nb [24]byte
	num := func(name string, v int) { m.Add(name, wire.String, strconv.AppendInt(nb[:0], int64(v), 10)) }
	m.AddString(FieldType, typeNames[msg.Type])
	num(FieldMajor, msg.Major)
	num(FieldNumNodes, msg.NumNodes)
	if shape&hasStd != 0 {
		m.AddString(FieldCookie, msg.Cookie)
		num(FieldMajor, msg.Major2)
		num(FieldUptime, msg.Uptime)
		num(FieldMinor, msg.Minor)
	}
	if shape&hasProto != 0 {
		num(FieldProto, msg.Proto)
		num(FieldClSize, msg.ClSize)
	}
	if shape&hasMaxT != 0 {
		num(FieldMaxTrans, msg.MaxTrans)
	}
	if shape&hasMemList != 0 {
		if msg.NoMemList {
			m.AddString(FieldMemList, "")
		} else {
			var b [32]byte
			base64.StdEncoding.Encode(b[:bitmapLen], msg.MemList[:])
			m.Add(FieldMemList, wire.String, b[:bitmapLen])
		}
	}
	if shape&hasQuorum != 0 {
		num(FieldQuorum, msg.Quorum)
	}
	if shape&hasUptimes != 0 {
		var l []byte
		for _, u := range msg.Uptimes {
			s := strconv.AppendInt(nb[:0], int64(swapUptime(u)), 10)
			l = strconv.AppendInt(l, int64(len(s)), 10)
			l = append(l, ':')
			l = append(l, s...)
			l = append(l, ',')
		}
		m.Add(FieldUptimes, wire.List, l)
	}
	if shape&hasNewCookie != 0 {
		m.AddString(FieldNewCookie, msg.NewCookie)
	}
	if shape&hasNode != 0 {
		m.AddString(FieldNode, msg.Node)
	}
	if shape&hasState != 0 {
		m.AddString(FieldState, msg.State)
		if msg.ClSize > 0 {
			// hbd's addition; ccm reads fields by name and ignores it.
			num(FieldClSize, msg.ClSize)
		}
	}
	if msg.Dest != "" {
		m.AddString(FieldDest, msg.Dest)
	}
	m.AddString(FieldFromID, ClientID)
	m.AddString(FieldToID, ClientID)
	num(FieldClientGen, msg.ClientGen)
	return nil
}

// DecodeError says which field of a ccm message is missing or malformed.
type DecodeError struct {
	Type   string // the t value, as received
	Field  string
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("ccm: %s: field %s: %s", e.Type, e.Field, e.Reason)
}

// IsCCM reports whether m is addressed to ccm (to_id=ccm).
func IsCCM(m *wire.Message) bool { return string(m.Value(FieldToID)) == ClientID }

// Decode reads a ccm message from m, as a receiving ccm does: fields by
// name (the first of a name, except the duplicated ccmmajor, which is the
// second), every field its type needs present and well formed. Strings
// are copied: msg does not point into m.
func (msg *Msg) Decode(m *wire.Message) error {
	*msg = Msg{Uptimes: msg.Uptimes[:0]}
	tv := m.Value(FieldType)
	t, ok := ParseType(tv)
	if !ok {
		return &DecodeError{Type: string(tv), Field: FieldType, Reason: "not a ccm message type"}
	}
	msg.Type = t
	fail := func(f, r string) error { return &DecodeError{Type: typeNames[t], Field: f, Reason: r} }
	// Cookies are printable (ccm draws them from '!'…'~') and node names
	// are host names: a control character is not ccm's, and 0x13 or LF
	// would not survive heartbeat's encodings unchanged.
	printable := func(name string, v []byte, dst *string) error {
		for _, c := range v {
			if c < 0x20 || c == 0x7f {
				return fail(name, fmt.Sprintf("control character 0x%02x", c))
			}
		}
		*dst = string(v)
		return nil
	}
	num := func(name string, nth int, dst *int) error {
		f, ok := nthField(m, name, nth)
		if !ok {
			return fail(name, "missing")
		}
		if f.Type != wire.String {
			return fail(name, "not a string")
		}
		v, err := strconv.ParseInt(string(f.Value), 10, 32)
		if err != nil {
			return fail(name, strconv.Quote(string(f.Value))+" is not a decimal integer")
		}
		*dst = int(v)
		return nil
	}
	str := func(name string, dst *string) error {
		f, ok := m.Get(name)
		if !ok {
			return fail(name, "missing")
		}
		if f.Type != wire.String {
			return fail(name, "not a string")
		}
		return printable(name, f.Value, dst)
	}
	if err := num(FieldMajor, 0, &msg.Major); err != nil {
		return err
	}
	if err := num(FieldNumNodes, 0, &msg.NumNodes); err != nil {
		return err
	}
	shape := shapes[t]
	if shape&hasStd != 0 {
		if err := str(FieldCookie, &msg.Cookie); err != nil {
			return err
		}
		if err := num(FieldMajor, 1, &msg.Major2); err != nil {
			return err
		}
		if err := num(FieldUptime, 0, &msg.Uptime); err != nil {
			return err
		}
		if err := num(FieldMinor, 0, &msg.Minor); err != nil {
			return err
		}
	}
	if shape&hasProto != 0 {
		if err := num(FieldProto, 0, &msg.Proto); err != nil {
			return err
		}
		if err := num(FieldClSize, 0, &msg.ClSize); err != nil {
			return err
		}
	}
	if shape&hasMaxT != 0 {
		if err := num(FieldMaxTrans, 0, &msg.MaxTrans); err != nil {
			return err
		}
	}
	if shape&hasMemList != 0 {
		f, ok := m.Get(FieldMemList)
		switch {
		case !ok:
			return fail(FieldMemList, "missing")
		case f.Type != wire.String:
			return fail(FieldMemList, "not a string")
		case len(f.Value) == 0:
			msg.NoMemList = true
		case len(f.Value) != bitmapLen:
			return fail(FieldMemList, fmt.Sprintf("%d characters, want %d", len(f.Value), bitmapLen))
		default:
			var b [32]byte
			n, err := base64.StdEncoding.Decode(b[:], f.Value)
			if err != nil || n != len(msg.MemList) {
				return fail(FieldMemList, "not base64 of a 13-byte bitmap")
			}
			copy(msg.MemList[:], b[:n])
		}
	}
	if shape&hasQuorum != 0 {
		if err := num(FieldQuorum, 0, &msg.Quorum); err != nil {
			return err
		}
	}
	if shape&hasUptimes != 0 {
		f, ok := m.Get(FieldUptimes)
		if !ok {
			return fail(FieldUptimes, "missing")
		}
		if f.Type != wire.List {
			return fail(FieldUptimes, "not a list")
		}
		it := f.List()
		for it.Next() {
			v, err := strconv.ParseInt(string(it.Elem()), 10, 32)
			if err != nil {
				return fail(FieldUptimes, strconv.Quote(string(it.Elem()))+" is not a decimal integer")
			}
			msg.Uptimes = append(msg.Uptimes, swapUptime(int(v)))
		}
		if it.Err() != nil {
			return fail(FieldUptimes, it.Err().Error())
		}
	}
	if shape&hasNewCookie != 0 {
		if err := str(FieldNewCookie, &msg.NewCookie); err != nil {
			return err
		}
	}
	if shape&hasNode != 0 {
		if err := str(FieldNode, &msg.Node); err != nil {
			return err
		}
	}
	if shape&hasState != 0 {
		if err := str(FieldState, &msg.State); err != nil {
			return err
		}
		if _, ok := m.Get(FieldClSize); ok {
			if err := num(FieldClSize, 0, &msg.ClSize); err != nil {
				return err
			}
		}
	}
	// dest and src are node names too: held to the same rule.
	if f, ok := m.Get(FieldDest); ok {
		if err := printable(FieldDest, f.Value, &msg.Dest); err != nil {
			return err
		}
	}
	if f, ok := m.Get(FieldSrc); ok {
		if err := printable(FieldSrc, f.Value, &msg.Src); err != nil {
			return err
		}
	}
	if f, ok := m.Get(FieldClientGen); ok {
		v, err := strconv.Atoi(string(f.Value))
		if err != nil {
			return fail(FieldClientGen, strconv.Quote(string(f.Value))+" is not a decimal integer")
		}
		msg.ClientGen = v
	}
	return nil
}

// nthField returns the nth (from 0) field named name.
func nthField(m *wire.Message, name string, nth int) (wire.Field, bool) {
	for i := 0; i < m.Len(); i++ {
		f := m.At(i)
		if f.Is(name) {
			if nth == 0 {
				return f, true
			}
			nth--
		}
	}
	return wire.Field{}, false
}

package controld

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/wire"
)

// Task is a controller message's kind, the value of field crm_task.
type Task uint8

// Tasks. ONLY APPEND (tests index them by value).
const (
	TaskVote Task = iota + 1
	TaskNoVote
	TaskJoinOffer
	TaskJoinRequest
	TaskJoinAckNack
	TaskJoinConfirm
	TaskLRMInvoke
	TaskLRMResult
	TaskAttrUpdate // any node → DC: set an attribute
	TaskAttrSet    // DC → the attribute's node: the value it now holds
	TaskShutdown   // DC → a node that asked to leave: its resources are off, it may stop
	TaskSyncFrom   // DC → the member with the newest CIB in the join: send it to every node
	taskEnd
)

var taskNames = [taskEnd]string{
	TaskVote: "vote", TaskNoVote: "no-vote", TaskJoinOffer: "join_offer", TaskJoinRequest: "join_request",
	TaskJoinAckNack: "join_ack_nack", TaskJoinConfirm: "join_confirm", TaskLRMInvoke: "lrm_invoke",
	TaskLRMResult: "lrm_result", TaskAttrUpdate: "attr_update", TaskAttrSet: "attr_set", TaskShutdown: "do_shutdown",
	TaskSyncFrom: "cib_sync_from",
}

func (t Task) String() string {
	if t > 0 && t < taskEnd {
		return taskNames[t]
	}
	return "task-" + strconv.Itoa(int(t))
}

// Wire field names.
const (
	FieldType    = "t"
	TypeCRMD     = "crmd" // value of t: heartbeat routes the message to the controller
	FieldTask    = "crm_task"
	FieldSrc     = "src" // the sender, heartbeat's control field
	fElectionID  = "election-id"
	fOwner       = "election-owner"
	fVersion     = "crm_feature_set"
	fBorn        = "born"
	fJoinID      = "join_id"
	fAck         = "ack"
	fKey         = "transition-key"
	fTimeout     = "timeout"
	fOpID        = "op_id" // join_confirm: the history entry's id, before its op
	fOp          = "op"    // starts an operation's fields; repeated in join_confirm
	fClass       = "class"
	fProvider    = "provider"
	fRscType     = "type"
	fOperation   = "operation"
	fInterval    = "interval"
	fCallID      = "call-id"
	fRC          = "rc-code"
	fOpStatus    = "op-status"
	fRCChange    = "last-rc-change"
	fExec        = "exec-time"
	fQueue       = "queue-time"
	fReason      = "exit-reason"
	fDigest      = "op-digest"
	fAttr        = "attr_name" // starts an attribute's fields; repeated in join_confirm
	fAttrNode    = "attr_host"
	fAttrValue   = "attr_value"
	fAttrSection = "attr_section" // status (transient) or nodes (forever)
	fAttrDelete  = "attr_delete"
	fAdminEpoch  = "admin_epoch" // join_request, cib_sync_from: a CIB's version (Pacemaker's generation tuple)
	fEpoch       = "epoch"
	fNumUpdates  = "num_updates"
)

// Op is an operation as messages carry it: a request (lrm_invoke: the
// resource, task, interval, timeout and transition key) or a result
// (lrm_result and join_confirm: with call id, rc and times).
type Op struct {
	Rsc, Class, Provider, Type string
	Task                       string
	IntervalMS                 int
	TimeoutMS                  int
	Key                        string // transition key: action:transition:target-rc:uuid
	CallID, RC, Status         int
	LastRCChange               int64
	ExecMS, QueueMS            int
	Reason, Digest             string
	// ID is the history entry's id (join_confirm only): <rsc>_last_0,
	// <rsc>_last_failure_0 or <rsc>_<task>_<interval>.
	ID string
}

// Attr is a node attribute update.
type Attr struct {
	Node, Name, Value string
	// Forever: the nodes section (crm_attribute -l forever); otherwise the
	// node's transient attributes (-l reboot).
	Forever bool
	Delete  bool
}

// Msg is one controller message, decoded. Which fields a task carries is
// in Encode; the others are zero.
type Msg struct {
	Task       Task
	ElectionID int    // vote, no-vote
	Owner      string // vote, no-vote: whose election
	Version    string // vote: the sender's feature set
	Born       int    // vote: the sender's CCM born instance
	JoinID     int    // join_*, cib_sync_from
	// CIB is the sender's CIB version (join_request), or the version the
	// DC asks for (cib_sync_from).
	CIB   cib.Version
	Ack   bool   // join_ack_nack
	Op    Op     // lrm_invoke, lrm_result
	Ops   []Op   // join_confirm: the sender's resource history
	Attrs []Attr // join_confirm (its transient attributes), attr_update and attr_set (one)
	// Src is the sending node, read on decode (heartbeat's control field).
	Src string
}

// Encode appends msg's fields to m: t, crm_task, then the task's own, in
// a fixed order. Heartbeat adds src and the other control fields.
func (msg *Msg) Encode(m *wire.Message) error {
	if msg.Task == 0 || msg.Task >= taskEnd {
		return fmt.Errorf("controld: encode: unknown task %d", msg.Task)
	}
	e := encoder{m: m}
	e.str(FieldType, TypeCRMD)
	e.str(FieldTask, taskNames[msg.Task])
	switch msg.Task {
	case TaskVote:
		e.num(fElectionID, msg.ElectionID)
		e.str(fOwner, msg.Owner)
		e.str(fVersion, msg.Version)
		e.num(fBorn, msg.Born)
	case TaskNoVote:
		e.num(fElectionID, msg.ElectionID)
		e.str(fOwner, msg.Owner)
	case TaskJoinOffer:
		e.num(fJoinID, msg.JoinID)
	case TaskJoinRequest, TaskSyncFrom:
		e.num(fJoinID, msg.JoinID)
		e.num(fAdminEpoch, msg.CIB.AdminEpoch)
		e.num(fEpoch, msg.CIB.Epoch)
		e.num(fNumUpdates, msg.CIB.NumUpdates)
	case TaskJoinAckNack:
		e.num(fJoinID, msg.JoinID)
		e.flag(fAck, msg.Ack)
	case TaskJoinConfirm:
		e.num(fJoinID, msg.JoinID)
		for i := range msg.Ops {
			e.str(fOpID, msg.Ops[i].ID)
			e.op(&msg.Ops[i], true)
		}
		for i := range msg.Attrs {
			e.attr(&msg.Attrs[i])
		}
	case TaskLRMInvoke:
		e.op(&msg.Op, false)
	case TaskLRMResult:
		e.op(&msg.Op, true)
	case TaskAttrUpdate, TaskAttrSet:
		if len(msg.Attrs) != 1 {
			return fmt.Errorf("controld: encode: %s carries one attribute, not %d", msg.Task, len(msg.Attrs))
		}
		e.attr(&msg.Attrs[0])
	}
	return e.err
}

type encoder struct {
	m   *wire.Message
	err error
	nb  [24]byte
}

func (e *encoder) str(name, v string) {
	if e.err == nil {
		if err := checkString(name, v); err != nil {
			e.err = err
			return
		}
	}
	e.m.AddString(name, v)
}

func (e *encoder) num(name string, v int) {
	e.m.Add(name, wire.String, strconv.AppendInt(e.nb[:0], int64(v), 10))
}

func (e *encoder) flag(name string, v bool) {
	if v {
		e.m.AddString(name, "1")
	} else {
		e.m.AddString(name, "0")
	}
}

func (e *encoder) op(o *Op, result bool) {
	e.str(fOp, o.Rsc)
	e.str(fClass, o.Class)
	e.str(fProvider, o.Provider)
	e.str(fRscType, o.Type)
	e.str(fOperation, o.Task)
	e.num(fInterval, o.IntervalMS)
	e.str(fKey, o.Key)
	if !result {
		e.num(fTimeout, o.TimeoutMS)
		return
	}
	e.num(fCallID, o.CallID)
	e.num(fRC, o.RC)
	e.num(fOpStatus, o.Status)
	e.m.Add(fRCChange, wire.String, strconv.AppendInt(e.nb[:0], o.LastRCChange, 10))
	e.num(fExec, o.ExecMS)
	e.num(fQueue, o.QueueMS)
	e.str(fReason, o.Reason)
	e.str(fDigest, o.Digest)
}

func (e *encoder) attr(a *Attr) {
	e.str(fAttr, a.Name)
	e.str(fAttrNode, a.Node)
	e.str(fAttrValue, a.Value)
	if a.Forever {
		e.str(fAttrSection, "nodes")
	} else {
		e.str(fAttrSection, "status")
	}
	e.flag(fAttrDelete, a.Delete)
}

// checkString refuses what heartbeat's messages cannot carry unchanged:
// control characters (a 0x13 comes back as LF, a NUL ends the string).
func checkString(name, v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return fmt.Errorf("controld: field %s holds control character %#x", name, v[i])
		}
	}
	return nil
}

// ErrNotCRMD is returned for a message whose t is not crmd.
var ErrNotCRMD = errors.New("controld: not a controller message")

// Decode reads a controller message. Fields must come in Encode's order
// and numbers in their canonical form, so that a decoded message encodes
// back to the same fields, byte for byte.
func (msg *Msg) Decode(m *wire.Message) error {
	*msg = Msg{Ops: msg.Ops[:0], Attrs: msg.Attrs[:0]}
	if string(m.Type()) != TypeCRMD {
		return ErrNotCRMD
	}
	if src, ok := m.Get(FieldSrc); ok {
		if err := checkString(FieldSrc, string(src.Value)); err != nil {
			return err
		}
		msg.Src = string(src.Value)
	}
	d := decoder{m: m}
	// Skip to the task: control fields (src, seq, …) may come first.
	for d.i < m.Len() && !m.At(d.i).Is(FieldType) {
		d.i++
	}
	if d.str(FieldType) != TypeCRMD {
		return ErrNotCRMD
	}
	task := d.str(FieldTask)
	for t := TaskVote; t < taskEnd; t++ {
		if task == taskNames[t] {
			msg.Task = t
		}
	}
	if d.err == nil && msg.Task == 0 {
		return fmt.Errorf("controld: unknown crm_task %q", task)
	}
	switch msg.Task {
	case TaskVote:
		msg.ElectionID = d.num(fElectionID)
		msg.Owner = d.str(fOwner)
		msg.Version = d.str(fVersion)
		msg.Born = d.num(fBorn)
	case TaskNoVote:
		msg.ElectionID = d.num(fElectionID)
		msg.Owner = d.str(fOwner)
	case TaskJoinOffer:
		msg.JoinID = d.num(fJoinID)
	case TaskJoinRequest, TaskSyncFrom:
		msg.JoinID = d.num(fJoinID)
		msg.CIB.AdminEpoch = d.num(fAdminEpoch)
		msg.CIB.Epoch = d.num(fEpoch)
		msg.CIB.NumUpdates = d.num(fNumUpdates)
	case TaskJoinAckNack:
		msg.JoinID = d.num(fJoinID)
		msg.Ack = d.flag(fAck)
	case TaskJoinConfirm:
		msg.JoinID = d.num(fJoinID)
		for d.err == nil && d.next(fOpID) {
			id := d.str(fOpID)
			o := d.op(true)
			o.ID = id
			msg.Ops = append(msg.Ops, o)
		}
		for d.err == nil && d.next(fAttr) {
			msg.Attrs = append(msg.Attrs, d.attr())
		}
	case TaskLRMInvoke:
		msg.Op = d.op(false)
	case TaskLRMResult:
		msg.Op = d.op(true)
	case TaskAttrUpdate, TaskAttrSet:
		msg.Attrs = append(msg.Attrs, d.attr())
	}
	if d.err != nil {
		return d.err
	}
	// Only control fields (heartbeat's, after ours) may follow.
	for ; d.i < m.Len(); d.i++ {
		if f := m.At(d.i); !controlField(string(f.Name)) {
			return fmt.Errorf("controld: %s: unexpected field %q", msg.Task, f.Name)
		}
	}
	return nil
}

// controlField: the fields heartbeat's layer and API add around a
// client's message.
func controlField(name string) bool {
	switch name {
	case "src", "seq", "hg", "ts", "ttl", "auth", "dest", "dt", "from_id", "to_id", "client_gen", "srcuuid", "destuuid", "ld", "ackseq":
		return true
	}
	return false
}

type decoder struct {
	m   *wire.Message
	i   int
	err error
}

func (d *decoder) next(name string) bool { return d.i < d.m.Len() && d.m.At(d.i).Is(name) }

func (d *decoder) field(name string) []byte {
	if d.err != nil {
		return nil
	}
	if d.i >= d.m.Len() {
		d.err = fmt.Errorf("controld: missing field %s", name)
		return nil
	}
	f := d.m.At(d.i)
	if !f.Is(name) || f.Type != wire.String {
		d.err = fmt.Errorf("controld: field %d is %q, want string field %s", d.i, f.Name, name)
		return nil
	}
	d.i++
	return f.Value
}

func (d *decoder) str(name string) string {
	v := d.field(name)
	if d.err == nil {
		d.err = checkString(name, string(v))
	}
	return string(v)
}

func (d *decoder) num64(name string) int64 {
	v := d.field(name)
	if d.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != string(v) {
		d.err = fmt.Errorf("controld: field %s: %q is not a canonical number", name, v)
	}
	return n
}

func (d *decoder) num(name string) int {
	n := d.num64(name)
	if int64(int32(n)) != n && d.err == nil {
		d.err = fmt.Errorf("controld: field %s: %d out of range", name, n)
	}
	return int(n)
}

func (d *decoder) flag(name string) bool {
	switch d.str(name) {
	case "1":
		return true
	case "0":
		return false
	}
	if d.err == nil {
		d.err = fmt.Errorf("controld: field %s: not 0 or 1", name)
	}
	return false
}

func (d *decoder) op(result bool) Op {
	var o Op
	o.Rsc = d.str(fOp)
	o.Class = d.str(fClass)
	o.Provider = d.str(fProvider)
	o.Type = d.str(fRscType)
	o.Task = d.str(fOperation)
	o.IntervalMS = d.num(fInterval)
	o.Key = d.str(fKey)
	if !result {
		o.TimeoutMS = d.num(fTimeout)
		return o
	}
	o.CallID = d.num(fCallID)
	o.RC = d.num(fRC)
	o.Status = d.num(fOpStatus)
	o.LastRCChange = d.num64(fRCChange)
	o.ExecMS = d.num(fExec)
	o.QueueMS = d.num(fQueue)
	o.Reason = d.str(fReason)
	o.Digest = d.str(fDigest)
	return o
}

func (d *decoder) attr() Attr {
	var a Attr
	a.Name = d.str(fAttr)
	a.Node = d.str(fAttrNode)
	a.Value = d.str(fAttrValue)
	switch s := d.str(fAttrSection); s {
	case "nodes":
		a.Forever = true
	case "status":
	default:
		if d.err == nil {
			d.err = fmt.Errorf("controld: %s: %q is neither status nor nodes", fAttrSection, s)
		}
	}
	a.Delete = d.flag(fAttrDelete)
	return a
}

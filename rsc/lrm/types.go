package lrm

import (
	"errors"
	"fmt"
	"time"
)

// OCF return codes (the OCF resource agent API, with Pacemaker's names in
// comments). ONLY APPEND.
const (
	RCOK               = 0 // success / running
	RCErrGeneric       = 1 // unknown error
	RCErrArgs          = 2 // invalid parameter
	RCErrUnimplemented = 3
	RCErrPerm          = 4 // insufficient privileges
	RCErrInstalled     = 5 // not installed
	RCErrConfigured    = 6 // not configured
	RCNotRunning       = 7
	RCRunningPromoted  = 8 // running as master
	RCFailedPromoted   = 9 // failed as master
)

// OpStatus is how an operation ended, lrmd's op_status_t (and Pacemaker's
// op-status of those days). ONLY APPEND.
type OpStatus int

const (
	StatusPending      OpStatus = -1
	StatusDone         OpStatus = 0
	StatusCancelled    OpStatus = 1
	StatusTimeout      OpStatus = 2
	StatusNotSupported OpStatus = 3
	StatusError        OpStatus = 4
)

func (s OpStatus) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusDone:
		return "done"
	case StatusCancelled:
		return "cancelled"
	case StatusTimeout:
		return "timed out"
	case StatusNotSupported:
		return "not supported"
	case StatusError:
		return "error"
	}
	return fmt.Sprintf("status %d", int(s))
}

// Target-rc values of lrmd's protocol: when a result is reported.
const (
	TargetEverytime = -1 // every result
	TargetChanged   = -2 // only when rc changed
)

// Classes of agents.
const (
	ClassOCF       = "ocf"
	ClassLSB       = "lsb"
	ClassHeartbeat = "heartbeat"
	ClassStonith   = "stonith"
)

// Param is one name=value parameter; order is kept as given.
type Param struct{ Name, Value string }

// Resource is a resource as its client declared it.
type Resource struct {
	ID, Class, Type, Provider string
	Params                    []Param
}

// Op is a request to run an operation.
type Op struct {
	Rsc        string
	Name       string // "start", "monitor", …
	Interval   time.Duration
	Timeout    time.Duration
	StartDelay time.Duration
	// Params are merged over the resource's (lrmd's merge_str_tables).
	Params []Param
	// Owner tells whose operation it is (a client session); the LRM only
	// hands it back, and Flush(owner) cancels an owner's recurring ops.
	Owner uint64
}

// Result is one completed run of an operation, with what Pacemaker keeps
// in an lrm_rsc_op entry.
type Result struct {
	CallID   int
	Rsc      string
	Op       string
	Interval time.Duration
	Owner    uint64
	// RC is the OCF code; ExitCode the agent's own exit code (-1 when it
	// did not exit: killed, timed out, not started).
	RC       int
	ExitCode int
	Status   OpStatus
	// Output is the agent's stdout (capped); Reason why it failed, for
	// logs.
	Output string
	Reason string
	// Run is when it started (wall clock), RCChange when rc last changed
	// for this operation key; ExecTime and QueueTime as lrmd measures.
	Run       time.Time
	RCChange  time.Time
	ExecTime  time.Duration
	QueueTime time.Duration
	// Digest is Pacemaker's op-digest of the parameters.
	Digest string
	// Recurring is true for a run of a recurring operation that will run
	// again.
	Recurring bool
}

// Key is Pacemaker's operation key without the resource: op_interval(ms).
func (r *Result) Key() string { return opKey(r.Op, r.Interval) }

func opKey(op string, interval time.Duration) string {
	return fmt.Sprintf("%s_%d", op, interval.Milliseconds())
}

// Errors of the LRM's API, for callers and the lrmd protocol.
var (
	ErrExists     = errors.New("lrm: a resource with this id exists")
	ErrNoResource = errors.New("lrm: no such resource")
	ErrNoClass    = errors.New("lrm: unknown resource agent class")
	ErrBadID      = errors.New("lrm: resource id empty or too long")
	ErrTooMany    = errors.New("lrm: too many resources")
	ErrQueueFull  = errors.New("lrm: too many operations queued for the resource")
	ErrBusy       = errors.New("lrm: operation running, cancellation pending")
	ErrNoOp       = errors.New("lrm: no such operation")
	ErrRemoving   = errors.New("lrm: resource being removed")
	ErrClosed     = errors.New("lrm: closed")
)

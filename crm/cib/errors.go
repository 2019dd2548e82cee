package cib

import "fmt"

// Code is a request's failure as Pacemaker's CIB reports it. The values
// are Pacemaker's legacy return codes (a negated errno or pcmk_err_*), so
// they can be compared with its logs; Exit is the tool's exit status.
type Code int

// The codes a CIB request can fail with.
const (
	OK             Code = 0
	ErrInvalid     Code = -22  // EINVAL: malformed request (no id to create, no data)
	ErrExists      Code = -17  // EEXIST: create of an id already present
	ErrNoSuch      Code = -6   // ENXIO: modify/replace/query of nothing
	ErrSchema      Code = -203 // pcmk_err_schema_validation
	ErrOldData     Code = -205 // pcmk_err_old_data: a replacement or patch older than the CIB
	ErrDiffResync  Code = -206 // pcmk_err_diff_resync: a patch for a version this CIB has not reached
	ErrDiffFailed  Code = -207 // pcmk_err_diff_failed: a patch that does not fit
	ErrTooBig      Code = -90  // EMSGSIZE: past a parsing or patch limit
	ErrPermission  Code = -13  // EACCES
	ErrUnsupported Code = -95  // EOPNOTSUPP
)

// String is Pacemaker's text for the code (pcmk_strerror), which
// cibadmin prints after "Call failed: ".
func (c Code) String() string {
	switch c {
	case OK:
		return "OK"
	case ErrInvalid:
		return "Invalid argument"
	case ErrExists:
		return "File exists"
	case ErrNoSuch:
		return "No such device or address"
	case ErrSchema:
		return "Update does not conform to the configured schema"
	case ErrOldData:
		return "Update was older than existing configuration"
	case ErrDiffResync:
		return "Application of an update diff failed, requesting a full refresh"
	case ErrDiffFailed:
		return "Application of an update diff failed"
	case ErrTooBig:
		return "Message too long"
	case ErrPermission:
		return "Permission denied"
	case ErrUnsupported:
		return "Operation not supported"
	}
	return fmt.Sprintf("Unknown error %d", int(c))
}

// Exit is the exit status Pacemaker's tools give for the code
// (pcmk_rc2exitc of the legacy code).
func (c Code) Exit() int {
	switch c {
	case OK:
		return 0
	case ErrInvalid:
		return 2 // CRM_EX_INVALID_PARAM
	case ErrExists:
		return 108 // CRM_EX_EXISTS
	case ErrNoSuch:
		return 105 // CRM_EX_NOSUCH
	case ErrSchema:
		return 78 // CRM_EX_CONFIG
	case ErrOldData:
		return 103 // CRM_EX_OLD
	case ErrDiffResync, ErrDiffFailed:
		return 1 // CRM_EX_ERROR
	case ErrPermission:
		return 4 // CRM_EX_INSUFFICIENT_PRIV
	case ErrUnsupported:
		return 3 // CRM_EX_UNIMPLEMENT_FEATURE
	}
	return 1
}

// Error is a refused request. Path names the element at fault when there
// is one (/cib/configuration/resources/primitive[@id='d1']); Failed is
// Pacemaker's <failed> report for a create, printed by cibadmin.
type Error struct {
	Code   Code
	Path   string
	Detail string
	Failed *Element
	// Candidate is, for ErrSchema, the document the request would have
	// made (cibadmin prints it with line numbers).
	Candidate *Element
}

func (e *Error) Error() string {
	s := "cib: " + e.Code.String()
	if e.Path != "" {
		s += ": " + e.Path
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// CodeOf is the Code of an error from this package (ErrInvalid for any
// other error, OK for nil).
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return ErrInvalid
}

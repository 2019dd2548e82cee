package rsc

import (
	"context"
	"errors"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
)

// This file runs one agent process as heartbeat runs its resource
// children, through internal/proc: in a process group of its own, output
// appended to the debug log. On a timeout (or when the Manager closes)
// the whole group is killed: a start script's stray children go with it.

// errTimeout and errCancelled say why an action was killed.
var (
	errTimeout   = errors.New("timed out")
	errCancelled = errors.New("cancelled: hbd is stopping")
)

// statusCap bounds the status output kept for the ownership test; the
// rest is read and dropped.
const statusCap = 64 << 10

// pipeWait bounds how long a status run's stdout may stay open after the
// script exited (a background child holding it): heartbeat's backquotes
// would wait for ever.
const pipeWait = 2 * time.Second

// action is one agent process to run.
type action struct {
	path string
	argv []string // without path; the verb last
	env  []string
	// status keeps stdout for the ownership test; otherwise stdout goes
	// to the output file with stderr.
	status bool
	what   string // for log lines: "<path> <args> <verb>"
}

// run runs a and returns its exit status the way the shell reports it
// ($?: 128+n for a signal), and its stdout when a.status. err is set
// when a could not run to its end: it could not start, or it timed out
// or was cancelled and its process group was killed.
func (m *Manager) run(ctx context.Context, a *action) (rc int, stdout []byte, err error) {
	r := proc.Run(ctx, &proc.Spec{
		Path:          a.path,
		Args:          append([]string{a.path}, a.argv...),
		Env:           a.env,
		Dir:           "/",
		Output:        m.opt.Output,
		CaptureStdout: a.status,
		Cap:           statusCap,
		PipeWait:      pipeWait,
		Timeout:       m.opt.Timeout,
		KillGrace:     m.opt.KillGrace,
		Killing: func(why error, pgid int) {
			if why == proc.ErrTimeout {
				m.logf(prio.Error, "%s %s after %v: killing process group %d", a.what, errTimeout, m.opt.Timeout, pgid)
			} else {
				m.logf(prio.Warn, "%s %s: killing process group %d", a.what, errCancelled, pgid)
			}
		},
	})
	switch {
	case r.Err == proc.ErrTimeout:
		err = errTimeout
	case r.Err == proc.ErrCancelled:
		err = errCancelled
	default:
		err = r.Err
	}
	if !r.Reaped() {
		return 0, nil, err
	}
	return r.ShellStatus(), r.Stdout, err
}

package rsc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// This file runs one agent process as heartbeat runs its resource
// children: in a process group of its own, output appended to the debug
// log. On a timeout (or when the Manager closes) the whole group is
// killed: a start script's stray children go with it.

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

// proc is one process to run.
type proc struct {
	path string
	argv []string // without path; the verb last
	env  []string
	// stdout, when set, receives stdout (status); otherwise stdout goes
	// to the output file with stderr.
	stdout io.Writer
	what   string // for log lines: "<path> <args> <verb>"
}

// run runs p and returns its exit status the way the shell reports it
// ($?: 128+n for a signal). err is set when p could not run to its end:
// it could not start, or it timed out or was cancelled and its process
// group was killed.
func (m *Manager) run(ctx context.Context, p *proc) (rc int, err error) {
	if ctx.Err() != nil {
		return 0, errCancelled
	}
	out, err := m.openOutput()
	if err != nil {
		return 0, err
	}
	defer out.Close() // the child has its own copy once started
	cmd := &exec.Cmd{
		Path:        p.path,
		Args:        append([]string{p.path}, p.argv...),
		Env:         p.env,
		Dir:         "/",
		Stdout:      out,
		Stderr:      out,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if p.stdout != nil {
		cmd.Stdout = p.stdout
		cmd.WaitDelay = pipeWait
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var expire <-chan time.Time
	if m.opt.Timeout > 0 {
		t := time.NewTimer(m.opt.Timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case err := <-done:
		return exitStatus(cmd, err)
	case <-expire:
		err = errTimeout
		m.logf(prio.Error, "%s %s after %v: killing process group %d", p.what, err, m.opt.Timeout, cmd.Process.Pid)
	case <-ctx.Done():
		err = errCancelled
		m.logf(prio.Warn, "%s %s: killing process group %d", p.what, err, cmd.Process.Pid)
	}
	m.killGroup(cmd.Process.Pid, done)
	return exitStatus(cmd, err)
}

// killGroup sends SIGTERM to the process group, waits up to KillGrace
// for its leader, then sends SIGKILL to what is left of the group. done
// delivers the leader's Wait and is drained here.
func (m *Manager) killGroup(pgid int, done <-chan error) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(m.opt.KillGrace)
	defer t.Stop()
	exited := false
	select {
	case <-done:
		exited = true
	case <-t.C:
	}
	// Always: children that ignored SIGTERM outlive their leader.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if !exited {
		<-done
	}
}

// exitStatus turns Wait's outcome into the shell's $?. A process that
// ran to its end has its status even when err (a kill) is set.
func exitStatus(cmd *exec.Cmd, err error) (int, error) {
	st := cmd.ProcessState
	if st == nil {
		if err == nil {
			err = errors.New("no exit status")
		}
		return 0, err
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), killedErr(err)
	}
	return st.ExitCode(), killedErr(err)
}

// killedErr keeps the errors that mean the run was cut short; an
// *exec.ExitError only repeats the status, and ErrWaitDelay only says a
// child kept stdout open.
func killedErr(err error) error {
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	return err
}

// openOutput opens the debug log for appending; when it cannot be
// opened the output goes nowhere, as a shell redirection failure would
// lose it too.
func (m *Manager) openOutput() (*os.File, error) {
	path := m.opt.Output
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		return f, nil
	}
	if f, err2 := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err2 == nil {
		return f, nil
	}
	return nil, fmt.Errorf("open %s: %w", path, err)
}

// capWriter keeps the first statusCap bytes written to it.
type capWriter struct{ b []byte }

func (w *capWriter) Write(p []byte) (int, error) {
	if room := statusCap - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// describe is "<path> <args> <verb>" as ResourceManager's "Running" line
// prints it: the arguments joined by blanks, so none gives two blanks.
func describe(path string, args []string, verb string) string {
	return path + " " + strings.Join(args, " ") + " " + verb
}

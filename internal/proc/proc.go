package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Why a run was cut short: Result.Err of a child the runner killed.
var (
	ErrTimeout   = errors.New("timed out")
	ErrCancelled = errors.New("cancelled")
)

const (
	// DefaultCap is what a captured stream keeps when Spec.Cap is 0.
	DefaultCap = 64 << 10
	// defaultPipeWait bounds, when Spec.PipeWait is 0, how long a
	// captured stream may stay open after the child exited.
	defaultPipeWait = 2 * time.Second
)

// Spec is one child to run.
type Spec struct {
	// Path is the program; without a slash it is looked up in our PATH,
	// as exec.Command does.
	Path string
	// Args is the whole argv, Args[0] included; nil is {Path}.
	Args []string
	// Env is the child's environment; nil gives it ours. Of duplicate
	// names the last wins.
	Env []string
	// Dir is the working directory; "" keeps ours.
	Dir string
	// Credential switches user and groups in the child (respawn clients);
	// nil keeps ours.
	Credential *syscall.Credential

	// Output is the file that stdout and stderr are appended to, opened
	// (created 0644) at each start; "" is /dev/null. When it cannot be
	// opened the output goes to /dev/null, as a shell redirection that
	// failed would lose it.
	Output string
	// CaptureStdout and CaptureStderr keep the stream in the Result, up
	// to Cap bytes (0: DefaultCap); the rest is read and dropped, so that
	// the child never blocks on a full pipe.
	CaptureStdout, CaptureStderr bool
	Cap                          int
	// PipeWait bounds how long a captured stream may stay open after the
	// child exited (a background grandchild holding it): 0 is 2 s. The
	// Result then has PipeHeld.
	PipeWait time.Duration

	// Timeout bounds the run; 0 has none.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL when the run is
	// killed (timeout or cancelled context); 0 sends SIGKILL at once.
	KillGrace time.Duration
	// Killing, if set, is called on the runner's goroutine when a kill
	// begins, with ErrTimeout or ErrCancelled and the process group: the
	// caller's log line goes before the signals, not after the grace.
	Killing func(why error, pgid int)
}

// Result is how a child ended.
type Result struct {
	// Pid is the child's pid, which is also its process group; 0 when it
	// never started (then Err says why).
	Pid int
	// Status is how the child ended, valid when it was reaped (Pid != 0
	// and Err is nil, ErrTimeout or ErrCancelled).
	Status syscall.WaitStatus
	// Err is nil when the child ran to its end, ErrTimeout or
	// ErrCancelled when the runner killed it (Status says by what), or
	// why it could not be started or waited for.
	Err error
	// Stdout and Stderr are the captured streams, at most Cap bytes each.
	Stdout, Stderr []byte
	// PipeHeld says a captured stream was still open PipeWait after the
	// child exited (a grandchild holding it): what came after is lost.
	PipeHeld bool

	reaped bool
}

// Reaped reports whether the child ran and was waited for: Status is
// valid.
func (r *Result) Reaped() bool { return r.reaped }

// Exited reports whether the child called exit.
func (r *Result) Exited() bool { return r.reaped && r.Status.Exited() }

// ExitCode is the child's exit code, -1 unless it exited.
func (r *Result) ExitCode() int {
	if !r.Exited() {
		return -1
	}
	return r.Status.ExitStatus()
}

// Signal is the signal that killed the child; 0 if none did.
func (r *Result) Signal() syscall.Signal {
	if !r.reaped || !r.Status.Signaled() {
		return 0
	}
	return r.Status.Signal()
}

// ShellStatus is the shell's $?: the exit code, or 128 + the signal.
func (r *Result) ShellStatus() int {
	if sig := r.Signal(); sig != 0 {
		return 128 + int(sig)
	}
	return r.Status.ExitStatus()
}

// String says how the child ended in os.ProcessState's words ("exit
// status 1", "signal: killed"), or why it did not run.
func (r *Result) String() string {
	if !r.reaped {
		if r.Err == nil {
			return "not run"
		}
		return r.Err.Error()
	}
	var s string
	if sig := r.Signal(); sig != 0 {
		s = "signal: " + sig.String()
	} else {
		s = "exit status " + strconv.Itoa(r.Status.ExitStatus())
	}
	if r.Status.CoreDump() {
		s += " (core dumped)"
	}
	return s
}

// Process is a started child.
type Process struct {
	// Pid is the child's pid and process group.
	Pid int
	cmd *exec.Cmd
}

// Signal sends sig to the child's whole process group.
func (p *Process) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}

// Start forks and execs s in a process group of its own and returns
// without waiting: a goroutine of the runner waits for the child, kills
// it on s.Timeout or when ctx ends (nil: never), and then calls done with
// the Result, once. When Start fails nothing runs and done is never
// called.
func Start(ctx context.Context, s *Spec, done func(Result)) (*Process, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Err() != nil {
		return nil, ErrCancelled
	}
	path := s.Path
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return nil, err
		}
		path = lp
	}
	args := s.Args
	if args == nil {
		args = []string{s.Path}
	}
	cmd := &exec.Cmd{
		Path: path,
		Args: args,
		Env:  s.Env,
		Dir:  s.Dir,
		// Its own process group, as heartbeat's setpgid(0,0).
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Credential: s.Credential},
	}
	// Captured streams are pipes of our own, read on goroutines, so
	// that the leader's exit is seen at once even while a grandchild
	// holds a pipe open (os/exec would wait for the pipe first).
	var stdout, stderr *capture
	var closeAfter []*os.File
	defer func() {
		for _, f := range closeAfter {
			f.Close() // the child has its own copies once started
		}
	}()
	fail := func(err error) (*Process, error) {
		for _, c := range []*capture{stdout, stderr} {
			if c != nil {
				c.r.Close()
			}
		}
		return nil, err
	}
	if s.CaptureStdout || s.CaptureStderr {
		n := s.Cap
		if n <= 0 {
			n = DefaultCap
		}
		for _, c := range []struct {
			on bool
			to **capture
		}{{s.CaptureStdout, &stdout}, {s.CaptureStderr, &stderr}} {
			if !c.on {
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				return fail(err)
			}
			closeAfter = append(closeAfter, w)
			*c.to = &capture{r: r, w: w, buf: capBuf{max: n}, done: make(chan struct{})}
		}
	}
	if stdout == nil || stderr == nil {
		out, err := openOutput(s.Output)
		if err != nil {
			return fail(err)
		}
		closeAfter = append(closeAfter, out)
		cmd.Stdout, cmd.Stderr = out, out
	}
	if stdout != nil {
		cmd.Stdout = stdout.w
	}
	if stderr != nil {
		cmd.Stderr = stderr.w
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	for _, c := range []*capture{stdout, stderr} {
		if c != nil {
			go c.read()
		}
	}
	p := &Process{Pid: cmd.Process.Pid, cmd: cmd}
	pipeWait := s.PipeWait
	if pipeWait <= 0 {
		pipeWait = defaultPipeWait
	}
	spec := *s // the caller may reuse s
	go p.wait(ctx, &spec, pipeWait, stdout, stderr, done)
	return p, nil
}

// Run runs s and waits for its end; a start failure is the Result's Err
// (Pid 0). It blocks: never call it on the event loop.
func Run(ctx context.Context, s *Spec) Result {
	ch := make(chan Result, 1)
	if _, err := Start(ctx, s, func(r Result) { ch <- r }); err != nil {
		return Result{Err: err}
	}
	return <-ch
}

// wait reaps the child, killing it on timeout or cancel, collects what
// it printed and calls done.
func (p *Process) wait(ctx context.Context, s *Spec, pipeWait time.Duration, stdout, stderr *capture, done func(Result)) {
	var err, why error
	if s.Timeout <= 0 && ctx.Done() == nil {
		err = p.cmd.Wait()
	} else {
		waited := make(chan error, 1)
		go func() { waited <- p.cmd.Wait() }()
		var expire <-chan time.Time
		if s.Timeout > 0 {
			t := time.NewTimer(s.Timeout)
			defer t.Stop()
			expire = t.C
		}
		select {
		case err = <-waited:
		case <-expire:
			why = ErrTimeout
		case <-ctx.Done():
			why = ErrCancelled
		}
		if why != nil {
			if s.Killing != nil {
				s.Killing(why, p.Pid)
			}
			err = p.kill(s.KillGrace, waited)
		}
	}
	r := Result{Pid: p.Pid, Err: why}
	if st := p.cmd.ProcessState; st != nil {
		r.reaped = true
		r.Status, _ = st.Sys().(syscall.WaitStatus)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && r.Err == nil {
		r.Err = err
	}
	if stdout != nil || stderr != nil {
		r.PipeHeld = collect(pipeWait, stdout, stderr)
		if stdout != nil {
			r.Stdout = stdout.buf.b
		}
		if stderr != nil {
			r.Stderr = stderr.buf.b
		}
	}
	if done != nil {
		done(r)
	}
}

// collect waits up to pipeWait for the captures to reach end of file,
// then closes them; it reports whether one was still open.
func collect(pipeWait time.Duration, cs ...*capture) (held bool) {
	t := time.NewTimer(pipeWait)
	defer t.Stop()
	for _, c := range cs {
		if c == nil {
			continue
		}
		select {
		case <-c.done:
		case <-t.C:
			held = true
		}
		if held {
			break
		}
	}
	for _, c := range cs {
		if c != nil {
			c.r.Close() // ends a read still under way
			<-c.done
		}
	}
	return held
}

// kill sends SIGTERM to the group (and SIGCONT, so that a stopped member
// gets it), waits up to grace for the leader, then sends SIGKILL to what
// is left of the group: children that ignored SIGTERM outlive their
// leader. waited delivers the leader's Wait.
func (p *Process) kill(grace time.Duration, waited <-chan error) error {
	if grace > 0 {
		_ = p.Signal(syscall.SIGTERM)
		_ = p.Signal(syscall.SIGCONT)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case err := <-waited:
			_ = p.Signal(syscall.SIGKILL)
			return err
		case <-t.C:
		}
	}
	_ = p.Signal(syscall.SIGKILL)
	return <-waited
}

// openOutput opens path for appending ("" is /dev/null), or /dev/null
// when path cannot be opened.
func openOutput(path string) (*os.File, error) {
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

// capture is one captured stream: the pipe's read end and what was read.
type capture struct {
	r, w *os.File
	buf  capBuf
	done chan struct{} // closed when read returns
}

// read copies the pipe into buf until end of file or until collect
// closes it.
func (c *capture) read() {
	defer close(c.done)
	var b [4096]byte
	for {
		n, err := c.r.Read(b[:])
		c.buf.Write(b[:n])
		if err != nil {
			return
		}
	}
}

// capBuf keeps the first max bytes written to it and drops the rest.
// Only its capture's read goroutine writes it; the Result takes it
// after that goroutine has returned.
type capBuf struct {
	b   []byte
	max int
}

func (w *capBuf) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

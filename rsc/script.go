package rsc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hbd-ha/hbd/config"
)

// script is a resource run as ResourceManager's doscript runs it:
// "<path> <args...> <verb>".
type script struct {
	m    *Manager
	res  *config.Resource
	path string
	name string
}

// exitError is an action that ran and exited non-zero.
type exitError struct {
	rc   int
	path string
}

func (e *exitError) Error() string { return fmt.Sprintf("Return code %d from %s", e.rc, e.path) }

// String is "<path> <args>", as ResourceManager's "Running" line shows
// them: no arguments leaves a trailing blank.
func (s *script) String() string { return s.path + " " + strings.Join(s.res.Args, " ") }

func (s *script) Start(ctx context.Context) error { return s.act(ctx, "start") }
func (s *script) Stop(ctx context.Context) error  { return s.act(ctx, "stop") }

func (s *script) act(ctx context.Context, verb string) error {
	rc, _, err := s.m.run(ctx, &action{path: s.path, argv: withVerb(s.res.Args, verb), env: s.m.env, what: s.String() + " " + verb})
	switch {
	case err != nil:
		return s.startErr(err)
	case rc != 0:
		return &exitError{rc: rc, path: s.path}
	}
	return nil
}

// Running is we_own_resource: the status verb's stdout, judged by its
// text; the exit code is not looked at.
func (s *script) Running(ctx context.Context) (bool, error) {
	_, out, err := s.m.run(ctx, &action{path: s.path, argv: withVerb(s.res.Args, "status"), env: s.m.env, status: true, what: s.String() + " status"})
	if err != nil {
		return false, s.startErr(err)
	}
	return ownedText(out), nil
}

// startErr says "Cannot locate resource script" when the script has gone
// since the Manager found it.
func (s *script) startErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNoScript(s.name)
	}
	return err
}

// withVerb is args with verb appended, in a new slice.
func withVerb(args []string, verb string) []string {
	return append(args[:len(args):len(args)], verb)
}

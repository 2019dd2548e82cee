package rsc

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// This file is ResourceManager's acquireresourcegroup and
// giveupresourcegroup, with its words.

// takeGroup starts the group left to right, skipping resources already
// running. A failed start stops the whole group again (every resource,
// right to left, started or not). It reports whether the group runs.
func (m *Manager) takeGroup(ctx context.Context, g *group) bool {
	m.logf(prio.Info, "Acquiring resource group: %s", g.line)
	for i, a := range g.agents {
		if m.owned(ctx, a) {
			continue
		}
		if m.act(ctx, a, "start") == nil {
			continue
		}
		if ctx.Err() != nil {
			return false // Close: leave things as they are
		}
		m.logf(prio.Crit, "Giving up resources due to failure of %s", g.cfg.Resources[i].Token)
		m.giveGroup(ctx, g)
		return false
	}
	return true
}

// giveGroup stops the group right to left. A failed stop is retried; if
// it still fails and the resource still runs, the node fences itself
// (heartbeat reboots). It reports whether the group is down.
func (m *Manager) giveGroup(ctx context.Context, g *group) bool {
	m.logf(prio.Info, "Releasing resource group: %s", g.line)
	for i := len(g.agents) - 1; i >= 0; i-- {
		a, tok := g.agents[i], g.cfg.Resources[i].Token
		err := m.act(ctx, a, "stop")
		for n := 0; err != nil && (m.opt.StopRetries < 0 || n < m.opt.StopRetries); n++ {
			if !sleep(ctx, m.opt.retryEvery) {
				return false
			}
			m.logf(prio.Info, "Retrying failed stop operation [%s]", tok)
			err = m.act(ctx, a, "stop")
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return false // Close cut the stop short: not a stop failure
		}
		owned, serr := a.Running(ctx)
		if serr != nil {
			// A status that cannot tell must not avoid the reboot.
			m.logErr(a, "status", serr)
			owned = ctx.Err() == nil
		}
		if !owned {
			m.logf(prio.Error, "Resource script for %s probably not LSB-compliant.", tok)
			m.logf(prio.Warn, "it (%s) MUST succeed on a stop when already stopped", tok)
			m.logf(prio.Warn, "Machine reboot narrowly avoided!")
			continue
		}
		if ctx.Err() != nil {
			return false
		}
		m.logf(prio.Crit, "Resource STOP failure. Reboot required!")
		m.logf(prio.Crit, "Killing heartbeat ungracefully!")
		m.selfFence()
		return false
	}
	return true
}

// act runs start or stop, with ResourceManager's "Running" line and its
// error lines.
func (m *Manager) act(ctx context.Context, a agent, verb string) error {
	m.logf(prio.Info, "Running %s %s", a, verb)
	var err error
	if verb == "start" {
		err = a.Start(ctx)
	} else {
		err = a.Stop(ctx)
	}
	if err != nil {
		m.logErr(a, verb, err)
	}
	return err
}

// owned is the ownership test before a start: an agent that cannot tell
// is taken as not running, so that it is started.
func (m *Manager) owned(ctx context.Context, a agent) bool {
	owned, err := a.Running(ctx)
	if err != nil {
		m.logErr(a, "status", err)
		return false
	}
	return owned
}

// logErr logs a failed action in heartbeat's words where it has some
// ("Return code <rc> from <path>", "Cannot locate resource script
// <name>"); run has already logged timeouts and cancellations. Other
// errors are prefixed with the agent and verb unless they name the
// agent already (the built-in IP agent's do).
func (m *Manager) logErr(a agent, verb string, err error) {
	var ee *exitError
	var ns errNoScript
	switch {
	case errors.Is(err, errTimeout), errors.Is(err, errCancelled):
	case errors.As(err, &ee), errors.As(err, &ns):
		m.logf(prio.Error, "%v", err)
	default:
		msg := err.Error()
		if name := a.String(); !strings.HasPrefix(msg, name) {
			msg = name + " " + verb + ": " + msg
		}
		m.logf(prio.Error, "%s", msg)
	}
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

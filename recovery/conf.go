package recovery

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/apphb/core"
)

// Conf is a recovery configuration.
type Conf struct {
	Timeout    time.Duration // default per rule
	BackoffMin time.Duration
	BackoffMax time.Duration
	KillGrace  time.Duration
	Rules      []Rule
}

// Rule is what to do for one application's events.
type Rule struct {
	Line     string // file:line, for log lines
	App      string
	Instance string // "" for every instance
	Events   []core.EventKind
	User     string
	Timeout  time.Duration
	Signal   syscall.Signal // 0: none
	Args     []string       // the command
}

// Defaults of a configuration without settings.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 5 * time.Minute
	DefaultKillGrace  = 2 * time.Second
)

// ConfError is a bad line, with its place.
type ConfError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var signals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "HUP": syscall.SIGHUP, "INT": syscall.SIGINT,
	"QUIT": syscall.SIGQUIT, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "ABRT": syscall.SIGABRT,
}

// SystemdCommand is the command a systemd rule runs for unit.
func SystemdCommand(unit string) []string { return []string{"systemctl", "restart", "--", unit} }

// ParseConf reads a recovery configuration named name.
func ParseConf(name string, data []byte) (Conf, error) {
	c := Conf{Timeout: DefaultTimeout, BackoffMin: DefaultBackoffMin, BackoffMax: DefaultBackoffMax, KillGrace: DefaultKillGrace}
	sc := bufio.NewScanner(bytes.NewReader(data))
	var timeouts []bool // rule i had its own timeout
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &ConfError{name, n, fmt.Sprintf(format, args...)}
		}
		dur := func(v string) (time.Duration, error) {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return 0, bad("%q is not a positive duration (10s, 500ms)", v)
			}
			return d, nil
		}
		var err error
		switch f[0] {
		case "timeout", "killgrace":
			if len(f) != 2 {
				return c, bad("%s wants one duration", f[0])
			}
			var d time.Duration
			if d, err = dur(f[1]); err != nil {
				return c, err
			}
			if f[0] == "timeout" {
				c.Timeout = d
			} else {
				c.KillGrace = d
			}
		case "backoff":
			if len(f) != 3 {
				return c, bad("backoff wants the first wait and the bound")
			}
			if c.BackoffMin, err = dur(f[1]); err != nil {
				return c, err
			}
			if c.BackoffMax, err = dur(f[2]); err != nil {
				return c, err
			}
			if c.BackoffMax < c.BackoffMin {
				return c, bad("backoff bound %v below its first wait %v", c.BackoffMax, c.BackoffMin)
			}
		case "app":
			r, own, err := parseRule(f, bad)
			if err != nil {
				return c, err
			}
			r.Line = fmt.Sprintf("%s:%d", name, n)
			c.Rules = append(c.Rules, r)
			timeouts = append(timeouts, own)
		default:
			return c, bad("unknown directive %q (timeout, backoff, killgrace or app)", f[0])
		}
	}
	for i := range c.Rules {
		if !timeouts[i] {
			c.Rules[i].Timeout = c.Timeout
		}
	}
	return c, sc.Err()
}

func parseRule(f []string, bad func(string, ...any) error) (r Rule, ownTimeout bool, err error) {
	r.User = "root"
	for i := 0; i < len(f); i += 2 {
		key := f[i]
		if i+1 >= len(f) {
			return r, false, bad("%s wants a value", key)
		}
		v := f[i+1]
		switch key {
		case "app":
			r.App, r.Instance, _ = strings.Cut(v, "/")
			if r.App == "" {
				return r, false, bad("empty application name")
			}
		case "event":
			for _, e := range strings.Split(v, ",") {
				k, ok := core.ParseEvent(e)
				if !ok || (k != core.EventFailed && k != core.EventHangup) {
					return r, false, bad("event %q: want failed, hangup or both (failed,hangup)", e)
				}
				r.Events = append(r.Events, k)
			}
		case "user":
			r.User = v
		case "timeout":
			d, perr := time.ParseDuration(v)
			if perr != nil || d <= 0 {
				return r, false, bad("timeout %q is not a positive duration", v)
			}
			r.Timeout, ownTimeout = d, true
		case "signal":
			s, ok := signals[strings.TrimPrefix(strings.ToUpper(v), "SIG")]
			if !ok {
				return r, false, bad("unknown signal %q", v)
			}
			r.Signal = s
		case "run":
			r.Args = []string{"/bin/sh", "-c", strings.Join(f[i+1:], " ")}
			i = len(f)
		case "systemd":
			if i+2 != len(f) {
				return r, false, bad("systemd takes one unit and ends the rule")
			}
			r.Args = SystemdCommand(v)
		default:
			return r, false, bad("unknown rule keyword %q (app, event, user, timeout, signal, run, systemd)", key)
		}
	}
	switch {
	case r.App == "":
		return r, false, bad("rule without app")
	case len(r.Events) == 0:
		return r, false, bad("rule for %s without event", r.App)
	case r.Args == nil:
		return r, false, bad("rule for %s without run or systemd", r.App)
	}
	return r, ownTimeout, nil
}

// match reports whether r acts on ev.
func (r *Rule) match(ev *core.Event) bool {
	if r.App != ev.App || (r.Instance != "" && r.Instance != ev.Instance) {
		return false
	}
	for _, k := range r.Events {
		if k == ev.Kind {
			return true
		}
	}
	return false
}

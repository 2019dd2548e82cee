package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Monitoring of haresources resources (hbd's extension; heartbeat only
// fails a group over when its node dies). See the package doc, "Resource
// monitoring".

// Defaults of the monitoring directives.
const (
	// DefaultMonitorTimeout bounds one monitor run when hbd_monitor names
	// no timeout (Pacemaker's default operation timeout).
	DefaultMonitorTimeout = 20 * time.Second
	// DefaultMonitorRestarts is how many in-place restarts a group gets
	// within the window before the node gives it up.
	DefaultMonitorRestarts = 3
	// DefaultMonitorWindow is the window the restarts are counted in.
	DefaultMonitorWindow = 10 * time.Minute
	// minMonitorInterval keeps a typo (hbd_monitor 1ms) from forking
	// agents in a tight loop.
	minMonitorInterval = 100 * time.Millisecond
	// maxMonitorRestarts bounds hbd_monitor_restarts.
	maxMonitorRestarts = 1000
)

// Monitor is the ha.cf side of monitoring: hbd_monitor <interval>
// [timeout], hbd_monitor_restarts, hbd_monitor_window.
type Monitor struct {
	// Interval is the default monitor interval of every resource; 0 (no
	// hbd_monitor line) monitors only the resources that ask for it in
	// haresources.
	Interval, Timeout time.Duration
	// Restarts are the in-place restarts a group gets within Window;
	// the next failure gives the group up (hb_standby's way).
	Restarts int
	Window   time.Duration
}

// ResourceMonitor is a resource's own monitor setting in haresources:
// the suffix "::hbd_monitor=<interval>[/<timeout>]" or "::hbd_monitor=off"
// on its token.
type ResourceMonitor struct {
	Set               bool // the resource has the suffix
	Off               bool // hbd_monitor=off: never monitored
	Interval, Timeout time.Duration
	// Err says why the suffix is invalid ("" when it is valid).
	Err string
}

// monitorSuffix is the haresources extension's marker.
const monitorSuffix = "::hbd_monitor="

// MonitorOf returns what r's monitor is under ha.cf's settings m:
// its interval (0: not monitored) and timeout.
func (m Monitor) MonitorOf(r *Resource) (interval, timeout time.Duration) {
	interval, timeout = m.Interval, m.Timeout
	if r.Monitor.Set {
		if r.Monitor.Off {
			return 0, 0
		}
		interval = r.Monitor.Interval
		if r.Monitor.Timeout > 0 {
			timeout = r.Monitor.Timeout
		}
	}
	if interval > 0 && timeout <= 0 {
		timeout = DefaultMonitorTimeout
	}
	return interval, timeout
}

// Monitored reports whether any resource of c is monitored.
func (c *Config) Monitored() bool {
	if c.Haresources == nil {
		return false
	}
	for _, g := range c.Haresources.Groups {
		for i := range g.Resources {
			if iv, _ := c.Monitor.MonitorOf(&g.Resources[i]); iv > 0 {
				return true
			}
		}
	}
	return false
}

// parseResourceToken splits the monitor suffix off a haresources token,
// then parses the rest as ResourceManager would.
func parseResourceToken(tok string) Resource {
	i := strings.LastIndex(tok, monitorSuffix)
	if i < 0 {
		return ParseResource(tok)
	}
	r := ParseResource(tok[:i])
	r.Monitor = parseResourceMonitor(tok[i+len(monitorSuffix):])
	if r.Token == "" {
		r.Monitor.Err = "hbd_monitor suffix without a resource"
	}
	return r
}

// parseResourceMonitor reads "<interval>[/<timeout>]" or "off".
func parseResourceMonitor(v string) ResourceMonitor {
	m := ResourceMonitor{Set: true}
	if v == "off" || v == "0" {
		m.Off = true
		return m
	}
	iv, to, hasTO := strings.Cut(v, "/")
	var ok bool
	if m.Interval, ok = monitorTime(iv); !ok || m.Interval < minMonitorInterval {
		m.Err = fmt.Sprintf("hbd_monitor interval [%s] must be a time of at least %v (or off)", iv, minMonitorInterval)
		return m
	}
	if hasTO {
		if m.Timeout, ok = monitorTime(to); !ok || m.Timeout <= 0 {
			m.Err = fmt.Sprintf("hbd_monitor timeout [%s] must be a time above 0", to)
		}
	}
	return m
}

// monitorTime reads heartbeat's time syntax (seconds, or ms/us suffixes)
// and also "<n>s", "<n>m" (minutes) and "<n>h", which the monitoring
// directives' users will write.
func monitorTime(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	mult := int64(0)
	switch {
	case strings.HasSuffix(v, "ms") || strings.HasSuffix(v, "us"):
	case strings.HasSuffix(v, "s"):
		mult = 1
	case strings.HasSuffix(v, "m"):
		mult = 60
	case strings.HasSuffix(v, "h"):
		mult = 3600
	}
	if mult > 0 {
		n, err := strconv.ParseUint(v[:len(v)-1], 10, 32)
		if err != nil {
			return 0, false
		}
		return time.Duration(int64(n)*mult) * time.Second, true
	}
	ms := getMsec(v)
	if ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) || strings.TrimLeft(v, "0123456789.") == v {
		return 0, false
	}
	return msDuration(ms), true
}

// haresourcesMonitorDiags reports the invalid monitor suffixes of groups.
func haresourcesMonitorDiags(path string, groups []Group) Diagnostics {
	var diags Diagnostics
	for _, g := range groups {
		for _, r := range g.Resources {
			if r.Monitor.Err != "" {
				diags = append(diags, Diagnostic{File: path, Line: g.Line, Level: LevelError, Fatal: true, Hbd: true,
					Msg: fmt.Sprintf("%s (resource %s)", r.Monitor.Err, r.Token)})
			}
		}
	}
	return diags
}

// firstToken reports whether v is the first value of the directive's
// line: the option loop calls a handler once per token, and the
// monitoring directive reads its whole line once.
func (p *hacfParser) firstToken(v string) bool {
	f := p.restTokens()
	return len(f) > 0 && f[0] == v
}

// restTokens splits the directive's line as the option loop does: on
// blanks and commas.
func (p *hacfParser) restTokens() []string {
	return strings.FieldsFunc(p.rest, func(r rune) bool { return r == ',' || strings.ContainsRune(whitespace, r) })
}

func (p *hacfParser) setMonitor(v string) bool {
	if !p.firstToken(v) {
		return true
	}
	f := p.restTokens()
	if len(f) > 2 {
		p.hbdFatalf("hbd_monitor takes an interval and an optional timeout, not [%s]", strings.TrimSpace(p.rest))
		return false
	}
	iv, ok := monitorTime(f[0])
	if !ok || iv < minMonitorInterval {
		p.hbdFatalf("hbd_monitor interval [%s] must be a time of at least %v", f[0], minMonitorInterval)
		return false
	}
	to := time.Duration(0)
	if len(f) == 2 {
		if to, ok = monitorTime(f[1]); !ok || to <= 0 {
			p.hbdFatalf("hbd_monitor timeout [%s] must be a time above 0", f[1])
			return false
		}
	}
	p.cfg.Monitor.Interval, p.cfg.Monitor.Timeout = iv, to
	return true
}

func (p *hacfParser) setMonitorRestarts(v string) bool {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxMonitorRestarts {
		p.hbdFatalf("hbd_monitor_restarts [%s] must be a number from 0 to %d", v, maxMonitorRestarts)
		return false
	}
	p.cfg.Monitor.Restarts = n
	return true
}

func (p *hacfParser) setMonitorWindow(v string) bool {
	d, ok := monitorTime(v)
	if !ok || d <= 0 {
		p.hbdFatalf("hbd_monitor_window [%s] must be a time above 0", v)
		return false
	}
	p.cfg.Monitor.Window = d
	return true
}

func (p *hacfParser) setHbdLRM(v string) bool { return p.hbdOnOff("hbd_lrm", v, &p.cfg.LRM) }

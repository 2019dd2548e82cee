package ipaddr

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// Options tune a Resource. The zero value is the agent's behaviour.
type Options struct {
	// Logf receives the lines the agent logs through ocf_log, in its
	// words. It is called from the goroutine running Start, Stop or
	// Running, never from the ARP burst; nil discards them.
	Logf func(l prio.Level, format string, args ...any)
	// ARPCount is how many gratuitous ARP request/reply pairs Start
	// sends; 0 is the agent's default (IPaddr2: 5, IPaddr: 10).
	ARPCount int
	// ARPInterval is the time from one pair to the next; 0 is the
	// agent's default (IPaddr2: 200ms, IPaddr: 500ms).
	ARPInterval time.Duration
}

// Resource is one IPaddr or IPaddr2 resource. Its methods may be called
// from any goroutine; they run one at a time.
type Resource struct {
	name     string
	a        args
	logf     func(l prio.Level, format string, args ...any)
	count    int
	interval time.Duration

	mu    sync.Mutex
	burst *burst // the running gratuitous ARP burst, nil if none
	// loopback is the address IPaddr2 took off a loopback interface
	// (lvs_support), to be put back by Stop; nil if none.
	loopback *savedAddr
}

// New checks the argument of an IPaddr or IPaddr2 resource (script is
// "IPaddr" or "IPaddr2"). Syntax errors are reported now; the interface,
// netmask and broadcast are inferred at each Start, Stop and Running, as
// the agent infers them at each run, because interfaces and routes change.
func New(script string, ip *config.IPAddr, opt Options) (*Resource, error) {
	a, err := parseArgs(script, ip)
	if err != nil {
		if e, ok := err.(*Error); ok && ip != nil {
			e.Resource = script + "::" + argString(ip)
		}
		return nil, err
	}
	r := &Resource{name: script + "::" + argString(ip), a: a, logf: opt.Logf, count: opt.ARPCount, interval: opt.ARPInterval}
	if r.count < 0 || r.interval < 0 {
		return nil, &Error{Resource: r.name, Op: "new", Code: errConfigured, Msg: fmt.Sprintf("negative ARP count %d or interval %v", r.count, r.interval)}
	}
	if r.count == 0 {
		r.count = ipaddr2ARPCount
		if a.kind == ipaddr {
			r.count = ipaddrARPCount
		}
	}
	if r.interval == 0 {
		r.interval = ipaddr2ARPInterval * time.Millisecond
		if a.kind == ipaddr {
			r.interval = ipaddrARPInterval * time.Millisecond
		}
	}
	if r.logf == nil {
		r.logf = func(prio.Level, string, ...any) {}
	}
	return r, nil
}

// String returns the resource as haresources names it, e.g.
// "IPaddr2::198.18.0.100/24/eth0".
func (r *Resource) String() string { return r.name }

// argString puts the argument back together as the wrappers read it.
func argString(ip *config.IPAddr) string {
	var b strings.Builder
	b.WriteString(ip.IP)
	if ip.Netmask != "" || ip.Iface != "" || ip.Broadcast != "" {
		b.WriteString("/" + ip.Netmask)
	}
	if ip.Iface != "" {
		b.WriteString("/" + ip.Iface)
	}
	if ip.Broadcast != "" {
		b.WriteString("/" + ip.Broadcast)
	}
	return b.String()
}

// OCF return codes an Error can carry (the wrapper prints the matching
// "ERROR:  Generic error" … line and exits with them).
const (
	errGeneric    = 1
	errArgs       = 2
	errConfigured = 6
)

// Error is a failure in the agent's words.
type Error struct {
	Resource string // e.g. "IPaddr2::198.18.0.100/24/eth0"
	Op       string // "new", "start", "stop" or "status"
	Code     int    // the OCF exit code the agent would have returned
	Msg      string // the agent's message
	Err      error  // the system's error behind it, if any
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Resource != "" {
		return e.Resource + " " + e.Op + ": " + s
	}
	return e.Op + ": " + s
}

func (e *Error) Unwrap() error { return e.Err }

func (r *Resource) fail(op string, code int, err error, format string, v ...any) error {
	return &Error{Resource: r.name, Op: op, Code: code, Msg: fmt.Sprintf(format, v...), Err: err}
}

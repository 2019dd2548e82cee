package core

import (
	"time"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
)

// DefaultInterval is the timer a client has until its first setint
// (apphbd gives every new client ten minutes).
const DefaultInterval = 10 * time.Minute

// Config is what the layer is told once.
type Config struct {
	// PrivUIDs may ask for setboot 1 (root and hacluster in apphbd).
	PrivUIDs []int32
	// AllowReboot turns a setboot client's failure into Ready.Reboot;
	// without it the failure is logged and nothing reboots.
	AllowReboot bool
}

// ConnID names a connection; the driver picks it.
type ConnID = uint64

// Cred is the peer's credentials as the kernel recorded them.
type Cred struct{ PID, UID, GID int32 }

// EventKind is what happened to a client.
type EventKind uint8

// Events a recovery manager may act on.
const (
	EventFailed  EventKind = iota + 1 // its timer expired
	EventResumed                      // it heartbeat again after failing
	EventLate                         // a heartbeat later than its warn time
	EventHangup                       // it disconnected while registered
	EventUnreg                        // it unregistered
)

var eventNames = [...]string{"", "failed", "resumed", "late", "hangup", "unreg"}

func (k EventKind) String() string { return eventNames[k] }

// ParseEvent maps an event's name (as String prints it) to its kind.
func ParseEvent(s string) (EventKind, bool) {
	for i, n := range eventNames {
		if i > 0 && n == s {
			return EventKind(i), true
		}
	}
	return 0, false
}

// Event is one client's event. App and Instance stay valid for good.
type Event struct {
	Kind     EventKind
	Conn     ConnID
	App      string
	Instance string
	PID      int32
	Late     time.Duration // EventLate: the time since the previous heartbeat
	Boot     bool          // the client asked for setboot 1
	// Interval is the client's heartbeat interval and Due, for
	// EventFailed, the deadline that expired (the last heartbeat's time
	// plus Interval).
	Interval time.Duration
	Due      int64
}

// Ready is the layer's output since the last Advance.
type Ready struct {
	Log    layer.Log
	Events []Event
	// Reboot asks the driver to reboot the machine: a setboot client
	// failed and Config.AllowReboot is set.
	Reboot bool
}

// Reset empties the buffers (layer.Output's contract).
func (r *Ready) Reset() {
	r.Log.Reset()
	r.Events = r.Events[:0]
	r.Reboot = false
}

type client struct {
	id         ConnID
	cred       Cred
	registered bool
	name, inst string
	pid        int32
	interval   int64 // ns; 0: no timer
	warn       int64 // ns; 0: no late check
	last       int64 // time of the last heartbeat
	failed     bool
	boot       bool
	timer      int32
}

// Layer is apphbd's state: its clients and their timers.
type Layer struct {
	cfg     Config
	clients map[ConnID]*client
	timers  layer.Queue[*client]
	out     layer.Output[Ready, *Ready]
	req     Req
}

// New returns an empty layer.
func New(cfg Config) *Layer {
	return &Layer{cfg: cfg, clients: make(map[ConnID]*client)}
}

// Clients returns the number of connections the layer knows.
func (l *Layer) Clients() int { return len(l.clients) }

// Registered returns the number of registered clients.
func (l *Layer) Registered() int {
	n := 0
	for _, c := range l.clients {
		if c.registered {
			n++
		}
	}
	return n
}

// Open is a new connection from a peer with these credentials.
func (l *Layer) Open(now int64, id ConnID, pid, uid, gid int32) {
	cred := Cred{pid, uid, gid}
	if _, ok := l.clients[id]; ok {
		panic("apphb core: Open of a connection already open")
	}
	c := &client{id: id, cred: cred}
	c.timer = l.timers.Alloc(0, c)
	l.clients[id] = c
}

// Request handles one frame's body from id: rc is the errno to reply
// with, when reply is true (hb is never answered); signed says that the
// request registered the client.
func (l *Layer) Request(now int64, id ConnID, body []byte) (rc int32, reply, signed bool) {
	rc, reply = l.request(now, id, body)
	return rc, reply, reply && rc == OK && l.req.Kind == KindReg
}

func (l *Layer) request(now int64, id ConnID, body []byte) (rc int32, reply bool) {
	c := l.clients[id]
	if c == nil {
		panic("apphb core: Request on a connection not open")
	}
	r := &l.req
	ok := Decode(body, r)
	if r.Kind == KindHB {
		if ok && c.registered {
			l.heartbeat(now, c)
		}
		return 0, false
	}
	if !ok || r.Kind == KindUnknown {
		return EINVAL, true
	}
	if r.Kind == KindReg {
		return l.register(now, c, r), true
	}
	if !c.registered {
		return ESRCH, true
	}
	switch r.Kind {
	case KindSetInt:
		c.interval = int64(min(r.Value, uint64(1<<62)/uint64(time.Millisecond))) * int64(time.Millisecond)
		l.heartbeat(now, c) // a new interval counts as a heartbeat
	case KindSetWarn:
		c.warn = int64(min(r.Value, uint64(1<<62)/uint64(time.Millisecond))) * int64(time.Millisecond)
	case KindSetBoot:
		if r.Value != 0 && !l.privileged(c.cred.UID) {
			return EPERM, true
		}
		c.boot = r.Value != 0
		l.logf(prio.Info, "apphb client '%s' / '%s' (pid %d) setboot %d", c.name, c.inst, c.pid, r.Value)
	case KindUnreg:
		l.emit(c, EventUnreg, 0)
		l.remove(c)
		c.registered = false
	}
	return OK, true
}

func (l *Layer) privileged(uid int32) bool {
	for _, u := range l.cfg.PrivUIDs {
		if u == uid {
			return true
		}
	}
	return false
}

func (l *Layer) register(now int64, c *client, r *Req) int32 {
	switch {
	case c.registered:
		return EEXIST
	case len(r.Name) == 0 || len(r.Name) >= NameLen || len(r.Instance) >= NameLen:
		return EINVAL
	case r.PID < 2 || r.PID != c.cred.PID || r.UID != c.cred.UID || r.GID != c.cred.GID:
		return EINVAL
	}
	c.registered, c.name, c.inst, c.pid = true, string(r.Name), string(r.Instance), r.PID
	c.interval, c.warn, c.failed, c.boot = int64(DefaultInterval), 0, false, false
	l.logf(prio.Debug, "apphb_client_register: client: [%s]/[%s] pid %d (uid,gid) = (%d,%d)", c.name, c.inst, c.pid, r.UID, r.GID)
	l.heartbeat(now, c)
	return OK
}

// heartbeat is an hb (or a setint or reg) from c at now.
func (l *Layer) heartbeat(now int64, c *client) {
	if c.failed {
		c.failed = false
		l.logf(prio.Info, "apphb client '%s' / '%s' (pid %d) resumed heartbeats", c.name, c.inst, c.pid)
		l.emit(c, EventResumed, 0)
	}
	if since := now - c.last; c.warn > 0 && c.last != 0 && since > c.warn {
		l.logf(prio.Info, "apphb client '%s' / '%s' (pid %d) late heartbeat: %d ms", c.name, c.inst, c.pid, since/int64(time.Millisecond))
		l.emit(c, EventLate, time.Duration(since))
	}
	c.last = now
	if c.interval > 0 {
		l.timers.Set(c.timer, now+c.interval)
	} else {
		l.timers.Stop(c.timer)
	}
}

// Close is the end of a connection: a registered client hung up.
func (l *Layer) Close(now int64, id ConnID) {
	c := l.clients[id]
	if c == nil {
		return
	}
	if c.registered {
		l.logf(prio.Warn, "apphb client '%s' / '%s' (pid %d) hangup", c.name, c.inst, c.pid)
		l.emit(c, EventHangup, 0)
		l.fatal(c)
		l.remove(c)
	}
	l.timers.Release(c.timer)
	delete(l.clients, id)
}

// Drop forgets id without a log line or an event: the service itself
// closed the connection (it is stopping).
func (l *Layer) Drop(id ConnID) {
	if c := l.clients[id]; c != nil {
		l.timers.Release(c.timer)
		delete(l.clients, id)
	}
}

func (l *Layer) remove(c *client) {
	l.timers.Stop(c.timer)
	l.logf(prio.Info, "apphb_client_remove: client: %d", c.pid)
}

// Deadline returns the earliest client timer.
func (l *Layer) Deadline() (int64, bool) {
	_, when, ok := l.timers.Next()
	return when, ok
}

// Tick fires every timer due at now.
func (l *Layer) Tick(now int64) {
	for {
		h, ok := l.timers.Pop(now)
		if !ok {
			return
		}
		c := *l.timers.Data(h)
		c.failed = true
		l.logf(prio.Warn, "apphb client '%s' / '%s' (pid %d) failed to heartbeat", c.name, c.inst, c.pid)
		l.emit(c, EventFailed, 0)
		l.out.Pending().Events[len(l.out.Pending().Events)-1].Due = l.timers.When(h)
		l.fatal(c)
	}
}

// fatal is a setboot client's failure or hangup.
func (l *Layer) fatal(c *client) {
	if !c.boot {
		return
	}
	if l.cfg.AllowReboot {
		l.logf(prio.Emerg, "Critical apphb client '%s' / '%s' (pid %d) failed: rebooting", c.name, c.inst, c.pid)
		l.out.Pending().Reboot = true
		return
	}
	l.logf(prio.Error, "Critical apphb client '%s' / '%s' (pid %d) failed: not rebooting (hbd_apphbd_allow_reboot is off)", c.name, c.inst, c.pid)
}

func (l *Layer) emit(c *client, k EventKind, late time.Duration) {
	p := l.out.Pending()
	p.Events = append(p.Events, Event{Kind: k, Conn: c.id, App: c.name, Instance: c.inst, PID: c.pid, Late: late, Boot: c.boot, Interval: time.Duration(c.interval)})
}

func (l *Layer) logf(p prio.Level, format string, args ...any) {
	l.out.Pending().Log.Addf(nil, p, format, args...)
}

// Ready hands out what the layer decided since the last Advance.
func (l *Layer) Ready() *Ready { return l.out.Ready() }

// Advance releases the last Ready.
func (l *Layer) Advance() { l.out.Advance() }

package node

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// This file is heartbeat's notify_world: events and unclaimed cluster
// messages become runs of <confdir>/harc <type>, which runs rc.d/<type>.
// Runs are serialised as heartbeat serialises its resource-management
// children, and the loop never waits for one: it starts the process
// through internal/proc, whose goroutine waits for it, and the exit comes
// back through the loop's wake-up.
//
// Unlike heartbeat, a run has a time limit (hbd_hook_timeout, default
// defaultHookTimeout): a hung hook is killed with its process group and
// the next one runs. The queue is bounded: a status or link event for a
// node (and link) that already waits replaces the waiting one, which
// only a later event of the same kind would have followed (a flapping
// link queues one run, with its latest state), and past maxHarcQueue
// other runs are dropped, with one line saying how many.

// harcClaimed are the upper-layer message types heartbeat's own handlers
// consume (process_resources, ask_for_resources, the status handler):
// they never reach notify_world, whatever rc.d holds (the shipped rc.d
// has an ask_resources script that is never invoked).
var harcClaimed = map[string]bool{
	"ask_resources": true,
	"starting":      true,
	"resource":      true,
	"shutdone":      true,
	"status":        true, // reaches harc as EventNodeStatus instead
}

const (
	// defaultHookTimeout bounds a hook run when hbd_hook_timeout is not
	// set: enough for a hook that runs ResourceManager, short enough
	// that a hung one does not hold every later event for long.
	defaultHookTimeout = 2 * time.Minute
	// hookKillGrace is the time between SIGTERM and SIGKILL of a hook
	// that timed out, as rsc's default for agents.
	hookKillGrace = 5 * time.Second
	// maxHarcQueue bounds the runs waiting behind the running one.
	maxHarcQueue = 64
)

// Message types with special rules in heartbeat (HBDoMsg_T_ASKRELEASE,
// HBDoMsg_T_ACKRELEASE).
const (
	typeIPRequest     = "ip-request"      // only from others
	typeIPRequestResp = "ip-request-resp" // not during shutdown
)

// harcOptions configure a harc runner.
type harcOptions struct {
	// Dir is the configuration directory: Dir/harc is run, Dir/rc.d is
	// listed.
	Dir string
	// Enabled is false under -M: nothing is ever run.
	Enabled bool
	// Env is the environment every run starts from (harcBaseEnv).
	Env []string
	// NiceFailback adds HA_NICEFAILBACK=yes (auto_failback on|off).
	NiceFailback bool
	// Output receives the runs' stdout and stderr, opened for appending
	// at each run ("": /dev/null). Heartbeat's children inherit its
	// debug file; harc itself also redirects to $HA_DEBUGLOG.
	Output string
	Log    *hblog.Logger
	// Debug returns the current debug level, exported as HA_debug when
	// above 0 (it changes with SIGUSR1/2).
	Debug func() int
	// Wake asks the loop to call reap; it may be called from any
	// goroutine (loop.Wake).
	Wake func()
	// Timeout bounds each run (hbd_hook_timeout); 0 is
	// defaultHookTimeout. KillGrace is the time between SIGTERM and
	// SIGKILL of a run that timed out; 0 is hookKillGrace.
	Timeout   time.Duration
	KillGrace time.Duration
}

// harcJob is one queued run.
type harcJob struct {
	typ string   // the message type: rc.d/<typ> exists
	env []string // HA_<field>=…, HA_OSTATUS, … for this message
	// key names the node (and link) of a status or link event: a later
	// event with the same key replaces this one while it waits. "" for
	// messages, which are never merged.
	key string
}

// harcExit is a finished run, posted by the runner's goroutine.
type harcExit struct {
	typ string
	r   proc.Result
}

// harc runs rc.d hooks through harc one at a time. Every method except
// post belongs to the loop goroutine.
type harc struct {
	opt     harcOptions
	path    string          // Dir/harc
	scripts map[string]bool // rc.d entries, listed at first use; nil before
	queue   []harcJob
	running bool // a run has started and its exit has not been reaped
	stopped bool
	dropped int // runs refused since the queue was last below its bound
	text    []byte

	mu   sync.Mutex
	done []harcExit // exits not yet reaped by the loop
}

func newHarc(opt harcOptions) *harc {
	if opt.Timeout <= 0 {
		opt.Timeout = defaultHookTimeout
	}
	if opt.KillGrace <= 0 {
		opt.KillGrace = hookKillGrace
	}
	return &harc{opt: opt, path: filepath.Join(opt.Dir, "harc")}
}

// harcBaseEnv is the environment heartbeat's children inherit: ours,
// then what heartbeat exports at start (its fixed variables, every ha.cf
// parameter as HA_<directive>, the env directives). Later entries win
// (os/exec keeps the last of duplicate names), as heartbeat's setenv
// overrides what it inherited.
func harcBaseEnv(c *config.Config, dir string, inherited []string) []string {
	env := append([]string(nil), inherited...)
	env = append(env,
		"HA_CURHOST="+c.LocalNode,
		"HA_DIR="+dir,
		"HA_FUNCS="+filepath.Join(dir, "shellfuncs"),
		"HA_DATEFMT=%Y/%m/%d_%T\t",
		"OCF_ROOT=/usr/lib/ocf",
		"HA_LOGFILE="+c.LogFile,
		"HA_DEBUGLOG="+c.DebugFile,
	)
	if c.LogFacility != "" {
		env = append(env, "HA_LOGFACILITY="+c.LogFacility)
	}
	env = append(env, c.Params.Environ()...)
	for _, e := range c.Env {
		env = append(env, "HA_"+e.Name+"="+e.Value)
	}
	return env
}

// wants reports whether a message of type typ would run anything: rc.d
// is listed once, at first use, so new scripts need a restart, as in
// heartbeat (CreateInitialFilter).
func (h *harc) wants(typ string) bool {
	if !h.opt.Enabled || h.stopped {
		return false
	}
	if h.scripts == nil {
		h.scripts = map[string]bool{}
		dir := filepath.Join(h.opt.Dir, "rc.d")
		ents, err := os.ReadDir(dir)
		if err != nil {
			h.opt.Log.Logf(hblog.Error, "Cannot open directory %s: %v", dir, unwrapPath(err))
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") {
				h.scripts[e.Name()] = true
			}
		}
	}
	return h.scripts[typ]
}

// unwrapPath drops the *PathError wrapping, whose text repeats the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// nodeStatus is a peer's status change, including our verdict that it
// is dead: heartbeat runs rc.d/status with t=status src=<node>
// st=<status>, and info=ping for a ping node.
func (h *harc) nodeStatus(node, st string, ping bool, ostatus string) {
	if !h.wants("status") {
		return
	}
	env := []string{"HA_t=status", "HA_src=" + node, "HA_st=" + st}
	if ping {
		env = append(env, "HA_info=ping")
	}
	h.submit("status", "status\x00"+node, env, ostatus)
}

// linkStatus is a link change: t=ifstat node=<node> ifname=<link>
// st=up|dead.
func (h *harc) linkStatus(node, link string, up bool, ostatus string) {
	if !h.wants("ifstat") {
		return
	}
	st := "dead"
	if up {
		st = "up"
	}
	h.submit("ifstat", "ifstat\x00"+node+"\x00"+link, []string{"HA_t=ifstat", "HA_node=" + node, "HA_ifname=" + link, "HA_st=" + st}, ostatus)
}

// message is a cluster message no membership handler consumed, decoded
// (read only during the call). fromSelf says we sent it; stopping that
// shutdown is under way.
func (h *harc) message(msg *wire.Message, fromSelf, stopping bool, ostatus string) {
	if !h.opt.Enabled || h.stopped {
		return
	}
	typ := string(msg.Type())
	switch {
	case typ == "" || harcClaimed[typ] || wire.IsProtocol(msg.Type()):
		return
	case typ == typeIPRequest && fromSelf:
		return
	case typ == typeIPRequestResp && stopping:
		return
	}
	if !h.wants(typ) {
		return
	}
	var env []string
	for i := range msg.Len() {
		f := msg.At(i)
		if f.Type != wire.String || bytes.IndexByte(f.Name, '=') >= 0 || bytes.IndexByte(f.Name, 0) >= 0 {
			continue
		}
		h.text = f.AppendText(h.text[:0])
		// setenv takes a C string: a value ends at its first NUL.
		if k := bytes.IndexByte(h.text, 0); k >= 0 {
			h.text = h.text[:k]
		}
		env = append(env, "HA_"+string(f.Name)+"="+string(h.text))
	}
	h.submit(typ, "", env, ostatus)
}

// submit queues a run and starts it if nothing is running. The variables
// heartbeat sets after the message's fields come last, so they win. A
// waiting run with the same key (not "") takes the new environment in
// its place; a full queue drops the run.
func (h *harc) submit(typ, key string, env []string, ostatus string) {
	if ostatus != "" {
		env = append(env, "HA_OSTATUS="+ostatus)
	}
	if h.opt.NiceFailback {
		env = append(env, "HA_NICEFAILBACK=yes")
	}
	// hbd has no logging daemon: scripts log for themselves.
	env = append(env, "HA_LOGD=no")
	if h.opt.Debug != nil {
		if d := h.opt.Debug(); d > 0 {
			env = append(env, "HA_debug="+strconv.Itoa(d))
		}
	}
	if key != "" {
		for i := range h.queue {
			if h.queue[i].key == key {
				h.queue[i].env = env
				return
			}
		}
	}
	if len(h.queue) >= maxHarcQueue {
		h.dropped++
		return
	}
	h.queue = append(h.queue, harcJob{typ: typ, env: env, key: key})
	h.kick()
}

// kick starts the next queued run unless one is running. A run that
// cannot start is logged and skipped.
func (h *harc) kick() {
	for !h.running && !h.stopped && len(h.queue) > 0 {
		j := h.queue[0]
		h.queue[0] = harcJob{}
		h.queue = h.queue[1:]
		h.logDropped()
		if err := h.start(j); err != nil {
			h.opt.Log.Logf(hblog.Error, "Can't fork to notify world! %s %s: %v", h.path, strings.ToLower(j.typ), err)
			continue
		}
		h.running = true
	}
}

// start forks and execs harc for j through internal/proc, whose
// goroutine waits for it and kills it at the time limit. Fork and exec
// take a few hundred microseconds; the wait is what must not happen on
// the loop.
func (h *harc) start(j harcJob) error {
	env := make([]string, 0, len(h.opt.Env)+len(j.env))
	env = append(append(env, h.opt.Env...), j.env...)
	typ := strings.ToLower(j.typ)
	_, err := proc.Start(nil, &proc.Spec{
		Path: h.path,
		Args: []string{h.path, typ},
		Env:  env,
		Dir:  "/",
		// Heartbeat's children inherit its debug file; harc itself also
		// redirects to $HA_DEBUGLOG.
		Output: h.opt.Output,
		// Its own process group, as heartbeat's setpgid(0,0): a signal
		// to ours (a terminal's ^C under -f) does not reach the hook,
		// and a hook that hangs is killed with its children.
		Timeout:   h.opt.Timeout,
		KillGrace: h.opt.KillGrace,
		Killing: func(_ error, pgid int) {
			h.opt.Log.Logf(hblog.Error, "rc.d hook %s %s timed out after %v: killing process group %d", h.path, typ, h.opt.Timeout, pgid)
		},
	}, func(r proc.Result) { h.post(harcExit{typ: j.typ, r: r}) })
	return err
}

// post hands a finished run to the loop; it runs on the runner's
// goroutine.
func (h *harc) post(e harcExit) {
	h.mu.Lock()
	h.done = append(h.done, e)
	h.mu.Unlock()
	if h.opt.Wake != nil {
		h.opt.Wake()
	}
}

// logDropped says how many runs a full queue refused, once it has room
// again (or at stop): one line per episode, not one per event.
func (h *harc) logDropped() {
	if h.dropped > 0 {
		h.opt.Log.Logf(hblog.Warn, "rc.d hook queue full: %d hook runs dropped (%d may wait)", h.dropped, maxHarcQueue)
		h.dropped = 0
	}
}

// reap takes the finished runs, logs failures and starts the next run.
// The loop calls it on every wake-up.
func (h *harc) reap() {
	h.mu.Lock()
	done := h.done
	h.done = nil
	h.mu.Unlock()
	for _, e := range done {
		h.running = false
		h.report(e)
	}
	h.kick()
}

// report logs a failed run in heartbeat's words (proctrack's "Managed
// <type> process <pid> exited with return code <rc>."); a clean exit is
// not logged, as heartbeat logs it only at debug level.
func (h *harc) report(e harcExit) {
	r := &e.r
	switch {
	case !r.Reaped():
		h.opt.Log.Logf(hblog.Error, "Managed %s process %d: %v", e.typ, r.Pid, r.Err)
	case r.Exited() && r.ExitCode() != 0:
		h.opt.Log.Logf(hblog.Error, "Managed %s process %d exited with return code %d.", e.typ, r.Pid, r.ExitCode())
	case r.Signal() != 0:
		h.opt.Log.Logf(hblog.Error, "Managed %s process %d killed by signal %d [%v].", e.typ, r.Pid, int(r.Signal()), r.Signal())
	}
}

// stop drops the queued runs and runs nothing more; a running one is
// left to finish on its own (or to its time limit).
func (h *harc) stop() {
	h.stopped = true
	clear(h.queue)
	h.queue = nil
	h.logDropped()
}

// notifyWorld hands one of the master's events to harc. It runs in
// flush, before Advance, while e.Msg is valid.
func (n *Node) notifyWorld(e *master.Event) {
	if n.harc == nil || n.claimed(e) {
		return
	}
	ost := string(n.master.NodeStatus(n.self))
	switch e.Kind {
	case master.EventNodeStatus:
		if e.Node == n.self {
			return // heartbeat never notifies its own status
		}
		n.harc.nodeStatus(e.NodeName, string(e.New), n.pingNode(e.NodeName), ost)
	case master.EventLinkStatus:
		n.harc.linkStatus(e.NodeName, e.Link, e.LinkUp, ost)
	case master.EventMessage:
		if msg := n.eventMessage(e); msg != nil {
			n.harc.message(msg, e.Node == n.self, n.stopping, ost)
		}
	}
}

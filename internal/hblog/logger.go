package hblog

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Options say where lines go. Empty paths and facility mean "not there";
// "/dev/null" as a path disables that file, as in heartbeat.
type Options struct {
	Entity       string // program name: "heartbeat", "hbd"
	Host         string // uname -n, for the file format
	Pid          int
	LogFile      string
	DebugFile    string
	Facility     string // syslog facility name, "" or "none" for none
	SyslogMsgFmt bool   // heartbeat's default format for files
	SyslogSocket string // default /dev/log
	Stderr       io.Writer
	// Debug is the debug level: debug lines are written only when > 0.
	Debug int
	// QueueLen bounds the lines waiting to be written (default 4096).
	QueueLen int
	// Now reads the wall clock (tests pin it).
	Now func() time.Time
	// Logd, if set, receives every line first (use_logd): the logd
	// writes the files then. While it fails, lines go to the files above
	// and the logd is tried again every LogdRetry (conn_logd_time).
	Logd      Forwarder
	LogdRetry time.Duration
}

// Forwarder sends a line to a logging daemon (logd.Sender). It is called
// on the writer goroutine only and may block for a bounded time; an error
// means the line was not delivered.
type Forwarder interface {
	Forward(t time.Time, l Level, msg string) error
}

type entry struct {
	t      time.Time
	level  Level
	msg    string
	stderr io.Writer // where stderr was when the line was logged
}

// Logger is safe for concurrent use; Log never blocks.
type Logger struct {
	opt      Options
	queue    chan entry
	dropped  atomic.Uint64
	debug    atomic.Int32
	stderr   atomic.Pointer[io.Writer]
	done     chan struct{}
	closeOne sync.Once

	// Owned by the writer goroutine.
	log, dbg   *reopener
	syslog     net.Conn
	facility   int
	buf        []byte
	lastDrops  uint64
	syslogAddr string
	logd       int       // logdUnknown, logdUp, logdDown
	logdNext   time.Time // when to try the logd again
	logdDirect uint64    // lines written directly while the logd was away
}

const (
	logdUnknown = iota
	logdUp
	logdDown
)

// New opens the destinations and starts the writer.
func New(opt Options) (*Logger, error) {
	if opt.QueueLen <= 0 {
		opt.QueueLen = 4096
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SyslogSocket == "" {
		opt.SyslogSocket = "/dev/log"
	}
	if opt.LogdRetry <= 0 {
		opt.LogdRetry = time.Minute // heartbeat's conn_logd_time
	}
	l := &Logger{opt: opt, queue: make(chan entry, opt.QueueLen), done: make(chan struct{})}
	l.debug.Store(int32(opt.Debug))
	if opt.Stderr != nil {
		l.stderr.Store(&opt.Stderr)
	}
	var err error
	if l.log, err = openReopener(opt.LogFile); err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	if l.dbg, err = openReopener(opt.DebugFile); err != nil {
		return nil, fmt.Errorf("debugfile: %w", err)
	}
	if f, ok := Facility(opt.Facility); ok {
		l.facility = f
		l.syslogAddr = opt.SyslogSocket
		// A missing syslog daemon is not fatal: heartbeat logs on regardless.
		l.syslog, _ = net.Dial("unixgram", opt.SyslogSocket)
	}
	go l.writer()
	return l, nil
}

// Log queues a line; it is stamped now, not when written.
func (l *Logger) Log(level Level, msg string) {
	if level == Debug && l.debug.Load() <= 0 {
		return
	}
	var w io.Writer
	if p := l.stderr.Load(); p != nil {
		w = *p
	}
	select {
	case l.queue <- entry{l.opt.Now(), level, msg, w}:
	default:
		l.dropped.Add(1)
	}
}

// Logf formats and queues a line.
func (l *Logger) Logf(level Level, format string, args ...any) {
	if level == Debug && l.debug.Load() <= 0 {
		return
	}
	l.Log(level, fmt.Sprintf(format, args...))
}

// Dropped returns how many lines were dropped because the queue was full.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// SetDebug changes the debug level (SIGUSR1/SIGUSR2).
func (l *Logger) SetDebug(n int) { l.debug.Store(int32(n)) }

// DebugLevel returns the debug level.
func (l *Logger) DebugLevel() int { return int(l.debug.Load()) }

// Detach stops copying lines to stderr, as heartbeat does once it runs in
// the background.
func (l *Logger) Detach() { l.stderr.Store(nil) }

// Close writes what is queued and closes the destinations.
func (l *Logger) Close() error {
	l.closeOne.Do(func() { close(l.queue) })
	<-l.done
	return nil
}

func (l *Logger) writer() {
	defer close(l.done)
	for e := range l.queue {
		if n := l.dropped.Load(); n != l.lastDrops {
			l.write(entry{e.t, Warn, fmt.Sprintf("hbd: %d log lines dropped (log queue full)", n-l.lastDrops), nil})
			l.lastDrops = n
		}
		l.write(e)
	}
	l.log.close()
	l.dbg.close()
	if l.syslog != nil {
		l.syslog.Close()
	}
}

func (l *Logger) write(e entry) {
	o := &l.opt
	if o.Logd != nil && l.forward(e) {
		if e.stderr != nil {
			e.stderr.Write(appendFileLine(l.buf[:0], true, e.t, o.Host, o.Entity, o.Pid, e.level, e.msg))
		}
		return
	}
	l.buf = appendFileLine(l.buf[:0], o.SyslogMsgFmt, e.t, o.Host, o.Entity, o.Pid, e.level, e.msg)
	if e.level != Debug {
		l.log.write(l.buf, e.t)
	}
	l.dbg.write(l.buf, e.t)
	if e.stderr != nil {
		// heartbeat's stderr lines before daemonizing use the syslog-style
		// file format whatever syslogmsgfmt says.
		line := l.buf
		if !o.SyslogMsgFmt {
			line = appendFileLine(nil, true, e.t, o.Host, o.Entity, o.Pid, e.level, e.msg)
		}
		e.stderr.Write(line)
	}
	if l.syslog != nil {
		l.buf = appendSyslog(l.buf[:0], l.facility, e.t, o.Entity, o.Pid, e.level, e.msg)
		if _, err := l.syslog.Write(l.buf); err != nil {
			// syslogd restarted: reconnect once, then give up on this line.
			l.syslog.Close()
			if c, err := net.Dial("unixgram", l.syslogAddr); err == nil {
				l.syslog = c
				c.Write(l.buf)
			}
		}
	}
}

// forward gives e to the logd; false means the caller writes it. A logd
// that fails is left alone until LogdRetry has passed, and both changes
// are said, once each.
func (l *Logger) forward(e entry) bool {
	now := l.opt.Now()
	if l.logd == logdDown && now.Before(l.logdNext) {
		l.logdDirect++
		return false
	}
	var err error
	if l.logd == logdDown {
		// The first line through a new connection says what came before.
		err = l.opt.Logd.Forward(e.t, Info, fmt.Sprintf("logd is back: %d lines were written directly meanwhile", l.logdDirect))
	}
	if err == nil {
		err = l.opt.Logd.Forward(e.t, e.level, e.msg)
	}
	if err != nil {
		l.logdNext = now.Add(l.opt.LogdRetry)
		if l.logd != logdDown {
			// Losing a logd we used is a warning; one that never ran at
			// our start is only said (heartbeat says nothing).
			lv := Warn
			if l.logd == logdUnknown {
				lv = Info
			}
			l.logd = logdDown
			l.writeDirect(entry{e.t, lv, fmt.Sprintf("logd is not reachable (%v): logging to files directly, retrying every %v", err, l.opt.LogdRetry), nil})
		}
		l.logdDirect++
		return false
	}
	l.logd, l.logdDirect = logdUp, 0
	return true
}

// writeDirect writes e without trying the logd.
func (l *Logger) writeDirect(e entry) {
	f := l.opt.Logd
	l.opt.Logd = nil
	l.write(e)
	l.opt.Logd = f
}

// reopener is an append-mode log file that notices rotation: at most once
// a minute it compares the file at its path with the one it holds, as
// heartbeat does ("log-rotate detected on logfile").
type reopener struct {
	path    string
	f       *os.File
	checked time.Time
}

func openReopener(path string) (*reopener, error) {
	if path == "" || path == "/dev/null" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &reopener{path: path, f: f}, nil
}

func (r *reopener) write(line []byte, now time.Time) {
	if r == nil {
		return
	}
	if now.Sub(r.checked) >= time.Minute {
		r.checked = now
		if cur, err := os.Stat(r.path); err != nil || !sameFile(r.f, cur) {
			if f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
				r.f.Close()
				r.f = f
			}
		}
	}
	r.f.Write(line)
}

func sameFile(f *os.File, cur os.FileInfo) bool {
	held, err := f.Stat()
	return err == nil && os.SameFile(held, cur)
}

func (r *reopener) close() {
	if r != nil {
		r.f.Close()
	}
}

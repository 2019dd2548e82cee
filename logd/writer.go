package logd

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// line is one formatted line and where it goes.
type line struct {
	b     []byte
	debug bool // debugfile only
	pri   int32
	fac   int32
	ent   string
	pid   int32
	t     int64
	text  string
}

// writer owns the files: one goroutine drains a bounded queue.
type writer struct {
	q        chan line
	dropped  atomic.Uint64
	done     chan struct{}
	once     sync.Once
	log, dbg *os.File
	syslog   net.Conn
	facility int
	written  atomic.Uint64
	// said formats one of the daemon's own lines, in the writer.
	said func(text string) []byte
}

func newWriter(c *Conf, said func(string) []byte) (*writer, error) {
	w := &writer{q: make(chan line, c.SendQLen), done: make(chan struct{}), said: said}
	open := func(p string) (*os.File, error) {
		if p == "" || p == "/dev/null" {
			return nil, nil
		}
		return os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, os.FileMode(c.LogMode))
	}
	var err error
	if w.log, err = open(c.LogFile); err != nil {
		return nil, fmt.Errorf("logd: logfile: %w", err)
	}
	if c.DebugFile == c.LogFile {
		// One file named twice gets each line once.
		w.dbg = nil
	} else if w.dbg, err = open(c.DebugFile); err != nil {
		w.log.Close()
		return nil, fmt.Errorf("logd: debugfile: %w", err)
	}
	if f, ok := facilities[c.Facility]; ok && f != 0 {
		w.facility = f
		w.syslog, _ = net.Dial("unixgram", "/dev/log") // none: files only
	}
	go w.run(c.DebugFile == c.LogFile && c.LogFile != "")
	return w, nil
}

// put queues l; it never blocks.
func (w *writer) put(l line) {
	select {
	case w.q <- l:
	default:
		w.dropped.Add(1)
	}
}

func (w *writer) close() {
	w.once.Do(func() { close(w.q) })
	<-w.done
}

func (w *writer) run(sameFile bool) {
	defer close(w.done)
	var told uint64
	var buf []byte
	for l := range w.q {
		if n := w.dropped.Load(); n != told && w.said != nil {
			w.write(line{b: w.said(fmt.Sprintf("%d log lines dropped (queue full)", n-told))}, sameFile)
			told = n
		}
		w.write(l, sameFile)
		if w.syslog != nil && l.text != "" {
			buf = append(buf[:0], '<')
			buf = strconv.AppendInt(buf, int64(int32(w.facility)|l.pri&7), 10)
			buf = append(buf, '>')
			buf = time.Unix(l.t, 0).AppendFormat(buf, "Jan _2 15:04:05 ")
			buf = append(buf, l.ent...)
			buf = append(buf, ": ["...)
			buf = strconv.AppendInt(buf, int64(l.pid), 10)
			buf = append(buf, "]: "...)
			buf = append(buf, l.text...)
			w.syslog.Write(buf)
		}
	}
	w.log.Close()
	w.dbg.Close()
	if w.syslog != nil {
		w.syslog.Close()
	}
}

func (w *writer) write(l line, sameFile bool) {
	if w.log != nil && (!l.debug || sameFile) {
		w.log.Write(l.b)
	}
	if w.dbg != nil {
		w.dbg.Write(l.b)
	}
	w.written.Add(1)
}

// facilities are the syslog facility codes (shifted as syslog wants them).
var facilities = map[string]int{
	"kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": 3 << 3, "auth": 4 << 3,
	"security": 4 << 3, "syslog": 5 << 3, "lpr": 6 << 3, "news": 7 << 3, "uucp": 8 << 3,
	"cron": 9 << 3, "authpriv": 10 << 3, "ftp": 11 << 3,
	"local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3, "local3": 19 << 3,
	"local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

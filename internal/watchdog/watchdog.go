package watchdog

import (
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// Options configure Open.
type Options struct {
	// Log receives heartbeat's watchdog lines; nil discards them. It is
	// called with the Watchdog's lock held and must not call back into it.
	Log func(level prio.Level, msg string)
	// Deadtime is the cluster's deadtime; the device's timeout is
	// deadtime + 10 ms rounded up to whole seconds.
	Deadtime time.Duration
}

// Watchdog is an open watchdog device, or a disabled one that ignores
// every call. A nil *Watchdog is a disabled one. Its methods may be called
// from any goroutine: the lock keeps a close from racing a tickle onto a
// reused descriptor number.
type Watchdog struct {
	mu  sync.Mutex
	fd  int // -1 once closed or never opened
	dev string
	log func(prio.Level, string)
}

// Bytes written; arrays so that a write hands the kernel no Go allocation.
var (
	keepalive = [1]byte{0}
	magic     = [1]byte{'V'}
)

// Open opens the watchdog device at path, sets its timeout from
// opt.Deadtime when it is a character device, and tickles it once. A
// device that cannot be opened is logged and yields a disabled Watchdog,
// as heartbeat carries on without one.
func Open(path string, opt Options) *Watchdog {
	w := &Watchdog{fd: -1, dev: path, log: opt.Log}
	fd, err := sysio.OpenWriteOnly(path)
	if err != nil {
		w.say(prio.Error, "Cannot open watchdog device: "+path)
		return w
	}
	w.fd = fd
	w.say(prio.Notice, "Using watchdog device: "+path)
	w.setTimeout(opt.Deadtime)
	w.Tickle()
	return w
}

// setTimeout programs the device's timeout. A failure is logged and the
// device stays in use with whatever timeout it had, as in heartbeat.
func (w *Watchdog) setTimeout(deadtime time.Duration) {
	if chr, err := sysio.IsCharDevice(w.fd); err != nil || !chr {
		return // a FIFO or a file stands in for the device; it has no timer
	}
	secs := TimeoutSeconds(deadtime)
	w.say(prio.Debug, "Set watchdog timer to "+strconv.Itoa(secs)+" seconds.")
	if _, err := sysio.WatchdogSetTimeout(w.fd, secs); err != nil {
		w.say(prio.Error, "WDIOC_SETTIMEOUT: Failed to set watchdog timer to "+
			strconv.Itoa(secs)+" seconds.: "+sysio.Strerror(err))
	}
}

// TimeoutSeconds is the timeout heartbeat gives the device for a
// deadtime: deadtime + 10 ms in whole milliseconds, rounded up to seconds.
func TimeoutSeconds(deadtime time.Duration) int {
	ms := max(deadtime.Milliseconds(), 0) + 10
	return int((ms + 999) / 1000)
}

// Enabled reports whether the device is open.
func (w *Watchdog) Enabled() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fd >= 0
}

// Tickle writes one NUL byte, restarting the device's countdown. A failed
// write is logged and the device closed (magic close first, as heartbeat
// does), so a broken device costs one log line, not one per keepalive. A
// write that would block is a missed tickle, not a failure.
func (w *Watchdog) Tickle() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return
	}
	n, err := sysio.Write(w.fd, keepalive[:])
	if n == 1 || errors.Is(err, sysio.ErrWouldBlock) {
		return
	}
	if err == nil {
		err = io.ErrShortWrite
	}
	w.say(prio.Error, "Watchdog write failure: closing "+w.dev+"!: "+sysio.Strerror(err))
	w.magicClose()
}

// MagicClose writes "V", which tells a device opened without nowayout to
// disarm on close, and closes it. Call it when a graceful shutdown starts,
// at exit and before re-executing for a restart; later calls do nothing.
func (w *Watchdog) MagicClose() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.magicClose()
}

func (w *Watchdog) magicClose() {
	if w.fd < 0 {
		return
	}
	if n, err := sysio.Write(w.fd, magic[:]); n != 1 {
		if err == nil {
			err = io.ErrShortWrite
		}
		w.say(prio.Error, "Watchdog write magic character failure: closing "+w.dev+"!: "+sysio.Strerror(err))
	} else {
		w.say(prio.Debug, "Successful watchdog 'V' write")
	}
	if err := sysio.Close(w.fd); err != nil {
		w.say(prio.Error, "Watchdog close(2) failed.: "+sysio.Strerror(err))
	} else {
		w.say(prio.Debug, "Successful watchdog close")
	}
	w.fd = -1
}

func (w *Watchdog) say(level prio.Level, msg string) {
	if w.log != nil {
		w.log(level, msg)
	}
}

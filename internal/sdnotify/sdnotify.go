package sdnotify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// ErrUnsupported is a NOTIFY_SOCKET that is not a unix socket path or
// abstract name (systemd 254 also accepts "vsock:").
var ErrUnsupported = errors.New("sdnotify: unsupported NOTIFY_SOCKET address")

var (
	ready     = []byte("READY=1")
	stopping  = []byte("STOPPING=1")
	watchdog  = []byte("WATCHDOG=1")
	mu        sync.Mutex
	cachedSA  syscall.SockaddrUnix // the last address, reused so that sends allocate nothing
	cachedFor string
)

// Ready tells systemd that start-up is finished (Type=notify).
func Ready() error { return send(ready) }

// Stopping tells systemd that the daemon is shutting down.
func Stopping() error { return send(stopping) }

// Status sets the one-line status systemctl status shows.
func Status(s string) error { return send([]byte("STATUS=" + s)) }

// Reloading tells systemd that a reload began; send Ready when it is
// done. MONOTONIC_USEC is the CLOCK_MONOTONIC time of the message, which
// systemd 253 and later require with RELOADING=1 (Type=notify-reload).
func Reloading() error {
	usec := sysio.Monotonic() / int64(time.Microsecond)
	return send([]byte("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)))
}

// Watchdog pings the service watchdog (WatchdogSec=).
func Watchdog() error { return send(watchdog) }

// WatchdogEnabled returns the watchdog interval systemd expects pings
// within (WATCHDOG_USEC), as sd_watchdog_enabled(3): false when unset,
// malformed, or meant for another process (WATCHDOG_PID). Ping at half of
// it or more often.
func WatchdogEnabled() (time.Duration, bool) {
	s := os.Getenv("WATCHDOG_USEC")
	if s == "" {
		return 0, false
	}
	usec, err := strconv.ParseUint(s, 10, 63)
	if err != nil || usec == 0 || usec > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, false
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil || pid != os.Getpid() {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}

// send writes one datagram to $NOTIFY_SOCKET from a fresh socket, as
// sd_notify does: systemd may restart and rebind its socket at any time.
func send(msg []byte) error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	if name[0] != '/' && name[0] != '@' {
		return fmt.Errorf("sdnotify: %q: %w", name, ErrUnsupported)
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sdnotify: socket: %w", err)
	}
	defer syscall.Close(fd)
	mu.Lock()
	if cachedFor != name {
		// Go's syscall reads a leading '@' as an abstract name.
		cachedSA = syscall.SockaddrUnix{Name: name}
		cachedFor = name
	}
	err = syscall.Sendto(fd, msg, syscall.MSG_NOSIGNAL, &cachedSA)
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("sdnotify: send to %s: %w", name, err)
	}
	return nil
}

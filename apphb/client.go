package apphb

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/ipc"
)

// DefaultRetry is how long heartbeat waits before registering again
// after apphbd went away (observed: about 59.4 s).
const DefaultRetry = 59400 * time.Millisecond

// Client registers the daemon itself with an apphbd (ha.cf use_apphbd:
// heartbeat/master_control_process, interval deadtime, warn warntime)
// and heartbeats. It never blocks: the socket is non-blocking, a frame
// the socket will not take is not waited for, replies are read when
// Poll runs. Call Poll on the loop goroutine (every loop turn or at the
// time it returns).
type Client struct {
	Socket   string // DefaultSocket if empty
	App      string // "heartbeat"
	Instance string // "master_control_process"
	Interval time.Duration
	Warn     time.Duration
	Retry    time.Duration // DefaultRetry if 0
	Log      func(p prio.Level, text string)

	fd         int // -1 when not connected
	registered bool
	replies    int   // replies still expected (reg, setint, setwarn)
	lastHB     int64 // when the last hb went out
	nextTry    int64 // when to register again
	failing    bool  // the failure was said
	buf        []byte
	in         [64]byte
	inLen      int
	started    bool
}

// Registered reports whether apphbd accepted the registration.
func (c *Client) Registered() bool { return c.registered }

// Poll registers when due, reads apphbd's replies and sends a heartbeat
// when a quarter of the interval has passed; it returns when it wants to
// be called next.
func (c *Client) Poll(now int64) int64 {
	if !c.started {
		c.started, c.fd = true, -1
	}
	if c.fd < 0 {
		if now < c.nextTry {
			return c.nextTry
		}
		c.register(now)
		if c.fd < 0 {
			return c.nextTry
		}
	}
	if !c.readReplies(now) {
		return c.nextTry
	}
	every := int64(c.Interval) / 4
	if every <= 0 {
		every = int64(time.Second)
	}
	if c.replies == 0 && now-c.lastHB >= every {
		c.buf, _ = ipc.BeginFrame(c.buf[:0])
		c.buf = append(c.buf, "hb\x00\x00\x00\x00\x00\x00"...)
		c.buf, _ = ipc.EndFrame(c.buf, 0, MaxFrame)
		if !c.write(now, c.buf, "apphb_hb()", true) {
			return c.nextTry
		}
		c.lastHB = now
	}
	return c.lastHB + every
}

// Close drops the registration: unreg, then close.
func (c *Client) Close() {
	if c.fd < 0 || !c.started {
		return
	}
	c.buf, _ = ipc.BeginFrame(c.buf[:0])
	c.buf = append(c.buf, "unreg\x00\x00\x00"...)
	c.buf, _ = ipc.EndFrame(c.buf, 0, MaxFrame)
	syscall.Write(c.fd, c.buf)
	syscall.Close(c.fd)
	c.fd, c.registered = -1, false
}

func (c *Client) logf(p prio.Level, format string, args ...any) {
	if c.Log != nil {
		c.Log(p, fmt.Sprintf(format, args...))
	}
}

func (c *Client) retry() time.Duration {
	if c.Retry <= 0 {
		return DefaultRetry
	}
	return c.Retry
}

// fail drops the connection and waits Retry before registering again.
func (c *Client) fail(now int64, what string, err error) {
	if c.fd >= 0 {
		syscall.Close(c.fd)
	}
	c.fd, c.registered, c.replies, c.inLen = -1, false, 0, 0
	c.nextTry = now + int64(c.retry())
	if !c.failing {
		c.failing = true
		c.logf(prio.Error, "%s failed.: %s", what, errText(err))
	}
}

// errText is strerror's words, as heartbeat's log line has them.
func errText(err error) string { return sysio.Strerror(err) }

func (c *Client) register(now int64) {
	path := c.Socket
	if path == "" {
		path = DefaultSocket
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		c.fail(now, "apphb_register()", err)
		return
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		// libapphb maps a failed connect to EBADF.
		c.fail(now, "apphb_register()", syscall.EBADF)
		return
	}
	c.fd = fd
	wd, _ := os.Getwd()
	c.buf, _ = ipc.BeginFrame(c.buf[:0])
	c.buf = appendReg(c.buf, c.App, c.Instance, wd, int32(os.Getpid()), int32(os.Getuid()), int32(os.Getgid()))
	c.buf, _ = ipc.EndFrame(c.buf, 0, MaxFrame)
	for _, v := range []struct {
		kind string
		ms   time.Duration
	}{{"setint", c.Interval}, {"setwarn", c.Warn}} {
		start := len(c.buf)
		c.buf, _ = ipc.BeginFrame(c.buf)
		c.buf = appendPadded(c.buf, v.kind, 8)
		c.buf = binary.LittleEndian.AppendUint64(c.buf, uint64(v.ms/time.Millisecond))
		c.buf, _ = ipc.EndFrame(c.buf, start, MaxFrame)
	}
	c.replies = 3
	c.lastHB = now
	c.write(now, c.buf, "apphb_register()", false)
}

// write sends b without waiting; a heartbeat (mayDrop) that the socket
// will not take is skipped.
func (c *Client) write(now int64, b []byte, what string, mayDrop bool) bool {
	n, err := syscall.Write(c.fd, b)
	if err == syscall.EAGAIN && mayDrop {
		return true // apphbd is slow: this heartbeat is skipped, not waited for
	}
	if err != nil || n != len(b) {
		if err == nil {
			err = syscall.EBADF // a partial frame: the stream is broken
		}
		c.fail(now, what, err)
		return false
	}
	return true
}

// readReplies takes the 12-byte errno replies that have arrived; false
// means the connection failed.
func (c *Client) readReplies(now int64) bool {
	for {
		n, err := syscall.Read(c.fd, c.in[c.inLen:])
		if err == syscall.EAGAIN || err == syscall.EINTR {
			return true
		}
		if err != nil || n == 0 {
			if err == nil {
				err = syscall.EBADF // EOF: apphbd went away
			}
			c.fail(now, "apphb_hb()", err)
			return false
		}
		c.inLen += n
		for c.inLen >= 12 {
			rc := int32(binary.NativeEndian.Uint32(c.in[8:12]))
			copy(c.in[:], c.in[12:c.inLen])
			c.inLen -= 12
			if c.replies == 0 {
				continue
			}
			c.replies--
			if rc != 0 {
				c.fail(now, "apphb_register()", syscall.Errno(rc))
				return false
			}
			if c.replies == 0 {
				c.registered, c.failing = true, false
				c.logf(prio.Info, "Registered with apphbd as %s/%s.", c.App, c.Instance)
			}
		}
	}
}

func appendReg(dst []byte, name, inst, curdir string, pid, uid, gid int32) []byte {
	dst = appendPadded(dst, "reg", 8)
	dst = appendPadded(dst, name, 256)
	dst = appendPadded(dst, inst, 256)
	dst = appendPadded(dst, curdir, 256)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pid))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(uid))
	return binary.LittleEndian.AppendUint32(dst, uint32(gid))
}

func appendPadded(dst []byte, s string, n int) []byte {
	if len(s) > n-1 {
		s = s[:n-1]
	}
	dst = append(dst, s...)
	for range n - len(s) {
		dst = append(dst, 0)
	}
	return dst
}

package sysio

import (
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Epoll event bits, as the kernel defines them.
const (
	EventIn    uint32 = unix.EPOLLIN
	EventPri   uint32 = unix.EPOLLPRI
	EventOut   uint32 = unix.EPOLLOUT
	EventErr   uint32 = unix.EPOLLERR
	EventHup   uint32 = unix.EPOLLHUP
	EventRdHup uint32 = unix.EPOLLRDHUP
	EventET    uint32 = unix.EPOLLET
)

// EpollEvent is one readiness report: the event bits and the 64-bit user
// data word given when the descriptor was added.
type EpollEvent struct {
	raw unix.EpollEvent
}

// The kernel's epoll_data starts where x/sys/unix puts Fd, whatever the
// architecture's padding (packed on amd64, 8-aligned elsewhere).
const epollDataOffset = unsafe.Offsetof(unix.EpollEvent{}.Fd)

// Events returns the ready event bits.
func (e *EpollEvent) Events() uint32 { return e.raw.Events }

// Data returns the user data word.
func (e *EpollEvent) Data() uint64 {
	return binary.NativeEndian.Uint64(e.data()[:])
}

func (e *EpollEvent) setData(d uint64) {
	binary.NativeEndian.PutUint64(e.data()[:], d)
}

func (e *EpollEvent) data() *[8]byte {
	return (*[8]byte)(unsafe.Add(unsafe.Pointer(&e.raw), epollDataOffset))
}

// EpollCreate returns a new close-on-exec epoll descriptor.
func EpollCreate() (int, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("epoll_create1", err)
	}
	return fd, nil
}

// EpollAdd adds fd to the epoll set with the given event bits and user data.
func EpollAdd(epfd, fd int, events uint32, data uint64) error {
	return epollCtl(epfd, unix.EPOLL_CTL_ADD, fd, events, data, "epoll_ctl add")
}

// EpollMod changes the event bits and user data of fd.
func EpollMod(epfd, fd int, events uint32, data uint64) error {
	return epollCtl(epfd, unix.EPOLL_CTL_MOD, fd, events, data, "epoll_ctl mod")
}

// EpollDel removes fd from the epoll set.
func EpollDel(epfd, fd int) error {
	return epollCtl(epfd, unix.EPOLL_CTL_DEL, fd, 0, 0, "epoll_ctl del")
}

func epollCtl(epfd, op, fd int, events uint32, data uint64, call string) error {
	var ev EpollEvent
	ev.raw.Events = events
	ev.setData(data)
	if err := unix.EpollCtl(epfd, op, fd, &ev.raw); err != nil {
		return os.NewSyscallError(call, err)
	}
	return nil
}

// noPwait2 is set once epoll_pwait2 (Linux 5.11) turns out to be missing or
// forbidden by a seccomp filter; waits then fall back to millisecond
// granularity.
var noPwait2 atomic.Bool

// EpollWait waits for events on epfd and fills events, which must not be
// empty. A negative timeout blocks until an event arrives; zero polls.
// Positive timeouts have nanosecond resolution where the kernel has
// epoll_pwait2 and are otherwise rounded up to whole milliseconds, so the
// call never returns before the timeout unless an event arrives. An
// interrupted wait (EINTR) returns 0, nil: the caller simply recomputes its
// timeout.
func EpollWait(epfd int, events []EpollEvent, timeout time.Duration) (int, error) {
	return epollWait(epfd, events, timeout, false)
}

// EpollWaitRaw is EpollWait with a blocking wait made as a raw system
// call when the process has more than one P: the runtime then does not
// hand the caller's P to another thread for the wait and take it back
// after (a futex wake-up and a busy sysmon on every wake: most of an idle
// daemon's CPU at a 10 ms keepalive). The runtime sees the goroutine as
// running; its preemption request (every 10 ms) interrupts the wait
// (EINTR, returned as 0 events). With one P the wait would starve every
// other goroutine, so it stays a normal system call. Not for a goroutine
// locked to its thread: handing it back after each preemption stalls it.
func EpollWaitRaw(epfd int, events []EpollEvent, timeout time.Duration) (int, error) {
	return epollWait(epfd, events, timeout, true)
}

func epollWait(epfd int, events []EpollEvent, timeout time.Duration, raw bool) (int, error) {
	if len(events) == 0 {
		return 0, errnoErr("epoll_wait", unix.EINVAL)
	}
	// Kept as a Pointer, converted inside each call expression, so the
	// array stays alive and in place for the system call.
	p := unsafe.Pointer(&events[0].raw)
	if timeout > 0 && !noPwait2.Load() {
		ts := unix.NsecToTimespec(int64(timeout))
		var n uintptr
		var e unix.Errno
		// Direct calls: the pointer conversions must sit in the call
		// expression of a system call for the compiler to keep them valid.
		if raw && rawWait() {
			n, _, e = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(p), uintptr(len(events)),
				uintptr(unsafe.Pointer(&ts)), 0, 0)
		} else {
			n, _, e = unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(p), uintptr(len(events)),
				uintptr(unsafe.Pointer(&ts)), 0, 0)
		}
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			return 0, nil
		case unix.ENOSYS, unix.EPERM:
			noPwait2.Store(true)
		default:
			return 0, errnoErr("epoll_pwait2", e)
		}
	}
	var n uintptr
	var e unix.Errno
	if timeout == 0 || raw && rawWait() {
		// A poll never blocks: as a raw call it does not wake the
		// runtime's monitor thread (entersyscall does, when it sleeps).
		n, _, e = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(p), uintptr(len(events)),
			uintptr(waitMillis(timeout)), 0, 0)
	} else {
		n, _, e = unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(p), uintptr(len(events)),
			uintptr(waitMillis(timeout)), 0, 0)
	}
	switch e {
	case 0:
		return int(n), nil
	case unix.EINTR:
		return 0, nil
	}
	return 0, errnoErr("epoll_wait", e)
}

// waitMillis converts a timeout to epoll_wait's milliseconds, rounding up so
// that the wait is never shorter than asked.
func waitMillis(d time.Duration) int {
	switch {
	case d < 0:
		return -1
	case d >= time.Duration(math.MaxInt32)*time.Millisecond:
		return math.MaxInt32
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

// rawWait reports whether a blocking wait may be a raw system call (see
// EpollWait).
func rawWait() bool { return runtime.GOMAXPROCS(0) > 1 }

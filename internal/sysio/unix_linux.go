package sysio

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Preallocated so that an empty accept queue costs no allocation.
var errAcceptAgain = os.NewSyscallError("accept4", unix.EAGAIN)

// UnixListen opens a non-blocking, close-on-exec Unix stream socket bound
// to path and listening with the given backlog. An existing file at path
// is not removed: the caller decides whether a stale socket may go.
func UnixListen(path string, backlog int) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// Accept takes one connection from the listening socket fd; the new
// descriptor is non-blocking and close-on-exec. It returns an error
// matching ErrWouldBlock when no connection is waiting. EINTR and
// ECONNABORTED (the peer gave up while queued) are retried.
func Accept(fd int) (int, error) {
	for {
		nfd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			return int(nfd), nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return -1, errAcceptAgain
		}
		return -1, errnoErr("accept4", e)
	}
}

// Cred is a Unix socket peer's credentials as the kernel recorded them
// when it connected (SO_PEERCRED), the pid translated into our PID
// namespace (0 when the peer's namespace is not visible from ours).
type Cred struct {
	PID int32
	UID uint32
	GID uint32
}

// PeerCred returns the credentials of the peer of the Unix socket fd.
func PeerCred(fd int) (Cred, error) {
	var uc unix.Ucred
	n := uint32(unsafe.Sizeof(uc))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERCRED,
		uintptr(unsafe.Pointer(&uc)), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return Cred{}, errnoErr("getsockopt SO_PEERCRED", e)
	}
	return Cred{PID: uc.Pid, UID: uc.Uid, GID: uc.Gid}, nil
}

// Send writes p to the connected, non-blocking socket fd with
// MSG_NOSIGNAL, so a peer that has gone yields EPIPE rather than SIGPIPE.
// It returns an error matching ErrWouldBlock when there is no room. EINTR
// is retried.
func Send(fd int, p []byte) (int, error) {
	return transfer(unix.SYS_SENDTO, "sendto", fd, p, unix.MSG_NOSIGNAL, errSendAgain)
}

var errSendAgain = os.NewSyscallError("sendto", unix.EAGAIN)

// ProcessExists reports whether a process with this pid exists in our PID
// namespace (kill(pid, 0) does not fail with ESRCH), as heartbeat checks
// its API clients. A process we may not signal still exists.
func ProcessExists(pid int) bool {
	if pid <= 0 {
		return false
	}
	return unix.Kill(pid, 0) != unix.ESRCH
}

// Kill sends sig to pid.
func Kill(pid, sig int) error {
	if err := unix.Kill(pid, unix.Signal(sig)); err != nil {
		return os.NewSyscallError("kill", err)
	}
	return nil
}

// IsTerminal reports whether fd is a terminal (isatty).
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

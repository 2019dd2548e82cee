package media

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Constants the unix package does not name.
const (
	iptosLowDelay = 0x10 // IPTOS_LOWDELAY, <netinet/ip.h>
	icmpFilter    = 1    // ICMP_FILTER (SOL_RAW), <linux/icmp.h>
	icmp6Filter   = 1    // ICMP6_FILTER (IPPROTO_ICMPV6), <linux/icmpv6.h>
)

// socket opens a non-blocking, close-on-exec socket.
func socket(family, typ, proto int) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// recvBuffer is the receive buffer of an IPv4 datagram medium's receive
// socket. The kernel's default (rmem_default, 208 KiB) holds a few
// hundred datagrams. A 64-node cluster at keepalive 100 ms overflows it
// as soon as a node is held up for a moment: every node then asks for
// the lost statuses by broadcast, those requests overflow the buffers
// in turn, and the storm feeds itself (measured: over a million
// datagrams dropped per node in 50 s, and the cluster never came up).
// Heartbeat's IPv4 plugins keep the default; its IPv6 ones ask for 1 MiB.
const recvBuffer = 4 << 20

// setRecvBuffer gives fd recvBuffer, past rmem_max where the process may
// (SO_RCVBUFFORCE, CAP_NET_ADMIN), else up to rmem_max. A failure is not
// an error: the default buffer still works.
func setRecvBuffer(fd int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, recvBuffer) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, recvBuffer)
	}
}

func setInt(fd, level, opt int, v int, name string) error {
	if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
		return fmt.Errorf("setsockopt %s: %w", name, err)
	}
	return nil
}

func bindToDevice(fd int, ifname string) error {
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("setsockopt SO_BINDTODEVICE %s: %w: %w", ifname, ErrNoInterface, err)
		}
		return fmt.Errorf("setsockopt SO_BINDTODEVICE %s: %w", ifname, err)
	}
	return nil
}

// sockaddr converts an address and port into what sendto and bind take,
// with the scope id for IPv6 link-local addresses.
func sockaddr(ap netip.AddrPort, scope uint32) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16(), ZoneId: scope}
}

// binder binds receive sockets with heartbeat's retries: its plugins try
// again a second later, up to ten (bcast, ucast) or fifty (mcast) times,
// because the previous heartbeat may still be exiting.
type binder struct {
	tries int
	delay time.Duration
	// anyError retries on every error, as bcast does; the others retry
	// only on EADDRINUSE.
	anyError bool
	// retryLine is what the plugin logs before each retry.
	retryLine func(err error)
}

func (bd binder) bind(fd int, sa unix.Sockaddr) error {
	var err error
	for try := 0; try < bd.tries; try++ {
		if try > 0 {
			time.Sleep(bd.delay)
		}
		if err = unix.Bind(fd, sa); err == nil {
			return nil
		}
		if !bd.anyError && !errors.Is(err, unix.EADDRINUSE) {
			break
		}
		if bd.retryLine != nil {
			bd.retryLine(err)
		}
	}
	return err
}

func (o *Options) binder(defaultTries int) binder {
	bd := binder{tries: o.BindTries, delay: o.BindDelay}
	if bd.tries <= 0 {
		bd.tries = defaultTries
	}
	if bd.delay <= 0 {
		bd.delay = time.Second
	}
	return bd
}

// sendto sends one datagram without blocking. It allocates nothing while
// it succeeds: to is built once, and unix.Sendto fills the raw address
// inside it.
func sendto(fd int, p []byte, to unix.Sockaddr) error {
	for {
		err := unix.Sendto(fd, p, unix.MSG_DONTWAIT, to)
		if err != unix.EINTR {
			return err
		}
	}
}

func closeFDs(fds ...int) error {
	var first error
	for _, fd := range fds {
		if fd < 0 {
			continue
		}
		if err := unix.Close(fd); err != nil && first == nil {
			first = os.NewSyscallError("close", err)
		}
	}
	return first
}

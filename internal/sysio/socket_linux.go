package sysio

import (
	"errors"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// UDPSocket opens a non-blocking, close-on-exec UDP socket bound to addr
// (port 0 picks a free port). An IPv6 address gives an AF_INET6 socket, an
// IPv4 one an AF_INET socket. Media that need socket options before bind
// (SO_BINDTODEVICE, SO_REUSEADDR) open their own sockets.
func UDPSocket(addr netip.AddrPort) (int, error) {
	if !addr.IsValid() || addr.Addr().Zone() != "" {
		return -1, errors.New("sysio: UDPSocket needs an address without zone")
	}
	family := unix.AF_INET6
	var sa unix.Sockaddr
	if a := addr.Addr(); a.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	return fd, nil
}

// SockName returns the local address a socket is bound to.
func SockName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, errors.New("sysio: SockName: not an IP socket")
}

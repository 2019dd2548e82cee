package sysio

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sockaddr holds either address family: a sockaddr_in fits in the front of
// a sockaddr_in6, and both start with the family.
type sockaddr = unix.RawSockaddrInet6

// putSockaddr writes ap into sa and returns the length to give the kernel,
// or 0 for the invalid AddrPort (no address: the socket's connected peer).
func putSockaddr(sa *sockaddr, ap netip.AddrPort) uint32 {
	if !ap.IsValid() {
		return 0
	}
	a := ap.Addr()
	if a.Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.As4()}
		putPort(&sa4.Port, ap.Port())
		return unix.SizeofSockaddrInet4
	}
	*sa = sockaddr{Family: unix.AF_INET6, Addr: a.As16()}
	putPort(&sa.Port, ap.Port())
	return unix.SizeofSockaddrInet6
}

// addrPort reads the address the kernel wrote into sa (n bytes of it).
// IPv4-mapped IPv6 addresses come back as IPv4, so that a dual-stack socket
// reports peers the way they are configured; IPv6 scope ids are dropped
// (netip zones are strings, which would allocate).
func addrPort(sa *sockaddr, n uint32) netip.AddrPort {
	switch {
	case sa.Family == unix.AF_INET && n >= unix.SizeofSockaddrInet4:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port))
	case sa.Family == unix.AF_INET6 && n >= unix.SizeofSockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), getPort(&sa.Port))
	}
	return netip.AddrPort{}
}

// Ports are stored in network byte order.
func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

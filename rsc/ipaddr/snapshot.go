package ipaddr

import (
	"net"
	"net/netip"
)

// snapshot is what the agents look at while inferring: the interfaces,
// every IPv4 route of every table and every IPv4 address, each list in the
// kernel's dump order (which is what ip and /proc/net/route print).
type snapshot struct {
	links  []link
	routes []route
	addrs  []address
}

type link struct {
	index    int
	name     string
	loopback bool
	mac      net.HardwareAddr
}

type route struct {
	table  int
	typ    int // RTN_*
	scope  int // RT_SCOPE_*
	proto  int // RTPROT_*
	dst    netip.Prefix
	dev    int // link index, 0 for none
	gw     netip.Addr
	src    netip.Addr // preferred source
	metric int64
	flags  int // rtm_flags
}

type address struct {
	dev       int
	prefix    netip.Prefix // local address / prefix length
	peer      bool         // has a peer address (point to point)
	brd       netip.Addr   // invalid when none
	scope     int
	flags     int
	label     string
	valid     uint32 // lifetimes in seconds, ^0 = forever
	preferred uint32
}

// Kernel constants the inference needs (rtnetlink.h); the pure code keeps
// away from x/sys/unix.
const (
	rtTableMain  = 254
	rtTableLocal = 255
	rtnUnicast   = 1
	rtnLocal     = 2
	scopeLink    = 253
	scopeHost    = 254
	protoBoot    = 3
	lifeForever  = ^uint32(0)
	ifaSecondary = 0x01
	ifaPermanent = 0x80
)

func (s *snapshot) linkByName(name string) *link {
	for i := range s.links {
		if s.links[i].name == name {
			return &s.links[i]
		}
	}
	return nil
}

func (s *snapshot) linkName(index int) string {
	for i := range s.links {
		if s.links[i].index == index {
			return s.links[i].name
		}
	}
	return ""
}

// onLink returns the addresses of one interface.
func (s *snapshot) onLink(index int) []address {
	var out []address
	for _, a := range s.addrs {
		if a.dev == index {
			out = append(out, a)
		}
	}
	return out
}

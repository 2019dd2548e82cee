package ipaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// conn is one rtnetlink socket for one operation. It is opened in the
// network namespace of the calling thread and stays there.
type conn struct{ h *netlink.Handle }

func dial() (*conn, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &conn{h}, nil
}

func (c *conn) close() { c.h.Close() }

// dumpTries bounds the retries of a dump the kernel reports as
// interrupted (the tables changed while it was read).
const dumpTries = 5

// snapshot reads interfaces, IPv4 routes of every table and IPv4
// addresses.
func (c *conn) snapshot() (*snapshot, error) {
	var err error
	for range dumpTries {
		var s *snapshot
		if s, err = c.read(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return s, err
		}
	}
	return nil, err
}

func (c *conn) read() (*snapshot, error) {
	links, err := c.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	routes, err := c.h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	addrs, err := c.h.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	s := &snapshot{
		links:  make([]link, 0, len(links)),
		routes: make([]route, 0, len(routes)),
		addrs:  make([]address, 0, len(addrs)),
	}
	for _, l := range links {
		at := l.Attrs()
		s.links = append(s.links, link{index: at.Index, name: at.Name, loopback: at.Flags&net.FlagLoopback != 0, mac: at.HardwareAddr})
	}
	for _, r := range routes {
		s.routes = append(s.routes, fromRoute(&r))
	}
	for _, a := range addrs {
		s.addrs = append(s.addrs, fromAddr(&a))
	}
	return s, nil
}

func fromRoute(r *netlink.Route) route {
	out := route{
		table: r.Table, typ: r.Type, scope: int(r.Scope), proto: int(r.Protocol),
		dev: r.LinkIndex, metric: int64(uint32(r.Priority)), flags: r.Flags,
		gw: ip4(r.Gw), src: ip4(r.Src),
	}
	if out.dev == 0 && len(r.MultiPath) > 0 {
		out.dev = r.MultiPath[0].LinkIndex // what /proc/net/route names
	}
	if r.Dst != nil {
		bits, _ := r.Dst.Mask.Size()
		if a := ip4(r.Dst.IP); a.IsValid() {
			out.dst = netip.PrefixFrom(a, bits)
		}
	}
	if !out.dst.IsValid() {
		out.dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return out
}

func fromAddr(a *netlink.Addr) address {
	out := address{
		dev: a.LinkIndex, scope: a.Scope, flags: a.Flags, label: a.Label,
		brd: ip4(a.Broadcast), peer: a.Peer != nil && !a.Peer.IP.Equal(a.IP),
		valid: uint32(a.ValidLft), preferred: uint32(a.PreferedLft),
	}
	if a.IPNet != nil {
		bits, _ := a.Mask.Size()
		out.prefix = netip.PrefixFrom(ip4(a.IP), bits)
	}
	if out.brd.IsValid() && out.brd.IsUnspecified() {
		out.brd = netip.Addr{}
	}
	return out
}

func ip4(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip.To4())
	if !ok {
		return netip.Addr{}
	}
	return a
}

// addrAdd is "ip -f inet addr add ip/bits [brd b] dev nic [label l]".
func (c *conn) addrAdd(dev int, ip netip.Addr, bits int, brd netip.Addr, label string) error {
	a := nlAddr(dev, ip, bits, label)
	a.Broadcast = net.IPv4zero // none: the library would compute one
	if brd.IsValid() {
		a.Broadcast = brd.AsSlice()
	}
	if ip.As4()[0] == 127 {
		a.Scope = unix.RT_SCOPE_HOST // ip's default_scope
	}
	return c.h.AddrAdd(nil, a)
}

// addrDel is "ip -f inet addr delete ip/bits dev nic [label l]".
func (c *conn) addrDel(dev int, ip netip.Addr, bits int, label string) error {
	return c.h.AddrDel(nil, nlAddr(dev, ip, bits, label))
}

func nlAddr(dev int, ip netip.Addr, bits int, label string) *netlink.Addr {
	return &netlink.Addr{
		IPNet:     &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(bits, 32)},
		LinkIndex: dev,
		Label:     label,
	}
}

// linkUp is "ip link set nic up".
func (c *conn) linkUp(dev int) error {
	return c.h.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: dev}})
}

// routeDel is "ip route delete ip dev nic" (main table, any scope).
func (c *conn) routeDel(dev int, ip netip.Addr) error {
	return c.h.RouteDel(&netlink.Route{LinkIndex: dev, Dst: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(32, 32)}})
}

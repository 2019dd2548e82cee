package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// The IPv6 plugins give both sockets 1 MiB buffers, ignoring failures.
const udp6Buffer = 1 << 20

func setBuffers6(fd int) {
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, udp6Buffer)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, udp6Buffer)
}

// openUcast6 opens "ucast6 <if> <addr>" as ucast6.so does: the send socket
// is bound to the device; the receive socket has SO_REUSEADDR,
// SO_BINDTODEVICE and SO_REUSEPORT and is bound to [::]:port (without
// IPV6_V6ONLY, so IPv4 datagrams to the port arrive too). A link-local
// peer gets the interface as its scope.
func openUcast6(b base, cfg config.Medium, opt Options) (Medium, error) {
	idx, err := ifaceIndex(cfg.Iface)
	if err != nil {
		return nil, b.err("interface "+cfg.Iface, err)
	}
	peer := cfg.Addr
	if !peer.Is6() {
		return nil, b.err("address "+cfg.Peer, errors.New("not an IPv6 address"))
	}
	var scope uint32
	shown := peer.WithZone("").String()
	if peer.IsLinkLocalUnicast() {
		scope = idx
		if z := peer.Zone(); z != "" && z != cfg.Iface && z != strconv.Itoa(int(idx)) {
			return nil, b.err("address "+cfg.Peer, fmt.Errorf("scope %s is not interface %s", z, cfg.Iface))
		}
		shown += "%" + cfg.Iface
	}
	m := newUDP(b, netip.AddrPortFrom(peer.WithZone(""), uint16(cfg.Port)), scope)

	if m.wfd, err = socket(unix.AF_INET6, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelWarn, "Error getting socket: %s", sysio.Strerror(err))
		return nil, m.fail("send socket", err)
	}
	setBuffers6(m.wfd)
	if err := bindToDevice(m.wfd, cfg.Iface); err != nil {
		// sic: the plugin says (r) for the send socket too
		m.logf(config.LevelCrit, "ucast6: error setting option SO_BINDTODEVICE(r) on %s: %s", cfg.Iface, sysio.Strerror(err))
		return nil, m.fail("send socket", err)
	}
	m.logf(config.LevelInfo, "ucast6: bound send socket to device: %s", cfg.Iface)

	if m.rfd, err = socket(unix.AF_INET6, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelCrit, "ucast6: Error getting socket")
		return nil, m.fail("receive socket", err)
	}
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		m.logf(config.LevelCrit, "ucast6: Error setsockopt(SO_REUSEADDR)")
	}
	setBuffers6(m.rfd)
	if err := bindToDevice(m.rfd, cfg.Iface); err != nil {
		m.logf(config.LevelCrit, "ucast6: error setting option SO_BINDTODEVICE(r) on %s: %s", cfg.Iface, sysio.Strerror(err))
		return nil, m.fail("receive socket", err)
	}
	m.logf(config.LevelInfo, "ucast6: bound receive socket to device: %s", cfg.Iface)
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, "SO_REUSEPORT"); err != nil {
		if !errors.Is(err, unix.ENOPROTOOPT) {
			m.logf(config.LevelCrit, "ucast6: error setting option SO_REUSEPORT: %s", sysio.Strerror(err))
			return nil, m.fail("receive socket", err)
		}
		m.logf(config.LevelWarn, "ucast6: error setting option SO_REUSEPORT: %s", sysio.Strerror(err))
	} else {
		m.logf(config.LevelInfo, "ucast6: set SO_REUSEPORT")
	}
	local := netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(cfg.Port))
	bd := opt.binder(50)
	bd.retryLine = func(error) { m.logf(config.LevelCrit, "ucast6: Can't bind (EADDRINUSE), retrying") }
	if err := bd.bind(m.rfd, sockaddr(local, 0)); err != nil {
		m.logf(config.LevelWarn, "ucast6: Unable to bind socket to %s %d. Giving up: %s", shown, cfg.Port, sysio.Strerror(err))
		return nil, m.fail("bind "+local.String(), err)
	}
	m.logf(config.LevelInfo, "ucast6: heartbeat started for [%s]:%d on interface %s", shown, cfg.Port, cfg.Iface)
	return m, nil
}

// openMcast6 opens "mcast6 <if> <group> <port> <hops> <loop>" as mcast6.so
// does: the send socket has IPV6_MULTICAST_IF, _LOOP and _HOPS (none
// fatal); the receive socket has SO_REUSEADDR, is bound to [::]:port (not
// to the group, and dual-stack) and joins the group on the interface.
func openMcast6(b base, cfg config.Medium, opt Options) (Medium, error) {
	idx, err := ifaceIndex(cfg.Iface)
	if err != nil {
		return nil, b.err("interface "+cfg.Iface, err)
	}
	group := cfg.Addr
	if !group.Is6() || !group.IsMulticast() {
		return nil, b.err("group "+cfg.Group, errors.New("not an IPv6 multicast address"))
	}
	m := newUDP(b, netip.AddrPortFrom(group, uint16(cfg.Port)), 0)

	if m.wfd, err = socket(unix.AF_INET6, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelWarn, "Error getting socket: %s", sysio.Strerror(err))
		return nil, m.fail("send socket", err)
	}
	setBuffers6(m.wfd)
	if err := unix.SetsockoptInt(m.wfd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, int(idx)); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast6 interface: %s", sysio.Strerror(err))
	}
	if err := unix.SetsockoptInt(m.wfd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, int(boolByte(cfg.Loop))); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast6 loopback value: %s", sysio.Strerror(err))
	}
	if err := unix.SetsockoptInt(m.wfd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, cfg.TTL); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast6 hops: %s", sysio.Strerror(err))
	}

	if m.rfd, err = socket(unix.AF_INET6, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelCrit, "Error getting socket")
		return nil, m.fail("receive socket", err)
	}
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		m.logf(config.LevelCrit, "Error setsockopt(SO_REUSEADDR)")
	}
	setBuffers6(m.rfd)
	local := netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(cfg.Port))
	bd := opt.binder(50)
	bd.retryLine = func(error) { m.logf(config.LevelCrit, "Can't bind (EADDRINUSE), retrying") }
	if err := bd.bind(m.rfd, sockaddr(local, 0)); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			m.logf(config.LevelInfo, "Someone already listening on port %d [%s]", cfg.Port, cfg.Iface)
			m.logf(config.LevelInfo, "multicast read process exiting")
		} else {
			m.logf(config.LevelWarn, "Unable to bind socket to %s %d. Giving up: %s", group, cfg.Port, sysio.Strerror(err))
		}
		return nil, m.fail("bind "+local.String(), err)
	}
	mreq := unix.IPv6Mreq{Multiaddr: group.As16(), Interface: idx}
	if err := unix.SetsockoptIPv6Mreq(m.rfd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, &mreq); err != nil {
		m.logf(config.LevelCrit, "Can't join multicast group %s on interface %s", group, cfg.Iface)
		m.logf(config.LevelInfo, "multicast read process exiting")
		return nil, m.fail("join "+group.String()+" on "+cfg.Iface, err)
	}
	m.logf(config.LevelInfo, "UDP multicast heartbeat started for [%s]:%d on interface %s (hops=%d loop=%d)",
		group, cfg.Port, cfg.Iface, cfg.TTL, boolByte(cfg.Loop))
	return m, nil
}

package media

import (
	"errors"
	"net/netip"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// openMcast opens "mcast <if> <group> <port> <ttl> <loop>" as mcast.so
// does: the send socket has IP_MULTICAST_IF (the interface's address),
// IP_MULTICAST_LOOP and IP_MULTICAST_TTL, none of them fatal; the receive
// socket has SO_REUSEADDR, is bound to group:port (retried while in use)
// and joins the group on the interface's address. No SO_BINDTODEVICE: a
// group joined on two interfaces reaches both receive sockets.
func openMcast(b base, cfg config.Medium, opt Options) (Medium, error) {
	ifaddr, err := ifaceAddr4(cfg.Iface)
	if err != nil {
		b.logf(config.LevelCrit, "Unable to retrieve local interface address for interface [%s] using ioctl(SIOCGIFADDR): %s", cfg.Iface, sysio.Strerror(err))
		return nil, b.err("address of "+cfg.Iface, err)
	}
	group := cfg.Addr
	if !group.Is4() || !group.IsMulticast() {
		return nil, b.err("group "+cfg.Group, errors.New("not an IPv4 multicast address"))
	}
	m := newUDP(b, netip.AddrPortFrom(group, uint16(cfg.Port)), 0)

	if m.wfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		return nil, m.fail("send socket", err)
	}
	if err := unix.SetsockoptInet4Addr(m.wfd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, ifaddr.As4()); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast interface: %s", sysio.Strerror(err))
	}
	if err := unix.SetsockoptByte(m.wfd, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, boolByte(cfg.Loop)); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast loopback value: %s", sysio.Strerror(err))
	}
	if err := unix.SetsockoptByte(m.wfd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, byte(cfg.TTL)); err != nil {
		m.logf(config.LevelWarn, "Error setting outbound mcast TTL: %s", sysio.Strerror(err))
	}

	if m.rfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelCrit, "Error getting socket")
		return nil, m.fail("receive socket", err)
	}
	setRecvBuffer(m.rfd)
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		m.logf(config.LevelCrit, "Error setsockopt(SO_REUSEADDR)")
	}
	bd := opt.binder(50)
	bd.retryLine = func(error) { m.logf(config.LevelCrit, "Can't bind (EADDRINUSE), retrying") }
	if err := bd.bind(m.rfd, m.to); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			m.logf(config.LevelInfo, "Someone already listening on port %d [%s]", cfg.Port, cfg.Iface)
			m.logf(config.LevelInfo, "multicast read process exiting")
		} else {
			m.logf(config.LevelWarn, "Unable to bind socket. Giving up: %s", sysio.Strerror(err))
		}
		return nil, m.fail("bind "+m.dst.String(), err)
	}
	mreq := unix.IPMreq{Multiaddr: group.As4(), Interface: ifaddr.As4()}
	if err := unix.SetsockoptIPMreq(m.rfd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &mreq); err != nil {
		m.logf(config.LevelCrit, "Can't join multicast group %s on interface %s", group, cfg.Iface)
		m.logf(config.LevelInfo, "multicast read process exiting")
		return nil, m.fail("join "+group.String()+" on "+cfg.Iface, err)
	}
	if opt.BeaconSocket {
		m.openBeacon(false, func(fd int) error {
			if err := setInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
				return err
			}
			if err := unix.Bind(fd, m.to); err != nil {
				return err
			}
			return unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &mreq)
		})
	}
	m.logf(config.LevelInfo, "UDP multicast heartbeat started for group %s port %d interface %s (ttl=%d loop=%d)",
		group, cfg.Port, cfg.Iface, cfg.TTL, boolByte(cfg.Loop))
	return m, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

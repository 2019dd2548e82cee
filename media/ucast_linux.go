package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// openUcast opens "ucast <if> <peer>" as ucast.so does: the send socket
// has IP_TOS lowdelay, SO_BINDTODEVICE and SO_REUSEPORT and sends to the
// peer; the receive socket has SO_REUSEADDR, SO_BINDTODEVICE and
// SO_REUSEPORT and is bound to 0.0.0.0:port, retried while the port is in
// use. The plugin logs a line for every option it sets.
func openUcast(b base, cfg config.Medium, opt Options) (Medium, error) {
	peer, err := resolve4(cfg.Addr, cfg.Peer)
	if err != nil {
		return nil, b.err("resolve "+cfg.Peer, err)
	}
	m := newUDP(b, netip.AddrPortFrom(peer, uint16(cfg.Port)), 0)
	m.iface = cfg.Iface
	if err := m.ucastSendSocket(cfg.Iface); err != nil {
		return nil, m.fail("send socket", err)
	}
	if err := m.ucastReceiveSocket(cfg.Iface); err != nil {
		return nil, m.fail("receive socket", err)
	}
	local := netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(cfg.Port))
	if opt.UcastBind.Is4() {
		local = netip.AddrPortFrom(opt.UcastBind, uint16(cfg.Port))
	}
	bd := opt.binder(10)
	bd.retryLine = func(error) { m.logf(config.LevelCrit, "ucast: Can't bind (EADDRINUSE), retrying") }
	if err := bd.bind(m.rfd, sockaddr(local, 0)); err != nil {
		m.logf(config.LevelCrit, "ucast: unable to bind socket. Giving up: %s", sysio.Strerror(err))
		return nil, m.fail("bind "+local.String(), err)
	}
	if opt.BeaconSocket {
		m.openBeacon(true, bindOnDevice(cfg.Iface, local))
	}
	m.logf(config.LevelInfo, "ucast: started on port %d interface %s to %s", cfg.Port, cfg.Iface, peer)
	return m, nil
}

func (m *udp) ucastSendSocket(iface string) error {
	var err error
	if m.wfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelCrit, "ucast: Error creating write socket: %s", sysio.Strerror(err))
		return err
	}
	if err := setInt(m.wfd, unix.IPPROTO_IP, unix.IP_TOS, iptosLowDelay, "IP_TOS"); err != nil {
		m.logf(config.LevelCrit, "ucast: error setting socket option IP_TOS: %s", sysio.Strerror(err)) // not fatal
	} else {
		m.logf(config.LevelInfo, "ucast: write socket priority set to IPTOS_LOWDELAY on %s", iface)
	}
	if err := bindToDevice(m.wfd, iface); err != nil {
		m.logf(config.LevelCrit, "ucast: error setting option SO_BINDTODEVICE(w) on %s: %s", iface, sysio.Strerror(err))
		return err
	}
	m.logf(config.LevelInfo, "ucast: bound send socket to device: %s", iface)
	if err := setInt(m.wfd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, "SO_REUSEPORT"); err != nil {
		m.logf(config.LevelCrit, "ucast: error setting option SO_REUSEPORT(w): %s", sysio.Strerror(err))
		return err
	}
	m.logf(config.LevelInfo, "ucast: set SO_REUSEPORT(w)")
	return nil
}

func (m *udp) ucastReceiveSocket(iface string) error {
	var err error
	if m.rfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		m.logf(config.LevelCrit, "ucast: error creating read socket: %s", sysio.Strerror(err))
		return err
	}
	setRecvBuffer(m.rfd)
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		m.logf(config.LevelWarn, "ucast: error setting socket option SO_REUSEADDR: %s", sysio.Strerror(err))
	} else {
		m.logf(config.LevelInfo, "ucast: set SO_REUSEADDR")
	}
	if err := bindToDevice(m.rfd, iface); err != nil {
		m.logf(config.LevelCrit, "ucast: error setting option SO_BINDTODEVICE(r) on %s: %s", iface, sysio.Strerror(err))
		return err
	}
	m.logf(config.LevelInfo, "ucast: bound receive socket to device: %s", iface)
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, "SO_REUSEPORT"); err != nil {
		if !errors.Is(err, unix.ENOPROTOOPT) { // old kernels lack it, which is fine
			m.logf(config.LevelCrit, "ucast: error setting option SO_REUSEPORT: %s", sysio.Strerror(err))
			return err
		}
		m.logf(config.LevelWarn, "ucast: error setting option SO_REUSEPORT: %s", sysio.Strerror(err))
	} else {
		m.logf(config.LevelInfo, "ucast: set SO_REUSEPORT")
	}
	return nil
}

// resolve4 is gethostbyname for an IPv4 peer: the literal address the
// configuration parsed, else the first address the name resolves to.
func resolve4(literal netip.Addr, host string) (netip.Addr, error) {
	if literal.Is4() {
		return literal, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("no IPv4 address for %s", host)
	}
	return addrs[0].Unmap(), nil
}

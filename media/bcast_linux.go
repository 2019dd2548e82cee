package media

import (
	"net/netip"
	"strconv"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// openBcast opens "bcast <if>" as bcast.so does: the send socket has
// SO_BROADCAST, SO_DONTROUTE and SO_BINDTODEVICE and sends to the
// interface's broadcast address; the receive socket has SO_REUSEADDR and
// SO_BINDTODEVICE and is bound to 0.0.0.0:port, with up to ten tries.
func openBcast(b base, cfg config.Medium, opt Options) (Medium, error) {
	brd, err := ifaceBroadcast(cfg.Iface)
	if err != nil {
		return nil, b.err("broadcast address of "+cfg.Iface, err)
	}
	m := newUDP(b, netip.AddrPortFrom(brd, uint16(cfg.Port)), 0)

	if m.wfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		return nil, m.fail("send socket", err)
	}
	for _, o := range []struct {
		opt  int
		name string
	}{{unix.SO_BROADCAST, "SO_BROADCAST"}, {unix.SO_DONTROUTE, "SO_DONTROUTE"}} {
		if err := setInt(m.wfd, unix.SOL_SOCKET, o.opt, 1, o.name); err != nil {
			return nil, m.fail("send socket", err)
		}
	}
	if err := bindToDevice(m.wfd, cfg.Iface); err != nil {
		return nil, m.fail("send socket", err)
	}

	if m.rfd, err = socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
		return nil, m.fail("receive socket", err)
	}
	setRecvBuffer(m.rfd)
	if err := setInt(m.rfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		m.logf(config.LevelCrit, "Error setting socket option SO_REUSEADDR: %s", sysio.Strerror(err)) // not fatal
	}
	if err := bindToDevice(m.rfd, cfg.Iface); err != nil {
		return nil, m.fail("receive socket", err)
	}
	local := netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(cfg.Port))
	bd := opt.binder(10)
	bd.anyError = true
	bd.retryLine = func(err error) { m.logf(config.LevelCrit, "Error binding socket (%s). Retrying.", sysio.Strerror(err)) }
	if err := bd.bind(m.rfd, sockaddr(local, 0)); err != nil {
		m.logf(config.LevelCrit, "Unable to bind socket (%s). Giving up.", sysio.Strerror(err))
		return nil, m.fail("bind "+local.String(), err)
	}
	if opt.BeaconSocket {
		m.openBeacon(false, bindOnDevice(cfg.Iface, local))
	}
	port := strconv.Itoa(cfg.Port)
	m.logf(config.LevelInfo, "UDP Broadcast heartbeat started on port %s (%s) interface %s", port, port, cfg.Iface)
	return m, nil
}

package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"golang.org/x/sys/unix"
)

// ping is a ping, ping6 or ping_group medium: one raw ICMP socket, the
// hosts to send echo requests to, and the pinger that builds and checks
// them.
type ping struct {
	base
	pinger
	fd      int
	hosts   []netip.Addr
	to      []unix.Sockaddr // hosts, built once so that sendto allocates nothing
	isGroup bool
}

// openPing opens a raw ICMP (ICMPv6 for ping6) socket, as ping.so,
// ping6.so and ping_group.so do. Unlike them it also sets an ICMP filter
// that lets only echo replies through: the plugins drop everything else
// after reading it, so this changes what is read, not what is accepted.
func openPing(b base, cfg config.Medium, opt Options) (Medium, error) {
	if opt.Keyring == nil {
		return nil, b.err("open", errors.New("no keyring: ping media sign and check their messages"))
	}
	m := &ping{base: b, fd: -1, isGroup: cfg.Type == "ping_group"}
	m.pinger = pinger{info: cfg.Type, src: cfg.Name, ident: opt.Ident, keys: opt.Keyring, v6: cfg.Type == "ping6"}
	if m.ident == 0 {
		m.ident = uint16(os.Getpid())
	}
	hosts := []string{cfg.Peer}
	if cfg.Peer == "" {
		hosts[0] = cfg.Name // the host is the medium's name
	}
	if m.isGroup {
		// ping_group keeps its hosts in a list it prepends to, so it sends
		// to them in reverse order.
		hosts = hosts[:0]
		for i := len(cfg.Hosts) - 1; i >= 0; i-- {
			hosts = append(hosts, cfg.Hosts[i])
		}
	}
	for _, h := range hosts {
		a, err := resolvePing(h, m.v6)
		if err != nil {
			b.logf(config.LevelCrit, "unknown host: %s: %s", h, sysio.Strerror(err))
			return nil, b.err("resolve "+h, err)
		}
		m.hosts = append(m.hosts, a)
		m.to = append(m.to, sockaddr(netip.AddrPortFrom(a, 0), 0))
	}

	family, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if m.v6 {
		family, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	var err error
	if m.fd, err = socket(family, unix.SOCK_RAW, proto); err != nil {
		m.logf(config.LevelCrit, "Can't open RAW socket.: %s", sysio.Strerror(err))
		return nil, m.err("raw socket", err)
	}
	if err := m.setFilter(); err != nil {
		m.Close()
		return nil, m.err("raw socket", err)
	}
	if m.isGroup {
		m.logf(config.LevelInfo, "ping group heartbeat started.")
	} else {
		m.logf(config.LevelInfo, "ping heartbeat started.")
	}
	return m, nil
}

// setFilter lets only echo replies reach the socket.
func (m *ping) setFilter() error {
	if m.v6 {
		var f unix.ICMPv6Filter // a set bit blocks that type
		for i := range f.Data {
			f.Data[i] = ^uint32(0)
		}
		f.Data[icmp6EchoReply>>5] &^= 1 << (icmp6EchoReply & 31)
		if err := unix.SetsockoptICMPv6Filter(m.fd, unix.IPPROTO_ICMPV6, icmp6Filter, &f); err != nil {
			return os.NewSyscallError("setsockopt ICMP6_FILTER", err)
		}
		return nil
	}
	return setInt(m.fd, unix.SOL_RAW, icmpFilter, ^(1 << icmpEchoReply), "ICMP_FILTER")
}

// resolvePing is what the plugins do with a host: a literal address, else
// gethostbyname (the first address).
func resolvePing(host string, v6 bool) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() == v6 && a.Zone() == "" {
		return a, nil
	}
	network := "ip4"
	if v6 {
		network = "ip6"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), network, host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, errors.New("no address")
	}
	if v6 {
		return addrs[0], nil
	}
	return addrs[0].Unmap(), nil
}

func (m *ping) FD() int { return m.fd }

func (m *ping) Recv(b *Batch) (int, error) {
	n, err := b.recvDatagrams(m.fd, m.index, m.keep)
	if err != nil {
		return n, m.err("receive", err)
	}
	return n, nil
}

func (m *ping) keep(p []byte, from netip.AddrPort) []byte {
	member := true
	if m.isGroup {
		member = false
		for _, h := range m.hosts {
			if h == from.Addr() {
				member = true
				break
			}
		}
	}
	return m.reply(p, member)
}

// Send sends the echo request for a status packet to every host (all
// members of a ping_group, with the same sequence number) and ignores
// every other packet.
func (m *ping) Send(pkt []byte) error {
	echo, err := m.echoRequest(pkt)
	if err == errNotStatus {
		return nil
	}
	if err != nil {
		return m.err("build echo request", err)
	}
	var first error
	for i, to := range m.to {
		if err := sendto(m.fd, echo, to); err != nil && first == nil {
			first = m.err("send to "+m.hosts[i].String(), err)
		}
	}
	return first
}

func (m *ping) Close() error {
	err := closeFDs(m.fd)
	m.fd = -1
	if err != nil {
		return m.err("close", err)
	}
	return nil
}

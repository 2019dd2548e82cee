package config

import (
	"io/fs"
	"net/netip"
	"strings"
)

// mediumType is one of heartbeat's HBcomm plugins. "new" plugins build one
// medium per option token; "parse" plugins read the whole rest of the line.
type mediumType struct {
	name  string
	descr string // the plugin's description, as heartbeat prints it
	new   func(p *hacfParser, value string) (Medium, bool)
	parse func(p *hacfParser, rest string) bool
}

// mediaTypes are the plugins Debian's heartbeat package installs.
var mediaTypes = []mediumType{
	{name: "bcast", descr: "UDP/IP broadcast", new: (*hacfParser).newBcast},
	{name: "mcast", descr: "UDP/IP multicast", parse: (*hacfParser).parseMcast},
	{name: "mcast6", descr: "UDP/IPv6 multicast", parse: (*hacfParser).parseMcast6},
	{name: "ping", descr: "ping membership", new: (*hacfParser).newPing},
	{name: "ping6", descr: "ping6 membership", new: (*hacfParser).newPing6},
	{name: "ping_group", descr: "ping group membership", parse: (*hacfParser).parsePingGroup},
	{name: "serial", descr: "serial ring", new: (*hacfParser).newSerial},
	{name: "ucast", descr: "UDP/IP unicast", parse: (*hacfParser).parseUcast},
	{name: "ucast6", descr: "UDP/IPv6 unicast", parse: (*hacfParser).parseUcast6},
}

func lookupMedium(name string) *mediumType {
	for i := range mediaTypes {
		if mediaTypes[i].name == name {
			return &mediaTypes[i]
		}
	}
	return nil
}

// plugf records a line printed by a plugin: heartbeat routes plugin logs
// through glib, which prefixes them and logs CRIT as ERROR.
func (p *hacfParser) plugf(level Level, format string, args ...any) {
	p.logf(level, "glib: "+format, args...)
}

// newMedium is the media half of heartbeat's add_option.
func (p *hacfParser) newMedium(m *mediumType, value string) bool {
	from := len(p.diags)
	med, ok := m.new(p, value)
	if len(p.cfg.Media) >= maxMedia {
		p.logf(LevelError, "Too many media specified (> %d)", maxMedia)
		p.logf(LevelInfo, "Offending command: %s %s", m.name, value)
		p.failed(from, "Too many media specified (> %d)", maxMedia)
		return false
	}
	if !ok {
		p.logf(LevelError, "Illegal %s [%s] in config file [%s]", m.name, m.descr, value)
		p.failed(from, "Invalid %s value [%s]", m.name, value)
		return false
	}
	med.Type, med.Line = m.name, p.line
	p.cfg.Media = append(p.cfg.Media, med)
	return true
}

// registerMedium adds a medium built by a parse-style plugin. Heartbeat does
// not bound these and overflows its table; hbd refuses.
func (p *hacfParser) registerMedium(med Medium) bool {
	if len(p.cfg.Media) >= maxMedia {
		p.hbdFatalf("Too many media specified (> %d)", maxMedia)
		return false
	}
	med.Line = p.line
	p.cfg.Media = append(p.cfg.Media, med)
	return true
}

// udpPort is what the bcast, ucast and ucast6 plugins compute on first use:
// the recorded udpport, else /etc/services "ha-cluster/udp", else 694.
func (p *hacfParser) udpPort() int {
	if v, ok := p.cfg.Params.Get("udpport"); ok {
		return atoi(v)
	}
	if port, ok := p.env.serviceByName("ha-cluster", "udp"); ok {
		return port
	}
	return 694
}

func (p *hacfParser) newBcast(intf string) (Medium, bool) {
	if p.bcastPort == 0 {
		p.bcastPort = p.udpPort()
	}
	info, exists := p.env.iface(intf)
	if !exists || !info.HasIPv4 {
		p.plugf(LevelError, "Get broadcast for interface %s failed: %s", intf, ifaceErrno(exists))
		p.plugf(LevelError, "IP interface [%s] does not exist", intf)
		return Medium{}, false
	}
	return Medium{Name: intf, Iface: intf, Port: p.bcastPort & 0xffff}, true
}

// ifaceErrno is the strerror heartbeat's interface ioctls end with.
func ifaceErrno(exists bool) string {
	if exists {
		return "Cannot assign requested address" // EADDRNOTAVAIL: no IPv4 address
	}
	return "No such device" // ENODEV
}

func (p *hacfParser) parseUcast(rest string) bool {
	dev, rest := nextToken(rest, whitespace)
	if dev == "" {
		// Heartbeat 3.0.6 crashes on a bare "ucast".
		p.hbdFatalf("ucast statement without device")
		return false
	}
	target, _ := nextToken(rest, whitespace)
	if target == "" {
		p.plugf(LevelError, "ucast: [%s] missing target IP address/hostname", dev)
		return false
	}
	if p.ucastPort == 0 {
		p.ucastPort = p.udpPort()
	}
	addr, literal := inetAton(target)
	if !literal {
		if err := p.env.lookupHost(target); err != nil {
			p.plugf(LevelError, "ucast: cannot resolve hostname")
			p.plugf(LevelError, "ucast: interface [%s] does not exist", dev)
			return false
		}
	}
	return p.registerMedium(Medium{Type: "ucast", Name: dev, Iface: dev, Peer: target, Addr: addr, Port: p.ucastPort & 0xffff})
}

// validDev4 is the mcast plugin's is_valid_dev: SIOCGIFADDR must succeed.
// Heartbeat retries for two minutes while the interface has no address;
// hbd does not wait.
func (p *hacfParser) validDev4(dev string) bool {
	info, exists := p.env.iface(dev)
	if exists && info.HasIPv4 {
		return true
	}
	p.plugf(LevelError, "Unable to retrieve local interface address for interface [%s] using ioctl(SIOCGIFADDR): %s", dev, ifaceErrno(exists))
	return false
}

func (p *hacfParser) parseMcast(rest string) bool {
	dev, rest := nextToken(rest, whitespace)
	if dev == "" {
		p.hbdFatalf("mcast statement without device") // heartbeat 3.0.6 crashes
		return false
	}
	if !p.validDev4(dev) {
		p.plugf(LevelError, "mcast device [%s] is invalid or not set up properly", dev)
		return false
	}
	group, rest := nextToken(rest, whitespace)
	if group == "" {
		p.plugf(LevelError, "mcast [%s] missing mcast address", dev)
		return false
	}
	if a, ok := inetAton(group); !ok || a.As4()[0]&0xf0 != 0xe0 {
		p.plugf(LevelError, "mcast [%s] bad addr [%s]", dev, group)
		return false
	}
	var vals [3]int
	for i, what := range []string{"port", "ttl", "loop"} {
		var tok string
		tok, rest = nextToken(rest, whitespace)
		if tok == "" {
			p.plugf(LevelError, "mcast [%s] missing %s", dev, what)
			return false
		}
		vals[i] = atoi(tok)
		limit := [3]int{0, 4, 1}[i]
		if i == 0 {
			vals[i] &= 0xffff // u_short
			if vals[i] == 0 {
				p.plugf(LevelError, " mcast [%s] bad port [%d]", dev, vals[i])
				return false
			}
			continue
		}
		vals[i] &= 0xff // u_char
		if vals[i] > limit {
			p.plugf(LevelError, " mcast [%s] bad %s [%d]", dev, what, vals[i])
			return false
		}
	}
	port, ttl, loop := vals[0], vals[1], vals[2]
	addr, err := netip.ParseAddr(group)
	if err != nil || !addr.Is4() {
		p.plugf(LevelWarn, "Error creating mcast_private(%s, %s, %d, %d, %d)", dev, group, port, ttl, loop)
		p.hbdFatalf("Invalid mcast group [%s]: not a dotted-quad IPv4 address", group)
		return false
	}
	return p.registerMedium(Medium{Type: "mcast", Name: dev, Iface: dev, Group: group, Addr: addr, Port: port, TTL: ttl, Loop: loop == 1})
}

// ifIndex is if_nametoindex, 0 when there is no such interface.
func (p *hacfParser) ifIndex(dev string) int {
	info, ok := p.env.iface(dev)
	if !ok || info.Index <= 0 {
		return 0
	}
	return info.Index
}

// scopeID is the sin6_scope_id getaddrinfo derives from a zone: its
// number, or the index of the interface it names.
func (p *hacfParser) scopeID(zone string) int {
	if zone == "" {
		return 0
	}
	if v, n := strtol(zone); n == len(zone) && zone[0] >= '0' && zone[0] <= '9' {
		return int(uint32(v))
	}
	return p.ifIndex(zone)
}

// resolve6 is getaddrinfo with AI_NUMERICHOST for AF_INET6: the address
// may carry a %zone, an interface name or number.
func (p *hacfParser) resolve6(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	if z := a.Zone(); z != "" && strings.Trim(z, "0123456789") != "" && p.ifIndex(z) == 0 {
		return netip.Addr{}, false
	}
	return a, true
}

func (p *hacfParser) parseUcast6(rest string) bool {
	dev, rest := nextToken(rest, whitespace)
	if dev == "" {
		p.plugf(LevelError, "ucast6 statement without device")
		return false
	}
	idx := p.ifIndex(dev)
	if idx == 0 {
		p.plugf(LevelError, "ucast6 device [%s] is invalid or not set up properly", dev)
		return false
	}
	peer, _ := nextToken(rest, whitespace)
	if peer == "" {
		p.plugf(LevelError, "ucast6 [%s] missing ucast6 address", dev)
		return false
	}
	if !validUcast6(peer) {
		p.plugf(LevelError, "ucast6 [%s] bad addr [%s]", dev, peer)
		return false
	}
	if p.ucast6Port == 0 {
		p.ucast6Port = p.udpPort()
		if p.ucast6Port > 0xffff {
			// Logged, then ignored: the port is used truncated.
			v, _ := p.cfg.Params.Get("udpport")
			p.plugf(LevelError, "ucast6: bad port number %s", v)
		}
	}
	port := p.ucast6Port & 0xffff
	addr, ok := p.resolve6(peer)
	if !ok {
		p.plugf(LevelError, "getaddrinfo([%s]:%d): Name or service not known", peer, port)
		p.plugf(LevelWarn, "Error creating ucast6_private(%s, %s)", dev, peer)
		p.hbdFatalf("Invalid ucast6 address [%s]", peer)
		return false
	}
	if scope := p.scopeID(addr.Zone()); addr.IsLinkLocalUnicast() && scope != 0 && scope != idx {
		p.plugf(LevelError, "ucast6: index %d does not match scope id %d for device %s", idx, scope, dev)
		p.plugf(LevelWarn, "Error creating ucast6_private(%s, %s)", dev, peer)
		p.hbdFatalf("Invalid ucast6 address [%s]", peer)
		return false
	}
	return p.registerMedium(Medium{Type: "ucast6", Name: dev, Iface: dev, Peer: peer, Addr: addr, Port: port})
}

// validUcast6 is the ucast6 plugin's is_valid_ucast6_addr: the address up
// to any %zone (and at most 46 bytes) must parse and be neither multicast,
// unspecified nor loopback.
func validUcast6(s string) bool {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 46 {
		s = s[:46]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return false
	}
	return !a.IsMulticast() && !a.IsUnspecified() && !a.IsLoopback()
}

// validMcast6 is the mcast6 plugin's is_valid_mcast6_addr: a multicast
// group, permanent or transient, with link, admin, site or organisation
// scope, and not all zeros after the scope.
func validMcast6(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return false
	}
	b := a.As16()
	if b[0] != 0xff || b[1]&0xe0 != 0 {
		return false
	}
	switch b[1] & 0x0f {
	case 0x2, 0x4, 0x5, 0x8:
	default:
		return false
	}
	for _, x := range b[2:] {
		if x != 0 {
			return true
		}
	}
	return false
}

func (p *hacfParser) parseMcast6(rest string) bool {
	dev, rest := nextToken(rest, whitespace)
	if dev == "" {
		p.plugf(LevelError, "mcast6 statement without device")
		return false
	}
	if p.ifIndex(dev) == 0 {
		p.plugf(LevelError, "mcast6 device [%s] is invalid or not set up properly", dev)
		return false
	}
	group, rest := nextToken(rest, whitespace)
	if group == "" {
		p.plugf(LevelError, "mcast6 [%s] missing mcast6 address", dev)
		return false
	}
	if !validMcast6(group) {
		p.plugf(LevelError, " mcast6 [%s] bad addr [%s]", dev, group)
		return false
	}
	portStr, rest := nextToken(rest, whitespace)
	if portStr == "" {
		p.plugf(LevelError, "mcast6 [%s] missing port", dev)
		return false
	}
	var vals [2]int
	for i, what := range []string{"hops", "loop"} {
		var tok string
		tok, rest = nextToken(rest, whitespace)
		if tok == "" {
			p.plugf(LevelError, "mcast6 [%s] missing %s", dev, what)
			return false
		}
		vals[i] = atoi(tok) & 0xff // u_char
		if vals[i] > [2]int{4, 1}[i] {
			p.plugf(LevelError, " mcast6 [%s] bad %s [%d]", dev, what, vals[i])
			return false
		}
	}
	hops, loop := vals[0], vals[1]
	port, ok := p.servicePort(portStr)
	if !ok {
		p.plugf(LevelError, "getaddrinfo([%s]:%s): Servname not supported for ai_socktype", group, portStr)
		p.plugf(LevelWarn, "Error creating mcast6_private(%s, %s, %s, %d, %d)", dev, group, portStr, hops, loop)
		p.hbdFatalf("Invalid mcast6 port [%s]", portStr)
		return false
	}
	addr, _ := netip.ParseAddr(group)
	return p.registerMedium(Medium{Type: "mcast6", Name: dev, Iface: dev, Group: group, Addr: addr, Port: port, TTL: hops, Loop: loop == 1})
}

// servicePort is getaddrinfo's service argument for a UDP socket: a
// number, else a service name from /etc/services.
func (p *hacfParser) servicePort(s string) (int, bool) {
	if v, n := strtol(s); n == len(s) && n > 0 && s[0] != ' ' {
		return int(uint16(v)), true
	}
	return p.env.serviceByName(s, "udp")
}

func (p *hacfParser) newSerial(port string) (Medium, bool) {
	if !strings.HasPrefix(port, "/") {
		p.plugf(LevelError, "Serial port not full pathname [%s] in config file", port)
		return Medium{}, false
	}
	mode, err := p.env.stat(port)
	if err != nil {
		p.plugf(LevelError, "Nonexistent serial port [%s] in config file", port)
		return Medium{}, false
	}
	if mode.Type() != fs.ModeDevice|fs.ModeCharDevice {
		p.plugf(LevelError, "Serial port [%s] not a char device in config file", port)
		return Medium{}, false
	}
	return Medium{Name: port}, true
}

func (p *hacfParser) newPing(host string) (Medium, bool) {
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Is4() {
		addr = netip.Addr{}
		if err := p.env.lookupHost(host); err != nil {
			p.plugf(LevelError, "unknown host: %s: %s", host, err)
			return Medium{}, false
		}
	}
	if !p.addNode(host, PingNode) {
		return Medium{}, false
	}
	return Medium{Name: host, Peer: host, Addr: addr}, true
}

func (p *hacfParser) newPing6(host string) (Medium, bool) {
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Is6() || addr.Zone() != "" {
		return Medium{}, false
	}
	p.addNode(host, PingNode) // heartbeat ignores a failure here
	return Medium{Name: host, Peer: host, Addr: addr}, true
}

func (p *hacfParser) parsePingGroup(rest string) bool {
	name, rest := nextToken(rest, whitespace)
	if name == "" {
		return false
	}
	p.addNode(name, PingNode) // before the hosts are checked, as heartbeat does
	var hosts []string
	for {
		var host string
		host, rest = nextToken(rest, whitespace)
		if host == "" {
			break
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is4() {
			// Heartbeat logs the failure but keeps counting the host.
			if err := p.env.lookupHost(host); err != nil {
				p.plugf(LevelError, "unknown host: %s: %s", host, err)
			}
		}
		hosts = append(hosts, host)
	}
	if len(hosts) == 0 {
		return false
	}
	return p.registerMedium(Medium{Type: "ping_group", Name: name, Hosts: hosts})
}

// inetAton is glibc's inet_aton (and what gethostbyname accepts as a
// literal): one to four parts in C notation (0x hex, leading-0 octal,
// decimal), the last part filling the remaining bytes.
func inetAton(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals [4]uint64
	for i, part := range parts {
		v, ok := cNumber(part)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	n := len(parts)
	for i := 0; i < n-1; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
	}
	if max := uint64(0xffffffff) >> (8 * (n - 1)); vals[n-1] > max {
		return netip.Addr{}, false
	}
	var u uint64
	for i := 0; i < n-1; i++ {
		u |= vals[i] << (24 - 8*i)
	}
	u |= vals[n-1]
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}), true
}

// cNumber parses an unsigned C integer literal: 0x hex, leading-0 octal or
// decimal, at least one digit, nothing else.
func cNumber(s string) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(s) > 1 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
		if s == "" {
			return 0, true // inet_aton accepts a bare "0x" as 0
		}
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := uint64(strings.IndexByte("0123456789abcdef", s[i]|0x20))
		if d >= base {
			return 0, false
		}
		if v > 0xffffffff {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
}

package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// Resource is one resource of a group, as ResourceManager runs it:
// "<script> <args...> <verb>".
type Resource struct {
	Token  string   // as written, e.g. "10.0.0.1" or "Filesystem::/dev/sda1::/data::ext3"
	Script string   // script name, "IPaddr" for a bare IPv4 address
	Args   []string // arguments, split on "::"
	// IP is the parsed address argument of an IPaddr or IPaddr2
	// resource, nil for other scripts.
	IP *IPAddr
	// Monitor is the token's hbd_monitor suffix (hbd's extension), which
	// Token, Script and Args do not include.
	Monitor ResourceMonitor
}

// IPAddr is the argument of the IPaddr and IPaddr2 wrappers,
// ip[/netmask[/interface[:label]][/broadcast]], split the way the wrappers'
// sed commands split it. Fields the argument lacks are empty.
type IPAddr struct {
	IP        string
	Netmask   string // cidr_netmask as written: bits or a dotted mask
	Iface     string // nic, label included
	Label     string // the part of Iface after ':' (IPaddr2 labels)
	Broadcast string
	// Addr is IP parsed; invalid when IP is not an address.
	Addr netip.Addr
	// Bits is Netmask as a prefix length, -1 when absent or not one.
	Bits int
	// BroadcastAddr is Broadcast parsed; invalid when absent.
	BroadcastAddr netip.Addr
}

// ParseResource splits a haresources resource token as ResourceManager
// does (canonname, resource2script, resource2arg).
func ParseResource(tok string) Resource {
	r := Resource{Token: tok, Script: scriptOf(canonName(scriptOf(tok)))}
	if strings.Contains(canonName(tok), "::") {
		r.Args = strings.Fields(strings.ReplaceAll(dropFirstScript(tok), "::", " "))
	}
	if (r.Script == "IPaddr" || r.Script == "IPaddr2") && len(r.Args) > 0 {
		r.IP = ParseIPAddr(r.Args[0])
	}
	return r
}

// isIP is ResourceManager's isip: the shell pattern
// [0-9]*.[0-9]*.[0-9]*.[0-9]*.
func isIP(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	rest := s[1:]
	for n := 0; n < 3; n++ {
		i := indexDotDigit(rest)
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
	}
	return true
}

func indexDotDigit(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			return i
		}
	}
	return -1
}

// canonName turns a bare IPv4 address into "IPaddr::<address>".
func canonName(s string) string {
	if isIP(s) {
		return "IPaddr::" + s
	}
	return s
}

// scriptOf is resource2script: when the canonical name has arguments, the
// token (not its canonical name) up to the first "::".
func scriptOf(s string) string {
	if strings.Contains(canonName(s), "::") {
		if i := strings.Index(s, "::"); i >= 0 {
			return s[:i]
		}
	}
	return s
}

// dropFirstScript is sed 's%[^:]*::%%': it removes the leftmost match,
// which ends at the first "::" and starts after the last ':' before it.
func dropFirstScript(s string) string {
	k := strings.Index(s, "::")
	if k < 0 {
		return s
	}
	start := strings.LastIndexByte(s[:k], ':') + 1
	return s[:start] + s[k+2:]
}

// ParseIPAddr splits an IPaddr/IPaddr2 argument.
func ParseIPAddr(arg string) *IPAddr {
	ip := &IPAddr{Bits: -1}
	ip.IP, _, _ = strings.Cut(arg, "/")
	str := strings.TrimLeft(strings.TrimPrefix(arg, ip.IP), "/")
	if str != "" {
		ip.Netmask, _, _ = strings.Cut(str, "/")
		str = strings.TrimLeft(strings.TrimPrefix(str, ip.Netmask), "/")
		nic, _, _ := strings.Cut(str, "/")
		switch {
		case nic == "":
		case nic[0] >= '0' && nic[0] <= '9':
			ip.Broadcast = nic
		default:
			ip.Iface = nic
			ip.Broadcast, _, _ = strings.Cut(strings.TrimLeft(strings.TrimPrefix(str, nic), "/"), "/")
		}
	}
	if _, label, ok := strings.Cut(ip.Iface, ":"); ok {
		ip.Label = label
	}
	ip.Addr, _ = netip.ParseAddr(ip.IP)
	ip.BroadcastAddr, _ = netip.ParseAddr(ip.Broadcast)
	ip.Bits = maskBits(ip.Netmask)
	return ip
}

// maskBits reads a netmask given as a prefix length or as a dotted mask.
func maskBits(s string) int {
	if s == "" {
		return -1
	}
	if n, err := strconv.Atoi(s); err == nil && s[0] != '+' && s[0] != '-' {
		if n <= 32 {
			return n
		}
		return -1
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return -1
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bits := 0
	for m&(1<<31) != 0 {
		bits++
		m <<= 1
	}
	if m != 0 {
		return -1 // not contiguous
	}
	return bits
}

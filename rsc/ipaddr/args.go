package ipaddr

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/config"
)

// kind is which agent's behaviour a Resource reproduces.
type kind uint8

const (
	ipaddr  kind = iota // resource.d/IPaddr → OCF IPaddr (ifconfig aliases)
	ipaddr2             // resource.d/IPaddr2 → OCF IPaddr2 (ip addr)
)

func (k kind) String() string {
	if k == ipaddr2 {
		return "IPaddr2"
	}
	return "IPaddr"
}

// brdMode says where the broadcast address comes from.
type brdMode uint8

const (
	brdInfer brdMode = iota // not given: the agent's inference
	brdAddr                 // given as an address
	brdPlus                 // "+": host bits set (IPaddr2 only)
	brdMinus                // "-": host bits cleared (IPaddr2 only)
)

// args is the checked argument: what the OCF agent would have in its
// OCF_RESKEY_* variables after its own validation.
type args struct {
	kind kind
	ip   netip.Addr
	bits int    // cidr_netmask as a prefix length, -1 when absent
	mask string // cidr_netmask as written ("" when absent)
	quad bool   // mask was a dotted quad (IPaddr2 logs a warning)
	nic  string // the base interface, "" when absent (IPaddr: eth0)
	// nicGiven: the argument named the interface (the wrapper exports
	// OCF_RESKEY_nic only then).
	nicGiven bool
	label    string // IPaddr2: what follows "nic:", "" for none
	brd      brdMode
	bcast    netip.Addr // when brd == brdAddr
	btext    string     // broadcast as written, for the agent's log line
}

// Agents' defaults.
const (
	ipaddr2ARPCount    = 5   // OCF_RESKEY_arp_count_default
	ipaddr2ARPInterval = 200 // OCF_RESKEY_arp_interval_default, ms
	ipaddrARPCount     = 10  // OCF_RESKEY_ARP_REPEAT_default
	ipaddrARPInterval  = 500 // OCF_RESKEY_ARP_INTERVAL_MS_default, ms
	ipaddrDefaultNIC   = "eth0"
	maxLabel           = 15 // IFNAMSIZ - 1, IPaddr2's check
)

// parseArgs checks the argument as the agent checks its parameters at
// start (findif_check_params for IPaddr2, ip_validate_all and the findif
// binary for IPaddr), without looking at the system.
func parseArgs(script string, ip *config.IPAddr) (args, error) {
	var a args
	switch script {
	case "IPaddr":
		a.kind = ipaddr
	case "IPaddr2":
		a.kind = ipaddr2
	default:
		return a, &Error{Op: "new", Code: errConfigured, Msg: fmt.Sprintf("script %q is neither IPaddr nor IPaddr2", script)}
	}
	if ip == nil {
		return a, a.errf(errConfigured, "no address argument")
	}
	if err := a.parseIP(ip.IP); err != nil {
		return a, err
	}
	if err := a.parseMask(ip.Netmask); err != nil {
		return a, err
	}
	if err := a.parseBroadcast(ip.Broadcast); err != nil {
		return a, err
	}
	a.nic, a.label, _ = strings.Cut(ip.Iface, ":")
	a.nicGiven = a.nic != ""
	if a.kind == ipaddr {
		a.label = "" // IPaddr strips the label and numbers its own aliases
		if a.nic == "" {
			// OCF_RESKEY_nic_default; the agent then insists that
			// findif's answer agrees.
			a.nic = ipaddrDefaultNIC
		}
	}
	if a.nic != "" && a.label != "" && len(a.nic)+1+len(a.label) > maxLabel {
		return a, a.errf(errConfigured, "Interface label [%s:%s] exceeds maximum character limit of %d", a.nic, a.label, maxLabel)
	}
	return a, nil
}

func (a *args) errf(code int, format string, v ...any) error {
	return &Error{Op: "new", Code: code, Msg: fmt.Sprintf(format, v...)}
}

func (a *args) parseIP(s string) error {
	if s == "" {
		if a.kind == ipaddr2 {
			return a.errf(errConfigured, "IP address (the ip parameter) is mandatory")
		}
		return a.errf(errConfigured, "Required parameter OCF_RESKEY_ip is missing")
	}
	// IPaddr2 picks the family by the presence of ':'.
	if strings.Contains(s, ":") {
		return a.errf(errConfigured, "IP address [%s] is IPv6: IPaddr manages IPv4 only, use IPv6addr", s)
	}
	if a.kind == ipaddr && !shellIPPattern(s) {
		return a.errf(errConfigured, "Parameter OCF_RESKEY_ip [%s] not an IP address", s)
	}
	ip, err := netip.ParseAddr(s)
	// findif.sh's ipcheck_ipv4 also refuses a first octet of 0.
	if err != nil || !ip.Is4() || (a.kind == ipaddr2 && ip.As4()[0] == 0) {
		return a.errf(errConfigured, "IP address [%s] not valid.", s)
	}
	a.ip = ip
	return nil
}

// shellIPPattern is IPaddr's case pattern [0-9]*.[0-9]*.[0-9]*.*[0-9].
func shellIPPattern(s string) bool {
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	if len(s) < 5 || !digit(s[0]) || !digit(s[len(s)-1]) {
		return false
	}
	// Three ".<digit>" in order, the last one leaving room for the final
	// digit (".*[0-9]" may also match a lone dot before it).
	rest := s[1 : len(s)-1]
	for n := 0; n < 2; n++ {
		i := indexDotDigit(rest)
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
	}
	return strings.IndexByte(rest, '.') >= 0
}

func indexDotDigit(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			return i
		}
	}
	return -1
}

func (a *args) parseMask(s string) error {
	a.bits, a.mask = -1, s
	if s == "" {
		return nil
	}
	if a.kind == ipaddr {
		return a.parseMaskFindifC(s)
	}
	bad := func() error { return a.errf(errConfigured, "Invalid netmask specification [%s].", s) }
	if strings.Contains(s, ".") {
		// maybe_convert_dotted_quad_to_cidr: only contiguous masks
		// convert; anything else stays as written and fails below.
		q, err := netip.ParseAddr(s)
		if err != nil || !q.Is4() {
			return bad()
		}
		n, ok := contiguous(q)
		if !ok {
			return bad() // after the agent's "Bogus netmask"
		}
		a.bits, a.quad = n, true
		// prefixcheck refuses 0, converted or not.
		if n < 1 {
			return a.errf(errConfigured, "Invalid netmask specification [%d].", n)
		}
		return nil
	}
	// prefixcheck: 1 to 3 digits, 1..32. A leading zero is refused: ip
	// would read it as octal.
	if len(s) > 3 || !allDigits(s) || (len(s) > 1 && s[0] == '0') {
		return bad()
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 32 {
		return bad()
	}
	a.bits = n
	return nil
}

// parseMaskFindifC is the findif binary's reading: a dotted quad counts its
// trailing zero bits (contiguous or not); otherwise one or two digits.
func (a *args) parseMaskFindifC(s string) error {
	n := -1
	if strings.Contains(s, ".") {
		if q, err := netip.ParseAddr(s); err == nil && q.Is4() {
			if m := u32(q); m != 0 {
				n = 32 - bits.TrailingZeros32(m)
			}
		}
	} else if len(s) <= 2 && allDigits(s) {
		n, _ = strconv.Atoi(s)
	}
	if n < 0 {
		return a.errf(errConfigured, "Invalid netmask specification [%s]", s)
	}
	if n < 1 || n > 32 {
		return a.errf(errConfigured, "Invalid netmask specification [%d]", n)
	}
	a.bits = n
	return nil
}

func (a *args) parseBroadcast(s string) error {
	a.btext = s
	switch {
	case s == "":
		return nil
	case (s == "+" || s == "-") && a.kind == ipaddr2:
		a.brd = brdPlus
		if s == "-" {
			a.brd = brdMinus
		}
		return nil
	}
	b, err := netip.ParseAddr(s)
	if err != nil || !b.Is4() || (a.kind == ipaddr2 && b.As4()[0] == 0) {
		return a.errf(errConfigured, "Invalid broadcast address [%s].", s)
	}
	a.brd, a.bcast = brdAddr, b
	return nil
}

// contiguous returns the prefix length of a netmask, if it is one.
func contiguous(q netip.Addr) (int, bool) {
	m := u32(q)
	n := 0
	for m&(1<<31) != 0 {
		n++
		m <<= 1
	}
	return n, m == 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maskOf returns the netmask of a prefix length as an address.
func maskOf(n int) netip.Addr {
	m := ^uint32(0) << (32 - n)
	if n == 0 {
		m = 0
	}
	return addr4(m)
}

// hostBits sets (set) or clears the host bits of ip under a prefix length.
func hostBits(ip netip.Addr, n int, set bool) netip.Addr {
	v := u32(ip)
	host := uint32(0)
	if n < 32 {
		host = ^uint32(0) >> n
	}
	if set {
		v |= host
	} else {
		v &^= host
	}
	return addr4(v)
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

package ipaddr

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// target is where the address goes: the agent's NIC, NETMASK and BRDCAST
// after findif.
type target struct {
	nic   string
	bits  int
	brd   netip.Addr // invalid: add the address without a broadcast
	btext string     // BRDCAST as the agent logs it ("" when none)
}

// findError is a findif failure: the message and the OCF code.
type findError struct {
	msg  string
	code int
}

// findifSh is findif.sh's findif for IPv4, after findif_check_params (the
// caller checks the interface exists at start).
func findifSh(a *args, s *snapshot) (target, *findError) {
	t := target{nic: a.nic, bits: a.bits}
	matchBits := 32
	if a.bits >= 0 {
		matchBits = a.bits
	}
	match := netip.PrefixFrom(a.ip, matchBits).Masked()

	// ip -o -f inet route list match $match scope link [| grep "dev
	// $nic "], then awk keeps the line with the longest "/len" (the last
	// of equals). Host and default routes print no "/" and are skipped.
	var best *route
	for i := range s.routes {
		r := &s.routes[i]
		if r.table != rtTableMain || r.typ != rtnUnicast || r.scope != scopeLink {
			continue
		}
		if r.dst.Bits() > matchBits || !r.dst.Contains(match.Addr()) {
			continue
		}
		if a.nic != "" && s.linkName(r.dev) != a.nic {
			continue
		}
		if r.dst.Bits() < 1 || r.dst.Bits() > 31 {
			continue
		}
		if best == nil || r.dst.Bits() >= best.dst.Bits() {
			best = r
		}
	}
	// For 127.* without a route, getnetworkinfo takes the first local
	// route of the local table that has a "/" and contains the address.
	if best == nil && a.ip.As4()[0] == 127 {
		for i := range s.routes {
			r := &s.routes[i]
			if r.table == rtTableLocal && r.typ == rtnLocal && r.scope == scopeHost &&
				r.dst.Bits() < 32 && r.dst.Contains(a.ip) {
				best = r
				break
			}
		}
	}
	if a.nic == "" || a.bits < 0 {
		if best == nil {
			return t, &findError{"Unable to find nic or netmask.", errGeneric}
		}
	}
	var f []string
	if best != nil {
		f = routeFields(best, s)
	}
	if t.nic == "" {
		t.nic = field(f, 3)
	}
	if t.bits < 0 {
		t.bits = best.dst.Bits()
	}
	switch a.brd {
	case brdAddr:
		t.brd, t.btext = a.bcast, a.btext
	case brdPlus, brdMinus:
		// ip's "brd +/-" sets or clears the host bits, for /30 and
		// shorter only.
		t.btext = a.btext
		if t.bits <= 30 {
			t.brd = hostBits(a.ip, t.bits, a.brd == brdPlus)
		}
	default:
		// The broadcast of the first "ip -o addr" line that matches
		// the route's seventh word (its source address, normally).
		if w := field(f, 7); w != "" {
			t.brd = brdOfFirstMatch(w, s)
			if t.brd.IsValid() {
				t.btext = t.brd.String()
			}
		}
	}
	return t, nil
}

// field is the shell's $n of a word list: "" when absent.
func field(f []string, n int) string {
	if n < 1 || n > len(f) {
		return ""
	}
	return f[n-1]
}

// routeFields is the line "ip -o route list ... scope link" prints for r,
// as words. The local-table route of the 127.* case loses its leading
// "local" to the agent's shift.
func routeFields(r *route, s *snapshot) []string {
	var f []string
	switch {
	case r.dst.Bits() == 0:
		f = append(f, "default")
	case r.dst.Bits() == 32:
		f = append(f, r.dst.Addr().String())
	default:
		f = append(f, r.dst.String())
	}
	if r.gw.IsValid() {
		f = append(f, "via", r.gw.String())
	}
	if r.dev != 0 {
		f = append(f, "dev", s.linkName(r.dev))
	}
	if r.table != rtTableMain && r.table != rtTableLocal {
		f = append(f, "table", strconv.Itoa(r.table))
	}
	if r.proto != protoBoot {
		f = append(f, "proto", strconv.Itoa(r.proto)) // a word; the name does not matter
	}
	if r.src.IsValid() {
		f = append(f, "src", r.src.String())
	}
	if r.metric != 0 {
		f = append(f, "metric", strconv.FormatInt(r.metric, 10))
	}
	for _, fl := range routeFlagWords {
		if r.flags&fl.bit != 0 {
			f = append(f, fl.word)
		}
	}
	return f
}

var routeFlagWords = []struct {
	bit  int
	word string
}{
	{0x01, "dead"}, {0x04, "onlink"}, {0x02, "pervasive"}, {0x08, "offload"},
	{0x40, "trap"}, {0x100, "notify"}, {0x10, "linkdown"}, {0x20, "unresolved"},
}

// brdOfFirstMatch is `ip -o -f inet addr show | grep $w`, then
// `[ "$5" = brd ] && brdcast=$6` on the words of the first matching line.
func brdOfFirstMatch(w string, s *snapshot) netip.Addr {
	for _, a := range addrsInIPOrder(s) {
		if !grepMatch(addrLine(&a, s), w) {
			continue
		}
		if a.peer {
			return netip.Addr{} // $5 is "peer"
		}
		return a.brd
	}
	return netip.Addr{}
}

// addrsInIPOrder lists addresses the way ip prints them: grouped by
// interface in interface order, each group in dump order.
func addrsInIPOrder(s *snapshot) []address {
	out := make([]address, 0, len(s.addrs))
	for _, l := range s.links {
		out = append(out, s.onLink(l.index)...)
	}
	return out
}

// addrLine is a's line of "ip -o -f inet addr show".
func addrLine(a *address, s *snapshot) string {
	var b strings.Builder
	name := s.linkName(a.dev)
	b.WriteString(strconv.Itoa(a.dev) + ": " + name + "    inet " + a.prefix.String() + " ")
	if a.brd.IsValid() && !a.peer {
		b.WriteString("brd " + a.brd.String() + " ")
	}
	b.WriteString("scope " + scopeWord(a.scope) + " ")
	if a.flags&ifaSecondary != 0 {
		b.WriteString("secondary ")
	}
	if a.flags&ifaPermanent == 0 {
		b.WriteString("dynamic ")
	}
	label := a.label
	if label == "" {
		label = name
	}
	b.WriteString(label + "\\       valid_lft " + lifetime(a.valid) + " preferred_lft " + lifetime(a.preferred))
	return b.String()
}

func scopeWord(sc int) string {
	switch sc {
	case 0:
		return "global"
	case 200:
		return "site"
	case scopeLink:
		return "link"
	case scopeHost:
		return "host"
	case 255:
		return "nowhere"
	}
	return strconv.Itoa(sc)
}

func lifetime(v uint32) string {
	if v == lifeForever {
		return "forever"
	}
	return strconv.FormatUint(uint64(v), 10) + "sec"
}

// grepMatch is grep's basic regular expression search for the words a
// route line has (addresses, numbers, names): "." matches any character.
// A pattern with other special characters is searched for literally.
func grepMatch(line, pat string) bool {
	if strings.ContainsAny(pat, `*[]\^$`) {
		return strings.Contains(line, pat)
	}
	for i := 0; i+len(pat) <= len(line); i++ {
		ok := true
		for j := 0; j < len(pat); j++ {
			if pat[j] != '.' && pat[j] != line[i+j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// findifC is the findif binary IPaddr runs (resource-agents tools/findif.c).
func findifC(a *args, s *snapshot, nicGiven bool) (target, *findError) {
	var t target
	bestBits := -1
	if nicGiven {
		if s.linkByName(a.nic) == nil {
			return t, &findError{a.nic + ": unknown interface: No such device", errConfigured}
		}
		t.nic = a.nic
		bestBits = 32 // INT_MAX as a mask: the agent ends up with /32
	} else {
		// SearchUsingProcRoute: the lines of /proc/net/route (the main
		// table without broadcast and multicast routes) in order,
		// keeping a line whose metric is no larger and whose mask is no
		// shorter than the best so far.
		bestMetric := int64(math.MaxInt64)
		bestBits = 0
		found := false
		for i := range s.routes {
			r := &s.routes[i]
			if r.table != rtTableMain || r.typ == 3 || r.typ == 5 { // RTN_BROADCAST, RTN_MULTICAST
				continue
			}
			if !r.dst.Contains(a.ip) || r.metric > bestMetric || r.dst.Bits() < bestBits {
				continue
			}
			bestMetric, bestBits, found = r.metric, r.dst.Bits(), true
			t.nic = s.linkName(r.dev)
			if t.nic == "" {
				t.nic = "*"
			}
		}
		if !found {
			// The "route -n get" fallback finds nothing on Linux.
			return t, &findError{"No interface found.", errGeneric}
		}
	}
	switch {
	case a.bits >= 0:
		t.bits = a.bits
	case bestBits == 0:
		if a.ip.As4()[0] != 127 {
			return t, &findError{"ERROR: Cannot use default route w/o netmask [" + a.ip.String() + "]", errGeneric}
		}
		t.nic = ""
		for _, l := range s.links {
			if l.loopback {
				t.nic = l.name
				break
			}
		}
		if t.nic == "" {
			return t, &findError{"No loopback interface found.", errGeneric}
		}
		t.bits = 8
	default:
		t.bits = bestBits
	}
	if a.brd == brdAddr {
		t.brd = a.bcast
	} else {
		t.brd = hostBits(a.ip, t.bits, true)
	}
	t.btext = t.brd.String()
	return t, nil
}

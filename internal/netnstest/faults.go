package netnstest

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// Faults are random losses and duplicates on one interface, applied with
// nftables in the host's namespace. Percentages are 0..100.
type Faults struct {
	DropOut int // packets leaving the interface that are dropped
	DropIn  int // packets arriving on the interface that are dropped
	DupOut  int // packets leaving the interface that are sent twice
}

// faultTable is the nftables table SetFaults manages in each host.
const faultTable = "hbdtest"

// dupMark tags a packet that has been duplicated once: nftables' dup
// sends the copy through the egress hook again, and without the mark the
// copy would be copied too.
const dupMark = "0x4842"

// SetFaults replaces the faults on the host's interface on link l; the
// zero Faults removes them. Every interface's rules live in one table in
// the host's namespace, which goes away with the Net. It skips the test
// when nft is not installed.
func (h *Host) SetFaults(l int, f Faults) {
	t := h.net.t
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("netnstest: skipped: nft (nftables) is not installed")
	}
	for _, p := range []int{f.DropOut, f.DropIn, f.DupOut} {
		if p < 0 || p > 100 {
			t.Fatalf("netnstest: fault percentage %d out of 0..100", p)
		}
	}
	if h.faults == nil {
		h.faults = make(map[int]Faults)
	}
	if f == (Faults{}) {
		delete(h.faults, l)
	} else {
		h.faults[l] = f
	}
	if _, err := run([]byte(h.faultScript()), "ip", "netns", "exec", h.ns, "nft", "-f", "-"); err != nil {
		t.Fatalf("netnstest: set faults on %s %s: %v\nscript:\n%s", h.ns, h.Iface(l), err, h.faultScript())
	}
}

// ClearFaults removes the faults from all of the host's interfaces.
func (h *Host) ClearFaults() {
	h.net.t.Helper()
	for _, l := range h.faultLinks() {
		h.SetFaults(l, Faults{})
	}
}

func (h *Host) faultLinks() []int {
	var links []int
	for l := range h.faults {
		links = append(links, l)
	}
	slices.Sort(links)
	return links
}

// faultScript rebuilds the whole table in one transaction: declaring it
// first makes the delete succeed even when it does not exist yet.
func (h *Host) faultScript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table netdev %s\ndelete table netdev %s\n", faultTable, faultTable)
	if len(h.faults) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "table netdev %s {\n", faultTable)
	for _, l := range h.faultLinks() {
		f, dev := h.faults[l], h.Iface(l)
		if f.DropIn > 0 {
			fmt.Fprintf(&b, "\tchain in_%s {\n\t\ttype filter hook ingress device %q priority 0;\n", dev, dev)
			fmt.Fprintf(&b, "\t\t%sdrop\n\t}\n", chance(f.DropIn))
		}
		if f.DropOut > 0 || f.DupOut > 0 {
			fmt.Fprintf(&b, "\tchain out_%s {\n\t\ttype filter hook egress device %q priority 0;\n", dev, dev)
			if f.DropOut > 0 {
				fmt.Fprintf(&b, "\t\t%sdrop\n", chance(f.DropOut))
			}
			if f.DupOut > 0 {
				fmt.Fprintf(&b, "\t\tmeta mark != %s %smeta mark set %s dup to %q\n", dupMark, chance(f.DupOut), dupMark, dev)
			}
			b.WriteString("\t}\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// chance is the match for "with probability p percent": nothing for 100
// (nft refuses "< 100" against "mod 100").
func chance(p int) string {
	if p >= 100 {
		return ""
	}
	return fmt.Sprintf("numgen random mod 100 < %d ", p)
}

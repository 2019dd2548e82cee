package netnstest

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Host is one namespace of a Net.
type Host struct {
	net    *Net
	index  int
	ns     string
	faults map[int]Faults // by link, as SetFaults last set them
}

// Name returns the host's namespace name, as "ip netns" knows it.
func (h *Host) Name() string { return h.ns }

// Index returns the host's number, from 1.
func (h *Host) Index() int { return h.index }

// Iface returns the name of the host's interface on link l: "eth<l>".
func (h *Host) Iface(l int) string { return fmt.Sprintf("eth%d", l) }

// Addr returns the host's IPv4 address on link l: 198.18.l.(10+index).
func (h *Host) Addr(l int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(l), byte(10 + h.index)})
}

// Addr6 returns the host's IPv6 address on link l, 2001:2:0:l::(10+index)
// (in hex), configured only when the Net was built with IPv6.
func (h *Host) Addr6(l int) netip.Addr {
	var a [16]byte
	a[0], a[1], a[3] = 0x20, 0x01, 0x02
	a[6], a[7] = byte(l>>8), byte(l)
	a[15] = byte(10 + h.index)
	return netip.AddrFrom16(a)
}

// port is the switch-side end of the host's veth on link l.
func (h *Host) port(l int) string { return fmt.Sprintf("h%dl%d", h.index, l) }

// Command returns a command that runs args inside the host's namespace
// ("ip netns exec"). Whoever starts it must also make sure it ends before
// the test does (t.Cleanup), or the Net reports it.
func (h *Host) Command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.ns}, args...)...)
}

// Exec runs args inside the host's namespace and returns what they
// printed on standard output; the error includes standard error.
func (h *Host) Exec(args ...string) ([]byte, error) {
	return run(nil, "ip", append([]string{"netns", "exec", h.ns}, args...)...)
}

// LinkDown sets the host's interface on link l down: both ends lose
// carrier, and sends on it fail.
func (h *Host) LinkDown(l int) { h.ip("link", "set", h.Iface(l), "down") }

// LinkUp undoes LinkDown. It returns once the interface has carrier and
// the switch port forwards again: a packet sent any earlier may be lost
// on the way, which is not what a test of "the link is back" means.
func (h *Host) LinkUp(l int) {
	h.net.t.Helper()
	h.ip("link", "set", h.Iface(l), "up")
	deadline := time.Now().Add(5 * time.Second)
	for {
		up, _ := run(nil, "ip", "-n", h.ns, "-o", "link", "show", "dev", h.Iface(l))
		port, _ := run(nil, "bridge", "-n", h.net.sw, "-o", "link", "show", "dev", h.port(l))
		if strings.Contains(string(up), "LOWER_UP") && strings.Contains(string(port), "state forwarding") {
			return
		}
		if time.Now().After(deadline) {
			h.net.t.Fatalf("netnstest: %s on link %d not forwarding 5 s after link up: %s / %s",
				h.ns, l, strings.TrimSpace(string(up)), strings.TrimSpace(string(port)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Block makes the switch drop everything to and from the host on link l
// while carrier stays up (the bridge port is disabled), like a cable cut
// somewhere further away.
func (h *Host) Block(l int) { h.bridgePortState(l, 0) }

// Unblock undoes Block.
func (h *Host) Unblock(l int) { h.bridgePortState(l, 3) }

func (h *Host) bridgePortState(l, state int) {
	h.net.t.Helper()
	if _, err := run(nil, "bridge", "-n", h.net.sw, "link", "set", "dev", h.port(l), "state", fmt.Sprint(state)); err != nil {
		h.net.t.Fatalf("netnstest: %v", err)
	}
}

func (h *Host) ip(args ...string) {
	h.net.t.Helper()
	if _, err := run(nil, "ip", append([]string{"-n", h.ns}, args...)...); err != nil {
		h.net.t.Fatalf("netnstest: %v", err)
	}
}

// PIDs returns the processes running in the host's namespace ("ip netns
// pids"): those a test started there and their children.
func (h *Host) PIDs() []int {
	out, err := run(nil, "ip", "netns", "pids", h.ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

package netnstest

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Config describes the network New builds.
type Config struct {
	Hosts int // number of hosts, at least 1
	Links int // links (bridges) every host is attached to; 0 means 1
	// IPv6 keeps IPv6 on and gives every interface an address from
	// 2001:2::/48. Without it IPv6 is disabled in every namespace, so that
	// router solicitations and MLD reports do not show up in captures.
	IPv6 bool
}

// Net is a set of host namespaces joined by bridges in a switch namespace.
type Net struct {
	t      testing.TB
	prefix string // common prefix of every namespace name
	sw     string // the switch namespace
	links  int
	ipv6   bool
	hosts  []*Host
	made   []string // namespaces created so far, for cleanup
}

// Limits of the address plan: 198.18.L.(10+i) for L < 256, i ≤ 244.
const (
	maxHosts = 244
	maxLinks = 256
)

// nsDir is where iproute2 keeps named namespaces.
const nsDir = "/run/netns"

// namePrefix starts every namespace this package creates.
const namePrefix = "hbdt-"

var counter atomic.Uint64

// New builds the network described by cfg and removes it when the test
// ends. It skips the test when not run as root or when iproute2 is
// missing, and fails it when the network cannot be built.
func New(t testing.TB, cfg Config) *Net {
	t.Helper()
	requireRoot(t)
	if cfg.Links == 0 {
		cfg.Links = 1
	}
	if cfg.Hosts < 1 || cfg.Hosts > maxHosts || cfg.Links < 1 || cfg.Links > maxLinks {
		t.Fatalf("netnstest: %d hosts and %d links: want 1..%d hosts and 1..%d links", cfg.Hosts, cfg.Links, maxHosts, maxLinks)
	}
	removeStale(t)
	n := &Net{
		t:      t,
		prefix: fmt.Sprintf("%s%d-%d-", namePrefix, os.Getpid(), counter.Add(1)),
		links:  cfg.Links,
		ipv6:   cfg.IPv6,
	}
	n.sw = n.prefix + "sw"
	// Registered before anything exists, so that a half-built network is
	// removed too.
	t.Cleanup(n.destroy)
	for i := 1; i <= cfg.Hosts; i++ {
		n.hosts = append(n.hosts, &Host{net: n, index: i, ns: fmt.Sprintf("%sh%d", n.prefix, i)})
	}
	if err := n.build(); err != nil {
		t.Fatalf("netnstest: %v", err)
	}
	return n
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netnstest: skipped: network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("netnstest: skipped: ip (iproute2) is not installed")
	}
}

// build creates the namespaces, the bridges and the veth pairs.
func (n *Net) build() error {
	for _, ns := range n.allNames() {
		if _, err := run(nil, "ip", "netns", "add", ns); err != nil {
			return err
		}
		n.made = append(n.made, ns)
		if err := n.setIPv6(ns); err != nil {
			return err
		}
	}
	var sw strings.Builder
	sw.WriteString("link set lo up\n")
	for l := range n.links {
		fmt.Fprintf(&sw, "link add %s type bridge stp_state 0 forward_delay 0 mcast_snooping 0\n", bridgeName(l))
		fmt.Fprintf(&sw, "link set %s up\n", bridgeName(l))
		for _, h := range n.hosts {
			fmt.Fprintf(&sw, "link add %s type veth peer name %s netns %s\n", h.port(l), h.Iface(l), h.ns)
			fmt.Fprintf(&sw, "link set %s master %s up\n", h.port(l), bridgeName(l))
		}
	}
	if err := batch(n.sw, sw.String()); err != nil {
		return err
	}
	for _, h := range n.hosts {
		var b strings.Builder
		b.WriteString("link set lo up\n")
		for l := range n.links {
			fmt.Fprintf(&b, "addr add %s/24 brd + dev %s\n", h.Addr(l), h.Iface(l))
			if n.ipv6 {
				fmt.Fprintf(&b, "addr add %s/64 dev %s nodad\n", h.Addr6(l), h.Iface(l))
			}
			fmt.Fprintf(&b, "link set %s up\n", h.Iface(l))
		}
		if err := batch(h.ns, b.String()); err != nil {
			return err
		}
	}
	return n.waitReady()
}

// waitReady waits until every bridge port forwards and every host
// interface has carrier: until then the kernel may drop the first packets
// a test sends, and a test that sends one packet would flake.
func (n *Net) waitReady() error {
	want := len(n.hosts) * n.links
	var ports, up int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out, err := run(nil, "ip", "netns", "exec", n.sw, "bridge", "link", "show")
		if err != nil {
			return err
		}
		ports = strings.Count(string(out), "state forwarding")
		up = 0
		for _, h := range n.hosts {
			out, err := run(nil, "ip", "-n", h.ns, "-o", "link", "show", "up")
			if err != nil {
				return err
			}
			up += strings.Count(string(out), "LOWER_UP") - 1 // lo
		}
		if ports == want && up == want {
			return nil
		}
	}
	return fmt.Errorf("network not ready after 5 s: %d of %d bridge ports forwarding, %d of %d interfaces with carrier", ports, want, up, want)
}

// setIPv6 prepares IPv6 in a new namespace, before any interface exists
// so that "default" covers them all: off, unless the Net wants it; then
// without duplicate address detection, so that link-local addresses are
// usable at once.
func (n *Net) setIPv6(ns string) error {
	settings := map[string]string{"disable_ipv6": "1"}
	if n.ipv6 {
		settings = map[string]string{"accept_dad": "0", "dad_transmits": "0"}
	}
	return inNamespace(ns, func() error {
		for key, v := range settings {
			for _, which := range []string{"default", "all"} {
				err := os.WriteFile("/proc/sys/net/ipv6/conf/"+which+"/"+key, []byte(v), 0)
				if err != nil && !os.IsNotExist(err) { // no IPv6 in this kernel: nothing to set
					return err
				}
			}
		}
		return nil
	})
}

// destroy removes every namespace the Net created. Deleting a namespace
// removes its interfaces (and so both ends of every veth pair), its bridges
// and its nftables tables.
func (n *Net) destroy() {
	for i := len(n.made) - 1; i >= 0; i-- {
		ns := n.made[i]
		if pids, _ := run(nil, "ip", "netns", "pids", ns); len(bytes.TrimSpace(pids)) > 0 {
			// They keep the namespace alive after its name is gone.
			n.t.Errorf("netnstest: processes still running in %s: %s (kill what you start in t.Cleanup)", ns, strings.Fields(string(pids)))
		}
		if _, err := run(nil, "ip", "netns", "del", ns); err != nil {
			n.t.Errorf("netnstest: %v", err)
		}
	}
	n.made = nil
}

func (n *Net) allNames() []string {
	names := []string{n.sw}
	for _, h := range n.hosts {
		names = append(names, h.ns)
	}
	return names
}

// Host returns host i, counted from 1 as in the address plan.
func (n *Net) Host(i int) *Host {
	if i < 1 || i > len(n.hosts) {
		n.t.Fatalf("netnstest: no host %d (have %d)", i, len(n.hosts))
	}
	return n.hosts[i-1]
}

// Hosts returns every host, in order.
func (n *Net) Hosts() []*Host { return n.hosts }

// Links returns how many links every host has.
func (n *Net) Links() int { return n.links }

// Switch returns the name of the namespace that holds the bridges.
func (n *Net) Switch() string { return n.sw }

// Prefix returns link l's IPv4 subnet, 198.18.l.0/24.
func (n *Net) Prefix(l int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(l), 0}), 24)
}

// Broadcast returns link l's broadcast address, 198.18.l.255.
func (n *Net) Broadcast(l int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(l), 255})
}

func bridgeName(l int) string { return fmt.Sprintf("br%d", l) }

// run runs a command and returns its standard output; the error carries
// the command line and whatever it printed on standard error.
func run(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// batch runs ip commands, one a line, in namespace ns.
func batch(ns, cmds string) error {
	_, err := run([]byte(cmds), "ip", "-n", ns, "-batch", "-")
	if err != nil {
		return fmt.Errorf("in %s: %w\ncommands:\n%s", ns, err, cmds)
	}
	return nil
}

package netnstest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testPort = 9694

// listen opens a UDP socket on the host, closed with the test.
func listen(t *testing.T, h *Host, network string) *net.UDPConn {
	t.Helper()
	var conn *net.UDPConn
	var err error
	h.Run(func() { conn, err = net.ListenUDP(network, &net.UDPAddr{Port: testPort}) })
	if err != nil {
		t.Fatalf("listen on %s: %v", h.Name(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// sendN sends n numbered datagrams from h to dst and returns the errors
// the sends reported.
func sendN(t *testing.T, h *Host, dst netip.Addr, n int) []error {
	t.Helper()
	conn := listenAny(t, h, dst)
	var errs []error
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, testPort))
	for i := range n {
		if _, err := conn.WriteToUDP(fmt.Appendf(nil, "%d", i), to); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func listenAny(t *testing.T, h *Host, dst netip.Addr) *net.UDPConn {
	t.Helper()
	network := "udp4"
	if dst.Is6() {
		network = "udp6"
	}
	var conn *net.UDPConn
	var err error
	h.Run(func() { conn, err = net.ListenUDP(network, nil) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// drain counts the datagrams that arrive until none has for quiet.
func drain(conn *net.UDPConn, quiet time.Duration) map[string]int {
	got := make(map[string]int)
	buf := make([]byte, 1500)
	for {
		conn.SetReadDeadline(time.Now().Add(quiet))
		n, err := conn.Read(buf)
		if err != nil {
			return got
		}
		got[string(buf[:n])]++
	}
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func TestAddressPlan(t *testing.T) {
	h := &Host{index: 3}
	if got := h.Addr(1); got != netip.MustParseAddr("198.18.1.13") {
		t.Errorf("Addr(1) = %v", got)
	}
	if got := h.Addr6(1); got != netip.MustParseAddr("2001:2:0:1::d") {
		t.Errorf("Addr6(1) = %v", got)
	}
	bench := netip.MustParsePrefix("198.18.0.0/15")
	n := &Net{}
	for _, l := range []int{0, 255} {
		for _, a := range []netip.Addr{(&Host{index: maxHosts}).Addr(l), n.Broadcast(l), n.Prefix(l).Addr()} {
			if !bench.Contains(a) {
				t.Errorf("%v is outside %v", a, bench)
			}
		}
	}
	if !netip.MustParsePrefix("2001:2::/48").Contains(h.Addr6(255)) {
		t.Errorf("%v is outside 2001:2::/48", h.Addr6(255))
	}
}

func TestOwnerPID(t *testing.T) {
	for name, want := range map[string]int{
		"hbdt-123-4-sw": 123, "hbdt-9-1-h2": 9, "hbdt-x-1-sw": 0, "other-12-1": 0, "hbdt-": 0, "hbdt-0-1-sw": 0,
	} {
		pid, ok := ownerPID(name)
		if pid != want || ok != (want != 0) {
			t.Errorf("ownerPID(%q) = %d, %v, want %d", name, pid, ok, want)
		}
	}
}

func TestHostsTalkOnEveryLink(t *testing.T) {
	t.Parallel()
	rootIfaces := interfaceNames(t)
	n := New(t, Config{Hosts: 3, Links: 2})
	for l := range n.Links() {
		for _, h := range n.Hosts() {
			var addrs []net.Addr
			var err error
			h.Run(func() {
				var ifi *net.Interface
				if ifi, err = net.InterfaceByName(h.Iface(l)); err == nil {
					addrs, err = ifi.Addrs()
				}
			})
			if err != nil {
				t.Fatalf("%s %s: %v", h.Name(), h.Iface(l), err)
			}
			want := netip.PrefixFrom(h.Addr(l), 24).String()
			if len(addrs) != 1 || addrs[0].String() != want {
				t.Errorf("%s %s has %v, want only %s (and no IPv6)", h.Name(), h.Iface(l), addrs, want)
			}
		}
		dst := listen(t, n.Host(3), "udp4")
		if errs := sendN(t, n.Host(1), n.Host(3).Addr(l), 5); errs != nil {
			t.Fatalf("link %d: %v", l, errs)
		}
		if got := drain(dst, 200*time.Millisecond); total(got) != 5 {
			t.Errorf("link %d: host 3 got %v, want 5 datagrams", l, got)
		}
		dst.Close()
	}
	if after := interfaceNames(t); !slices.Equal(rootIfaces, after) {
		t.Errorf("interfaces of the test's own namespace changed: %v -> %v", rootIfaces, after)
	}
}

func interfaceNames(t *testing.T) []string {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

func TestRunLeavesCallerAlone(t *testing.T) {
	t.Parallel()
	n := New(t, Config{Hosts: 1})
	before, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var inside string
	n.Host(1).Run(func() { inside, err = os.Readlink("/proc/thread-self/ns/net") })
	if err != nil {
		t.Fatal(err)
	}
	if inside == before {
		t.Fatalf("Run did not switch namespace: %s", inside)
	}
	// Many goroutines later, none of them may have inherited the host's
	// namespace.
	for range 50 {
		done := make(chan string)
		go func() {
			s, _ := os.Readlink("/proc/thread-self/ns/net")
			done <- s
		}()
		if s := <-done; s != before {
			t.Fatalf("a goroutine ran in %s after Run, want %s", s, before)
		}
	}
}

func TestCleanupRemovesEverything(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	var names []string
	t.Run("skipped-half-way", func(t *testing.T) {
		n := New(t, Config{Hosts: 2, Links: 2})
		n.Host(1).SetFaults(0, Faults{DropOut: 10})
		names = n.allNames()
		for _, ns := range names {
			if _, err := os.Stat(filepath.Join(nsDir, ns)); err != nil {
				t.Fatalf("namespace %s missing: %v", ns, err)
			}
		}
		t.Skip("leaving early, as a failing test would")
	})
	if len(names) != 3 {
		t.Fatalf("subtest did not build the network: %v", names)
	}
	for _, ns := range names {
		if _, err := os.Stat(filepath.Join(nsDir, ns)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("namespace %s still exists after the test (%v)", ns, err)
		}
	}
}

func TestStaleNamespacesRemoved(t *testing.T) {
	requireRoot(t)
	// A pid that surely is not running any more: a child that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("%s%d-1-sw", namePrefix, cmd.Process.Pid)
	if _, err := run(nil, "ip", "netns", "add", stale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run(nil, "ip", "netns", "del", stale) })
	New(t, Config{Hosts: 1})
	if _, err := os.Stat(filepath.Join(nsDir, stale)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale namespace %s was not removed (%v)", stale, err)
	}
}

func TestLinkDownAndBlock(t *testing.T) {
	t.Parallel()
	n := New(t, Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	dst := listen(t, h2, "udp4")

	h1.LinkDown(0)
	errs := sendN(t, h1, h2.Addr(0), 3)
	if got := drain(dst, 100*time.Millisecond); total(got) != 0 {
		t.Errorf("link down: host 2 got %v", got)
	}
	if len(errs) != 3 {
		t.Errorf("link down: sends reported %v, want 3 errors", errs)
	}
	h1.LinkUp(0)
	sendN(t, h1, h2.Addr(0), 3)
	if got := drain(dst, 200*time.Millisecond); total(got) != 3 {
		t.Errorf("link up again: host 2 got %v, want 3", got)
	}

	h2.Block(0)
	if errs := sendN(t, h1, h2.Addr(0), 3); errs != nil {
		t.Errorf("blocked port: sends failed (%v); carrier should stay up", errs)
	}
	if got := drain(dst, 100*time.Millisecond); total(got) != 0 {
		t.Errorf("blocked port: host 2 got %v", got)
	}
	h2.Unblock(0)
	sendN(t, h1, h2.Addr(0), 3)
	if got := drain(dst, 200*time.Millisecond); total(got) != 3 {
		t.Errorf("unblocked: host 2 got %v, want 3", got)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	n := New(t, Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	dst := listen(t, h2, "udp4")
	// A permanent neighbour entry, so that lost ARP packets do not skew
	// the counts.
	var mac net.HardwareAddr
	h2.Run(func() {
		if ifi, err := net.InterfaceByName(h2.Iface(0)); err == nil {
			mac = ifi.HardwareAddr
		}
	})
	if _, err := h1.Exec("ip", "neigh", "replace", h2.Addr(0).String(), "lladdr", mac.String(), "dev", h1.Iface(0), "nud", "permanent"); err != nil {
		t.Fatal(err)
	}
	check := func(what string, sent int, ok func(got map[string]int) bool) {
		t.Helper()
		if errs := sendN(t, h1, h2.Addr(0), sent); errs != nil {
			t.Fatalf("%s: %v", what, errs)
		}
		if got := drain(dst, 200*time.Millisecond); !ok(got) {
			t.Errorf("%s: host 2 got %d datagrams (%d distinct)", what, total(got), len(got))
		}
	}
	h1.SetFaults(0, Faults{DropOut: 100})
	check("drop out 100%", 20, func(got map[string]int) bool { return total(got) == 0 })
	h1.SetFaults(0, Faults{DupOut: 100})
	check("dup 100%", 20, func(got map[string]int) bool {
		for _, c := range got {
			if c != 2 {
				return false
			}
		}
		return len(got) == 20
	})
	h1.SetFaults(0, Faults{DropOut: 50})
	// 400 fair coin flips land outside 120..280 with probability ~1e-23.
	check("drop out 50%", 400, func(got map[string]int) bool { return total(got) > 120 && total(got) < 280 })
	h1.ClearFaults()
	h2.SetFaults(0, Faults{DropIn: 100})
	check("drop in 100% at the receiver", 20, func(got map[string]int) bool { return total(got) == 0 })
	h2.ClearFaults()
	check("cleared", 20, func(got map[string]int) bool { return total(got) == 20 && len(got) == 20 })
	out, err := h2.Exec("nft", "list", "ruleset")
	if err != nil || strings.Contains(string(out), faultTable) {
		t.Errorf("after ClearFaults the ruleset is %q (%v)", out, err)
	}
}

func TestIPv6(t *testing.T) {
	t.Parallel()
	n := New(t, Config{Hosts: 2, IPv6: true})
	dst := listen(t, n.Host(2), "udp6")
	if errs := sendN(t, n.Host(1), n.Host(2).Addr6(0), 3); errs != nil {
		t.Fatal(errs)
	}
	// Neighbour discovery may take a retransmission (1 s) on a busy
	// machine.
	if got := drain(dst, 1500*time.Millisecond); total(got) != 3 {
		t.Errorf("host 2 got %v over IPv6, want 3", got)
	}
}

package media

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func TestOpenMissingInterface(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 1})
	h := n.Host(1)
	peer := netip.MustParseAddr("198.18.0.99")
	for _, tc := range []struct {
		m    config.Medium
		want string
	}{
		{bcastMedium("eth9"), "bcast eth9: broadcast address of eth9: no such interface"},
		{ucastMedium("eth9", peer), "ucast eth9: send socket: setsockopt SO_BINDTODEVICE eth9: no such interface: no such device"},
		{mcastMedium("eth9", testMCast, 1, false), "mcast eth9: address of eth9: no such interface"},
		{ucast6Medium("eth9", netip.MustParseAddr("2001:2::1")), "ucast6 eth9: interface eth9: no such interface"},
		{config.Medium{Type: "mcast6", Name: "eth9", Iface: "eth9", Addr: netip.MustParseAddr(testMCast6), Port: hbPort}, "mcast6 eth9: interface eth9: no such interface"},
	} {
		_, err := openIn(t, h, 0, tc.m, Options{})
		if !errors.Is(err, ErrNoInterface) || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q (and ErrNoInterface)", tc.m.Type, err, tc.want)
		}
	}
	// An interface with no IPv4 address has no broadcast address either.
	if _, err := h.Exec("ip", "link", "add", "bare0", "up", "type", "veth", "peer", "name", "bare1"); err != nil {
		t.Fatal(err)
	}
	_, err := openIn(t, h, 0, bcastMedium("bare0"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "bcast bare0: broadcast address of bare0: ") {
		t.Errorf("bcast on an interface without IPv4: %v", err)
	}
}

func TestOpenOtherErrors(t *testing.T) {
	if _, err := Open(0, config.Medium{Type: "hbaping", Name: "x"}, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("hbaping: %v, want ErrUnsupported", err)
	}
	for _, typ := range []string{"ping", "ping_group", "serial"} {
		m := config.Medium{Type: typ, Name: "127.0.0.1", Peer: "127.0.0.1", Hosts: []string{"127.0.0.1"}}
		if _, err := Open(0, m, Options{}); err == nil || !strings.Contains(err.Error(), "no keyring") {
			t.Errorf("%s without a keyring: %v", typ, err)
		}
	}
}

// blockPort binds 0.0.0.0:694 in host h without SO_REUSEADDR, as another
// program might, so that the media's receive sockets cannot bind.
func blockPort(t *testing.T, h *netnstest.Host) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	var err error
	h.Run(func() { c, err = net.ListenUDP("udp4", &net.UDPAddr{Port: hbPort}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestBindRetries(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h := n.Host(1)
	opt := Options{BindTries: 3, BindDelay: 10 * time.Millisecond}

	blockPort(t, h)
	_, err := openIn(t, h, 0, bcastMedium("eth0"), opt)
	var merr *Error
	if !errors.As(err, &merr) || err.Error() != "bcast eth0: bind 0.0.0.0:694: address already in use" {
		t.Fatalf("bcast on a taken port: %v", err)
	}
	retry := "ERROR: glib: Error binding socket (Address already in use). Retrying."
	want := []string{retry, retry, retry, "ERROR: glib: Unable to bind socket (Address already in use). Giving up."}
	if got := lines(merr.Lines); !slices.Equal(got, want) {
		t.Errorf("lines\n%q\nwant\n%q", got, want)
	}

	_, err = openIn(t, h, 0, ucastMedium("eth0", n.Host(2).Addr(0)), opt)
	if !errors.As(err, &merr) || err.Error() != "ucast eth0: bind 0.0.0.0:694: address already in use" {
		t.Fatalf("ucast on a taken port: %v", err)
	}
	if got := lines(merr.Lines); len(got) != 10 || got[6] != "ERROR: glib: ucast: Can't bind (EADDRINUSE), retrying" ||
		got[9] != "ERROR: glib: ucast: unable to bind socket. Giving up: Address already in use" {
		t.Errorf("ucast lines %q", got)
	}

}

// A bind that fails while the port is taken succeeds once it comes free,
// as when the previous heartbeat is still exiting.
func TestBindRetryUntilFree(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 1})
	h := n.Host(1)
	blocker := blockPort(t, h)
	var fd int
	var err error
	h.Run(func() { fd, err = socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0) })
	if err != nil {
		t.Fatal(err)
	}
	defer closeFDs(fd)
	retries := 0
	bd := binder{tries: 10, delay: time.Millisecond, retryLine: func(err error) {
		if retries++; retries == 2 {
			blocker.Close()
		}
	}}
	if err := bd.bind(fd, sockaddr(netip.MustParseAddrPort("0.0.0.0:694"), 0)); err != nil {
		t.Fatalf("bind after the port came free: %v", err)
	}
	if retries != 2 {
		t.Errorf("%d retries, want 2", retries)
	}
}

// Not parallel: it counts the process's descriptors, which parallel
// tests open and close meanwhile (seen once in CI).
func TestOpenAll(t *testing.T) {
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h := n.Host(1)
	// The process's socket descriptors: the runtime and the test's
	// helpers open others (pidfds, epoll, pipes) when they please.
	fds := func() map[string]string {
		socks := map[string]string{}
		h.Run(func() {
			entries, _ := os.ReadDir("/proc/self/fd")
			for _, e := range entries {
				if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
					socks[e.Name()] = target
				}
			}
		})
		return socks
	}
	cfg := &config.Config{Media: []config.Medium{
		bcastMedium("eth0"),
		ucastMedium("eth0", n.Host(2).Addr(0)),
		pingMedium(n.Host(2).Addr(0)),
	}}
	before := fds()
	var ms []Medium
	var err error
	h.Run(func() { ms, err = OpenAll(cfg, Options{Keyring: testKeyring(t)}) })
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Index() != i || m.Type() != cfg.Media[i].Type {
			t.Errorf("medium %d: index %d type %s", i, m.Index(), m.Type())
		}
	}
	if err := CloseAll(ms); err != nil {
		t.Fatal(err)
	}
	// A failure closes what was opened before it.
	cfg.Media = append(cfg.Media, bcastMedium("eth9"))
	h.Run(func() { ms, err = OpenAll(cfg, Options{Keyring: testKeyring(t)}) })
	if err == nil || ms != nil {
		t.Fatalf("OpenAll with a bad medium: %v, %v", ms, err)
	}
	// Other sockets of the process may close meanwhile (finalizers,
	// earlier tests' helpers); only a new one is a leak.
	for fd, target := range fds() {
		if before[fd] != target {
			t.Errorf("descriptor %s (%s) opened and not closed: leaked", fd, target)
		}
	}
}

// Every descriptor is non-blocking and close-on-exec, and carries the
// options heartbeat's plugin sets.
func TestSocketOptions(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h, peer := n.Host(1), n.Host(2).Addr(0)
	keys := testKeyring(t)
	const soReusePort, ipTOS = 15, 1
	type opt struct {
		level, name, want int
		what              string
	}
	check := func(what string, fd int, device string, opts ...opt) {
		t.Helper()
		fl, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
		fdfl, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if fl&syscall.O_NONBLOCK == 0 || fdfl&syscall.FD_CLOEXEC == 0 {
			t.Errorf("%s: flags %#x, fd flags %#x: want O_NONBLOCK and FD_CLOEXEC", what, fl, fdfl)
		}
		for _, o := range opts {
			if v, err := syscall.GetsockoptInt(fd, o.level, o.name); err != nil || v != o.want {
				t.Errorf("%s: %s = %d (%v), want %d", what, o.what, v, err, o.want)
			}
		}
		if got := boundDevice(fd); got != device {
			t.Errorf("%s: SO_BINDTODEVICE %q, want %q", what, got, device)
		}
	}
	sol := syscall.SOL_SOCKET
	b := open(t, h, 0, bcastMedium("eth0"), Options{}).(*udp)
	check("bcast send", b.wfd, "eth0", opt{sol, syscall.SO_BROADCAST, 1, "SO_BROADCAST"}, opt{sol, syscall.SO_DONTROUTE, 1, "SO_DONTROUTE"})
	check("bcast receive", b.rfd, "eth0", opt{sol, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR"})
	u := open(t, h, 1, ucastMedium("eth0", peer), Options{}).(*udp)
	check("ucast send", u.wfd, "eth0", opt{syscall.IPPROTO_IP, ipTOS, 0x10, "IP_TOS"}, opt{sol, soReusePort, 1, "SO_REUSEPORT"})
	check("ucast receive", u.rfd, "eth0", opt{sol, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR"}, opt{sol, soReusePort, 1, "SO_REUSEPORT"})
	mc := open(t, h, 2, mcastMedium("eth0", testMCast, 3, true), Options{}).(*udp)
	check("mcast send", mc.wfd, "", opt{syscall.IPPROTO_IP, syscall.IP_MULTICAST_TTL, 3, "IP_MULTICAST_TTL"},
		opt{syscall.IPPROTO_IP, syscall.IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP"})
	if a, err := syscall.GetsockoptInet4Addr(mc.wfd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF); err != nil || netip.AddrFrom4(a) != h.Addr(0) {
		t.Errorf("mcast send: IP_MULTICAST_IF %v (%v), want %v", a, err, h.Addr(0))
	}
	check("mcast receive", mc.rfd, "", opt{sol, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR"})
	p := open(t, h, 3, pingMedium(peer), Options{Keyring: keys}).(*ping)
	check("ping", p.fd, "")
}

// boundDevice reads SO_BINDTODEVICE, which syscall has no getter for.
func boundDevice(fd int) string {
	var buf [16]byte
	n := uint32(len(buf))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return "error: " + e.Error()
	}
	return strings.TrimRight(string(buf[:n]), "\x00")
}

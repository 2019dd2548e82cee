package media

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

const testMCast6 = "ff12::4842"

func ucast6Medium(iface string, peer netip.Addr) config.Medium {
	return config.Medium{Type: "ucast6", Name: iface, Iface: iface, Peer: peer.String(), Addr: peer, Port: hbPort}
}

func linkLocal(t *testing.T, h *netnstest.Host, iface string) netip.Addr {
	t.Helper()
	var found netip.Addr
	h.Run(func() {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsLinkLocalUnicast() {
				found = p.Addr()
			}
		}
	})
	if !found.IsValid() {
		t.Fatalf("%s %s has no link-local address", h.Name(), iface)
	}
	return found
}

func TestUcast6(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2, IPv6: true})
	h1, h2 := n.Host(1), n.Host(2)
	keys := testKeyring(t)
	for _, tc := range []struct {
		name     string
		to1, to2 netip.Addr
		shown    string
	}{
		{"global", h1.Addr6(0), h2.Addr6(0), "[2001:2::c]"},
		{"link-local", linkLocal(t, h1, "eth0"), linkLocal(t, h2, "eth0"), "[" + linkLocal(t, h2, "eth0").String() + "%eth0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m1 := open(t, h1, 0, ucast6Medium("eth0", tc.to2), Options{})
			m2 := open(t, h2, 0, ucast6Medium("eth0", tc.to1), Options{})
			want := []string{
				"info: glib: ucast6: bound send socket to device: eth0",
				"info: glib: ucast6: bound receive socket to device: eth0",
				"info: glib: ucast6: set SO_REUSEPORT",
				"info: glib: ucast6: heartbeat started for " + tc.shown + ":694 on interface eth0",
			}
			if got := lines(m1.Started()); !slices.Equal(got, want) {
				t.Errorf("Started() =\n%q\nwant\n%q", got, want)
			}
			pkt := statusPacket(t, keys, testNode, 1, 1)
			if err := m1.Send(pkt); err != nil {
				t.Fatal(err)
			}
			got := collect(t, m2, 1, 50*time.Millisecond, time.Second)
			if len(got) != 1 || string(got[0].data) != string(pkt) || got[0].from != tc.to1.String() {
				t.Fatalf("got %v, want the packet from %s", got, tc.to1)
			}
		})
	}
}

func TestMcast6(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2, IPv6: true})
	keys := testKeyring(t)
	med := config.Medium{Type: "mcast6", Name: "eth0", Iface: "eth0", Group: testMCast6, Addr: netip.MustParseAddr(testMCast6),
		Port: hbPort, TTL: 1, Loop: true}
	m1 := open(t, n.Host(1), 0, med, Options{})
	m2 := open(t, n.Host(2), 0, med, Options{})
	want := []string{"info: glib: UDP multicast heartbeat started for [ff12::4842]:694 on interface eth0 (hops=1 loop=1)"}
	if got := lines(m1.Started()); !slices.Equal(got, want) {
		t.Errorf("Started() = %q, want %q", got, want)
	}
	pkt := statusPacket(t, keys, testNode, 1, 1)
	if err := m1.Send(pkt); err != nil {
		t.Fatal(err)
	}
	for i, m := range []Medium{m1, m2} { // loop 1: the sender hears itself too
		if got := collect(t, m, 1, 50*time.Millisecond, time.Second); len(got) != 1 || string(got[0].data) != string(pkt) {
			t.Errorf("host %d got %d packets, want 1", i+1, len(got))
		}
	}
}

package media

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func mcastMedium(iface, group string, ttl int, loop bool) config.Medium {
	return config.Medium{Type: "mcast", Name: iface, Iface: iface, Group: group, Addr: netip.MustParseAddr(group),
		Port: hbPort, TTL: ttl, Loop: loop}
}

func TestMcast(t *testing.T) {
	t.Parallel()
	for _, loop := range []bool{false, true} {
		t.Run(map[bool]string{false: "loop0", true: "loop1"}[loop], func(t *testing.T) {
			t.Parallel()
			n := netnstest.New(t, netnstest.Config{Hosts: 3})
			keys := testKeyring(t)
			var ms []Medium
			for _, h := range n.Hosts() {
				ms = append(ms, open(t, h, 0, mcastMedium("eth0", testMCast, 1, loop), Options{}))
			}
			want := "info: glib: UDP multicast heartbeat started for group 239.198.18.1 port 694 interface eth0 (ttl=1 loop=" +
				map[bool]string{false: "0", true: "1"}[loop] + ")"
			if got := lines(ms[0].Started()); !slices.Equal(got, []string{want}) {
				t.Errorf("Started() = %q, want %q", got, want)
			}
			pkt := statusPacket(t, keys, testNode, 1, 1)
			if err := ms[0].Send(pkt); err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				wantN := 1
				if i == 0 && !loop {
					wantN = 0 // IP_MULTICAST_LOOP 0: the sender does not hear itself
				}
				got := collect(t, m, wantN, 50*time.Millisecond, 500*time.Millisecond)
				if len(got) != wantN {
					t.Errorf("host %d got %d packets, want %d", i+1, len(got), wantN)
				}
				for _, r := range got {
					if string(r.data) != string(pkt) || r.from != n.Host(1).Addr(0).String() {
						t.Errorf("host %d got %q from %s", i+1, r.data, r.from)
					}
				}
			}
		})
	}
}

// The mcast receive socket is bound to group:port with no SO_BINDTODEVICE,
// so with the same group and port on two interfaces, a packet that arrives
// on one interface reaches the receive sockets of both media: each peer's
// packets show up on both links. That is heartbeat's behaviour too.
func TestMcastSameGroupOnTwoInterfaces(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2, Links: 2})
	keys := testKeyring(t)
	send := open(t, n.Host(1), 0, mcastMedium("eth0", testMCast, 1, false), Options{})
	r0 := open(t, n.Host(2), 0, mcastMedium("eth0", testMCast, 1, false), Options{})
	r1 := open(t, n.Host(2), 1, mcastMedium("eth1", testMCast, 1, false), Options{})
	if err := send.Send(statusPacket(t, keys, testNode, 1, 1)); err != nil {
		t.Fatal(err)
	}
	g0 := collect(t, r0, 1, 50*time.Millisecond, 500*time.Millisecond)
	g1 := collect(t, r1, 1, 50*time.Millisecond, 500*time.Millisecond)
	if len(g0) != 1 || len(g1) != 1 {
		t.Errorf("eth0 medium got %d, eth1 medium got %d; want one copy on each", len(g0), len(g1))
	}
}

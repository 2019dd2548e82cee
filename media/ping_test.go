package media

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func pingMedium(host netip.Addr) config.Medium {
	typ := "ping"
	if host.Is6() {
		typ = "ping6"
	}
	return config.Medium{Type: typ, Name: host.String(), Peer: host.String(), Addr: host}
}

func pingGroupMedium(name string, hosts ...netip.Addr) config.Medium {
	m := config.Medium{Type: "ping_group", Name: name}
	for _, h := range hosts {
		m.Hosts = append(m.Hosts, h.String())
	}
	return m
}

// checkNSst checks a received ping payload: heartbeat's NS_st from the
// ping node, with the ts of the status it answers.
func checkNSst(t *testing.T, got received, src, info, ts string) {
	t.Helper()
	p := decoded(t, testKeyring(t), got.data)
	var names []string
	for i := range p.Msg.Len() {
		names = append(names, string(p.Msg.At(i).Name))
	}
	if want := []string{"t", "st", "info", "src", "ts", "auth"}; !slices.Equal(names, want) {
		t.Errorf("fields %q, want %q", names, want)
	}
	for k, want := range map[string]string{"t": "NS_st", "st": "ping", "info": info, "src": src, "ts": ts} {
		if v := field(p, k); v != want {
			t.Errorf("%s=%q, want %q", k, v, want)
		}
	}
}

// The kernel of the ping node answers the echo; what comes back is the
// NS_st heartbeat wants to hear from the ping node.
func TestPing(t *testing.T) {
	t.Parallel()
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "ping", true: "ping6"}[v6], func(t *testing.T) {
			t.Parallel()
			n := netnstest.New(t, netnstest.Config{Hosts: 2, IPv6: v6})
			keys := testKeyring(t)
			target := n.Host(2).Addr(0)
			if v6 {
				target = n.Host(2).Addr6(0)
			}
			m := open(t, n.Host(1), 4, pingMedium(target), Options{Keyring: keys})
			if got := lines(m.Started()); !slices.Equal(got, []string{"info: glib: ping heartbeat started."}) {
				t.Errorf("Started() = %q", got)
			}
			// Only status packets make an echo request.
			if err := m.Send(ackPacket(t, keys, testNode)); err != nil {
				t.Fatalf("non-status packet: %v", err)
			}
			if got := collect(t, m, 0, 0, 100*time.Millisecond); len(got) != 0 {
				t.Fatalf("got %d replies to a non-status packet", len(got))
			}
			for seq := range 3 {
				if err := m.Send(statusPacket(t, keys, testNode, uint64(seq+1), 0x66d0a4f0+uint64(seq))); err != nil {
					t.Fatal(err)
				}
				got := collect(t, m, 1, 20*time.Millisecond, time.Second)
				if len(got) != 1 {
					t.Fatalf("status %d: got %d replies, want 1", seq, len(got))
				}
				if got[0].from != target.String() || got[0].medium != 4 {
					t.Errorf("reply from %s on medium %d", got[0].from, got[0].medium)
				}
				checkNSst(t, got[0], target.String(), m.Type(), []string{"66d0a4f0", "66d0a4f1", "66d0a4f2"}[seq])
			}
		})
	}
}

// A ping_group sends each echo to every member with the same sequence
// number and takes the first answer; later answers with that number, and
// the first of all (seq 0, which the zeroed slots already hold), are
// dropped. One member down is not noticed.
func TestPingGroup(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	keys := testKeyring(t)
	m := open(t, n.Host(1), 0, pingGroupMedium("gw", n.Host(2).Addr(0), n.Host(3).Addr(0)), Options{Keyring: keys})
	if got := lines(m.Started()); !slices.Equal(got, []string{"info: glib: ping group heartbeat started."}) {
		t.Errorf("Started() = %q", got)
	}
	members := []string{n.Host(2).Addr(0).String(), n.Host(3).Addr(0).String()}
	send := func(seq int) []received {
		t.Helper()
		if err := m.Send(statusPacket(t, keys, testNode, uint64(seq+1), uint64(100+seq))); err != nil {
			t.Fatal(err)
		}
		return collect(t, m, 1, 50*time.Millisecond, 300*time.Millisecond)
	}
	if got := send(0); len(got) != 0 {
		t.Errorf("echo seq 0: got %d replies, want 0 (slot 0 already holds seq 0)", len(got))
	}
	for seq := 1; seq <= 2; seq++ {
		got := send(seq)
		if len(got) != 1 || !slices.Contains(members, got[0].from) {
			t.Fatalf("echo seq %d: got %v, want one reply from a member", seq, got)
		}
		checkNSst(t, got[0], "gw", "ping_group", []string{"64", "65", "66"}[seq])
	}
	n.Host(3).LinkDown(0)
	for seq := 3; seq <= 4; seq++ {
		got := send(seq)
		if len(got) != 1 || got[0].from != members[0] {
			t.Fatalf("echo seq %d with host 3 down: got %v, want one reply from %s", seq, got, members[0])
		}
	}
	n.Host(2).LinkDown(0)
	if got := send(5); len(got) != 0 {
		t.Errorf("all members down: got %d replies", len(got))
	}
}

// Echo replies from hosts outside the group do not count, and a plain
// ping medium does not take a ping_group's replies (info differs).
func TestPingGroupIgnoresStrangers(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	keys := testKeyring(t)
	opt := Options{Keyring: keys, Ident: 0x4242}
	group := open(t, n.Host(1), 0, pingGroupMedium("gw", n.Host(2).Addr(0)), opt)
	single := open(t, n.Host(1), 1, pingMedium(n.Host(3).Addr(0)), opt)
	for seq := range 3 {
		if err := single.Send(statusPacket(t, keys, testNode, uint64(seq+1), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := collect(t, group, 0, 0, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("ping_group took %d replies from a non-member", len(got))
	}
	if got := collect(t, single, 3, 20*time.Millisecond, time.Second); len(got) != 3 {
		t.Errorf("ping got %d replies, want 3", len(got))
	}
	if err := group.Send(statusPacket(t, keys, testNode, 9, 1)); err != nil {
		t.Fatal(err)
	}
	if err := group.Send(statusPacket(t, keys, testNode, 10, 1)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, single, 0, 0, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("ping took %d ping_group replies", len(got))
	}
}

package media

import (
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func bcastMedium(iface string) config.Medium {
	return config.Medium{Type: "bcast", Name: iface, Iface: iface, Port: hbPort}
}

func TestBcast(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 3})
	keys := testKeyring(t)
	var ms []Medium
	for _, h := range n.Hosts() {
		ms = append(ms, open(t, h, 2, bcastMedium("eth0"), Options{}))
	}
	wantLines := []string{"info: glib: UDP Broadcast heartbeat started on port 694 (694) interface eth0"}
	if got := lines(ms[0].Started()); !slices.Equal(got, wantLines) {
		t.Errorf("Started() = %q, want %q", got, wantLines)
	}
	if ms[0].Index() != 2 || ms[0].Type() != "bcast" || ms[0].Name() != "eth0" {
		t.Errorf("Index, Type, Name = %d, %s, %s", ms[0].Index(), ms[0].Type(), ms[0].Name())
	}

	pkt := statusPacket(t, keys, testNode, 1, 0x66d0a4f0)
	if err := ms[0].Send(pkt); err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		got := collect(t, m, 1, 50*time.Millisecond, time.Second)
		if len(got) != 1 {
			// Host 1 hears its own broadcast: Linux loops every
			// broadcast back to the sending host, and the copy arrives
			// on the interface it left by, so the BINDTODEVICE receive
			// socket takes it (wire spec §13 open point 4).
			t.Fatalf("host %d got %d packets, want 1", i+1, len(got))
		}
		p := decoded(t, keys, got[0].data)
		if field(p, "src") != testNode || field(p, "t") != "status" {
			t.Errorf("host %d got src=%s t=%s", i+1, field(p, "src"), field(p, "t"))
		}
		if got[0].medium != 2 || got[0].from != n.Host(1).Addr(0).String() {
			t.Errorf("host %d: medium %d from %s, want 2 from %s", i+1, got[0].medium, got[0].from, n.Host(1).Addr(0))
		}
	}
}

// Each bcast medium hears only its own interface, even though every
// receive socket is bound to 0.0.0.0:694: SO_BINDTODEVICE separates them.
func TestBcastOneMediumPerInterface(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2, Links: 2})
	keys := testKeyring(t)
	var on [2][2]Medium // host, link
	for h := range 2 {
		for l := range 2 {
			on[h][l] = open(t, n.Host(h+1), l, bcastMedium(n.Host(h+1).Iface(l)), Options{})
		}
	}
	if err := on[0][1].Send(statusPacket(t, keys, testNode, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, on[1][1], 1, 50*time.Millisecond, time.Second); len(got) != 1 || got[0].medium != 1 {
		t.Errorf("host 2 eth1 got %d packets (%v), want 1 on medium 1", len(got), got)
	}
	if got := collect(t, on[1][0], 0, 0, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("host 2 eth0 got %d packets sent on eth1", len(got))
	}
}

// A link that is down fails the send; the medium works again once it is up.
func TestBcastLinkDown(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	keys := testKeyring(t)
	m1 := open(t, n.Host(1), 0, bcastMedium("eth0"), Options{})
	m2 := open(t, n.Host(2), 0, bcastMedium("eth0"), Options{})
	n.Host(1).LinkDown(0)
	err := m1.Send(statusPacket(t, keys, testNode, 1, 1))
	if err == nil {
		t.Error("send on a down link succeeded")
	} else {
		t.Logf("send on a down link: %v", err)
	}
	n.Host(1).LinkUp(0)
	if err := m1.Send(statusPacket(t, keys, testNode, 2, 2)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, m2, 1, 50*time.Millisecond, time.Second); len(got) != 1 {
		t.Errorf("host 2 got %d packets after link up, want 1", len(got))
	}
}

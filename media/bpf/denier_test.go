package bpf

import (
	"net/netip"
	"testing"
	"time"
)

const sec = int64(time.Second)

func TestDenierThresholdAndExpiry(t *testing.T) {
	d := NewDenier(300 * time.Millisecond)
	a := netip.MustParseAddr("198.18.1.66")
	now := 100 * sec
	for i := 1; i < DefaultFailures; i++ {
		if _, deny := d.AuthFailed(a, now); deny {
			t.Fatalf("denied after %d failures", i)
		}
		now += sec
	}
	until, deny := d.AuthFailed(a, now)
	if !deny || until != now+int64(DefaultTTL) {
		t.Fatalf("failure %d: deny %v until %d", DefaultFailures, deny, until)
	}
	if !d.Denied(a, now) || d.Rules().Classify([]byte("###\n0123456789abcdef"), a, now) != ReasonDenied {
		t.Fatal("denied source not denied by the rules")
	}
	// A re-keyed peer is heard again once the entry expires.
	if ended := d.Expire(until, nil); len(ended) != 1 || ended[0] != a || d.Denied(a, until) {
		t.Fatalf("expire: %v", ended)
	}
}

func TestDenierWindow(t *testing.T) {
	d := NewDenier(0)
	a := netip.MustParseAddr("2001:2::66")
	now := 100 * sec
	// Failures spread wider than the window never add up.
	for range 3 * DefaultFailures {
		if _, deny := d.AuthFailed(a, now); deny {
			t.Fatal("denied for failures spread over more than the window")
		}
		now += int64(DefaultWindow)/int64(DefaultFailures-1) + int64(time.Millisecond)
	}
}

// A forger spoofing a live peer's address must not get the peer denied:
// that would drop its heartbeats and cause the false death the filter is
// meant to prevent.
func TestDenierTrustsAuthenticatedSources(t *testing.T) {
	deadtime := 300 * time.Millisecond
	d := NewDenier(deadtime)
	peer := netip.MustParseAddr("198.18.1.12")
	now := 100 * sec
	for range 100 {
		d.AuthOK(peer, now)
		if _, deny := d.AuthFailed(netip.AddrFrom16(peer.As16()), now+1); deny {
			t.Fatal("a source authenticated within deadtime was denied")
		}
		now += int64(deadtime) / 3
	}
	// Silent for longer than deadtime: the failures count again.
	now += int64(deadtime)
	var denied bool
	for range DefaultFailures {
		_, denied = d.AuthFailed(peer, now)
	}
	if !denied {
		t.Fatal("a source silent for longer than deadtime is never denied")
	}
}

func TestDenierBounded(t *testing.T) {
	d := NewDenier(0)
	for i := range 2 * maxTracked {
		a := netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)})
		d.AuthFailed(a, sec)
	}
	if len(d.track) > maxTracked {
		t.Fatalf("tracking %d sources, bound %d", len(d.track), maxTracked)
	}
}

func BenchmarkClassify(b *testing.B) {
	r := Rules{Clusters: []uint32{1, 2}, Denied: map[netip.Addr]int64{netip.MustParseAddr("198.18.1.66"): 1 << 62}}
	hb := []byte("###\n48:(0)t=status,0123456789")
	from := netip.MustParseAddr("198.18.1.66")
	b.ReportAllocs()
	for b.Loop() {
		if r.Classify(hb, from, 1) != ReasonDenied {
			b.Fatal("not denied")
		}
	}
}

package ipaddr

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
)

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		script, arg string
		want        string // the agent's words
	}{
		{"IPaddr3", "198.18.0.1", `script "IPaddr3" is neither IPaddr nor IPaddr2`},
		{"IPaddr2", "", "IP address (the ip parameter) is mandatory"},
		{"IPaddr", "/24", "Required parameter OCF_RESKEY_ip is missing"},
		{"IPaddr2", "2001:2::1/64", "IP address [2001:2::1] is IPv6: IPaddr manages IPv4 only, use IPv6addr"},
		{"IPaddr", "::ffff:198.18.0.1", "IP address [::ffff:198.18.0.1] is IPv6: IPaddr manages IPv4 only, use IPv6addr"},
		{"IPaddr2", "198.18.0", "IP address [198.18.0] not valid."},
		{"IPaddr2", "0.18.0.1", "IP address [0.18.0.1] not valid."},
		{"IPaddr2", "198.18.0.256", "IP address [198.18.0.256] not valid."},
		{"IPaddr2", "198.018.0.1", "IP address [198.018.0.1] not valid."},
		{"IPaddr2", "node1", "IP address [node1] not valid."},
		{"IPaddr", "node1", "Parameter OCF_RESKEY_ip [node1] not an IP address"},
		{"IPaddr", "198.18.0.1x", "Parameter OCF_RESKEY_ip [198.18.0.1x] not an IP address"},
		{"IPaddr", "198.18.0.999", "IP address [198.18.0.999] not valid."},
		{"IPaddr2", "198.18.0.1/0", "Invalid netmask specification [0]."},
		{"IPaddr2", "198.18.0.1/33", "Invalid netmask specification [33]."},
		{"IPaddr2", "198.18.0.1/024", "Invalid netmask specification [024]."},
		{"IPaddr2", "198.18.0.1/1234", "Invalid netmask specification [1234]."},
		{"IPaddr2", "198.18.0.1/255.0.255.0", "Invalid netmask specification [255.0.255.0]."},
		{"IPaddr2", "198.18.0.1/0.0.0.0", "Invalid netmask specification [0]."},
		{"IPaddr2", "198.18.0.1/eth0", "Invalid netmask specification [eth0]."}, // the wrappers eat "//"
		{"IPaddr", "198.18.0.1/024", "Invalid netmask specification [024]"},
		{"IPaddr", "198.18.0.1/33", "Invalid netmask specification [33]"},
		{"IPaddr", "198.18.0.1/0.0.0.0", "Invalid netmask specification [0.0.0.0]"},
		{"IPaddr", "198.18.0.1/0", "Invalid netmask specification [0]"},
		{"IPaddr2", "198.18.0.1/24/eth0/bcast", "Invalid broadcast address [bcast]."},
		{"IPaddr2", "198.18.0.1/24/198.18.0.999", "Invalid broadcast address [198.18.0.999]."},
		{"IPaddr", "198.18.0.1/24/eth0/+", "Invalid broadcast address [+]."},
		{"IPaddr2", "198.18.0.1/24/eth0:averylonglabel", "Interface label [eth0:averylonglabel] exceeds maximum character limit of 15"},
	} {
		r, err := New(tc.script, config.ParseIPAddr(tc.arg), Options{})
		var e *Error
		if r != nil || !errors.As(err, &e) || e.Msg != tc.want || e.Op != "new" {
			t.Errorf("New(%s, %q) = %v, %v; want %q", tc.script, tc.arg, r, err, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.script+"::"+tc.arg+" new: ") {
			t.Errorf("error %q does not name the resource", err)
		}
	}
	if _, err := New("IPaddr2", nil, Options{}); err == nil {
		t.Error("New with no argument succeeded")
	}
	if _, err := New("IPaddr2", config.ParseIPAddr("198.18.0.1"), Options{ARPCount: -1}); err == nil {
		t.Error("a negative ARP count was accepted")
	}
}

func TestNewAccepts(t *testing.T) {
	for _, tc := range []struct {
		script, arg string
		bits        int
		nic, label  string
		brd         brdMode
		count       int
		interval    time.Duration
	}{
		{"IPaddr2", "198.18.0.1", -1, "", "", brdInfer, 5, 200 * time.Millisecond},
		{"IPaddr2", "198.18.0.1/255.255.255.128/eth0:web/+", 25, "eth0", "web", brdPlus, 5, 200 * time.Millisecond},
		{"IPaddr2", "198.18.0.1/24/198.18.0.255", 24, "", "", brdAddr, 5, 200 * time.Millisecond},
		{"IPaddr2", "198.18.0.1/8/eth0:", 8, "eth0", "", brdInfer, 5, 200 * time.Millisecond},
		{"IPaddr", "198.18.0.1", -1, "eth0", "", brdInfer, 10, 500 * time.Millisecond},
		{"IPaddr", "198.18.0.1/255.0.255.0/eth1:3", 24, "eth1", "", brdInfer, 10, 500 * time.Millisecond},
		{"IPaddr", "198.18.0.1/08", 8, "eth0", "", brdInfer, 10, 500 * time.Millisecond},
	} {
		r, err := New(tc.script, config.ParseIPAddr(tc.arg), Options{})
		if err != nil {
			t.Errorf("New(%s, %q): %v", tc.script, tc.arg, err)
			continue
		}
		a := r.a
		if a.bits != tc.bits || a.nic != tc.nic || a.label != tc.label || a.brd != tc.brd || r.count != tc.count || r.interval != tc.interval {
			t.Errorf("New(%s, %q) = %+v, count %d, interval %v", tc.script, tc.arg, a, r.count, r.interval)
		}
		if got, want := r.String(), tc.script+"::"+tc.arg; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	r, err := New("IPaddr2", config.ParseIPAddr("198.18.0.1"), Options{ARPCount: 3, ARPInterval: time.Second})
	if err != nil || r.count != 3 || r.interval != time.Second {
		t.Errorf("options not kept: %v, %+v", err, r)
	}
}

func TestGrepMatch(t *testing.T) {
	line := "2: eth0    inet 198.18.0.110/24 brd 198.18.0.255 scope global eth0"
	for pat, want := range map[string]bool{
		"198.18.0.11":  true, // grep's prefix and dot: IPaddr2 matches 198.18.0.110
		"198.18.0.1.0": true, // "." is any character
		"198x18":       false,
		"198.18.0.12":  false,
		"eth0":         true,
		"linkdown":     false,
		"[eth":         false,
	} {
		if got := grepMatch(line, pat); got != want {
			t.Errorf("grepMatch(%q) = %v", pat, got)
		}
	}
}

// fuzzSystem is a host with eth0 198.18.0.11/24, a default route and
// loopback.
var fuzzSystem = snapshot{
	links: []link{{index: 1, name: "lo", loopback: true}, {index: 2, name: "eth0"}},
	routes: []route{
		{table: rtTableMain, typ: rtnUnicast, proto: protoBoot, dst: netip.MustParsePrefix("0.0.0.0/0"), dev: 2, gw: netip.MustParseAddr("198.18.0.1")},
		{table: rtTableMain, typ: rtnUnicast, scope: scopeLink, proto: 2, dst: netip.MustParsePrefix("198.18.0.0/24"), dev: 2, src: netip.MustParseAddr("198.18.0.11")},
		{table: rtTableLocal, typ: rtnLocal, scope: scopeHost, proto: 2, dst: netip.MustParsePrefix("127.0.0.0/8"), dev: 1, src: netip.MustParseAddr("127.0.0.1")},
	},
	addrs: []address{
		{dev: 1, prefix: netip.MustParsePrefix("127.0.0.1/8"), scope: scopeHost, flags: ifaPermanent, valid: lifeForever, preferred: lifeForever},
		{dev: 2, prefix: netip.MustParsePrefix("198.18.0.11/24"), brd: netip.MustParseAddr("198.18.0.255"), flags: ifaPermanent, valid: lifeForever, preferred: lifeForever},
	},
}

// FuzzNew: no argument makes New panic, and what it accepts is an IPv4
// address with a prefix length it can use.
func FuzzNew(f *testing.F) {
	for _, s := range []string{
		"198.18.0.1", "198.18.0.1/24", "198.18.0.1/24/eth0", "198.18.0.1/24/eth0:1/198.18.0.255",
		"198.18.0.1/255.255.255.0", "198.18.0.1/24/+", "2001:2::1", "1...2.3.4", "198.18.0.1//eth0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, script := range []string{"IPaddr", "IPaddr2"} {
			r, err := New(script, config.ParseIPAddr(arg), Options{})
			if err != nil {
				if r != nil {
					t.Fatalf("%s %q: both a resource and %v", script, arg, err)
				}
				continue
			}
			a := r.a
			if !a.ip.Is4() || a.bits < -1 || a.bits > 32 || a.bits == 0 || (a.brd == brdAddr && !a.bcast.Is4()) {
				t.Fatalf("%s %q accepted as %+v", script, arg, a)
			}
			if a.nic != "" && a.label != "" && len(a.nic)+1+len(a.label) > maxLabel {
				t.Fatalf("%s %q: label %s:%s too long", script, arg, a.nic, a.label)
			}
			_ = r.String()
			// Inference on a small system must not panic either.
			if tg, ferr := findifSh(&a, &fuzzSystem); ferr == nil && (tg.bits < 1 || tg.bits > 32) {
				t.Fatalf("%s %q: findif.sh gave /%d", script, arg, tg.bits)
			}
			if tg, ferr := findifC(&a, &fuzzSystem, a.nicGiven); ferr == nil && (tg.bits < 1 || tg.bits > 32) {
				t.Fatalf("%s %q: findif gave /%d", script, arg, tg.bits)
			}
		}
	})
}

package fenced

import (
	"strings"
	"testing"
)

// FuzzHostMap: any pcmk_host_map or host list parses without panic within
// the caps; every port and target is a substring's worth of the input
// (nothing invented), and a map's nodes stay distinct case-insensitively.
func FuzzHostMap(f *testing.F) {
	for _, s := range []string{"node1:port1;node2:port2", `a\:b:c;d=e f:g\`, "node1 node2,node3\\nnode4", "invalid\nx on off", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		as := ParseHostMap(s)
		if len(as) > MaxAliases {
			t.Fatalf("%d aliases", len(as))
		}
		seen := map[string]bool{}
		for _, a := range as {
			k := strings.ToLower(a.Node)
			if seen[k] {
				t.Fatalf("node %q twice in %q", a.Node, as)
			}
			seen[k] = true
			if a.Node == "" || !strings.Contains(s, a.Node) || len(a.Port) > len(s) {
				t.Fatalf("alias %q not from %q", a, s)
			}
		}
		ts := ParseTargets(s)
		if len(ts) > MaxTargets {
			t.Fatalf("%d targets", len(ts))
		}
		for _, x := range ts {
			if x == "" || !strings.Contains(s, x) {
				t.Fatalf("target %q not from %q", x, s)
			}
		}
		d := newDevice("f", "null", map[string]string{"pcmk_host_map": s, "pcmk_host_list": s})
		for _, a := range as {
			if !d.CanFence(a.Node, nil) {
				t.Fatalf("%q not fenceable by its own map %q", a.Node, s)
			}
		}
	})
}

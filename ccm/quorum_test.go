package ccm

import (
	"strings"
	"testing"
)

func TestQuorumPlugins(t *testing.T) {
	cases := []struct {
		list                  string
		m, mw, n, nw          int
		want, twoNodesDecided bool
	}{
		// observed: 3 nodes, 2 members quorum, 1 member none
		{"", 2, 200, 3, 300, true, false},
		{"", 1, 100, 3, 300, false, false},
		// observed: 2 nodes, one member keeps quorum with the default list
		{"", 1, 100, 2, 200, true, true},
		// … and loses it with majority only (a tie passes on, nothing left)
		{"majority", 1, 100, 2, 200, false, false},
		{"majority", 2, 200, 4, 400, false, false},
		{"majority:twonodes", 2, 200, 4, 400, false, false}, // twonodes says no for 4
		{"majority", 3, 300, 4, 400, true, false},
		{"weight", 1, 300, 3, 400, true, false},
		{"weight", 2, 100, 3, 400, false, false},
		{"weight:majority", 2, 200, 4, 400, false, false}, // tie, then tie
		{"weight:twonodes", 1, 100, 2, 200, true, true},
		{"twonodes:majority", 2, 200, 3, 300, false, false}, // twonodes answers no at once
	}
	for _, c := range cases {
		q, err := ParseQuorum(c.list)
		if err != nil {
			t.Fatal(err)
		}
		got, brk := q.Decide(c.m, c.mw, c.n, c.nw)
		if got != c.want || brk != c.twoNodesDecided {
			t.Errorf("%q %d/%d (w %d/%d): %v %v, want %v %v", c.list, c.m, c.n, c.mw, c.nw, got, brk, c.want, c.twoNodesDecided)
		}
	}
}

func TestQuorumUnknownPlugin(t *testing.T) {
	for _, l := range []string{"majority:quorumd", "majorty", "majority::twonodes"} {
		_, err := ParseQuorum(l)
		if err == nil || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("%q: %v", l, err)
		}
	}
}

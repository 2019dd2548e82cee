package config

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

const hrPath = "/etc/ha.d//haresources"

var hrNodes = []Node{{Name: "node1"}, {Name: "node2"}}

func TestParseHaresources(t *testing.T) {
	in := "# groups\n" +
		"NODE1 10.0.0.10 \\\n" + // 2: continued, node case ignored
		"   Filesystem::/dev/sda1::/data::ext3 # the data\n" + // 3: joined, comment kept by sed
		"node2\tIPaddr2::10.0.0.11/24/eth0:1/10.0.0.255  httpd\n" + // 4
		"\n" +
		"node1 IPaddr::10.0.0.12/255.255.255.0/10.0.0.255 a:b::x::y\n" // 6
	hr, _, err := ParseHaresources(hrPath, []byte(in), hrNodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(hr.Groups) != 3 {
		t.Fatalf("%d groups, want 3", len(hr.Groups))
	}
	g := hr.Groups[0]
	wantTokens := []string{"node1", "10.0.0.10", "Filesystem::/dev/sda1::/data::ext3", "#", "the", "data"}
	if g.Line != 2 || g.Node != "node1" || g.Key() != "10.0.0.10" || !reflect.DeepEqual(g.Tokens, wantTokens) {
		t.Errorf("group 0 = line %d node %q key %q tokens %q", g.Line, g.Node, g.Key(), g.Tokens)
	}
	for _, tc := range []struct {
		r      Resource
		script string
		args   []string
	}{
		{hr.Groups[0].Resources[0], "IPaddr", []string{"10.0.0.10"}},
		{hr.Groups[0].Resources[1], "Filesystem", []string{"/dev/sda1", "/data", "ext3"}},
		{hr.Groups[1].Resources[0], "IPaddr2", []string{"10.0.0.11/24/eth0:1/10.0.0.255"}},
		{hr.Groups[1].Resources[1], "httpd", nil},
		{hr.Groups[2].Resources[1], "a:b", []string{"a:x", "y"}}, // sed's [^:]*:: match
	} {
		if tc.r.Script != tc.script || !reflect.DeepEqual(tc.r.Args, tc.args) {
			t.Errorf("%s: script %q args %q, want %q %q", tc.r.Token, tc.r.Script, tc.r.Args, tc.script, tc.args)
		}
	}
	ip := hr.Groups[1].Resources[0].IP
	want := &IPAddr{IP: "10.0.0.11", Netmask: "24", Iface: "eth0:1", Label: "1", Broadcast: "10.0.0.255",
		Addr: netip.MustParseAddr("10.0.0.11"), Bits: 24, BroadcastAddr: netip.MustParseAddr("10.0.0.255")}
	if !reflect.DeepEqual(ip, want) {
		t.Errorf("IPaddr2 argument = %+v, want %+v", ip, want)
	}
	if hr.Groups[1].Resources[1].IP != nil {
		t.Error("httpd has an IP")
	}
}

func TestParseIPAddr(t *testing.T) {
	for _, tc := range []struct {
		in                string
		ip, mask, nic, bc string
		bits              int
	}{
		{"10.0.0.1", "10.0.0.1", "", "", "", -1},
		{"10.0.0.1/24", "10.0.0.1", "24", "", "", 24},
		{"10.0.0.1/24/eth0", "10.0.0.1", "24", "eth0", "", 24},
		{"10.0.0.1/24/10.0.0.255", "10.0.0.1", "24", "", "10.0.0.255", 24},
		{"10.0.0.1/24/eth0/10.0.0.255", "10.0.0.1", "24", "eth0", "10.0.0.255", 24},
		{"10.0.0.1/255.255.0.0/eth0", "10.0.0.1", "255.255.0.0", "eth0", "", 16},
		{"10.0.0.1/255.0.255.0", "10.0.0.1", "255.0.255.0", "", "", -1},
		{"10.0.0.1//eth0", "10.0.0.1", "eth0", "", "", -1}, // the wrappers eat all slashes
		{"10.0.0.1/33", "10.0.0.1", "33", "", "", -1},
	} {
		got := ParseIPAddr(tc.in)
		if got.IP != tc.ip || got.Netmask != tc.mask || got.Iface != tc.nic || got.Broadcast != tc.bc || got.Bits != tc.bits {
			t.Errorf("ParseIPAddr(%q) = %+v", tc.in, got)
		}
	}
}

func TestIsIP(t *testing.T) {
	for s, want := range map[string]bool{
		"10.0.0.1": true, "10.0.0.1/24/eth0": true, "1a.2.3.4": true, "1.2.3": false,
		"a.1.2.3": false, "IPaddr::1.2.3.4": false, "1...2.3.4": true, "": false,
	} {
		if isIP(s) != want {
			t.Errorf("isIP(%q) = %v", s, !want)
		}
	}
}

func TestHaresourcesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // fatal diagnostics
	}{
		{"unknown node", "node1 a\nnode3 b\nnode4 c\n", []string{
			hrPath + ":2: Bad nodename in " + hrPath + " [node3]",
			hrPath + ":3: Bad nodename in " + hrPath + " [node4] (the line as ResourceManager joins it)"}},
		{"comma is not a separator", "node1,node2 a\n", []string{hrPath + ":1: Bad nodename in " + hrPath + " [node1,node2]"}},
		// heartbeat skips the line after a backslash even when a comment
		// hides the backslash from ResourceManager
		{"hidden line", "node1 a # \\\nnode3 b\n", []string{
			hrPath + ":2: Bad nodename in " + hrPath + " [node3] (the line as ResourceManager joins it)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseHaresources(hrPath, []byte(tc.in), hrNodes)
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestHaresourcesWarnings(t *testing.T) {
	hr, ds, err := ParseHaresources(hrPath, []byte("node1\n"), hrNodes)
	if err != nil || len(hr.Groups) != 1 || hr.Groups[0].Key() != "" {
		t.Fatalf("err %v groups %+v", err, hr)
	}
	if len(ds) != 1 || ds[0].Level != LevelWarn || ds[0].Msg != "No resources for node [node1]" {
		t.Errorf("diagnostics %v", ds)
	}
}

// Two lines with the same first resource: heartbeat 3.0.6 starts with
// them (its ResourceManager then fails the group, see the warning), so hbd
// starts too, warns, and keeps the first line, so that group keys stay
// unique for the master and rsc. hbd used to refuse the file.
func TestHaresourcesDuplicateKey(t *testing.T) {
	in := "node1 10.0.0.1 a\nnode2 b\nnode2 10.0.0.1 c\nnode1 10.0.0.1\n"
	hr, ds, err := ParseHaresources(hrPath, []byte(in), hrNodes)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	var keys []string
	for _, g := range hr.Groups {
		keys = append(keys, fmt.Sprintf("%d:%s:%s", g.Line, g.Node, g.Key()))
	}
	if got := strings.Join(keys, " "); got != "1:node1:10.0.0.1 2:node2:b" {
		t.Errorf("groups %s, want lines 1 and 2 only", got)
	}
	want := []string{
		hrPath + ":3: Duplicate resource group key [10.0.0.1] (first used at line 1): hbd ignores this line; " +
			"heartbeat's ResourceManager would run both lines as one group, this line's node name [node2] " +
			"as a resource script, which fails the group's start and gives the whole group up",
		hrPath + ":4: Duplicate resource group key [10.0.0.1] (first used at line 1): hbd ignores this line; " +
			"heartbeat's ResourceManager would run both lines as one group, this line's node name [node1] " +
			"as a resource script, which fails the group's start and gives the whole group up",
	}
	var got []string
	for _, d := range ds {
		if d.Level != LevelWarn || d.Fatal || !d.Hbd {
			t.Errorf("%v: level %v fatal %v hbd %v, want an hbd warning", d, d.Level, d.Fatal, d.Hbd)
		}
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

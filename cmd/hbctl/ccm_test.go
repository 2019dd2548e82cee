package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/ccm"
)

// serveCCM answers every connection with the pair ccm writes on connect.
func serveCCM(t *testing.T, pair []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ccm")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write(pair)
			defer c.Close()
		}
	}()
	return path
}

// The section cl_status hbstatus -v printed for the real ccm's membership
// (node1 of two, traces/v2-helpers), members by born then index.
func TestCCMClStatusSection(t *testing.T) {
	ev := ccm.Event{Kind: ccm.EventMembership, Instance: 2, Quorum: true,
		Members: []ccm.Member{{Index: 0, Born: 2}, {Index: 1, Born: 1}}}
	path := serveCCM(t, ccm.AppendClientPair(nil, []string{"node1", "node2"}, 0, ev))
	v, err := readCCM(path, 0)
	if err == nil {
		t.Fatal("read with no time to wait succeeded")
	}
	v, err = readCCM(path, 2e9)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	v.writeClStatus(&b)
	want := "\nccm membership with quorum\n\tinstance 2\n\tmembers 2\n\t\t1 node2\t(born: 1)\n\t\t0 node1\t(born: 2)\n\tmember of partition\n"
	if b.String() != want {
		t.Errorf("section\n%q\nwant\n%q", b.String(), want)
	}

	t.Setenv("HBD_CCM_SOCKET", path)
	var out, errb bytes.Buffer
	if rc := ccmCommand(nil, &out, &errb); rc != 0 {
		t.Fatalf("hbctl ccm: rc %d: %s", rc, errb.String())
	}
	if want := "instance:\t2\nquorum:\tyes\nmembers:\t2\n\tnode2\tborn 1\n\tnode1\tborn 2\t(this node)\n"; out.String() != want {
		t.Errorf("hbctl ccm:\n%q\nwant\n%q", out.String(), want)
	}
	t.Setenv("HBD_CCM_SOCKET", path+".none")
	if rc := ccmCommand(nil, &out, &errb); rc != 1 {
		t.Errorf("hbctl ccm without ccm: rc %d", rc)
	}
}

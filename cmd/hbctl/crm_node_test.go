package main

import (
	"bytes"
	"testing"

	"github.com/hbd-ha/hbd/ccm"
)

// crm_node answers from the running node's CCM: -l every node with its
// id and state, -p the partition's members, -n this node, -q quorum (exit
// 108 without); with no CCM, Pacemaker's offline error and exit 102.
func TestCrmNodeFromCCM(t *testing.T) {
	ev := ccm.Event{Kind: ccm.EventMembership, Instance: 3, Quorum: false,
		Members: []ccm.Member{{Index: 1, Born: 1}, {Index: 2, Born: 3}}}
	path := serveCCM(t, ccm.AppendClientPair(nil, []string{"alpha", "beta", "gamma"}, 1, ev))
	t.Setenv("HBD_CCM_SOCKET", path)
	t.Setenv("OCF_RESKEY_CRM_meta_on_node", "")
	for _, tc := range []struct {
		args []string
		out  string
		rc   int
	}{
		{[]string{"-l"}, "1 alpha lost\n2 beta member\n3 gamma member\n", 0},
		{[]string{"-p"}, "beta gamma \n", 0},
		{[]string{"-n"}, "beta\n", 0},
		{[]string{"-i"}, "2\n", 0},
		{[]string{"-q"}, "0\n", 108},
	} {
		var out, errb bytes.Buffer
		if rc := dispatch("crm_node", tc.args, &out, &errb); rc != tc.rc || out.String() != tc.out {
			t.Errorf("crm_node %v: rc %d, %q (%s), want rc %d, %q", tc.args, rc, out.String(), errb.String(), tc.rc, tc.out)
		}
	}
	t.Setenv("HBD_CCM_SOCKET", path+".none")
	var out, errb bytes.Buffer
	if rc := dispatch("crm_node", []string{"-l"}, &out, &errb); rc != 102 ||
		errb.String() != "error: Could not connect to controller: Connection refused\n" {
		t.Errorf("crm_node -l without a node: rc %d, %q", rc, errb.String())
	}
}

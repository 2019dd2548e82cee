package api_test

import (
	"testing"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/wire"
)

func TestClientStatusQuery(t *testing.T) {
	for _, c := range []struct {
		m      *wire.Message
		client string
		ok     bool
	}{
		{msg("t", "query-cstatus", "dest", "node2", "cn", "ipfail", "from_id", "1234"), "ipfail", true},
		{msg("t", "query-cstatus", "dest", "NODE2", "cn", "x", "from_id", "1234"), "x", true},
		{msg("t", "query-cstatus", "dest", "node3", "cn", "x", "from_id", "1234"), "", false}, // for another node (or ours, looped back)
		{msg("t", "query-cstatus", "cn", "x", "from_id", "1234"), "", false},
		{msg("t", "query-cstatus", "dest", "node2", "from_id", "1234"), "", false},
		{msg("t", "query-cstatus", "dest", "node2", "cn", "x"), "", false},
		{msg("t", "respond-cstatus", "dest", "node2", "cn", "x", "from_id", "1234"), "", false},
	} {
		client, from, ok := api.ClientStatusQuery(c.m, "node2")
		if ok != c.ok || (ok && (string(client) != c.client || string(from) != "1234")) {
			t.Errorf("%v: %q %q %v", c.m, client, from, ok)
		}
	}
	var r wire.Message
	api.AppendClientStatusAnswer(&r, "node1", []byte("nosuchclient"), []byte("1234"), api.StatusOffline)
	out, err := wire.AppendClassic(nil, &r)
	// heartbeat's HBDoMsg_T_QCSTATUS, field for field.
	if want := ">>>\nt=respond-cstatus\ndest=node1\nresult=OK\ncn=nosuchclient\nto_id=1234\ncs=offline\n<<<\n"; err != nil || string(out) != want {
		t.Errorf("answer %q (%v), want %q", out, err, want)
	}
}

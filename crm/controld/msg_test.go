package controld

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/wire"
)

func sampleMsgs() []Msg {
	res := Op{Rsc: "ip", Class: "ocf", Provider: "heartbeat", Type: "IPaddr2", Task: "monitor", IntervalMS: 10000,
		Key: "3:7:0:nodea", CallID: 12, RC: 7, Status: 0, LastRCChange: 1700000123, ExecMS: 4, QueueMS: 1,
		Reason: "not running", Digest: "f2317cad3d54cec5d7d7aa7d0bf35cf8"}
	return []Msg{
		{Task: TaskVote, ElectionID: 3, Owner: "nodea", Version: FeatureSet, Born: 7},
		{Task: TaskNoVote, ElectionID: 3, Owner: "nodea"},
		{Task: TaskJoinOffer, JoinID: 4},
		{Task: TaskJoinRequest, JoinID: 4, CIB: cib.Version{AdminEpoch: 1, Epoch: 12, NumUpdates: 345}},
		{Task: TaskSyncFrom, JoinID: 4, CIB: cib.Version{Epoch: 13}},
		{Task: TaskJoinAckNack, JoinID: 4, Ack: true},
		{Task: TaskJoinConfirm, JoinID: 4,
			Ops:   []Op{withID(res, "ip_last_failure_0"), withID(res, "ip_monitor_10000")},
			Attrs: []Attr{{Node: "nodeb", Name: "fail-count-ip#monitor_10000", Value: "1"}}},
		{Task: TaskJoinConfirm, JoinID: 5},
		{Task: TaskLRMInvoke, Op: Op{Rsc: "ip", Class: "ocf", Provider: "heartbeat", Type: "IPaddr2", Task: "start", Key: "2:7:0:nodea", TimeoutMS: 20000}},
		{Task: TaskLRMResult, Op: res},
		{Task: TaskAttrUpdate, Attrs: []Attr{{Node: "nodeb", Name: "standby", Value: "on", Forever: true}}},
		{Task: TaskAttrSet, Attrs: []Attr{{Node: "nodeb", Name: "pingd", Delete: true}}},
		{Task: TaskShutdown},
	}
}

func withID(o Op, id string) Op { o.ID = id; return o }

// Every message survives heartbeat's netstring form, and encoding the
// decoded message gives the same bytes.
func TestMsgRoundTrip(t *testing.T) {
	for _, msg := range sampleMsgs() {
		var m wire.Message
		if err := msg.Encode(&m); err != nil {
			t.Fatalf("%s: %v", msg.Task, err)
		}
		m.AddString(FieldSrc, "nodeb")
		enc, err := wire.AppendNetstring(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		var back wire.Message
		if _, err := back.Decode(enc); err != nil {
			t.Fatal(err)
		}
		var got Msg
		if err := got.Decode(&back); err != nil {
			t.Fatalf("%s: %v\n%q", msg.Task, err, enc)
		}
		if got.Src != "nodeb" {
			t.Errorf("%s: src %q", msg.Task, got.Src)
		}
		got.Src = ""
		if len(got.Ops) == 0 {
			got.Ops = nil
		}
		if len(got.Attrs) == 0 {
			got.Attrs = nil
		}
		if !reflect.DeepEqual(got, msg) {
			t.Errorf("%s:\n got %+v\nwant %+v", msg.Task, got, msg)
		}
		var again wire.Message
		if err := got.Encode(&again); err != nil {
			t.Fatal(err)
		}
		again.AddString(FieldSrc, "nodeb")
		enc2, _ := wire.AppendNetstring(nil, &again)
		if !bytes.Equal(enc, enc2) {
			t.Errorf("%s: re-encoding differs:\n%q\n%q", msg.Task, enc, enc2)
		}
	}
}

// What a peer sends wrong is refused with the field named, never taken
// half-read.
func TestMsgDecodeRefuses(t *testing.T) {
	build := func(fields ...string) *wire.Message {
		var m wire.Message
		for i := 0; i+1 < len(fields); i += 2 {
			m.AddString(fields[i], fields[i+1])
		}
		return &m
	}
	cases := []struct {
		m    *wire.Message
		want string
	}{
		{build("t", "ccm"), "not a controller message"},
		{build("t", "crmd", "crm_task", "dance"), "unknown crm_task"},
		{build("t", "crmd", "crm_task", "join_offer"), "missing field join_id"},
		{build("t", "crmd", "crm_task", "join_offer", "join_id", "07"), "canonical"},
		{build("t", "crmd", "crm_task", "join_offer", "join_id", "99999999999"), "out of range"},
		{build("t", "crmd", "crm_task", "join_ack_nack", "join_id", "1", "ack", "yes"), "not 0 or 1"},
		{build("t", "crmd", "crm_task", "join_offer", "join_id", "1", "extra", "x"), "unexpected field"},
		{build("t", "crmd", "crm_task", "join_request", "join_id", "1"), "missing field admin_epoch"},
		{build("t", "crmd", "crm_task", "vote", "election-id", "1", "election-owner", "a\x13b", "crm_feature_set", "3", "born", "1"), "control character"},
		{build("t", "crmd", "crm_task", "attr_set", "attr_name", "a", "attr_host", "n", "attr_value", "v", "attr_section", "crm_config", "attr_delete", "0"), "neither status nor nodes"},
	}
	for _, c := range cases {
		var msg Msg
		err := msg.Decode(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.m, err, c.want)
		}
	}
	var m wire.Message
	bad := Msg{Task: TaskVote, Owner: "a\nb"}
	if err := bad.Encode(&m); err == nil {
		t.Error("an owner holding LF was encoded")
	}
	if err := (&Msg{Task: TaskAttrSet}).Encode(&m); err == nil {
		t.Error("attr_set without an attribute was encoded")
	}
}

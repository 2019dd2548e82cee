package node

import (
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/rsc/lrm"
)

// The LRM's results carry no transition key: the driver gives each the
// key of its request, reports a recurring monitor when its result
// changes only, and drops cancellations and other clients' operations.
func TestCRMResult(t *testing.T) {
	s := crmState{ops: map[int]*crmOp{}}
	mon := controld.Op{Rsc: "d1", Class: "ocf", Provider: "heartbeat", Type: "Dummy", Task: "monitor", IntervalMS: 2000,
		Key: "3:2:0:uuid"}
	s.ops[7] = &crmOp{req: mon}
	s.ops[8] = &crmOp{req: controld.Op{Rsc: "d1", Task: "start", Key: "2:2:0:uuid"}}
	at := time.Unix(1700000000, 0)
	run := func(call, rc int, st lrm.OpStatus, recurring bool) (controld.Op, bool) {
		return s.result(&lrm.Result{CallID: call, Rsc: "d1", RC: rc, Status: st, Recurring: recurring, RCChange: at,
			ExecTime: 12 * time.Millisecond, Digest: "abc"})
	}
	if o, ok := run(8, 0, lrm.StatusDone, false); !ok || o.Key != "2:2:0:uuid" || o.Task != "start" || o.CallID != 8 ||
		o.ExecMS != 12 || o.Digest != "abc" || o.LastRCChange != at.Unix() {
		t.Errorf("start: %+v %v", o, ok)
	}
	if _, ok := s.ops[8]; ok {
		t.Error("a finished operation is still kept")
	}
	if o, ok := run(7, 0, lrm.StatusDone, true); !ok || o.Key != mon.Key || o.IntervalMS != 2000 || o.Class != "ocf" {
		t.Errorf("first monitor: %+v %v", o, ok)
	}
	if o, ok := run(7, 0, lrm.StatusDone, true); ok {
		t.Errorf("a repeated monitor result was reported: %+v", o)
	}
	if o, ok := run(7, 7, lrm.StatusDone, true); !ok || o.RC != 7 {
		t.Errorf("a monitor finding the resource stopped: %+v %v", o, ok)
	}
	if o, ok := run(7, 0, lrm.StatusCancelled, false); ok {
		t.Errorf("a cancellation was reported: %+v", o)
	}
	if o, ok := run(99, 0, lrm.StatusDone, false); ok {
		t.Errorf("another client's operation was reported: %+v", o)
	}
}

// A resource is declared to the LRM with its primitive's instance
// attributes; a clone's instance (id:N) takes its primitive's.
func TestCRMParams(t *testing.T) {
	c, err := cib.ParseCIB([]byte(`<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>
<crm_config/><nodes/><resources>
<primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="ip-a"><nvpair id="ip-a-1" name="ip" value="198.18.0.100"/><nvpair id="ip-a-2" name="cidr_netmask" value="24"/></instance_attributes></primitive>
<clone id="c"><primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d-a"><nvpair id="d-a-1" name="fake" value="x"/></instance_attributes></primitive></clone>
</resources><constraints/></configuration><status/></cib>`))
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{}
	n.crm.cib = c
	if got := n.crmParams("ip"); !slices.Equal(got, []lrm.Param{{Name: "ip", Value: "198.18.0.100"}, {Name: "cidr_netmask", Value: "24"}}) {
		t.Errorf("ip: %v", got)
	}
	if got := n.crmParams("d:1"); !slices.Equal(got, []lrm.Param{{Name: "fake", Value: "x"}}) {
		t.Errorf("d:1: %v", got)
	}
	if got := n.crmParams("none"); got != nil {
		t.Errorf("none: %v", got)
	}
}

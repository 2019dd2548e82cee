package node

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

const ipcTestCIB = `<cib admin_epoch="0" epoch="5" num_updates="3" validate-with="pacemaker-3.9"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o-a" name="a" value="1"/><nvpair id="o-b" name="b" value="2"/></cluster_property_set></crm_config>
<nodes/><resources/><constraints/></configuration><status/></cib>`

// The DC applies the tools' writes as Pacemaker's cib manager: the epoch
// bumped on a configuration change, cib-last-written stamped, an xpath
// delete of the first or every match, a refused request leaving the CIB
// as it was.
func TestApplyCIBRequest(t *testing.T) {
	c, err := cib.ParseCIB([]byte(ipcTestCIB))
	if err != nil {
		t.Fatal(err)
	}
	stamp := "Mon Dec  7 11:00:00 2026"
	res, err := applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpModify, Section: "crm_config",
		Data: []byte(`<cluster_property_set id="o"><nvpair id="o-c" name="c" value="3"/></cluster_property_set>`)}, stamp)
	if err != nil || !res.ConfigChanged {
		t.Fatalf("modify: %v %+v", err, res)
	}
	if v := c.Version(); v.Epoch != 6 || v.NumUpdates != 0 || c.Root.Get("cib-last-written") != stamp {
		t.Errorf("after modify: version %v, last written %q", v, c.Root.Get("cib-last-written"))
	}
	if c.FindID("o-c") == nil || c.FindID("o-a") == nil {
		t.Errorf("modify lost or did not add: %s", c.Bytes())
	}
	if _, err := applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpXPathDelete, XPath: "//nvpair"}, stamp); err != nil {
		t.Fatal(err)
	}
	if c.FindID("o-a") != nil || c.FindID("o-b") == nil {
		t.Errorf("xpath delete of the first match: %s", c.Bytes())
	}
	if _, err := applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpXPathDelete, XPath: "//nvpair", All: true}, stamp); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.Bytes()), "<nvpair") {
		t.Errorf("xpath delete of every match: %s", c.Bytes())
	}
	before := string(c.Bytes())
	_, err = applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpCreate, Section: "resources", Data: []byte(`<primitive/>`)}, stamp)
	if err == nil || string(c.Bytes()) != before {
		t.Errorf("a bad create: %v; CIB changed %v", err, string(c.Bytes()) != before)
	}
	rc, _ := cibCode(err)
	if cib.Code(rc) == cib.OK {
		t.Error("a refused request answered OK")
	}
	e := c.Version().Epoch
	if _, err := applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpBump}, stamp); err != nil || c.Version().Epoch != e+1 {
		t.Errorf("bump: %v, epoch %d after %d", err, c.Version().Epoch, e)
	}
	if _, err := applyCIBRequest(c, &cibipc.Request{Op: cibipc.OpModify, Data: []byte("<x")}, stamp); err == nil {
		t.Error("XML that does not parse was applied")
	}
}

// A request forwarded to a DC that is lost fails at once (the tool may
// retry) and frees its client's slot; a reply for it arriving later
// matches nothing; a request to the DC still in office stays.
func TestCIBForwardDCLost(t *testing.T) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := &Node{loop: l}
	n.drv.turn.Init(func(int64) {})
	n.crm.c = controld.New(controld.Config{Local: "node1"}) // no DC yet
	s := &n.crm.ipc
	s.pending, s.perConn = map[uint64]*cibPending{}, map[*ipc.Conn]int{}
	for id, dc := range map[uint64]string{7: "node2", 8: "node2", 9: ""} {
		p := &cibPending{callID: id, dc: dc}
		p.timer.Init(func(int64) { t.Errorf("request %d timed out", id) })
		l.After(&p.timer, time.Hour)
		s.pending[id] = p
	}
	n.cibDCChanged()
	if len(s.pending) != 1 || s.pending[9] == nil {
		t.Fatalf("pending after the DC was lost: %v", s.pending)
	}
	var m wire.Message
	m.AddString(wire.FieldType, typeCIBReply)
	m.Add(fieldCIBOp, wire.Binary, cibipc.AppendReply(nil, &cibipc.Reply{CallID: 7}))
	n.cibReplyMessage(&master.Event{NodeName: "node2"}, &m)
	for _, fn := range n.drv.queue {
		fn()
	}
	if len(s.pending) != 1 {
		t.Errorf("a late reply changed the pending requests: %v", s.pending)
	}
	// The answer to the one in flight ends it and stops its timer.
	n.drv.queue = nil
	m.Reset()
	m.AddString(wire.FieldType, typeCIBReply)
	m.Add(fieldCIBOp, wire.Binary, cibipc.AppendReply(nil, &cibipc.Reply{CallID: 9}))
	n.cibReplyMessage(&master.Event{NodeName: "node3"}, &m)
	for _, fn := range n.drv.queue {
		fn()
	}
	if len(s.pending) != 0 {
		t.Errorf("answered request still pending: %v", s.pending)
	}
}

package node

import (
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
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

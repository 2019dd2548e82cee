package mon

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe"
)

// FuzzRender: no CIB that parses and unpacks makes crm_mon's text or XML
// rendering panic, and the XML is one document that parses again.
func FuzzRender(f *testing.F) {
	if data, err := os.ReadFile("testdata/status.xml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<cib><configuration><crm_config/><nodes><node id="1" uname="a"/></nodes><resources><clone id="c"><group id="g"><primitive id="p" class="ocf" provider="x" type="y"/></group></clone></resources><constraints><rsc_location id="l" rsc="c" node="a" score="-INFINITY"/></constraints></configuration><status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="p:0" class="ocf" provider="x" type="y"><lrm_rsc_op id="p_last_0" operation_key="p_monitor_0" operation="monitor" transition-key="1:1:7:x" call-id="1" rc-code="5" op-status="0" interval="0" on_node="a"/></lrm_resource></lrm_resources></lrm></node_state><tickets><ticket_state id="t" granted="true"/></tickets></status></cib>`))
	now := time.Date(2024, 1, 2, 11, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := pe.ParseXML(data)
		if err != nil {
			return
		}
		c, err := pe.Unpack(root, now.Unix())
		if err != nil {
			return
		}
		o := Options{Inactive: true, FailCounts: true, Attributes: true, Updated: now}
		Text(root, c, o)
		ResourceList(root, c)
		x := XML(root, c, o, "crm_mon --output-as=xml")
		if _, err := pe.ParseXML([]byte(x)); err != nil && !strings.Contains(err.Error(), "limit") {
			t.Fatalf("XML output does not parse: %v\n%s", err, x)
		}
	})
}

package cib

import (
	"fmt"
	"strings"
	"testing"
)

// bigCIB is n primitives with a monitor each, on 16 nodes, and a status
// section with one operation per resource.
func bigCIB(n int) string {
	var b strings.Builder
	b.WriteString(`<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes>`)
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, `<node id="n%d" uname="n%d"/>`, i, i)
	}
	b.WriteString(`</nodes><resources>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<primitive id="r%d" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="r%d-mon" name="monitor" interval="10s"/></operations></primitive>`, i, i)
	}
	b.WriteString(`</resources><constraints/></configuration><status>`)
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, `<node_state id="n%d" uname="n%d"><lrm id="n%d"><lrm_resources>`, i, i, i)
		for j := i; j < n; j += 16 {
			fmt.Fprintf(&b, `<lrm_resource id="r%d" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="r%d_last_0" operation="start" call-id="%d" rc-code="0" op-status="0" interval="0"/></lrm_resource>`, j, j, j)
		}
		b.WriteString(`</lrm_resources></lrm></node_state>`)
	}
	b.WriteString(`</status></cib>`)
	return b.String()
}

// BenchmarkApplyStatusUpdate is the controller's commonest write: one
// attribute of one node's state, on a CIB of 1000 resources.
func BenchmarkApplyStatusUpdate(b *testing.B) {
	c, err := ParseCIB([]byte(bigCIB(1000)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		upd := NewElement("node_state", "id", "n3", "crmd", fmt.Sprint(i))
		if _, err := c.Apply(Request{Op: OpModify, Section: "status", Data: upd}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse1000(b *testing.B) {
	data := []byte(bigCIB(1000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

package fenced

import (
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

// BenchmarkBuild: the table is rebuilt on the loop when the configuration
// changes (node/crm_fence.go), so its cost is a loop stall.
func BenchmarkBuild(b *testing.B) {
	root, err := cib.Parse([]byte(strings.Replace(tableCIB, "%TOPOLOGY%", `<fencing-topology>
<fencing-level id="l1" target="node2" index="1" devices="pdu,ssh"/>
<fencing-level id="p" target-pattern="node[0-9]" index="1" devices="any"/>
</fencing-topology>`, 1)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(root, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlan(b *testing.B) {
	root, err := cib.Parse([]byte(strings.Replace(tableCIB, "%TOPOLOGY%", "", 1)))
	if err != nil {
		b.Fatal(err)
	}
	tb, err := Build(root, 0)
	if err != nil {
		b.Fatal(err)
	}
	hosts := func(string) ([]string, bool) { return []string{"node2", "node3"}, true }
	b.ReportAllocs()
	for b.Loop() {
		tb.Plan("node2", hosts)
	}
}

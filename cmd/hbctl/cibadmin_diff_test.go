package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

// TestPatchsetsAsPacemaker: for CIBs changed by cibadmin's requests,
// crm/cib's v2 patchset is the one Pacemaker 2.1.5's crm_diff makes,
// crm/cib applies crm_diff's patchset to the same result, and crm_diff
// applies crm/cib's.
func TestPatchsetsAsPacemaker(t *testing.T) {
	crmDiff, err := exec.LookPath("crm_diff")
	if err != nil {
		t.Skip("Pacemaker's crm_diff is not installed (apt-get install pacemaker-cli-utils)")
	}
	el := func(s string) *cib.Element {
		e, err := cib.Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	base, err := cib.ParseCIB([]byte(`<cib crm_feature_set="3.16.1" admin_epoch="0" epoch="1" num_updates="25" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes><resources><primitive id="d0" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>`))
	if err != nil {
		t.Fatal(err)
	}
	steps := [][]cib.Request{
		{{Op: cib.OpCreate, Section: "resources", Data: el(`<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>`)},
			{Op: cib.OpCreate, Section: "status", Data: el(`<node_state id="n1" uname="n1"/>`)}},
		{{Op: cib.OpModify, Data: el(`<node id="n1" description="x"/>`)}},
		{{Op: cib.OpReplace, Section: "resources", Data: el(`<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="d0" class="ocf" provider="heartbeat" type="Dummy"/></resources>`)}},
		{{Op: cib.OpDelete, Data: el(`<node id="n2"/>`)}, {Op: cib.OpModify, Data: el(`<cib have-quorum="1"/>`)}},
		{{Op: cib.OpReplace, Data: el(`<node id="n1" uname="n1"/>`)},
			{Op: cib.OpCreate, Section: "constraints", Data: el(`<rsc_location id="l" rsc="d0" node="n1" score="5"/>`)}},
	}
	dir := t.TempDir()
	old := base
	for i, reqs := range steps {
		cur := old.Clone()
		for _, r := range reqs {
			if _, err := cur.Apply(r); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		of, nf, pf := filepath.Join(dir, "old.xml"), filepath.Join(dir, "new.xml"), filepath.Join(dir, "patch.xml")
		os.WriteFile(of, old.Bytes(), 0o600)
		os.WriteFile(nf, cur.Bytes(), 0o600)
		theirs, _ := exec.Command(crmDiff, "-o", of, "-n", nf).Output() // exits 1 when they differ
		mine := cib.Diff(old.Root, cur.Root)
		if string(mine.Format()) != string(theirs) {
			t.Errorf("step %d: patchset\n%s\ncrm_diff's\n%s", i, mine.Format(), theirs)
		}
		tp, err := cib.Parse(theirs)
		if err != nil {
			t.Fatalf("step %d: crm_diff's patch: %v", i, err)
		}
		applied := old.Clone()
		if err := applied.ApplyPatch(tp); err != nil || !applied.Root.Equal(cur.Root) {
			t.Errorf("step %d: crm_diff's patch applied: %v\n%s\nwant\n%s", i, err, applied.Bytes(), cur.Bytes())
		}
		os.WriteFile(pf, mine.Format(), 0o600)
		out, err := exec.Command(crmDiff, "-o", of, "-p", pf).Output()
		if err != nil {
			t.Errorf("step %d: crm_diff -p of crm/cib's patch: %v", i, err)
		} else if got, err := cib.Parse(out); err != nil || !got.Equal(cur.Root) {
			t.Errorf("step %d: crm_diff applied crm/cib's patch as\n%s\nwant\n%s", i, out, cur.Bytes())
		}
		old = cur
	}
}

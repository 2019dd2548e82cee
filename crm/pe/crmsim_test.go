package pe

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// genCIB draws a small core-tier cluster: 2–4 nodes (one may be in
// standby), primitives and a group, location scores, colocations,
// orderings and stickiness, with no history (everything stopped).
func genCIB(r *rand.Rand) string {
	var b strings.Builder
	nNodes := 2 + r.IntN(3)
	nodes := make([]string, nNodes)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("node%d", i+1)
	}
	b.WriteString(`<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" dc-uuid="node1" validate-with="pacemaker-3.0">` + "\n<configuration>\n<crm_config><cluster_property_set id=\"opts\">")
	b.WriteString(`<nvpair id="opt1" name="stonith-enabled" value="false"/>`)
	if r.IntN(2) == 0 {
		b.WriteString(`<nvpair id="opt2" name="symmetric-cluster" value="false"/>`)
	}
	b.WriteString("</cluster_property_set></crm_config>\n<nodes>\n")
	for i, n := range nodes {
		fmt.Fprintf(&b, `<node id="%s" uname="%s">`, n, n)
		if i > 0 && r.IntN(4) == 0 {
			fmt.Fprintf(&b, `<instance_attributes id="%s-a"><nvpair id="%s-sb" name="standby" value="on"/></instance_attributes>`, n, n)
		}
		b.WriteString("</node>\n")
	}
	b.WriteString("</nodes>\n<resources>\n")
	var rscs []string
	prim := func(id string) string {
		meta := ""
		if r.IntN(3) == 0 {
			meta = fmt.Sprintf(`<meta_attributes id="%s-m"><nvpair id="%s-st" name="resource-stickiness" value="%d"/></meta_attributes>`, id, id, r.IntN(200))
		}
		return fmt.Sprintf(`<primitive id="%s" class="ocf" provider="heartbeat" type="Dummy">%s<operations><op id="%s-mon" name="monitor" interval="10s"/></operations></primitive>`, id, meta, id)
	}
	nPrim := 2 + r.IntN(4)
	for i := 0; i < nPrim; i++ {
		id := fmt.Sprintf("r%d", i+1)
		rscs = append(rscs, id)
		b.WriteString(prim(id) + "\n")
	}
	if r.IntN(2) == 0 {
		b.WriteString(`<group id="g1">` + prim("g1a") + prim("g1b") + "</group>\n")
		rscs = append(rscs, "g1")
	}
	// Clones are drawn from their own stream, so that the other draws of
	// a seed stay what they were before clones were added.
	rc := rand.New(rand.NewPCG(r.Uint64(), 7))
	var promotable []string
	if rc.IntN(2) == 0 {
		meta := fmt.Sprintf(`<meta_attributes id="cl1-m"><nvpair id="cl1-il" name="interleave" value="%t"/>`, rc.IntN(2) == 0)
		agent := `class="ocf" provider="heartbeat" type="Dummy"`
		if rc.IntN(2) == 0 {
			meta += `<nvpair id="cl1-p" name="promotable" value="true"/>`
			agent = `class="ocf" provider="pacemaker" type="Stateful"`
			promotable = append(promotable, "cl1")
		}
		if rc.IntN(3) == 0 {
			meta += fmt.Sprintf(`<nvpair id="cl1-max" name="clone-max" value="%d"/>`, 1+rc.IntN(nNodes))
		}
		meta += "</meta_attributes>"
		fmt.Fprintf(&b, `<clone id="cl1">%s<primitive id="cp" %s><operations><op id="cp-mon" name="monitor" interval="10s"/></operations></primitive></clone>`+"\n", meta, agent)
		rscs = append(rscs, "cl1")
	}
	b.WriteString("</resources>\n<constraints>\n")
	scores := []string{"INFINITY", "-INFINITY", "100", "-50", "10", "0", "500"}
	for i := 0; i < 1+r.IntN(4); i++ {
		fmt.Fprintf(&b, `<rsc_location id="l%d" rsc="%s" node="%s" score="%s"/>`+"\n", i, rscs[r.IntN(len(rscs))], nodes[r.IntN(nNodes)], scores[r.IntN(len(scores))])
	}
	for i := 0; i < r.IntN(3); i++ {
		a, c := rscs[r.IntN(len(rscs))], rscs[r.IntN(len(rscs))]
		if a == c {
			continue
		}
		fmt.Fprintf(&b, `<rsc_colocation id="c%d" rsc="%s" with-rsc="%s" score="%s"/>`+"\n", i, a, c, scores[r.IntN(len(scores)-1)])
	}
	for i := 0; i < r.IntN(3); i++ {
		a, c := rscs[r.IntN(len(rscs))], rscs[r.IntN(len(rscs))]
		if a == c {
			continue
		}
		kind := []string{"Mandatory", "Optional"}[r.IntN(2)]
		fmt.Fprintf(&b, `<rsc_order id="ord%d" first="%s" then="%s" kind="%s"/>`+"\n", i, a, c, kind)
	}
	for i, cl := range promotable {
		if rc.IntN(2) == 0 {
			fmt.Fprintf(&b, `<rsc_location id="lp%d" rsc="%s"><rule id="lp%d-r" role="Master" score="%s"><expression id="lp%d-e" attribute="#uname" operation="eq" value="%s"/></rule></rsc_location>`+"\n",
				i, cl, i, scores[rc.IntN(len(scores))], i, nodes[rc.IntN(nNodes)])
		}
		if rc.IntN(2) == 0 {
			fmt.Fprintf(&b, `<rsc_colocation id="cp%d" rsc="%s" with-rsc="%s" with-rsc-role="Master" score="%s"/>`+"\n", i, rscs[rc.IntN(nPrim)], cl, scores[rc.IntN(len(scores)-1)])
		}
	}
	b.WriteString("</constraints>\n</configuration>\n<status>\n")
	for _, n := range nodes {
		fmt.Fprintf(&b, `<node_state id="%s" uname="%s" in_ccm="true" crmd="online" join="member" expected="member"/>`+"\n", n, n)
	}
	b.WriteString("</status>\n</cib>\n")
	return b.String()
}

// crmSimulate runs Pacemaker's scheduler on a CIB file and returns its
// text output.
func crmSimulate(t *testing.T, bin, file string, extra ...string) (string, bool) {
	t.Helper()
	shadow := t.TempDir()
	args := append([]string{"-S", "-x", file}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CIB_shadow_dir="+shadow, "LC_ALL=C")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// A transition the simulator cannot complete (an ordering loop
		// among mandatory constraints) says nothing about placement:
		// such inputs are redrawn, as the spec's generator does.
		if strings.Contains(stderr.String()+string(out), "Transition failed") {
			t.Logf("%s: crm_simulate could not complete the transition; skipped", filepath.Base(file))
			return "", false
		}
		t.Fatalf("crm_simulate %v: %v\n%s", args, err, stderr.String())
	}
	return string(out), true
}

// TestDifferentialCrmSimulate compares hbd's answer with the real
// crm_simulate on generated CIBs: first a fresh cluster, then the settled
// cluster (its history written by crm_simulate itself, so the operation
// digests are Pacemaker's) after a location change.
func TestDifferentialCrmSimulate(t *testing.T) {
	bin, err := exec.LookPath("crm_simulate")
	if err != nil {
		t.Skip("crm_simulate not installed (Debian: pacemaker-cli-utils)")
	}
	n := 12
	if testing.Short() {
		n = 3
	}
	if v, err := strconv.Atoi(os.Getenv("HBD_PCMK_DIFF_N")); err == nil && v > 0 {
		n = v
	}
	from := 1
	if v, err := strconv.Atoi(os.Getenv("HBD_PCMK_DIFF_FROM")); err == nil && v > 0 {
		from = v
	}
	// HBD_PCMK_DIFF_DIR keeps the generated files (to turn a disagreement
	// into a regression case).
	dir := os.Getenv("HBD_PCMK_DIFF_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	disagree := 0
	for seed := from; seed < from+n; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 18))
		cib := genCIB(r)
		file := filepath.Join(dir, fmt.Sprintf("gen-%d.xml", seed))
		if err := os.WriteFile(file, []byte(cib), 0o644); err != nil {
			t.Fatal(err)
		}
		settled := filepath.Join(dir, fmt.Sprintf("gen-%d-settled.xml", seed))
		want, ok := crmSimulate(t, bin, file, "--save-output", settled)
		if !ok {
			continue
		}
		if !compareWithPacemaker(t, fmt.Sprintf("seed %d fresh", seed), file, want) {
			disagree++
		}
		// Settled history, then a node goes into standby.
		data, err := os.ReadFile(settled)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(data), `<node id="node2" uname="node2"/>`,
			`<node id="node2" uname="node2"><instance_attributes id="n2-sb"><nvpair id="n2-sb-1" name="standby" value="on"/></instance_attributes></node>`, 1)
		file2 := filepath.Join(dir, fmt.Sprintf("gen-%d-step2.xml", seed))
		if err := os.WriteFile(file2, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		want2, ok := crmSimulate(t, bin, file2)
		if !ok {
			continue
		}
		if !compareWithPacemaker(t, fmt.Sprintf("seed %d settled+standby", seed), file2, want2) {
			disagree++
		}
	}
	if disagree > 0 {
		t.Errorf("%d of %d answers disagree with crm_simulate", disagree, 2*n)
	}
}

func compareWithPacemaker(t *testing.T, what, file, pcmkOut string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	groups := pecase.Groups(data)
	want := pecase.Normalize(pcmkOut, groups, false)
	got, err := runCase(pecase.Case{Name: what, CIB: data}, time.Now().Unix())
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s (%s) disagrees:\n hbd: %s\npcmk: %s", what, file, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
		return false
	}
	return true
}

// TestMakeRegressionCase (HBD_PCMK_MKCASE=FILE.xml, HBD_PCMK_MKCASE_NAME)
// turns a CIB into a case under testdata/cases: the CIB and crm_simulate's
// answer in canonical form.
func TestMakeRegressionCase(t *testing.T) {
	file, name := os.Getenv("HBD_PCMK_MKCASE"), os.Getenv("HBD_PCMK_MKCASE_NAME")
	if file == "" || name == "" {
		t.Skip("set HBD_PCMK_MKCASE=FILE and HBD_PCMK_MKCASE_NAME=NAME to write a regression case")
	}
	bin, err := exec.LookPath("crm_simulate")
	if err != nil {
		t.Skip("crm_simulate not installed")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := crmSimulate(t, bin, file)
	if !ok {
		t.Fatal("crm_simulate gave no answer")
	}
	want := pecase.Normalize(out, pecase.Groups(data), false)
	dir := filepath.Join("testdata", os.Getenv("HBD_PCMK_MKCASE_DIR"), name)
	if os.Getenv("HBD_PCMK_MKCASE_DIR") == "" {
		dir = filepath.Join("testdata", "cases", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cib.xml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.txt"), []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

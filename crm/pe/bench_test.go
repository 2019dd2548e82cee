package pe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchSizes are the generated clusters of the measurement
// (nodes × resources), and a small one for its goal of under a
// millisecond with 2–8 nodes and tens of resources.
var benchSizes = []struct{ nodes, rscs int }{{4, 30}, {8, 100}, {16, 400}, {32, 1000}, {64, 2000}}

// genBenchCIB draws a fresh cluster of nodes × rscs primitives (a third of
// them in groups of three), with location preferences, colocations and
// orderings that only point back to earlier resources (no loops), fencing
// off and no history: every resource is probed on every node, then
// started. The same file feeds Schedule and crm_simulate -R -x.
func genBenchCIB(nodes, rscs int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, uint64(nodes*100000+rscs)))
	var b strings.Builder
	b.WriteString(`<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" dc-uuid="node1" validate-with="pacemaker-3.0">` + "\n<configuration>\n")
	b.WriteString(`<crm_config><cluster_property_set id="opts"><nvpair id="opt1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` + "\n<nodes>\n")
	for i := 1; i <= nodes; i++ {
		fmt.Fprintf(&b, `<node id="node%d" uname="node%d"/>`+"\n", i, i)
	}
	b.WriteString("</nodes>\n<resources>\n")
	prim := func(id string) string {
		return fmt.Sprintf(`<primitive id="%s" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="%s-mon" name="monitor" interval="10s"/></operations></primitive>`, id, id)
	}
	var top []string // top-level resource ids, in order
	n := 0
	for n < rscs {
		if rscs-n >= 3 && r.IntN(9) < 1 {
			g := fmt.Sprintf("g%d", len(top)+1)
			b.WriteString(`<group id="` + g + `">`)
			for m := 0; m < 3; m++ {
				b.WriteString(prim(fmt.Sprintf("%s-m%d", g, m)))
			}
			b.WriteString("</group>\n")
			top = append(top, g)
			n += 3
			continue
		}
		id := fmt.Sprintf("r%d", len(top)+1)
		b.WriteString(prim(id) + "\n")
		top = append(top, id)
		n++
	}
	b.WriteString("</resources>\n<constraints>\n")
	scores := []string{"100", "200", "-100", "50", "INFINITY", "-INFINITY"}
	for i, id := range top {
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, `<rsc_location id="loc%d" rsc="%s" node="node%d" score="%s"/>`+"\n", i, id, 1+r.IntN(nodes), scores[r.IntN(4)])
		}
		if i > 0 && r.IntN(8) == 0 {
			with := top[r.IntN(i)]
			sc := []string{"INFINITY", "500", "-500"}[r.IntN(3)]
			fmt.Fprintf(&b, `<rsc_colocation id="col%d" rsc="%s" with-rsc="%s" score="%s"/>`+"\n", i, id, with, sc)
		}
		if i > 0 && r.IntN(8) == 0 {
			first := top[r.IntN(i)]
			kind := []string{"Mandatory", "Optional"}[r.IntN(2)]
			fmt.Fprintf(&b, `<rsc_order id="ord%d" first="%s" then="%s" kind="%s"/>`+"\n", i, first, id, kind)
		}
	}
	b.WriteString("</constraints>\n</configuration>\n<status>\n")
	for i := 1; i <= nodes; i++ {
		fmt.Fprintf(&b, `<node_state id="node%d" uname="node%d" in_ccm="true" crmd="online" join="member" expected="member"/>`+"\n", i, i)
	}
	b.WriteString("</status>\n</cib>\n")
	return b.String()
}

func scheduleCIB(tb testing.TB, data []byte) *Result {
	root, err := ParseXML(data)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := Unpack(root, 1700000000)
	if err != nil {
		tb.Fatal(err)
	}
	return Schedule(c)
}

// BenchmarkSchedule measures the policy engine (parse, unpack, schedule)
// on the generated clusters.
func BenchmarkSchedule(b *testing.B) {
	for _, sz := range benchSizes {
		data := []byte(genBenchCIB(sz.nodes, sz.rscs, 1))
		b.Run(fmt.Sprintf("%dx%d", sz.nodes, sz.rscs), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				scheduleCIB(b, data)
			}
		})
	}
}

// TestBenchGeneratedCIBs checks that the generated clusters schedule: every
// resource placed (the constraints leave each one somewhere to run).
func TestBenchGeneratedCIBs(t *testing.T) {
	res := scheduleCIB(t, []byte(genBenchCIB(8, 100, 1)))
	placed := 0
	for p, fs := range res.Final {
		if len(fs.Nodes) > 0 {
			placed++
		} else if !strings.HasPrefix(p.ID, "r") && !strings.HasPrefix(p.ID, "g") {
			t.Errorf("unexpected resource %s", p.ID)
		}
	}
	if placed < 50 {
		t.Errorf("only %d of %d primitives placed", placed, len(res.Final))
	}
}

// TestBenchVsCrmSimulate (HBD_PE_BENCH=1, crm_simulate installed) times
// Schedule and crm_simulate -R -x on the same generated CIB files, one run
// each, and prints the table; HBD_PE_BENCH_DIR keeps the files,
// HBD_PE_BENCH_SIZES=4x30,8x100 chooses the sizes.
func TestBenchVsCrmSimulate(t *testing.T) {
	if os.Getenv("HBD_PE_BENCH") == "" {
		t.Skip("set HBD_PE_BENCH=1 to compare with crm_simulate")
	}
	bin, err := exec.LookPath("crm_simulate")
	if err != nil {
		t.Skip("crm_simulate not installed")
	}
	// crm_simulate takes minutes at the largest size: it is given
	// HBD_PE_BENCH_TIMEOUT (default 10m) and reported as "> limit" past it.
	limit := 10 * time.Minute
	if d, err := time.ParseDuration(os.Getenv("HBD_PE_BENCH_TIMEOUT")); err == nil && d > 0 {
		limit = d
	}
	dir := os.Getenv("HBD_PE_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	t.Logf("%-10s %14s %10s %14s %9s", "size", "hbd", "allocs", "crm_simulate", "speedup")
	for _, sz := range benchSizes {
		if want := os.Getenv("HBD_PE_BENCH_SIZES"); want != "" && !strings.Contains(","+want+",", fmt.Sprintf(",%dx%d,", sz.nodes, sz.rscs)) {
			continue
		}
		data := []byte(genBenchCIB(sz.nodes, sz.rscs, 1))
		file := filepath.Join(dir, fmt.Sprintf("bench-%dx%d.xml", sz.nodes, sz.rscs))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		br := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				scheduleCIB(b, data)
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		cmd := exec.CommandContext(ctx, bin, "-R", "-x", file)
		cmd.Env = append(os.Environ(), "CIB_shadow_dir="+t.TempDir(), "LC_ALL=C")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		pcmk := time.Since(start)
		timedOut := ctx.Err() != nil
		cancel()
		if err != nil && !timedOut {
			t.Fatalf("crm_simulate: %v\n%s", err, out)
		}
		hbd := time.Duration(br.NsPerOp())
		size := fmt.Sprintf("%dx%d", sz.nodes, sz.rscs)
		if timedOut {
			t.Logf("%-10s %14v %10d %14s %9s", size, hbd, br.AllocsPerOp(), fmt.Sprintf("> %v", limit), fmt.Sprintf("> %.0fx", float64(limit)/float64(hbd)))
			continue
		}
		t.Logf("%-10s %14v %10d %14v %8.0fx", size, hbd, br.AllocsPerOp(), pcmk.Round(time.Millisecond), float64(pcmk)/float64(hbd))
	}
}

package pe

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// Floors for the agreement with Pacemaker's expected graphs (exp/*.exp) on
// the core cases: the share of cases whose action set is the same, and
// whose action set and ordering edges both are. They only go up.
const (
	graphActionsFloor = 0.75
	graphEdgesFloor   = 0.59
	scoresFloor       = 0.10
)

var instanceSuffix = regexp.MustCompile(`:[0-9]+(_|$)`)

// normKey drops clone instance numbers (anonymous instances are
// interchangeable, as in the canonical form).
func normKey(key, node string) string {
	return instanceSuffix.ReplaceAllString(key, "$1") + "@" + node
}

type expElem struct {
	XMLName xml.Name
	Key     string `xml:"operation_key,attr"`
	Node    string `xml:"on_node,attr"`
}

type expGraph struct {
	Synapses []struct {
		Actions struct {
			Elems []expElem `xml:",any"`
		} `xml:"action_set"`
		Inputs []struct {
			Elems []expElem `xml:",any"`
		} `xml:"inputs>trigger"`
	} `xml:"synapse"`
}

// graphSets reduces a graph to its action and edge sets.
func graphSets(actions map[string]bool, edges map[string]bool, key func(i int) string, g *Graph) {
	for _, a := range g.Actions {
		k := normKey(a.Key, a.Node)
		actions[k] = true
		for _, in := range a.Inputs {
			edges[key(in)+" -> "+k] = true
		}
	}
}

func expSets(data []byte) (map[string]bool, map[string]bool, error) {
	var eg expGraph
	if err := xml.Unmarshal(data, &eg); err != nil {
		return nil, nil, err
	}
	acts, edges := map[string]bool{}, map[string]bool{}
	for _, s := range eg.Synapses {
		for _, a := range s.Actions.Elems {
			k := normKey(a.Key, a.Node)
			acts[k] = true
			for _, in := range s.Inputs {
				for _, e := range in.Elems {
					edges[normKey(e.Key, e.Node)+" -> "+k] = true
				}
			}
		}
	}
	return acts, edges, nil
}

func diffSets(got, want map[string]bool) (missing, extra []string) {
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return
}

func coreCases(t *testing.T) (string, []pecase.Case) {
	dir, from := casesDir()
	if st, err := os.Stat(filepath.Join(dir, "exp")); dir == "" || err != nil || !st.IsDir() {
		t.Skipf("no expected graphs at %s/exp (%s): run scripts/pacemaker-cases.sh or set HBD_PCMK_CASES", dir, from)
	}
	cases, err := pecase.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	censusData, err := os.ReadFile("testdata/census.tsv")
	if err != nil {
		t.Fatal(err)
	}
	census := pecase.ParseCensus(censusData)
	var core []pecase.Case
	for _, cs := range cases {
		if census[cs.Name].Tier == "core" {
			core = append(core, cs)
		}
	}
	return dir, core
}

func scheduleCase(cib []byte, now int64) (res *Result, root *Element, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	root, err = ParseXML(cib)
	if err != nil {
		return nil, nil, err
	}
	c, err := Unpack(root, now)
	if err != nil {
		return nil, nil, err
	}
	return Schedule(c), root, nil
}

// TestGraphAgreement compares hbd's transition graph with Pacemaker's
// expected graph for every core case: the set of actions (operation key
// on node, clone instance numbers dropped) and the set of ordering edges.
// HBD_PCMK_DIFF=1 with -v prints each disagreement.
func TestGraphAgreement(t *testing.T) {
	dir, core := coreCases(t)
	now := time.Now().Unix()
	var nAct, nBoth, n int
	for _, cs := range core {
		data, err := os.ReadFile(filepath.Join(dir, "exp", cs.Name+".exp"))
		if err != nil {
			continue
		}
		n++
		wantA, wantE, err := expSets(data)
		if err != nil {
			t.Errorf("%s: %v", cs.Name, err)
			continue
		}
		res, root, err := scheduleCase(cs.CIB, now)
		if err != nil {
			t.Logf("%s: %v", cs.Name, err)
			continue
		}
		g := BuildGraph(res, root)
		// The XML must parse back to the same sets.
		xa, xe, err := expSets(g.AppendXML(nil, 0))
		if err != nil {
			t.Fatalf("%s: our own graph XML: %v", cs.Name, err)
		}
		gotA, gotE := map[string]bool{}, map[string]bool{}
		graphSets(gotA, gotE, func(i int) string { return normKey(g.Actions[i].Key, g.Actions[i].Node) }, g)
		if fmt.Sprint(xa, xe) != fmt.Sprint(gotA, gotE) {
			t.Errorf("%s: the graph's XML does not read back as the graph", cs.Name)
		}
		ma, ea := diffSets(gotA, wantA)
		me, ee := diffSets(gotE, wantE)
		okA := len(ma) == 0 && len(ea) == 0
		okE := len(me) == 0 && len(ee) == 0
		if okA {
			nAct++
		}
		if okA && okE {
			nBoth++
		}
		if (!okA || !okE) && testing.Verbose() && os.Getenv("HBD_PCMK_DIFF") != "" {
			t.Logf("%s:\n  missing actions %v\n  extra actions %v\n  missing edges %v\n  extra edges %v", cs.Name, ma, ea, me, ee)
		}
	}
	if n == 0 {
		t.Skip("no core case has an expected graph")
	}
	ra, rb := float64(nAct)/float64(n), float64(nBoth)/float64(n)
	t.Logf("graph agreement on %d core cases: actions %d (%.1f%%), actions and edges %d (%.1f%%)", n, nAct, 100*ra, nBoth, 100*rb)
	if ra < graphActionsFloor {
		t.Errorf("action-set agreement %.1f%% fell below the floor %.0f%%", 100*ra, 100*graphActionsFloor)
	}
	if rb < graphEdgesFloor {
		t.Errorf("edge-set agreement %.1f%% fell below the floor %.0f%%", 100*rb, 100*graphEdgesFloor)
	}
}

// TestGraphShape checks the orderings users rely on in a fresh group: each
// member starts after its probes and after the previous member, and the
// group's running pseudo-action waits for every member.
func TestGraphShape(t *testing.T) {
	cib := `<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes><node id="u1" uname="n1"/><node id="u2" uname="n2"/></nodes>
<resources><group id="g"><primitive id="a" class="ocf" provider="heartbeat" type="Dummy">
<operations><op id="a-m" name="monitor" interval="10s" timeout="30s"/></operations></primitive>
<primitive id="b" class="ocf" provider="heartbeat" type="Dummy"/></group></resources><constraints/></configuration>
<status><node_state id="u1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
<node_state id="u2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`
	res, root, err := scheduleCase([]byte(cib), 0)
	if err != nil {
		t.Fatal(err)
	}
	g := BuildGraph(res, root)
	find := func(key, node string) *GraphAction {
		for _, a := range g.Actions {
			if a.Key == key && a.Node == node {
				return a
			}
		}
		t.Fatalf("no %s on %q in the graph:\n%s", key, node, g.AppendXML(nil, 0))
		return nil
	}
	waits := func(then, first *GraphAction) {
		t.Helper()
		for _, in := range then.Inputs {
			if in == first.ID {
				return
			}
		}
		t.Errorf("%s@%s does not wait for %s@%s", then.Key, then.Node, first.Key, first.Node)
	}
	startA, startB := find("a_start_0", "n1"), find("b_start_0", "n1")
	waits(startA, find("a_monitor_0", "n1"))
	waits(startA, find("a_monitor_0", "n2"))
	waits(startB, startA)
	waits(startA, find("g_start_0", ""))
	running := find("g_running_0", "")
	waits(running, startA)
	waits(running, startB)
	mon := find("a_monitor_10000", "n1")
	waits(mon, startA)
	if mon.TimeoutMS != 30000 {
		t.Errorf("monitor timeout %d, want the configured 30000", mon.TimeoutMS)
	}
	if p := find("a_monitor_0", "n2"); p.TargetRC != 7 {
		t.Errorf("probe target rc %d, want 7", p.TargetRC)
	}
	if out := string(g.AppendXML(nil, 0)); !strings.Contains(out, `<rsc_op id="`) || !strings.Contains(out, `operation_key="g_running_0"`) {
		t.Errorf("graph XML lacks its elements:\n%s", out)
	}
}

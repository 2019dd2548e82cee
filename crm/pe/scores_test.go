package pe

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// scoreLines schedules a CIB with the score log on and returns its lines.
func scoreLines(cib []byte, now int64) (lines []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	root, err := ParseXML(cib)
	if err != nil {
		return nil, err
	}
	c, err := Unpack(root, now)
	if err != nil {
		return nil, err
	}
	c.RecordScores()
	return Schedule(c).Scores(), nil
}

// sortedNonBlank is what cts-scheduler keeps of crm_simulate -sSQ: the
// lines sorted, blank ones aside.
func sortedNonBlank(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// multisetDiff returns the lines only in a and only in b (both sorted).
func multisetDiff(a, b []string) (onlyA, onlyB []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			onlyA = append(onlyA, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}

// TestScoresAgreement compares hbd's allocation score lines with
// Pacemaker's scores/*.scores (crm_simulate -sSQ, sorted by cts-scheduler)
// on the core cases: a case agrees when the two sorted lists are equal.
// The case rate must not fall below scoreLinesFloor; the line rate (lines of
// Pacemaker's found in hbd's, as a multiset) is reported.
func TestScoresAgreement(t *testing.T) {
	dir, from := casesDir()
	if st, err := os.Stat(filepath.Join(dir, "scores")); dir == "" || err != nil || !st.IsDir() {
		t.Skipf("no scheduler scores at %s/scores (%s): run scripts/pacemaker-cases.sh or set HBD_PCMK_CASES", dir, from)
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
	now := time.Now().Unix()
	var n, ok, linesWant, linesFound, linesExtra int
	var failed []string
	otherTiers := map[string][2]int{} // agreeing, all: reported only
	for _, cs := range cases {
		data, err := os.ReadFile(filepath.Join(dir, "scores", cs.Name+".scores"))
		if err != nil {
			continue
		}
		want := sortedNonBlank(strings.Split(string(data), "\n"))
		lines, err := scoreLines(cs.CIB, now)
		got := sortedNonBlank(lines)
		onlyGot, onlyWant := multisetDiff(got, want)
		if tier := census[cs.Name].Tier; tier != "core" {
			v := otherTiers[tier]
			if err == nil && len(onlyGot) == 0 && len(onlyWant) == 0 {
				v[0]++
			}
			v[1]++
			otherTiers[tier] = v
			continue
		}
		n++
		linesWant += len(want)
		linesFound += len(want) - len(onlyWant)
		linesExtra += len(onlyGot)
		if err == nil && len(onlyGot) == 0 && len(onlyWant) == 0 {
			ok++
			continue
		}
		failed = append(failed, cs.Name)
		// HBD_PCMK_DIFF=1 (with -v) prints each disagreement.
		if testing.Verbose() && os.Getenv("HBD_PCMK_DIFF") != "" {
			t.Logf("%s: err=%v\n hbd only:       %s\n pacemaker only: %s", cs.Name, err,
				strings.Join(onlyGot, "\n                 "), strings.Join(onlyWant, "\n                 "))
		}
	}
	if n == 0 {
		t.Skipf("no core case has a scores file in %s", dir)
	}
	rate := float64(ok) / float64(n)
	t.Logf("scores: %d/%d core cases agree (%.1f%%); lines: %d/%d of Pacemaker's found (%.1f%%), %d extra",
		ok, n, 100*rate, linesFound, linesWant, 100*float64(linesFound)/float64(max(linesWant, 1)), linesExtra)
	for _, tier := range []string{"extended", "out-of-scope"} {
		if v := otherTiers[tier]; v[1] > 0 {
			t.Logf("scores, tier %s (reported only): %d/%d (%.1f%%)", tier, v[0], v[1], 100*float64(v[0])/float64(v[1]))
		}
	}
	if testing.Verbose() {
		t.Logf("scores disagreements: %s", strings.Join(failed, " "))
	}
	if rate < scoreLinesFloor {
		t.Errorf("scores agreement %.1f%% fell below the floor %.1f%%", 100*rate, 100*scoreLinesFloor)
	}
}

// scoreLinesFloor is the core-case scores agreement reached so far (raise it
// as the engine improves).
const scoreLinesFloor = 0.99

func TestNumericStrcasecmp(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"node1", "node2", -1},
		{"node2", "node10", -1},
		{"node10", "node2", 1},
		{"Node1", "node1", 0},
		{"node7", "node007", -1},
		{"node", "node1", -1},
		{"a", "B", -1},
		{"18node1", "18node2", -1},
		{"c001n02", "c001n10", -1},
	} {
		if got := numericStrcasecmp(c.a, c.b); got != c.want {
			t.Errorf("numericStrcasecmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestScoresOffByDefault(t *testing.T) {
	cib := []byte(`<cib><configuration><crm_config/><nodes><node id="1" uname="node1"/></nodes>
<resources><primitive id="rsc1" class="ocf" provider="heartbeat" type="apache"/></resources><constraints/></configuration><status/></cib>`)
	root, err := ParseXML(cib)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Unpack(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := Schedule(c).Scores(); got != nil {
		t.Errorf("scores without RecordScores: %q", got)
	}
	got, err := scoreLines(cib, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pcmk__primitive_assign: rsc1 allocation score on node1: 0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("scores = %q, want %q", got, want)
	}
}

// TestScoresUnmanagedInPlace: an unmanaged resource running on node1 has
// INFINITY there (Pacemaker's not_managed_default), and a resource
// colocated with it sees it. The expected lines are crm_simulate 2.1.5's
// -sQ output for testdata/scores-unmanaged.xml.
func TestScoresUnmanagedInPlace(t *testing.T) {
	cib, err := os.ReadFile("testdata/scores-unmanaged.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := scoreLines(cib, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pcmk__primitive_assign: rsc1 allocation score on node1: INFINITY",
		"pcmk__primitive_assign: rsc1 allocation score on node2: 0",
		"pcmk__primitive_assign: rsc2 allocation score on node1: 100",
		"pcmk__primitive_assign: rsc2 allocation score on node2: 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("scores:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

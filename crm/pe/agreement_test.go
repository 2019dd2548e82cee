package pe

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

// casesDir is where Pacemaker's scheduler cases are: HBD_PCMK_CASES, or
// the default cache of scripts/pacemaker-cases.sh.
func casesDir() (string, string) {
	if d := os.Getenv("HBD_PCMK_CASES"); d != "" {
		return d, "HBD_PCMK_CASES"
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", ""
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "hbd", "pacemaker-cases", "scheduler"), "the cache of scripts/pacemaker-cases.sh"
}

// runCase schedules one case and returns hbd's canonical answer.
func runCase(cs pecase.Case, now int64) (lines []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	root, err := ParseXML(cs.CIB)
	if err != nil {
		return nil, err
	}
	c, err := Unpack(root, now)
	if err != nil {
		return nil, err
	}
	res := Schedule(c)
	return pecase.Normalize(res.Text(), pecase.Groups(cs.CIB), false), nil
}

// TestPacemakerCases runs Pacemaker's scheduler regression cases and
// reports the agreement per feature (census.tsv). Core-tier agreement must
// not fall below coreFloor; the other tiers are reported only.
func TestPacemakerCases(t *testing.T) {
	dir, from := casesDir()
	if st, err := os.Stat(dir); dir == "" || err != nil || !st.IsDir() {
		t.Skipf("no scheduler cases at %s (%s): run scripts/pacemaker-cases.sh or set HBD_PCMK_CASES", dir, from)
	}
	cases, err := pecase.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Skipf("no cases in %s", dir)
	}
	censusData, err := os.ReadFile("testdata/census.tsv")
	if err != nil {
		t.Fatal(err)
	}
	census := pecase.ParseCensus(censusData)
	now := time.Now().Unix()
	type tally struct{ ok, n int }
	byFeature := map[string]*tally{}
	byTier := map[string]*tally{}
	var failed []string
	for _, cs := range cases {
		info, ok := census[cs.Name]
		if !ok {
			info = pecase.Census{Tier: "unknown"}
		}
		got, err := runCase(cs, now)
		agree := err == nil && reflect.DeepEqual(got, cs.Expected)
		if !agree && info.Tier == "core" {
			failed = append(failed, cs.Name)
			// HBD_PCMK_DIFF=1 (with -v) prints each core disagreement.
			if testing.Verbose() && os.Getenv("HBD_PCMK_DIFF") != "" {
				t.Logf("%s: err=%v\n got: %s\nwant: %s", cs.Name, err, strings.Join(got, "\n      "), strings.Join(cs.Expected, "\n      "))
			}
		}
		for _, k := range append([]string{"(all)"}, info.Features...) {
			if info.Tier != "core" {
				continue
			}
			if byFeature[k] == nil {
				byFeature[k] = &tally{}
			}
			byFeature[k].n++
			if agree {
				byFeature[k].ok++
			}
		}
		if byTier[info.Tier] == nil {
			byTier[info.Tier] = &tally{}
		}
		byTier[info.Tier].n++
		if agree {
			byTier[info.Tier].ok++
		}
	}
	var tiers []string
	for k := range byTier {
		tiers = append(tiers, k)
	}
	sort.Strings(tiers)
	for _, k := range tiers {
		v := byTier[k]
		t.Logf("tier %-9s %4d/%-4d %5.1f%%", k, v.ok, v.n, 100*float64(v.ok)/float64(v.n))
	}
	var feats []string
	for k := range byFeature {
		feats = append(feats, k)
	}
	sort.Slice(feats, func(i, j int) bool { return byFeature[feats[i]].n > byFeature[feats[j]].n })
	for _, k := range feats {
		v := byFeature[k]
		t.Logf("core %-36s %4d/%-4d %5.1f%%", k, v.ok, v.n, 100*float64(v.ok)/float64(v.n))
	}
	if testing.Verbose() {
		t.Logf("core disagreements: %s", strings.Join(failed, " "))
	}
	if core := byTier["core"]; core != nil {
		rate := float64(core.ok) / float64(core.n)
		if rate < coreFloor {
			t.Errorf("core agreement %.1f%% fell below the floor %.1f%%", 100*rate, 100*coreFloor)
		}
	}
}

// coreFloor is the core-tier agreement reached so far; a change that
// lowers it is a regression (raise it as the engine improves; the issue's
// target is 0.95).
const coreFloor = 0.99

// TestRegressionCases runs the cases under testdata/cases (each a cib.xml
// and Pacemaker's answer in canonical form, expected.txt): disagreements
// found by the differential test against crm_simulate, kept once fixed.
func TestRegressionCases(t *testing.T) {
	cases, err := pecase.Load(os.DirFS("testdata/cases"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases under testdata/cases")
	}
	now := time.Now().Unix()
	for _, cs := range cases {
		at := now
		if cs.Now != 0 {
			at = cs.Now
		}
		got, err := runCase(cs, at)
		if err != nil {
			t.Errorf("%s: %v", cs.Name, err)
			continue
		}
		if !reflect.DeepEqual(got, cs.Expected) {
			t.Errorf("%s:\n got: %s\nwant: %s", cs.Name, strings.Join(got, "\n      "), strings.Join(cs.Expected, "\n      "))
		}
	}
}

// TestOpenCases runs the disagreements found by the differential test and
// not fixed yet (testdata/cases-open): it reports each one that still
// disagrees and fails only when one agrees, so that it moves to
// testdata/cases with the fix.
func TestOpenCases(t *testing.T) {
	cases, err := pecase.Load(os.DirFS("testdata/cases-open"))
	if err != nil || len(cases) == 0 {
		t.Skip("no open cases")
	}
	now := time.Now().Unix()
	for _, cs := range cases {
		at := now
		if cs.Now != 0 {
			at = cs.Now
		}
		got, err := runCase(cs, at)
		if err == nil && reflect.DeepEqual(got, cs.Expected) {
			t.Errorf("%s agrees now: move it to testdata/cases", cs.Name)
			continue
		}
		t.Logf("open: %s (err=%v)\n got: %s\nwant: %s", cs.Name, err, strings.Join(got, "\n      "), strings.Join(cs.Expected, "\n      "))
	}
}

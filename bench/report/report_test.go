package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *File {
	return &File{
		Machine: "test rig",
		Updated: time.Unix(0, 0).UTC(),
		Latency: []Latency{
			{Daemon: "hbd", Metric: "detection", Nodes: 2, Keepalive: "100ms", Deadtime: "500ms", SamplesMS: []float64{400, 450, 500, 20000}},
			{Daemon: "heartbeat", Metric: "detection", Nodes: 2, Keepalive: "100ms", Deadtime: "500ms", SamplesMS: []float64{1200, 1350, 1500, 1600}},
		},
		Steady: []Steady{
			{Daemon: "hbd", Nodes: 2, Keepalive: "10ms", CPUPercent: 0.5, RSSMB: 7},
			{Daemon: "hbd", Nodes: 8, Keepalive: "10ms", CPUPercent: 1.5, RSSMB: 7.5},
			{Daemon: "heartbeat", Nodes: 2, Keepalive: "10ms", CPUPercent: 10, RSSMB: 14, Procs: 4},
		},
	}
}

func TestQuantileNearestRank(t *testing.T) {
	s := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, c := range []struct{ q, want float64 }{{0.5, 5}, {0.99, 10}, {1, 10}, {0.1, 1}, {0.11, 2}} {
		if got := Quantile(s, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if s[0] != 5 {
		t.Error("Quantile sorted its argument in place")
	}
}

// Save merges: a configuration measured again replaces its entry, others
// stay; the file reads back equal.
func TestSaveMerges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	if err := Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	again := &File{Latency: []Latency{{Daemon: "hbd", Metric: "detection", Nodes: 2, Keepalive: "100ms", Deadtime: "500ms", SamplesMS: []float64{1}}},
		Steady: []Steady{{Daemon: "keepalived", Nodes: 2, Keepalive: "10ms", CPUPercent: 2}}}
	if err := Save(path, again); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Latency) != 2 || len(f.Latency[0].SamplesMS) != 1 || len(f.Steady) != 4 || f.Machine != "test rig" {
		t.Errorf("merged file: %d latency rows (first %v), %d steady, machine %q", len(f.Latency), f.Latency[0].SamplesMS, len(f.Steady), f.Machine)
	}
	os.WriteFile(path, []byte("{"), 0o644)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "results.json") {
		t.Errorf("broken file: %v, want an error naming it", err)
	}
}

// The ratio column is computed from the data: heartbeat's p50 is 3× hbd's
// (1350 / 450); heartbeat's CPU 20× hbd's at 2 nodes.
func TestTableRatios(t *testing.T) {
	var b bytes.Buffer
	Table(&b, sample())
	out := b.String()
	for _, want := range []string{"3.0×", "20.0×", "1350", "20000"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	Markdown(&b, sample())
	if !strings.HasPrefix(b.String(), "| metric |") || !strings.Contains(b.String(), "|---|") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	f := sample()
	png1 := filepath.Join(dir, "cdf.png")
	if err := PlotLatencyCDF(f, "detection", 2, png1); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if img, err := png.Decode(r); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("cdf.png: %v", err)
	}
	svg := filepath.Join(dir, "cpu.svg")
	if err := PlotBySize(f, "cpu", "10ms", svg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(svg)
	if !bytes.Contains(b[:min(len(b), 200)], []byte("<svg")) && !bytes.HasPrefix(b, []byte("<?xml")) {
		t.Errorf("cpu.svg starts %q", b[:min(len(b), 40)])
	}
	if err := PlotLatencyCDF(f, "failover", 2, filepath.Join(dir, "none.svg")); err == nil {
		t.Error("a plot without samples succeeded")
	}
	if err := PlotBySize(f, "cpu", "10ms", filepath.Join(dir, "x.gif")); err == nil || !strings.Contains(err.Error(), "x.gif") {
		t.Errorf("unknown type: %v", err)
	}
}

// The soak table shows matched and unmatched verdicts where they were
// matched, a dash for older rows; the rig table one row per size, in
// order, a join that never completed as "never"; both survive a save.
func TestSoakAndRigTables(t *testing.T) {
	f := &File{
		Soak: []Soak{
			{Daemon: "hbd", Keepalive: "10ms", Deadtime: "30ms", Seconds: 600, FalseDeaths: 7, Matched: 4, Unmatched: 3, PeerStalled: 2, ExplainMS: 20, Heartbeats: 60000, GapsMS: []float64{10, 12, 30, 90}},
			{Daemon: "keepalived", Keepalive: "10ms", Deadtime: "36.1ms", Seconds: 600, FalseDeaths: 41, Matched: 5, Unmatched: 36, ExplainMS: 26.1},
			{Daemon: "hbd", Keepalive: "2ms", Deadtime: "6ms", Note: "realtime, idle", Seconds: 600, FalseDeaths: 1},
		},
		Rig: []Rig{
			{Nodes: 64, Keepalive: "100ms", Deadtime: "2s", StaggerMS: 250, FalseDeaths: 3, Load: "9.1"},
			{Nodes: 16, Keepalive: "100ms", Deadtime: "2s", StaggerMS: 250, AllActiveS: 6.5, Seconds: 300, CPUPercent: 0.8, Load: "3.0"},
		},
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	Markdown(&b, g)
	out := b.String()
	for _, want := range []string{"| hbd | 10ms / 30ms | 10 | 60000 | 7 | 20.0 | 4 | 3 (2) |", "| keepalived | 10ms / 36.1ms | 10 | — | 41 | 26.1 | 5 | 36 (0) |",
		"| hbd (realtime, idle) | 2ms / 6ms | 10 | — | 1 | — | — | — |", "| 64 | 100ms / 2s | 250 | never | 0 / 3 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "| 16 |"), strings.Index(out, "| 64 |"); i < 0 || j < i {
		t.Errorf("rig rows not by size:\n%s", out)
	}
}

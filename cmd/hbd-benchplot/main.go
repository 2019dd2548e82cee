// Command hbd-benchplot prints the cluster benchmarks' side-by-side table
// and draws their plots from the results file make bench-cluster writes.
//
//	hbd-benchplot -in bench/results/results.json -out docs/perf [-markdown]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hbd-ha/hbd/bench/report"
)

func main() {
	in := flag.String("in", "bench/results/results.json", "results file")
	out := flag.String("out", "", "directory for the plots (none drawn if empty)")
	md := flag.Bool("markdown", false, "print the tables in Markdown")
	flag.Parse()
	f, err := report.Load(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hbd-benchplot:", err)
		os.Exit(1)
	}
	if len(f.Latency)+len(f.Steady)+len(f.Soak) == 0 {
		fmt.Fprintf(os.Stderr, "hbd-benchplot: %s: no results yet (make bench-cluster)\n", *in)
		os.Exit(1)
	}
	fmt.Printf("Machine: %s; updated %s\n\n", f.Machine, f.Updated.Format("2006-01-02 15:04 MST"))
	if *md {
		report.Markdown(os.Stdout, f)
	} else {
		report.Table(os.Stdout, f)
	}
	if *out == "" {
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "hbd-benchplot:", err)
		os.Exit(1)
	}
	plots := []struct {
		name string
		draw func(string) error
	}{
		{"detection-cdf.svg", func(p string) error { return report.PlotLatencyCDF(f, "detection", 2, p) }},
		{"failover-cdf.svg", func(p string) error { return report.PlotLatencyCDF(f, "failover", 2, p) }},
		{"switchover-cdf.svg", func(p string) error { return report.PlotLatencyCDF(f, "switchover", 2, p) }},
		{"cpu-by-size.svg", func(p string) error { return report.PlotBySize(f, "cpu", "100ms", p) }},
		{"rss-by-size.svg", func(p string) error { return report.PlotBySize(f, "rss", "100ms", p) }},
	}
	for _, p := range plots {
		path := filepath.Join(*out, p.name)
		if err := p.draw(path); err != nil {
			fmt.Fprintln(os.Stderr, "hbd-benchplot: skipped:", err)
			continue
		}
		fmt.Println("wrote", path)
	}
}

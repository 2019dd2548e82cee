package report

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotLatencyCDF draws the cumulative distribution of one metric's
// samples, a line per daemon and configuration with the given node
// count, to out (.svg or .png). The x axis is logarithmic when the
// samples span more than two decades.
func PlotLatencyCDF(f *File, metric string, nodes int, out string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s latency, %d nodes (%s)", metric, nodes, f.Machine)
	p.X.Label.Text = "ms"
	p.Y.Label.Text = "fraction of runs"
	p.Legend.Top, p.Legend.Left = false, false
	lo, hi := 0.0, 0.0
	var lines []any
	for _, l := range sortLatency(f.Latency) {
		if l.Metric != metric || l.Nodes != nodes || len(l.SamplesMS) == 0 {
			continue
		}
		s := slices.Clone(l.SamplesMS)
		slices.Sort(s)
		pts := make(plotter.XYs, len(s))
		for i, v := range s {
			pts[i].X, pts[i].Y = v, float64(i+1)/float64(len(s))
		}
		if lo == 0 || s[0] < lo {
			lo = s[0]
		}
		hi = max(hi, s[len(s)-1])
		lines = append(lines, label(l.Daemon, l.Note)+" "+l.Keepalive+"/"+l.Deadtime, pts)
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s: no %s samples for %d nodes", out, metric, nodes)
	}
	if lo > 0 && hi/lo > 100 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return save(p, out)
}

// PlotBySize draws a steady-state figure (cpu or rss) against the
// cluster size, a line per daemon, for one keepalive.
func PlotBySize(f *File, what, keepalive, out string) error {
	p := plot.New()
	switch what {
	case "cpu":
		p.Title.Text = fmt.Sprintf("CPU per node at keepalive %s (%s)", keepalive, f.Machine)
		p.Y.Label.Text = "% of one core"
	case "rss":
		p.Title.Text = fmt.Sprintf("RSS per node at keepalive %s (%s)", keepalive, f.Machine)
		p.Y.Label.Text = "MB"
	default:
		return fmt.Errorf("%s: unknown figure %q (cpu or rss)", out, what)
	}
	p.X.Label.Text = "nodes in the cluster"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	by := map[string]plotter.XYs{}
	var names []string
	for _, s := range f.Steady {
		if s.Keepalive != keepalive {
			continue
		}
		name := label(s.Daemon, s.Note)
		if _, ok := by[name]; !ok {
			names = append(names, name)
		}
		y := s.CPUPercent
		if what == "rss" {
			y = s.RSSMB
		}
		by[name] = append(by[name], plotter.XY{X: float64(s.Nodes), Y: y})
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no steady-state figures at keepalive %s", out, keepalive)
	}
	slices.SortFunc(names, func(a, b string) int { return daemonRank(strings.Fields(a)[0]) - daemonRank(strings.Fields(b)[0]) })
	var args []any
	for _, n := range names {
		pts := by[n]
		slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
		args = append(args, n, pts)
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	p.Y.Min = 0
	return save(p, out)
}

func save(p *plot.Plot, out string) error {
	p.BackgroundColor = color.White
	switch ext := strings.ToLower(filepath.Ext(out)); ext {
	case ".svg", ".png":
	default:
		return fmt.Errorf("%s: unknown image type %q (.svg or .png)", out, ext)
	}
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, out); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return nil
}

package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Table prints the side-by-side tables: latency quantiles per
// configuration and steady-state cost per node, each with its ratio to
// hbd's figure at the same size and keepalive (hbd: 1).
func Table(w io.Writer, f *File) {
	writeTables(w, f, false)
}

// Markdown prints the same tables in Markdown, for the README.
func Markdown(w io.Writer, f *File) {
	writeTables(w, f, true)
}

func writeTables(w io.Writer, f *File, md bool) {
	t := &table{md: md}
	t.row("metric", "nodes", "daemon", "keepalive / deadtime", "runs", "p50 ms", "p99 ms", "max ms", "p50 / hbd p50")
	ls := sortLatency(f.Latency)
	for _, l := range ls {
		ratio := "—"
		if h, ok := hbdLatency(ls, l); ok {
			ratio = fmt.Sprintf("%.1f×", Quantile(l.SamplesMS, 0.5)/Quantile(h.SamplesMS, 0.5))
		}
		t.row(l.Metric, fmt.Sprint(l.Nodes), label(l.Daemon, l.Note), l.Keepalive+" / "+l.Deadtime, fmt.Sprint(len(l.SamplesMS)),
			num(Quantile(l.SamplesMS, 0.5)), num(Quantile(l.SamplesMS, 0.99)), num(Quantile(l.SamplesMS, 1)), ratio)
	}
	t.flush(w)
	fmt.Fprintln(w)
	t = &table{md: md}
	t.row("nodes", "daemon", "keepalive", "CPU % of a core per node", "RSS MB per node", "processes", "packets/s sent", "bytes/s sent", "false deaths", "CPU / hbd CPU")
	ss := slices.Clone(f.Steady)
	slices.SortStableFunc(ss, func(a, b Steady) int {
		if a.Nodes != b.Nodes {
			return a.Nodes - b.Nodes
		}
		if c := int(durMS(a.Keepalive) - durMS(b.Keepalive)); c != 0 {
			return c
		}
		return daemonRank(a.Daemon) - daemonRank(b.Daemon)
	})
	for _, s := range ss {
		ratio := "—"
		for _, h := range ss {
			if h.Daemon == "hbd" && h.Nodes == s.Nodes && h.Keepalive == s.Keepalive && h.CPUPercent > 0 {
				ratio = fmt.Sprintf("%.1f×", s.CPUPercent/h.CPUPercent)
				break
			}
		}
		cpu := fmt.Sprintf("%.2f", s.CPUPercent)
		if s.CPUPercentMin > 0 && s.CPUPercentMin != s.CPUPercent {
			cpu = fmt.Sprintf("%.2f (min %.2f)", s.CPUPercent, s.CPUPercentMin)
		}
		t.row(fmt.Sprint(s.Nodes), label(s.Daemon, s.Note), s.Keepalive, cpu, fmt.Sprintf("%.1f", s.RSSMB), fmt.Sprint(s.Procs),
			fmt.Sprintf("%.0f", s.PacketsPerSec), fmt.Sprintf("%.0f", s.BytesPerSec), fmt.Sprint(s.FalseDeaths), ratio)
	}
	t.flush(w)
	if len(f.Soak) > 0 {
		fmt.Fprintln(w)
		t = &table{md: md}
		t.row("soak", "keepalive / deadtime", "minutes", "heartbeats", "false deaths / transitions", "after a freeze > ms", "matched", "unmatched (peer's loop stalled)",
			"gap p50 ms", "gap p99 ms", "gap p99.9 ms", "gap max ms", "machine freezes > 20 ms", "worst freeze ms")
		for _, s := range f.Soak {
			g := append(slices.Clone(s.GapsMS), math.NaN(), math.NaN(), math.NaN(), math.NaN())
			beats := "—"
			if s.Heartbeats > 0 {
				beats = fmt.Sprint(s.Heartbeats)
			}
			explain, matched, unmatched := "—", "—", "—"
			if s.ExplainMS > 0 {
				explain, matched, unmatched = num(s.ExplainMS), fmt.Sprint(s.Matched), fmt.Sprintf("%d (%d)", s.Unmatched, s.PeerStalled)
			}
			t.row(label(s.Daemon, s.Note), s.Keepalive+" / "+s.Deadtime, fmt.Sprintf("%.0f", s.Seconds/60), beats,
				fmt.Sprint(s.FalseDeaths), explain, matched, unmatched, num(g[0]), num(g[1]), num(g[2]), num(g[3]), fmt.Sprint(s.MachineStalls), num(s.MachineStallMS))
		}
		t.flush(w)
	}
	if len(f.Rig) > 0 {
		fmt.Fprintln(w)
		t = &table{md: md}
		t.row("rig nodes", "keepalive / deadtime", "stagger ms", "all active after s", "false deaths starting / watched", "minutes watched",
			"CPU % per node (mean)", "CPU % (busiest node)", "RSS MB per node", "rcvbuf drops", "worst loop stall ms", "load")
		rs := slices.Clone(f.Rig)
		slices.SortStableFunc(rs, func(a, b Rig) int { return a.Nodes - b.Nodes })
		for _, r := range rs {
			active := "never"
			if r.AllActiveS > 0 {
				active = num(r.AllActiveS)
			}
			t.row(fmt.Sprint(r.Nodes), r.Keepalive+" / "+r.Deadtime, num(r.StaggerMS), active, fmt.Sprintf("%d / %d", r.StartDeaths, r.FalseDeaths),
				fmt.Sprintf("%.0f", r.Seconds/60), num(r.CPUPercent), num(r.CPUPercentMax), num(r.RSSMB), fmt.Sprint(r.RcvbufErrors), num(r.LoopStallMS), r.Load)
		}
		t.flush(w)
	}
}

// hbdLatency finds hbd's row for the same metric and size: the same
// keepalive if measured, else none.
func hbdLatency(ls []Latency, l Latency) (Latency, bool) {
	for _, h := range ls {
		if h.Daemon == "hbd" && h.Metric == l.Metric && h.Nodes == l.Nodes && h.Keepalive == l.Keepalive && h.Deadtime == l.Deadtime && len(h.SamplesMS) > 0 {
			return h, true
		}
	}
	return Latency{}, false
}

func label(daemon, note string) string {
	if note == "" {
		return daemon
	}
	return daemon + " (" + note + ")"
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// table aligns rows in columns (text) or writes a Markdown table.
type table struct {
	md   bool
	rows [][]string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) flush(w io.Writer) {
	if t.md {
		for i, r := range t.rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(r)))
			}
		}
		return
	}
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

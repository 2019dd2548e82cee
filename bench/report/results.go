// Package report keeps the cluster benchmarks' results: a JSON file that
// every run of make bench-cluster merges into, the side-by-side table
// (text and Markdown) with ratios to hbd, and the plots (gonum/plot).
package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"
)

// File is what bench-cluster writes (bench/results/results.json).
type File struct {
	Machine string    `json:"machine"`
	Updated time.Time `json:"updated"`
	Latency []Latency `json:"latency"`
	Steady  []Steady  `json:"steady"`
	Soak    []Soak    `json:"soak,omitempty"`
	Rig     []Rig     `json:"rig,omitempty"`
}

// Latency is one configuration's latency samples, in milliseconds.
type Latency struct {
	Daemon    string    `json:"daemon"` // hbd, heartbeat, keepalived
	Metric    string    `json:"metric"` // detection, failover, switchover
	Nodes     int       `json:"nodes"`
	Keepalive string    `json:"keepalive"` // 10ms (keepalived: advert interval)
	Deadtime  string    `json:"deadtime"`
	Note      string    `json:"note,omitempty"` // realtime, IP agent…
	SamplesMS []float64 `json:"samples_ms"`
}

// Steady is one configuration's steady-state cost per node.
type Steady struct {
	Daemon        string  `json:"daemon"`
	Nodes         int     `json:"nodes"`
	Keepalive     string  `json:"keepalive"`
	Note          string  `json:"note,omitempty"`
	CPUPercent    float64 `json:"cpu_percent"` // of one core, mean per node (the busiest role for keepalived: master)
	CPUPercentMin float64 `json:"cpu_percent_min"`
	RSSMB         float64 `json:"rss_mb"` // per node, all the daemon's processes
	Procs         int     `json:"procs"`
	PacketsPerSec float64 `json:"packets_per_sec"` // sent per node
	BytesPerSec   float64 `json:"bytes_per_sec"`
	FalseDeaths   int     `json:"false_deaths"`
	Seconds       float64 `json:"seconds"` // how long it was measured
}

// Soak is a long run under a CPU hog.
type Soak struct {
	Daemon      string  `json:"daemon"`
	Keepalive   string  `json:"keepalive"`
	Deadtime    string  `json:"deadtime"`
	Note        string  `json:"note,omitempty"`
	Seconds     float64 `json:"seconds"`
	FalseDeaths int     `json:"false_deaths"` // keepalived: false master transitions
	// FalseDeaths matched to a machine freeze longer than ExplainMS (hbd:
	// deadtime − keepalive; keepalived: master-down − advert) in the
	// window before the verdict, or to the peer's restart after an
	// earlier one; and the rest. ExplainMS 0: not matched (older runs).
	Matched   int     `json:"matched,omitempty"`
	Unmatched int     `json:"unmatched,omitempty"`
	ExplainMS float64 `json:"explain_freeze_ms,omitempty"`
	// Of the unmatched: the peer logged its own loop stall over
	// ExplainMS meanwhile (a normal-class daemon starved of CPU).
	PeerStalled int `json:"unmatched_peer_stalled,omitempty"`
	// Of the unmatched: a second probe at the fast loop's own priority
	// saw a freeze over ExplainMS (the machine below the first probe's
	// priority 50; fast idle run).
	LoopProbe int `json:"unmatched_loop_probe,omitempty"`
	// Of the unmatched, where a quiet third host's statuses (fast idle
	// run) put the peer's silence: it saw a gap of ExplainMS or more too
	// (the sender or the path was late), or it saw them on time (only
	// the judge missed them).
	WireSilent int       `json:"unmatched_wire_silent,omitempty"`
	JudgeOnly  int       `json:"unmatched_judge_only,omitempty"`
	Heartbeats int       `json:"heartbeats"`
	GapsMS     []float64 `json:"gap_quantiles_ms"` // p50, p99, p99.9, max of inter-arrival gaps
	// The machine's own freezes meanwhile: how many times a real-time
	// probe on some CPU woke over 20 ms late, and the worst lateness.
	MachineStalls  int     `json:"machine_stalls_over_20ms"`
	MachineStallMS float64 `json:"machine_stall_max_ms"`
}

// Rig is one run of real nodes at scale, started staggered as operators
// start them, then watched.
type Rig struct {
	Nodes      int     `json:"nodes"`
	Keepalive  string  `json:"keepalive"`
	Deadtime   string  `json:"deadtime"`
	StaggerMS  float64 `json:"stagger_ms"`   // between one node's start and the next's
	AllActiveS float64 `json:"all_active_s"` // first start → every node sees every other active; 0: never
	Seconds    float64 `json:"seconds"`      // watched after that
	// Dead verdicts: while starting (after the node's peer had been seen
	// active) and while watched.
	StartDeaths int `json:"start_deaths"`
	FalseDeaths int `json:"false_deaths"`
	// Per node, all the daemon's threads: CPU % of a core over the
	// watch (mean over nodes, and the busiest node), the mean over nodes
	// in each sample interval (the curve), RSS at the end.
	CPUPercent    float64   `json:"cpu_percent"`
	CPUPercentMax float64   `json:"cpu_percent_max"`
	CPUCurve      []float64 `json:"cpu_curve,omitempty"`
	CurveStepS    float64   `json:"cpu_curve_step_s,omitempty"`
	RSSMB         float64   `json:"rss_mb"`
	// UDP receive-buffer overflows (RcvbufErrors, all namespaces) and
	// the longest loop stall any node logged, over the whole run.
	RcvbufErrors uint64  `json:"rcvbuf_errors"`
	LoopStallMS  float64 `json:"loop_stall_max_ms"`
	Load         string  `json:"load"` // /proc/loadavg at the end
}

func (l Latency) key() string {
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s", l.Daemon, l.Metric, l.Nodes, l.Keepalive, l.Deadtime, l.Note)
}

func (s Steady) key() string {
	return fmt.Sprintf("%s|%d|%s|%s", s.Daemon, s.Nodes, s.Keepalive, s.Note)
}

func (s Soak) key() string {
	return fmt.Sprintf("%s|%s|%s|%s", s.Daemon, s.Keepalive, s.Deadtime, s.Note)
}

func (r Rig) key() string {
	return fmt.Sprintf("%d|%s|%s", r.Nodes, r.Keepalive, r.Deadtime)
}

// Load reads path; a missing file is an empty File.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, err
	}
	f := &File{}
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Merge replaces f's entries that add has measured again (same daemon,
// metric, size, timing and note) and keeps the others.
func (f *File) Merge(add *File) {
	if add.Machine != "" {
		f.Machine = add.Machine
	}
	f.Updated = add.Updated
	f.Latency = merge(f.Latency, add.Latency, Latency.key)
	f.Steady = merge(f.Steady, add.Steady, Steady.key)
	f.Soak = merge(f.Soak, add.Soak, Soak.key)
	f.Rig = merge(f.Rig, add.Rig, Rig.key)
}

func merge[T any](old, add []T, key func(T) string) []T {
	out := slices.Clone(old)
	for _, a := range add {
		if i := slices.IndexFunc(out, func(o T) bool { return key(o) == key(a) }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	return out
}

// Save merges f into the file at path (creating it) and writes it back.
func Save(path string, f *File) error {
	all, err := Load(path)
	if err != nil {
		return err
	}
	all.Merge(f)
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Quantile is the nearest-rank q-quantile of samples (0 < q ≤ 1); NaN for
// none.
func Quantile(samples []float64, q float64) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	r := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(r, 0), len(s)-1)]
}

// sortLatency orders rows for display: metric, nodes, timing, daemon.
func sortLatency(ls []Latency) []Latency {
	out := slices.Clone(ls)
	slices.SortStableFunc(out, func(a, b Latency) int {
		return cmp.Or(cmp.Compare(metricRank(a.Metric), metricRank(b.Metric)), cmp.Compare(a.Nodes, b.Nodes),
			cmp.Compare(durMS(a.Keepalive), durMS(b.Keepalive)), cmp.Compare(daemonRank(a.Daemon), daemonRank(b.Daemon)),
			cmp.Compare(a.Note, b.Note))
	})
	return out
}

func metricRank(m string) int {
	return slices.Index([]string{"detection", "failover", "switchover"}, m)
}
func daemonRank(d string) int { return slices.Index([]string{"hbd", "heartbeat", "keepalived"}, d) }

// durMS parses "10ms", "1s", "0.5" (seconds) for ordering; 0 if unknown.
func durMS(s string) float64 {
	if d, err := time.ParseDuration(s); err == nil {
		return float64(d) / 1e6
	}
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err == nil {
		return f * 1000
	}
	return 0
}

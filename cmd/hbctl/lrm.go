package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// lrmDir is where lrmd's sockets are: $HBD_LRM_DIR, else beside the API
// socket (/var/run/heartbeat), where hbd's LRM (hbd lrm, or the daemon's)
// listens.
func lrmDir() string {
	if d := os.Getenv("HBD_LRM_DIR"); d != "" {
		return d
	}
	return filepath.Dir(socketPath())
}

// rcNames are the OCF return codes' meanings, as crm_mon words them.
var rcNames = [...]string{"ok", "error", "invalid parameter", "unimplemented feature",
	"insufficient privileges", "not installed", "not configured", "not running",
	"promoted", "promoted failed"}

func rcName(rc int) string {
	if rc >= 0 && rc < len(rcNames) {
		return rcNames[rc]
	}
	return fmt.Sprintf("rc %d", rc)
}

// lrmResource is one resource as hbctl lrm shows it (and its --json).
type lrmResource struct {
	ID         string        `json:"id"`
	Class      string        `json:"class"`
	Provider   string        `json:"provider,omitempty"`
	Type       string        `json:"type"`
	Busy       bool          `json:"busy"`
	Operations []lrmOpOutput `json:"operations"`
	Monitors   []lrmMonitor  `json:"monitors"`
}

type lrmOpOutput struct {
	Op         string  `json:"op"`
	IntervalMS int64   `json:"interval_ms"`
	Call       int     `json:"call"`
	State      string  `json:"state"` // last, running, queued, recurring, delayed
	RC         *int    `json:"rc,omitempty"`
	RCName     string  `json:"rc_name,omitempty"`
	Status     string  `json:"status,omitempty"`
	ExecMS     float64 `json:"exec_ms,omitempty"`
	QueueMS    float64 `json:"queue_ms,omitempty"`
	Run        int64   `json:"last_run,omitempty"`
	RCChange   int64   `json:"last_rc_change,omitempty"`
	Digest     string  `json:"digest,omitempty"`
	Data       string  `json:"output,omitempty"`
}

// lrmMonitor is a recurring monitor's state: its last verdict.
type lrmMonitor struct {
	IntervalMS int64  `json:"interval_ms"`
	Call       int    `json:"call"`
	State      string `json:"state"` // ok, failed, pending (no run yet), cancelled
	RC         *int   `json:"rc,omitempty"`
	Since      int64  `json:"since,omitempty"`
}

const lrmUsage = `usage: hbctl lrm [--dir DIR] [--json] [RESOURCE...]
  the LRM's resources (all, or those named): their last operations (rc,
  status, run time), pending operations and recurring monitors' state,
  read from lrmd's sockets in DIR ($HBD_LRM_DIR, else beside the API socket)
`

func lrmCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbctl lrm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, lrmUsage) }
	dir := fs.String("dir", lrmDir(), "directory of lrm_cmd_sock and lrm_callback_sock")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := lrm.Dial(*dir, "hbctl", 5*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl lrm: cannot reach the LRM in %s: %v\n", *dir, err)
		return 1
	}
	defer c.Close()
	ids := fs.Args()
	if len(ids) == 0 {
		if ids, err = c.Resources(); err != nil {
			fmt.Fprintf(stderr, "hbctl lrm: %v\n", err)
			return 1
		}
	}
	var out []lrmResource
	for _, id := range ids {
		r, err := c.Resource(id)
		if err == lrm.ErrNoResource {
			fmt.Fprintf(stderr, "hbctl lrm: no resource %s\n", id)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "hbctl lrm: %s: %v\n", id, err)
			return 1
		}
		busy, ops, err := c.State(id)
		if err != nil {
			fmt.Fprintf(stderr, "hbctl lrm: %s: %v\n", id, err)
			return 1
		}
		out = append(out, describe(r, busy, ops))
	}
	if *asJSON {
		if out == nil {
			out = []lrmResource{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	writeLRM(stdout, out)
	return 0
}

func describe(r lrm.Resource, busy bool, ops []lrm.OpState) lrmResource {
	lr := lrmResource{ID: r.ID, Class: r.Class, Provider: r.Provider, Type: r.Type, Busy: busy,
		Operations: []lrmOpOutput{}, Monitors: []lrmMonitor{}}
	last := map[string]*lrm.OpState{}
	for i := range ops {
		o := &ops[i]
		oo := lrmOpOutput{Op: o.Op, IntervalMS: o.Interval.Milliseconds(), Call: o.CallID, State: o.Kind}
		if o.Kind == lrm.KindLast {
			rc := o.RC
			oo.RC, oo.RCName, oo.Status = &rc, rcName(rc), o.Status.String()
			oo.ExecMS = float64(o.ExecTime.Microseconds()) / 1000
			oo.QueueMS = float64(o.QueueTime.Milliseconds())
			oo.Run, oo.RCChange = o.Run.Unix(), o.RCChange.Unix()
			oo.Digest, oo.Data = o.Digest, o.Data
			last[fmt.Sprintf("%s_%d", o.Op, oo.IntervalMS)] = o
		}
		lr.Operations = append(lr.Operations, oo)
	}
	// A recurring monitor is one that is pending (between runs, running
	// or queued) with an interval.
	for _, o := range ops {
		if o.Kind == lrm.KindLast || o.Op != "monitor" || o.Interval == 0 {
			continue
		}
		m := lrmMonitor{IntervalMS: o.Interval.Milliseconds(), Call: o.CallID, State: "pending"}
		if l := last[fmt.Sprintf("monitor_%d", m.IntervalMS)]; l != nil && l.CallID == o.CallID {
			rc := l.RC
			m.RC, m.Since = &rc, l.RCChange.Unix()
			m.State = "ok"
			if l.Status != lrm.StatusDone || (rc != lrm.RCOK && rc != lrm.RCRunningPromoted) {
				m.State = "failed"
			}
		}
		lr.Monitors = append(lr.Monitors, m)
	}
	return lr
}

func opName(op string, ms int64) string {
	if ms == 0 {
		return op
	}
	return op + " " + (time.Duration(ms) * time.Millisecond).String()
}

func writeLRM(w io.Writer, rs []lrmResource) {
	if len(rs) == 0 {
		fmt.Fprintln(w, "no resources")
		return
	}
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		kind := r.Class + ":"
		if r.Provider != "" {
			kind += r.Provider + ":"
		}
		state := "idle"
		if r.Busy {
			state = "busy"
		}
		fmt.Fprintf(w, "%s (%s%s) %s\n", r.ID, kind, r.Type, state)
		for _, m := range r.Monitors {
			every := (time.Duration(m.IntervalMS) * time.Millisecond).String()
			switch m.State {
			case "pending":
				fmt.Fprintf(w, "  monitor every %s: no result yet (call %d)\n", every, m.Call)
			default:
				fmt.Fprintf(w, "  monitor every %s: %s, rc %d (%s) since %s (call %d)\n", every, strings.ToUpper(m.State),
					*m.RC, rcName(*m.RC), time.Unix(m.Since, 0).Format("2006-01-02 15:04:05"), m.Call)
			}
		}
		if len(r.Monitors) == 0 {
			fmt.Fprintln(w, "  no recurring monitor")
		}
		if len(r.Operations) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OPERATION\tCALL\tSTATE\tRC\tSTATUS\tEXEC\tQUEUE\tLAST RUN\tOUTPUT")
		for _, o := range r.Operations {
			if o.RC == nil {
				fmt.Fprintf(tw, "  %s\t%d\t%s\t\t\t\t\t\t\n", opName(o.Op, o.IntervalMS), o.Call, o.State)
				continue
			}
			exec := time.Duration(o.ExecMS * float64(time.Millisecond)).Round(time.Microsecond)
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%d (%s)\t%s\t%v\t%v\t%s\t%s\n", opName(o.Op, o.IntervalMS), o.Call, o.State,
				*o.RC, o.RCName, o.Status, exec, time.Duration(o.QueueMS)*time.Millisecond,
				time.Unix(o.Run, 0).Format("2006-01-02 15:04:05"), o.Data)
		}
		tw.Flush()
	}
}

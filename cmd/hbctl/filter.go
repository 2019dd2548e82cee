package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hbd-ha/hbd/api"
)

// filterState is what "hbctl filter --json" prints: the foreign packets
// the node dropped, by reason, and where it filters.
type filterState struct {
	Kernel        bool              `json:"kernel"`
	Packets       map[string]uint64 `json:"packets"`
	DeniedSources uint64            `json:"denied_sources"`
	reasons       []string
}

// filterCommand is "hbctl filter [--json]": it asks the daemon for its
// hbd_filter parameter ("kernel=1 pass=N foreign_magic=N …").
func filterCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbctl filter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := api.Dial(socketPath())
	if err != nil {
		fmt.Fprintf(stderr, "hbctl filter: cannot reach hbd at %s: %v\n", socketPath(), err)
		return 1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(clAlarm))
	if err := c.SignOn(""); err != nil {
		fmt.Fprintf(stderr, "hbctl filter: %v\n", err)
		return 1
	}
	defer c.SignOff()
	v, ok, err := c.Param("hbd_filter")
	if err != nil || !ok {
		fmt.Fprintf(stderr, "hbctl filter: the daemon has no packet filter (heartbeat, not hbd?) %v\n", err)
		return 1
	}
	st, err := parseFilter(v)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl filter: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return 0
	}
	where := "user space (no kernel filter)"
	if st.Kernel {
		where = "kernel (eBPF socket filter)"
	}
	fmt.Fprintf(stdout, "filtering in %s; %d sources denied\n\n", where, st.DeniedSources)
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tPACKETS")
	for _, r := range st.reasons {
		fmt.Fprintf(tw, "%s\t%d\n", r, st.Packets[r])
	}
	tw.Flush()
	return 0
}

func parseFilter(v string) (*filterState, error) {
	st := &filterState{Packets: map[string]uint64{}}
	for _, kv := range strings.Fields(v) {
		k, val, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(val, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad hbd_filter answer %q", v)
		}
		switch k {
		case "kernel":
			st.Kernel = n == 1
		case "denied_sources":
			st.DeniedSources = n
		default:
			st.Packets[k] = n
			st.reasons = append(st.reasons, k)
		}
	}
	return st, nil
}

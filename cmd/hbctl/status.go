package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hbd-ha/hbd/api"
)

// clusterState is what "hbctl status --json" prints: the node's view of
// the cluster, asked over the API as a casual client.
type clusterState struct {
	Node        string         `json:"node"`
	Version     string         `json:"version"`
	DeadtimeMS  int64          `json:"deadtime_ms"`
	KeepaliveMS int64          `json:"keepalive_ms"`
	Resources   string         `json:"resources"`
	Nodes       []api.NodeInfo `json:"nodes"`
}

// queryState signs on and gathers every node with its weight, site and
// links, in the daemon's (config) order.
func queryState(withLinks bool) (*clusterState, error) {
	c, err := api.Dial(socketPath())
	if err != nil {
		return nil, fmt.Errorf("cannot reach heartbeat at %s: %w", socketPath(), err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(clAlarm))
	if err := c.SignOn(""); err != nil {
		return nil, err
	}
	defer c.SignOff()
	info := c.Info()
	st := &clusterState{Node: info.Node, Version: info.Version, DeadtimeMS: info.Deadtime.Milliseconds(), KeepaliveMS: info.Keepalive.Milliseconds()}
	if st.Nodes, err = c.Nodes(); err != nil {
		return nil, err
	}
	for i := range st.Nodes {
		n := &st.Nodes[i]
		if n.Weight, err = c.NodeWeight(n.Name); err != nil {
			return nil, err
		}
		if n.Site, err = c.NodeSite(n.Name); err != nil {
			return nil, err
		}
		if withLinks {
			if n.Links, err = c.Links(n.Name); err != nil {
				return nil, err
			}
		}
	}
	if st.Resources, err = c.Holding(); err != nil {
		st.Resources = "" // managed by Pacemaker: heartbeat will not say
	}
	return st, nil
}

// statusCommand is "hbctl status|nodes|links|resources [--json]".
func statusCommand(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hbctl %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	st, err := queryState(name == "status" || name == "links")
	if err != nil {
		fmt.Fprintf(stderr, "hbctl %s: %v\n", name, err)
		return 1
	}
	var v any
	switch name {
	case "status":
		v = st
	case "nodes", "links":
		v = st.Nodes
	case "resources":
		v = map[string]string{"node": st.Node, "resources": st.Resources}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(stderr, "hbctl %s: %v\n", name, err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	switch name {
	case "status":
		fmt.Fprintf(tw, "node %s, heartbeat %s, keepalive %dms, deadtime %dms, holding %s resources\n\n",
			st.Node, st.Version, st.KeepaliveMS, st.DeadtimeMS, st.Resources)
		printNodes(tw, st.Nodes)
	case "nodes":
		printNodes(tw, st.Nodes)
	case "links":
		fmt.Fprintln(tw, "NODE\tLINK\tSTATUS")
		for _, n := range st.Nodes {
			for _, l := range n.Links {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", n.Name, l.Name, l.Status)
			}
		}
	case "resources":
		fmt.Fprintf(tw, "%s\n", st.Resources)
	}
	tw.Flush()
	return 0
}

func printNodes(w io.Writer, nodes []api.NodeInfo) {
	fmt.Fprintln(w, "NODE\tTYPE\tSTATUS\tWEIGHT\tSITE\tLINKS")
	for _, n := range nodes {
		links := ""
		for i, l := range n.Links {
			if i > 0 {
				links += " "
			}
			links += l.Name + ":" + l.Status
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", n.Name, n.Type, n.Status, n.Weight, n.Site, links)
	}
}

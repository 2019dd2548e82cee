package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
)

var crmStandbyOpts = []crmOpt{
	{'q', "quiet", false}, {'Q', "quiet-legacy", false}, {'V', "verbose", false}, {'G', "query", false},
	{'v', "update", true}, {'D', "delete", false}, {'N', "node", true}, {'l', "lifetime", true},
	{'i', "id", true}, {0, "help", false},
}

// runCrmStandby is Pacemaker's crm_standby script: crm_attribute on the
// node's standby attribute (forever by default; a query falls back to the
// reboot entry, then "off"; a delete removes both).
func runCrmStandby(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmStandbyOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitError
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "crm_standby - Query, enable, or disable standby mode for a node\n")
		return crmExitOK
	}
	node := p.last("node")
	if node == "" && os.Getenv("CIB_file") == "" {
		// The script asks crm_node -n: the running node's name.
		node = liveNodeName()
	}
	if node == "" {
		// crm_node -n needs the controller.
		fmt.Fprintf(stderr, "error: Could not connect to controller: Connection refused\n")
		return crmExitNotConn
	}
	q := &crmParsed{vals: map[string][]string{"node": {node}, "name": {"standby"}}}
	for _, k := range []string{"quiet", "quiet-legacy", "id"} {
		if p.has(k) {
			q.vals[k] = p.vals[k]
		}
	}
	op := "query"
	switch {
	case p.has("update"):
		op = "update"
		q.vals["update"] = p.vals["update"]
	case p.has("delete"):
		op = "delete"
		q.vals["delete"] = []string{""}
	}
	if p.has("lifetime") {
		q.vals["lifetime"] = p.vals["lifetime"]
		return crmAttribute("crm_attribute", q, stdout, stderr)
	}
	switch op {
	case "query":
		q.vals["lifetime"] = []string{"forever"}
		if crmAttribute("crm_attribute", q, io.Discard, io.Discard) != crmExitOK {
			q.vals["lifetime"] = []string{"reboot"}
			q.vals["default"] = []string{"off"}
		}
	case "update":
		q.vals["lifetime"] = []string{"forever"}
	case "delete":
		q.vals["lifetime"] = []string{"forever"}
		crmAttribute("crm_attribute", q, stdout, stderr)
		q.vals["lifetime"] = []string{"reboot"}
		crmAttribute("crm_attribute", q, stdout, stderr)
		return crmExitOK
	}
	return crmAttribute("crm_attribute", q, stdout, stderr)
}

var crmFailcountOpts = []crmOpt{
	{'q', "quiet", false}, {'Q', "quiet-legacy", false}, {'V', "verbose", false}, {'G', "query", false},
	{'D', "delete", false}, {'r', "resource", true}, {'n', "operation", true}, {'I', "interval", true},
	{'N', "node", true}, {'v', "attr-value", true}, {'i', "attr-id", true}, {'l', "lifetime", true},
	{0, "help", false},
}

// runCrmFailcount is Pacemaker's crm_failcount script: -G sums the
// resource's fail-count-RSC#OP_INTERVAL attributes on the node (or reads
// one with -n/-I), -D is crm_resource --cleanup.
func runCrmFailcount(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmFailcountOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "crm_failcount - Query or delete resource fail counts\n")
		return crmExitOK
	}
	del := p.has("delete") || p.last("attr-value") == "0"
	switch {
	case !p.has("query") && !del:
		fmt.Fprintf(stderr, "error: must specify a command\n")
		return crmExitUsage
	case !p.has("resource"):
		fmt.Fprintf(stderr, "error: resource name required\n")
		return crmExitUsage
	case !p.has("node"):
		fmt.Fprintf(stderr, "error: node name required\n")
		return crmExitUsage
	}
	node, rsc := p.last("node"), p.last("resource")
	if del {
		args := []string{"--cleanup", "-N", node, "-r", rsc}
		if p.has("operation") {
			args = append(args, "-n", p.last("operation"), "-I", strconv.FormatInt(opIntervalMS(p.last("interval")), 10)+"ms")
		}
		return runCrmResource("crm_resource", args, stdout, stderr)
	}
	attrs := nodeTransientAttrs(node)
	base := "fail-count-" + rsc
	display := base
	count := "0"
	if op := p.last("operation"); op != "" {
		display = base + "#" + op + "_" + strconv.FormatInt(max(opIntervalMS(p.last("interval")), 0), 10)
		if v, ok := attrs[display]; ok {
			count = v
		}
	} else {
		sum := 0
		for k, v := range attrs {
			if strings.HasPrefix(k, base+"#") {
				if strings.EqualFold(v, "INFINITY") || strings.EqualFold(v, "+INFINITY") {
					sum = 1000000
					continue
				}
				n, _ := strconv.Atoi(v)
				if sum < 1000000 {
					sum += n
				}
			}
		}
		count = strconv.Itoa(sum)
		if sum >= 1000000 {
			count = "INFINITY"
		}
	}
	if count == "0" {
		if v, ok := attrs[base]; ok {
			count, display = v, base
		}
	}
	if p.has("quiet") || p.has("quiet-legacy") {
		fmt.Fprintln(stdout, count)
	} else {
		fmt.Fprintf(stdout, "scope=status  name=%s value=%s\n", display, count)
	}
	return crmExitOK
}

// nodeTransientAttrs reads a node's status attributes from the CIB_file
// (or the running node's CIB).
func nodeTransientAttrs(node string) map[string]string {
	out := map[string]string{}
	var c *cib.CIB
	if path := os.Getenv("CIB_file"); path != "" {
		data, err := store.ReadFile(path)
		if err != nil {
			return out
		}
		if c, err = cib.ParseCIB(data); err != nil {
			return out
		}
	} else {
		var err error
		if c, err = liveCIB(0); err != nil {
			return out
		}
	}
	if st := c.Section("status"); st != nil {
		for _, ns := range st.All("node_state") {
			if ns.Get("uname") != node {
				continue
			}
			if ta := ns.Child("transient_attributes"); ta != nil {
				for _, s := range ta.All("instance_attributes") {
					for _, nv := range s.All("nvpair") {
						out[nv.Get("name")] = nv.Get("value")
					}
				}
			}
		}
	}
	return out
}

var crmNodeOpts = []crmOpt{
	{'l', "list", false}, {'n', "name", false}, {'q', "quorum", false}, {'p', "partition", false},
	{'i', "cluster-id", false}, {'N', "name-for-id", true}, {'R', "remove", true}, {'V', "verbose", false},
	{'h', "help", false}, {'f', "force", false},
}

// runCrmNode is crm_node: Pacemaker asks its controller; hbd answers from
// the running node's CCM membership (ccm's client socket). Without a
// running node it fails as Pacemaker's does offline (a CIB_file is not
// enough there either).
func runCrmNode(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmNodeOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "Usage:\n  %s [OPTION?]\n\nTool for displaying low-level node information\n", prog)
		return crmExitOK
	}
	if p.has("name") {
		// A resource agent run by the cluster is told its node.
		if n := os.Getenv("OCF_RESKEY_CRM_meta_on_node"); n != "" {
			fmt.Fprintln(stdout, n)
			return crmExitOK
		}
	}
	v, err := readCCM(ccmSocketPath(), 2*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "error: Could not connect to controller: Connection refused\n")
		return crmExitNotConn
	}
	members := map[int]bool{}
	for _, m := range v.mem.Members {
		members[m.Index] = true
	}
	switch {
	case p.has("list"), p.has("partition"):
		for i, name := range v.nodes {
			state := "lost"
			if members[i] {
				state = "member"
			}
			if p.has("list") {
				fmt.Fprintf(stdout, "%d %s %s\n", i+1, name, state)
			} else if members[i] {
				fmt.Fprintf(stdout, "%s ", name)
			}
		}
		if p.has("partition") {
			fmt.Fprintln(stdout)
		}
	case p.has("name"):
		fmt.Fprintln(stdout, v.name(v.me))
	case p.has("cluster-id"):
		fmt.Fprintln(stdout, v.me+1)
	case p.has("quorum"):
		if v.mem.Quorum {
			fmt.Fprintln(stdout, 1)
			return crmExitOK
		}
		fmt.Fprintln(stdout, 0)
		return crmExitQuorum
	default:
		fmt.Fprintf(stderr, "%s: this command is not implemented by hbd\n", prog)
		return crmExitUsage
	}
	return crmExitOK
}

// crmExitQuorum is CRM_EX_QUORUM, crm_node -q's answer without quorum.
const crmExitQuorum = 108

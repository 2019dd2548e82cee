// Command hbctl is hbd's operator tool:
//
//	hbctl status|nodes|links|resources [--json]
//	hbctl ccm
//	hbctl standby  [--fifo PATH] [all|local|foreign|failback]
//	hbctl takeover [--fifo PATH] [all|local|foreign|failback]
//	hbctl wire decode [--authkeys FILE] FILE...
//
// Invoked as cl_status, hb_standby or hb_takeover (a symlink), it is that
// heartbeat tool: the same sub-commands, options, output, messages and
// exit codes.
//
// The API socket is /var/run/heartbeat/register unless HBD_API_SOCKET
// names another (tests and "make demo" run unprivileged that way); the
// FIFO is /var/lib/heartbeat/fifo unless HA_FIFO or --fifo names another.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: hbctl <command> [arguments]

commands:
  status [--json]      this node's view: version, timing, resources, every node and link
  nodes [--json]       the cluster's nodes: type, status, weight, site
  links [--json]       every node's heartbeat links and their status
  resources [--json]   the resources this node holds (none, local, foreign, all)
  filter [--json]      foreign packets dropped, by reason, and whether the kernel filters
  ccm                  the CCM membership: instance, quorum, members and their born instance
  lrm [--json] [RSC...] the LRM's resources: last operations, pending ones, monitors' state
  standby [--fifo PATH] [all|local|foreign|failback]
        give resources to the other node (heartbeat's hb_standby)
  takeover [--fifo PATH] [all|local|foreign|failback]
        take resources from the other node (heartbeat's hb_takeover)
  simulate -x FILE|-L [-R|-S] [-u NODE] [-d NODE] [-i OP] [--save-graph F] [--save-output F]
        run the policy engine on a CIB as crm_simulate does (also as crm_simulate)
  crm_mon|crm_resource|crm_verify|crm_attribute|crm_standby|crm_failcount|crm_node ...
        Pacemaker 2.1.5's tools on $CIB_file (also when linked as those names)
  wire decode [--authkeys FILE] FILE...
        decode captured heartbeat UDP payloads: print each packet's fields,
        whether its auth verifies, and whether re-encoding reproduces it

Linked or copied as cl_status, hb_standby or hb_takeover, hbctl is that tool.
The API socket is $HBD_API_SOCKET, else /var/run/heartbeat/register.
`

func main() {
	os.Exit(dispatch(os.Args[0], os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch picks the tool by the name hbctl was invoked as.
func dispatch(argv0 string, args []string, stdout, stderr io.Writer) int {
	switch baseName(argv0) {
	case "cl_status":
		return runClStatus(args, stdout, stderr)
	case "hb_standby":
		return runStandbyScript(argv0, args, false, stdout, stderr)
	case "hb_takeover":
		return runStandbyScript(argv0, args, true, stdout, stderr)
	case "crm_simulate":
		return runSimulate("crm_simulate", args, stdout, stderr)
	}
	if tool, ok := crmTools[baseName(argv0)]; ok {
		return tool(baseName(argv0), args, stdout, stderr)
	}
	return run(args, stdout, stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == "wire" && args[1] == "decode" {
		return wireDecode(args[2:], stdout, stderr)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "status", "nodes", "links", "resources":
		return statusCommand(args[0], args[1:], stdout, stderr)
	case "filter":
		return filterCommand(args[1:], stdout, stderr)
	case "ccm":
		return ccmCommand(args[1:], stdout, stderr)
	case "lrm":
		return lrmCommand(args[1:], stdout, stderr)
	case "standby", "takeover":
		return standbyCommand(args[0], args[1:], stdout, stderr)
	case "simulate":
		return runSimulate("hbctl simulate", args[1:], stdout, stderr)
	}
	if tool, ok := crmTools[args[0]]; ok {
		return tool(args[0], args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hbctl: unknown command %q\n%s", args, usage)
	return 2
}

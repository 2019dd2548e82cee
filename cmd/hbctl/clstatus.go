package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// cl_status's exit codes.
const (
	clOK         = 0
	clFail       = 1 // e.g. a node is down, heartbeat is not running
	clParamError = 11
	clTimeout    = 12 // its 5 s alarm went off
	clUnknown    = 13
)

// clAlarm is cl_status's overall time limit.
const clAlarm = 5 * time.Second

const clHelp = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
	Show the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
	Show the status of a heartbeat link
hbstatus
	Indicate if heartbeat is running on the local system.
	Options:
		-v	verbose: also add "listnodes -v" output
listnodes [<option>]
	List the nodes in the cluster.
	Options:
		-p	list only 'ping' type nodes
		-n	list only 'normal' type nodes
		-v	verbose: also list type and status,
			then add "listhblinks -v" output
listhblinks <node-name>
	List the network interfaces used as hearbeat links.
	Options:
		-v	verbose: list link status as well
nodestatus <node-name>
	List the node status.
nodeweight <node-name>
	List the node weight.
nodesite <node-name>
	List the node site.
nodetype <node-name>
	List the nodes of a given type.
rscstatus
	Show the status of cluster resources.
hbparameter -p <parameter-name>
	Retrieve the value of a cluster parameter.
	As for the valid parameter names, please refer to the man page.
`

// clStatus is heartbeat's cl_status: same sub-commands, options, texts
// and exit codes, talking to the API socket (HBD_API_SOCKET overrides the
// path).
type clStatus struct {
	stdout io.Writer
	stderr io.Writer
	log    *clLogger
	hb     *hbClient
	human  bool // -m
	posix  bool
}

type clCmd struct {
	name      string
	run       func(*clStatus, []string, string) int
	optstring string
	signOn    bool // refuse to run without a sign-on
}

var clCmds = []clCmd{
	{"hbstatus", (*clStatus).hbstatus, "mv", false},
	{"listnodes", (*clStatus).listnodes, "mpnv", true},
	{"nodestatus", (*clStatus).nodestatus, "m", true},
	{"nodeweight", (*clStatus).nodeweight, "m", true},
	{"nodesite", (*clStatus).nodesite, "m", true},
	{"nodetype", (*clStatus).nodetype, "m", true},
	{"listhblinks", (*clStatus).listhblinks, "mv", true},
	{"hblinkstatus", (*clStatus).hblinkstatus, "m", true},
	{"clientstatus", (*clStatus).clientstatus, "m", true},
	{"rscstatus", (*clStatus).rscstatus, "m", true},
	{"hbparameter", (*clStatus).hbparameter, "mp:", true},
	{"test", (*clStatus).test, "", true},
}

// runClStatus is cl_status's main; args are its arguments after the
// program name.
func runClStatus(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-h") {
		fmt.Fprint(stdout, clHelp)
		return clOK
	}
	timer := time.AfterFunc(clAlarm, func() { os.Exit(clTimeout) })
	defer timer.Stop()
	_, posix := os.LookupEnv("POSIXLY_CORRECT")
	cs := &clStatus{stdout: stdout, stderr: stderr, log: newCLLogger(stderr, "cl_status"), hb: &hbClient{}, posix: posix}
	for _, cmd := range clCmds {
		if args[0] != cmd.name {
			continue
		}
		ok := cs.hb.signOn()
		defer cs.hb.signOff()
		if !ok && cmd.signOn {
			cs.log.errorf("Cannot signon with heartbeat")
			cs.log.errorf("REASON: %s", cs.hb.errmsg)
			return clFail
		}
		return cmd.run(cs, args, cmd.optstring)
	}
	cs.log.errorf("%s: invalid sub-command.", args[0])
	return clParamError
}

func (cs *clStatus) getopt(args []string, optstring string) *getopter {
	return newGetopt(args, optstring, cs.posix, cs.stderr)
}

// simpleOpts is general_simple_opt_deal: only -m; it returns the operands,
// or false after an option error.
func (cs *clStatus) simpleOpts(args []string, optstring string) ([]string, bool) {
	g := cs.getopt(args, optstring)
	for {
		c, _, ok := g.next()
		if !ok {
			return g.rest(), true
		}
		if c != 'm' {
			cs.log.errorf("Error: getopt returnedcharacter %c.", c)
			return nil, false
		}
		cs.human = true
	}
}

func (cs *clStatus) printf(format string, args ...any) { fmt.Fprintf(cs.stdout, format, args...) }

func (cs *clStatus) hbstatus(args []string, optstring string) int {
	verbose := false
	g := cs.getopt(args, optstring)
	for {
		c, _, ok := g.next()
		if !ok {
			break
		}
		switch c {
		case 'm':
			cs.human = true
		case 'v':
			verbose = true
		}
	}
	hb := cs.hb
	if !hb.signed {
		rc := clFail
		if hb.deadtime == 0 {
			cs.printf("Heartbeat is stopped on this machine.\n")
		} else {
			cs.printf("Heartbeat is apparently running on this machine, but refuses my connection\n")
			rc = clOK
		}
		if verbose && hb.errmsg != "" {
			cs.printf("(%s)\n", hb.errmsg)
		}
		return rc
	}
	if !verbose {
		cs.printf("Heartbeat is running on this machine.\n")
		return clOK
	}
	version, haveVersion := hb.param("hbversion")
	pcmk, enabled := hb.pacemakerEnabled()
	if cs.human {
		if haveVersion {
			cs.printf("Heartbeat version %s\n", version)
		} else {
			cs.printf("Heartbeat is running on this machine.\n")
		}
		if enabled {
			cs.printf("Resources controlled by Pacemaker.\n")
		} else {
			cs.printf("Resources controlled by \"haresources\"\n")
		}
	} else {
		if !haveVersion {
			version = "unknown"
		}
		cs.printf("version:\t%s\n", version)
		if !enabled {
			cs.printf("managed by:\t\"haresources\"\n")
		} else {
			cs.printf("managed by:\tpacemaker\t(%s)\n", cNull(pcmk, pcmk != ""))
		}
	}
	// heartbeat also shows the CCM membership when ccm runs; hbd has no
	// CCM (haresources clusters only), and cl_status then prints nothing.
	cs.listNodes(false, false, true)
	return clOK
}

// cNull is what printf("%s") shows for a string or a NULL pointer.
func cNull(s string, ok bool) string {
	if !ok {
		return "(null)"
	}
	return s
}

func (cs *clStatus) listnodes(args []string, optstring string) int {
	verbose, pingOnly, normalOnly := false, false, false
	g := cs.getopt(args, optstring)
	for {
		c, _, ok := g.next()
		if !ok {
			break
		}
		switch c {
		case 'm':
			cs.human = true
		case 'v':
			verbose = true
		case 'p':
			pingOnly = true
		case 'n':
			normalOnly = true
		default:
			cs.log.errorf("Error: getopt returnedcharacter code %c.", c)
			return clParamError
		}
	}
	return cs.listNodes(normalOnly, pingOnly, verbose)
}

func (cs *clStatus) listNodes(normalOnly, pingOnly, verbose bool) int {
	hb := cs.hb
	if !hb.initNodeWalk() {
		cs.log.errorf("Cannot start node walk.")
		cs.log.errorf("REASON: %s", hb.errmsg)
		return clUnknown
	}
	if normalOnly && pingOnly {
		normalOnly, pingOnly = false, false
	}
	if cs.human {
		cs.printf("The nodes are as follow:\n")
	}
	for _, n := range hb.nodes {
		if normalOnly || pingOnly {
			t, _ := hb.nodeType(n.Name)
			if normalOnly && !strings.HasPrefix(t, "normal") {
				continue
			}
			if pingOnly && !strings.HasPrefix(t, "ping") {
				continue
			}
		}
		if verbose {
			st, okS := hb.nodeStatus(n.Name)
			t, okT := hb.nodeType(n.Name)
			cs.printf("\n%s\t%s\t(nodetype: %s)\n", n.Name, cNull(st, okS), cNull(t, okT))
			cs.listLinks(n.Name, true)
		} else {
			cs.printf("%s\n", n.Name)
		}
	}
	return clOK
}

func (cs *clStatus) listLinks(host string, verbose bool) int {
	hb := cs.hb
	if !hb.initIfWalk(host) {
		cs.log.errorf("Cannot start heartbeat link interface walk.")
		cs.log.errorf("REASON: %s", hb.errmsg)
		return clUnknown
	}
	if cs.human {
		cs.printf("\tthis node has the following heartbeat links:\n")
	}
	for _, l := range hb.links {
		if verbose {
			st, ok := hb.ifStatus(host, l.Name)
			cs.printf("\t%s\t%s\n", l.Name, cNull(st, ok))
		} else {
			cs.printf("\t%s\n", l.Name)
		}
	}
	return clOK
}

func (cs *clStatus) nodestatus(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 1 {
		fmt.Fprintf(cs.stderr, "Not enough parameters.\n")
		return clParamError
	}
	st, ok := cs.hb.nodeStatus(ops[0])
	if !ok {
		fmt.Fprintf(cs.stderr, "Error. May be due to incorrect node name\n")
		return clParamError
	}
	if cs.human {
		cs.printf("The cluster node %s is %s\n", ops[0], st)
	} else {
		cs.printf("%s\n", st)
	}
	if strings.HasPrefix(st, "active") || strings.HasPrefix(st, "up") || strings.HasPrefix(st, "ping") {
		return clOK
	}
	return clFail
}

func (cs *clStatus) nodeweight(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 1 {
		fmt.Fprintf(cs.stderr, "Not enough parameters.\n")
		return clParamError
	}
	w, err := cs.hb.c.NodeWeight(ops[0])
	if err != nil || w == -1 {
		fmt.Fprintf(cs.stderr, "Error. Maybe due to incorrect node name.\n")
		return clParamError
	}
	if cs.human {
		cs.printf("The weight of the cluster node %s is %d\n", ops[0], w)
	} else {
		cs.printf("%d\n", w)
	}
	return clOK
}

func (cs *clStatus) nodesite(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 1 {
		fmt.Fprintf(cs.stderr, "Not enough parameters.\n")
		return clParamError
	}
	site, err := cs.hb.c.NodeSite(ops[0])
	if err != nil {
		fmt.Fprintf(cs.stderr, "Error. May be due to incorrect node name\n")
		return clParamError
	}
	if cs.human {
		cs.printf("The site of the cluster node %s is %s\n", ops[0], site)
	} else {
		cs.printf("%s\n", site)
	}
	return clOK
}

func (cs *clStatus) nodetype(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 1 {
		fmt.Fprintf(cs.stderr, "No enough parameter.\n")
		return clParamError
	}
	t, ok := cs.hb.nodeType(ops[0])
	if !ok {
		fmt.Fprintf(cs.stderr, "Error. May be due to incorrect node name\n")
		return clParamError
	}
	if cs.human {
		cs.printf("The node %s's type: %s\n", ops[0], t)
	} else {
		cs.printf("%s\n", t)
	}
	return clOK
}

func (cs *clStatus) listhblinks(args []string, optstring string) int {
	verbose := false
	g := cs.getopt(args, optstring)
	for {
		c, _, ok := g.next()
		if !ok {
			break
		}
		switch c {
		case 'm':
			cs.human = true
		case 'v':
			verbose = true
		default:
			cs.log.errorf("Error: getopt returnedcharacter code %c.", c)
			return clParamError
		}
	}
	ops := g.rest()
	if len(ops) < 1 {
		fmt.Fprintf(cs.stderr, "No enough parameter.\n")
		return clParamError
	}
	return cs.listLinks(ops[0], verbose)
}

func (cs *clStatus) hblinkstatus(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 2 {
		fmt.Fprintf(cs.stderr, "No enough parameter.\n")
		return clParamError
	}
	st, ok := cs.hb.ifStatus(ops[0], ops[1])
	if !ok {
		cs.log.errorf("Cannot get heartbeat link status")
		cs.log.errorf("REASON: %s", cs.hb.errmsg)
		return clUnknown
	}
	if cs.human {
		cs.printf("The node %s's heartbeat link %s is %s\n", ops[0], ops[1], st)
	} else {
		cs.printf("%s\n", st)
	}
	if strings.HasPrefix(st, "up") {
		return clOK
	}
	return clFail
}

func (cs *clStatus) clientstatus(args []string, optstring string) int {
	ops, ok := cs.simpleOpts(args, optstring)
	if !ok {
		return clParamError
	}
	if len(ops) < 2 {
		fmt.Fprintf(cs.stderr, "No enough parameter.\n")
		return clParamError
	}
	timeout := 500 * time.Millisecond
	if len(ops) > 2 {
		timeout = time.Duration(catoi(ops[2])) * time.Millisecond
	}
	st, ok := cs.hb.clientStatus(ops[0], ops[1], timeout)
	if !ok {
		cs.log.errorf("Cannot get heartbeat client %s's status", ops[1])
		cs.log.errorf("REASON: %s", cs.hb.errmsg)
		return clUnknown
	}
	cs.printf("%s\n", st)
	switch {
	case strings.HasPrefix(st, "online"):
		return clOK
	case strings.HasPrefix(st, "offline"):
		return clFail
	case strings.HasPrefix(st, "join"):
		return 2
	case strings.HasPrefix(st, "leave"):
		return 3
	}
	return clUnknown
}

func (cs *clStatus) rscstatus(args []string, optstring string) int {
	if _, ok := cs.simpleOpts(args, optstring); !ok {
		return clParamError
	}
	if _, enabled := cs.hb.pacemakerEnabled(); enabled {
		cs.log.errorf("Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
		return clFail
	}
	r, ok := cs.hb.resources()
	if !ok {
		cs.log.errorf("Cannot get cluster resource status")
		cs.log.errorf("REASON: %s", cs.hb.errmsg)
		return clUnknown
	}
	if cs.human {
		cs.printf("This node is holding %s resources.\n", r)
	} else {
		cs.printf("%s\n", r)
	}
	return clOK
}

func (cs *clStatus) hbparameter(args []string, optstring string) int {
	name, haveName := "", false
	g := cs.getopt(args, optstring)
	for {
		c, arg, ok := g.next()
		if !ok {
			break
		}
		switch c {
		case 'm':
			cs.human = true
		case 'p':
			name, haveName = arg, true
		default:
			cs.log.errorf("Error: getopt returnedcharacter code %c.", c)
			return clParamError
		}
	}
	if !haveName {
		cs.log.errorf("parameter name required")
		return clParamError
	}
	v, ok := cs.hb.param(name)
	if !ok {
		cs.log.errorf("Cannot get parameter %s's value", name)
		cs.log.errorf("REASON: %s", cs.hb.errmsg)
		return clFail
	}
	if cs.human {
		cs.printf("Heartbeat parameter %s's value: %s\n", name, v)
	} else {
		cs.printf("%s\n", v)
	}
	return clOK
}

func (cs *clStatus) test([]string, string) int {
	r, ok := cs.hb.resources()
	cs.printf("Dead time: %d\n keeplive time: %d\n mynodeid: %s\n rsc: %s\n",
		cs.hb.info.Deadtime.Milliseconds(), cs.hb.info.Keepalive.Milliseconds(), cs.hb.info.Node, cNull(r, ok))
	return clOK
}

// catoi is C's atoi.
func catoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	v := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int(s[i]-'0')
		if v > 1<<31 {
			break
		}
	}
	if neg {
		v = -v
	}
	return int(int32(v))
}

package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
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

// heartbeat's texts, spelled as each sub-command spells them (cl_status
// is not consistent, and hbctl must not be either). Those of one
// sub-command only stand in its row of clCmds.
const (
	badOpt       = "Error: getopt returnedcharacter %c."      // general_simple_opt_deal
	badOptCode   = "Error: getopt returnedcharacter code %c." // sub-commands with their own options
	tooFewParams = "Not enough parameters.\n"
	tooFewParam  = "No enough parameter.\n"
	badNode      = "Error. May be due to incorrect node name\n"
	badNodeDot   = "Error. Maybe due to incorrect node name.\n" // nodeweight's
)

var (
	errSignOn   = clErr{text: "Cannot signon with heartbeat", logged: true, code: clFail}
	errNodeWalk = clErr{text: "Cannot start node walk.", logged: true, code: clUnknown}
	errIfWalk   = clErr{text: "Cannot start heartbeat link interface walk.", logged: true, code: clUnknown}
)

// clStatus is heartbeat's cl_status: same sub-commands, options, texts
// and exit codes, talking to the API socket (HBD_API_SOCKET overrides the
// path).
type clStatus struct {
	stdout io.Writer
	stderr io.Writer
	log    *clLogger
	hb     *hbClient
	posix  bool

	human bool   // -m
	opts  string // the other option letters given
	arg   string // the argument of the last option that takes one
}

type clCmd struct {
	name      string
	optstring string // getopt's; "" reads no options at all
	badOpt    string // logged for a bad option; "" ignores bad options
	signOn    bool   // refuse to run without a sign-on
	run       func(cs *clStatus, cmd *clCmd, ops []string) int
	q         *clQuery // what query asks, for run functions that end in it
}

var clCmds = []clCmd{
	{name: "hbstatus", optstring: "mv", run: (*clStatus).hbstatus},
	{name: "listnodes", optstring: "mpnv", badOpt: badOptCode, signOn: true, run: (*clStatus).listnodes},
	{name: "nodestatus", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 1, tooFew: tooFewParams,
		ask:    func(h *hbClient, ops []string) (string, bool) { return h.nodeStatus(ops[0]) },
		failed: clErr{text: badNode, code: clParamError},
		human:  "The cluster node %s is %s\n",
		codes:  []clPrefix{{"active", clOK}, {"up", clOK}, {"ping", clOK}}, otherwise: clFail,
	}},
	{name: "nodeweight", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 1, tooFew: tooFewParams,
		ask: func(h *hbClient, ops []string) (string, bool) {
			w, err := h.c.NodeWeight(ops[0])
			return strconv.Itoa(w), err == nil && w != -1
		},
		failed: clErr{text: badNodeDot, code: clParamError},
		human:  "The weight of the cluster node %s is %s\n",
	}},
	{name: "nodesite", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 1, tooFew: tooFewParams,
		ask: func(h *hbClient, ops []string) (string, bool) {
			site, err := h.c.NodeSite(ops[0])
			return site, err == nil
		},
		failed: clErr{text: badNode, code: clParamError},
		human:  "The site of the cluster node %s is %s\n",
	}},
	{name: "nodetype", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 1, tooFew: tooFewParam,
		ask:    func(h *hbClient, ops []string) (string, bool) { return h.nodeType(ops[0]) },
		failed: clErr{text: badNode, code: clParamError},
		human:  "The node %s's type: %s\n",
	}},
	{name: "listhblinks", optstring: "mv", badOpt: badOptCode, signOn: true, run: (*clStatus).listhblinks},
	{name: "hblinkstatus", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 2, tooFew: tooFewParam,
		ask:    func(h *hbClient, ops []string) (string, bool) { return h.ifStatus(ops[0], ops[1]) },
		failed: clErr{text: "Cannot get heartbeat link status", logged: true, code: clUnknown},
		human:  "The node %s's heartbeat link %s is %s\n",
		codes:  []clPrefix{{"up", clOK}}, otherwise: clFail,
	}},
	{name: "clientstatus", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).query, q: &clQuery{
		operands: 2, tooFew: tooFewParam,
		ask: func(h *hbClient, ops []string) (string, bool) {
			timeout := 500 * time.Millisecond
			if len(ops) > 2 {
				timeout = time.Duration(catoi(ops[2])) * time.Millisecond
			}
			return h.clientStatus(ops[0], ops[1], timeout)
		},
		failed: clErr{text: "Cannot get heartbeat client %[2]s's status", logged: true, code: clUnknown},
		codes:  []clPrefix{{"online", clOK}, {"offline", clFail}, {"join", 2}, {"leave", 3}}, otherwise: clUnknown,
	}},
	{name: "rscstatus", optstring: "m", badOpt: badOpt, signOn: true, run: (*clStatus).rscstatus, q: &clQuery{
		ask:    func(h *hbClient, _ []string) (string, bool) { return h.resources() },
		failed: clErr{text: "Cannot get cluster resource status", logged: true, code: clUnknown},
		human:  "This node is holding %s resources.\n",
	}},
	{name: "hbparameter", optstring: "mp:", badOpt: badOptCode, signOn: true, run: (*clStatus).hbparameter, q: &clQuery{
		operands: 1,
		ask:      func(h *hbClient, ops []string) (string, bool) { return h.param(ops[0]) },
		failed:   clErr{text: "Cannot get parameter %[1]s's value", logged: true, code: clFail},
		human:    "Heartbeat parameter %s's value: %s\n",
	}},
	{name: "test", signOn: true, run: (*clStatus).test},
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
	for i := range clCmds {
		cmd := &clCmds[i]
		if args[0] != cmd.name {
			continue
		}
		ok := cs.hb.signOn()
		defer cs.hb.signOff()
		if !ok && cmd.signOn {
			return cs.fail(errSignOn, nil)
		}
		var ops []string
		if cmd.optstring != "" {
			if ops, ok = cs.options(args, cmd.optstring, cmd.badOpt); !ok {
				return clParamError
			}
		}
		return cmd.run(cs, cmd, ops)
	}
	cs.log.errorf("%s: invalid sub-command.", args[0])
	return clParamError
}

// options reads args' options as cl_status's getopt loops do: -m sets
// human, the others are recorded in opts and arg. A bad option (getopt's
// '?') ends the loop with badText logged, unless badText is "" (hbstatus
// carries on). It returns the operands.
func (cs *clStatus) options(args []string, optstring, badText string) ([]string, bool) {
	g := newGetopt(args, optstring, cs.posix, cs.stderr)
	for {
		c, arg, ok := g.next()
		switch {
		case !ok:
			return g.rest(), true
		case c == '?':
			if badText != "" {
				cs.log.errorf(badText, c)
				return nil, false
			}
		case c == 'm':
			cs.human = true
		default:
			cs.opts += string(c)
			cs.arg = arg // only hbparameter's -p takes one
		}
	}
}

// opt reports whether option c was given.
func (cs *clStatus) opt(c byte) bool { return strings.IndexByte(cs.opts, c) >= 0 }

func (cs *clStatus) printf(format string, args ...any) { fmt.Fprintf(cs.stdout, format, args...) }

// rscstatus refuses under Pacemaker, as heartbeat's does.
func (cs *clStatus) rscstatus(cmd *clCmd, ops []string) int {
	if _, enabled := cs.hb.pacemakerEnabled(); enabled {
		cs.log.errorf("Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
		return clFail
	}
	return cs.query(cmd, ops)
}

// hbparameter asks for -p's parameter.
func (cs *clStatus) hbparameter(cmd *clCmd, _ []string) int {
	if !cs.opt('p') {
		cs.log.errorf("parameter name required")
		return clParamError
	}
	return cs.query(cmd, []string{cs.arg})
}

func (cs *clStatus) test(*clCmd, []string) int {
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

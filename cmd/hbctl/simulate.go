package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"time"

	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/crm/te"
	"github.com/hbd-ha/hbd/internal/layer"
)

// crm_simulate's exit codes (Pacemaker's crm_exit_t) as the real tool
// gives them for these cases.
const (
	simExitOK       = 0
	simExitUsage    = 64 // unknown option, missing argument
	simExitNoInput  = 66 // live CIB not available
	simExitSoftware = 70 // input file unreadable (crm_simulate 2.1.5 asserts and exits 70)
)

type simOpts struct {
	xmlFile, saveGraph, saveOutput string
	live, run, simulate, scores    bool
	quiet, failPending             bool
	up, down, inject               []string
}

// runSimulate is hbctl simulate and the crm_simulate personality.
func runSimulate(prog string, args []string, stdout, stderr io.Writer) int {
	var o simOpts
	long := map[string]byte{"xml-file": 'x', "live-check": 'L', "run": 'R', "simulate": 'S', "show-scores": 's',
		"quiet": 'Q', "node-up": 'u', "node-down": 'd', "op-inject": 'i', "op-fail": 'F', "save-graph": 'G',
		"save-output": 'O', "help": 'h'}
	withArg := "xudiGO"
	for i := 0; i < len(args); i++ {
		a := args[i]
		var flags []byte
		var val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--"):
			name := a[2:]
			if j := strings.IndexByte(name, '='); j >= 0 {
				name, val, hasVal = name[:j], name[j+1:], true
			}
			c, ok := long[name]
			if !ok {
				fmt.Fprintf(stderr, "%s: Unknown option %s\n", prog, a)
				return simExitUsage
			}
			flags = []byte{c}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = []byte(a[1:])
		default:
			fmt.Fprintf(stderr, "%s: unexpected argument %s\n", prog, a)
			return simExitUsage
		}
		for k, c := range flags {
			if strings.IndexByte(withArg, c) >= 0 {
				if !hasVal {
					if rest := string(flags[k+1:]); rest != "" && len(flags) > 1 && !strings.HasPrefix(a, "--") {
						val = rest
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						fmt.Fprintf(stderr, "%s: Missing argument for %s\n", prog, a)
						return simExitUsage
					}
				}
				switch c {
				case 'x':
					o.xmlFile = val
				case 'u':
					o.up = append(o.up, val)
				case 'd':
					o.down = append(o.down, val)
				case 'i':
					o.inject = append(o.inject, val)
				case 'G':
					o.saveGraph = val
				case 'O':
					o.saveOutput = val
				}
				break
			}
			switch c {
			case 'L':
				o.live = true
			case 'R':
				o.run = true
			case 'S':
				o.simulate = true
			case 's':
				o.scores = true
			case 'Q':
				o.quiet = true
			case 'F':
				o.failPending = true
			case 'h':
				fmt.Fprintf(stdout, "Usage: %s [-x FILE | -L] [-R | -S] [-s] [-Q] [-u NODE] [-d NODE] [-i RSC_OP_MS@NODE=RC] [-F] [--save-graph FILE] [--save-output FILE]\n", prog)
				return simExitOK
			default:
				fmt.Fprintf(stderr, "%s: Unknown option -%c\n", prog, c)
				return simExitUsage
			}
		}
	}
	file := o.xmlFile
	if file == "" {
		file = os.Getenv("CIB_file")
		if file == "" {
			fmt.Fprintf(stderr, "%s: CIB query failed: Input file not available (no CIB is running: give -x FILE or set CIB_file)\n", prog)
			if o.live {
				return simExitNoInput
			}
			return simExitSoftware
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return simExitSoftware
	}
	root, err := pe.ParseXML(data)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", prog, file, err)
		return simExitSoftware
	}
	for _, n := range o.up {
		nodeState(root, n, true)
	}
	for _, n := range o.down {
		nodeState(root, n, false)
	}
	for _, spec := range o.inject {
		if err := injectOp(root, spec); err != nil {
			// crm_simulate 2.1.5 reports a bad spec and goes on.
			fmt.Fprintf(stderr, "%v\n", err)
		}
	}
	if o.saveOutput != "" {
		if err := os.WriteFile(o.saveOutput, append(root.AppendXML(nil), '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return simExitSoftware
		}
	}
	c, err := pe.Unpack(root, nowUnix())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return simExitSoftware
	}
	if o.scores {
		c.RecordScores()
	}
	res := pe.Schedule(c)
	g := pe.BuildGraph(res, root)
	if o.saveGraph != "" {
		if err := os.WriteFile(o.saveGraph, g.AppendXML(nil, 0), 0o644); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return simExitSoftware
		}
	}
	if o.scores {
		return simulateScores(stdout, o, res, g)
	}
	if o.quiet && !o.run && !o.simulate {
		return simExitOK
	}
	if !o.quiet {
		fmt.Fprint(stdout, res.CurrentText())
		fmt.Fprintln(stdout)
	}
	text := res.Text()
	summary, revised, _ := strings.Cut(text, "\nRevised Cluster Status:\n")
	if o.run || o.simulate {
		fmt.Fprintln(stdout, summary)
	}
	if o.simulate {
		fmt.Fprintln(stdout, "Executing Cluster Transition:")
		for _, l := range executeAll(g) {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprint(stdout, "\nRevised Cluster Status:\n"+revised)
	}
	return simExitOK
}

// executeAll runs the graph through the transition engine with every
// action succeeding and lists the actions in the order they fired.
func executeAll(g *pe.Graph) []string {
	e := te.New(te.Config{BatchLimit: 1 << 30}, nil)
	now := layer.Time{Mono: 1}
	e.Start(g, now)
	var lines []string
	fired := make([]bool, len(g.Actions))
	for {
		rd := e.Ready()
		runs := append(append([]te.Run(nil), rd.Run...), rd.Fence...)
		over := rd.Complete || rd.Replan || rd.Terminated
		e.Advance()
		// Pseudo-actions fire inside the engine: list those whose inputs
		// have fired, before the actions that follow them.
		for progress := true; progress; {
			progress = false
			for _, a := range g.Actions {
				if a.Kind != pe.ActionPseudo || fired[a.ID] {
					continue
				}
				ok := true
				for _, in := range a.Inputs {
					ok = ok && fired[in]
				}
				if ok {
					fired[a.ID] = true
					lines = append(lines, fmt.Sprintf("  * Pseudo action:   %s", a.Key))
					progress = true
				}
			}
		}
		for _, r := range runs {
			a := r.Action
			fired[a.ID] = true
			switch {
			case a.Task == "stonith":
				lines = append(lines, fmt.Sprintf("  * Fencing %s (%s)", a.Node, a.Key[strings.LastIndexByte(a.Key, '-')+1:]))
			case a.Kind == pe.ActionCRM:
				lines = append(lines, fmt.Sprintf("  * Cluster action:  %s on %s", a.Task, a.Node))
			case a.Task == "monitor" && a.IntervalMS > 0:
				lines = append(lines, fmt.Sprintf("  * Resource action: %-15s %s=%d on %s", a.Rsc, a.Task, a.IntervalMS, a.Node))
			default:
				lines = append(lines, fmt.Sprintf("  * Resource action: %-15s %s on %s", a.Rsc, a.Task, a.Node))
			}
		}
		if over || len(runs) == 0 && !e.Busy() {
			return lines
		}
		for _, r := range runs {
			e.Result(te.Result{Transition: r.Transition, Action: r.Action.ID, RC: r.Action.TargetRC}, now)
		}
	}
}

func child(e *pe.Element, name string, attrs ...string) *pe.Element {
	for _, c := range e.Children {
		if c.Name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(attrs); i += 2 {
			if c.Get(attrs[i]) != attrs[i+1] {
				match = false
			}
		}
		if match {
			return c
		}
	}
	c := &pe.Element{Name: name, Parent: e}
	for i := 0; i+1 < len(attrs); i += 2 {
		c.Set(attrs[i], attrs[i+1])
	}
	e.Children = append(e.Children, c)
	return c
}

// nodeID finds a node's id from its uname in the configuration.
func nodeID(root *pe.Element, name string) string {
	if cfg := root.Child("configuration"); cfg != nil {
		if nodes := cfg.Child("nodes"); nodes != nil {
			for _, n := range nodes.All("node") {
				if n.Get("uname") == name {
					return n.Get("id")
				}
			}
		}
	}
	return name
}

func nodeStateElem(root *pe.Element, name string) *pe.Element {
	st := child(root, "status")
	for _, ns := range st.All("node_state") {
		if ns.Get("uname") == name {
			return ns
		}
	}
	return child(st, "node_state", "id", nodeID(root, name), "uname", name)
}

// nodeState brings a node up (a member) or down (cleanly gone), as -u/-d.
func nodeState(root *pe.Element, name string, up bool) {
	ns := nodeStateElem(root, name)
	if up {
		ns.Set("in_ccm", "true")
		ns.Set("crmd", "online")
		ns.Set("join", "member")
		ns.Set("expected", "member")
	} else {
		ns.Set("in_ccm", "false")
		ns.Set("crmd", "offline")
		ns.Set("join", "down")
		ns.Set("expected", "down")
	}
}

// injectOp records an operation result, -i RSC_TASK_INTERVALMS@NODE=RC.
func injectOp(root *pe.Element, spec string) error {
	key, rcs, ok1 := strings.Cut(spec, "=")
	key, node, ok2 := strings.Cut(key, "@")
	if !ok1 || !ok2 {
		return fmt.Errorf("Invalid operation spec: %s.  Only found 1 fields", spec)
	}
	rc, err := strconv.Atoi(rcs)
	if err != nil {
		return fmt.Errorf("Invalid operation spec: %s", spec)
	}
	i := strings.LastIndexByte(key, '_')
	j := strings.LastIndexByte(key[:max(i, 0)], '_')
	if i < 0 || j < 0 {
		return fmt.Errorf("Invalid operation spec: %s", spec)
	}
	rsc, task, interval := key[:j], key[j+1:i], key[i+1:]
	var prim *pe.Element
	var find func(e *pe.Element)
	find = func(e *pe.Element) {
		for _, c := range e.Children {
			if c.Name == "primitive" && (c.Get("id") == rsc || strings.HasPrefix(rsc, c.Get("id")+":")) {
				prim = c
			}
			find(c)
		}
	}
	if cfg := root.Child("configuration"); cfg != nil {
		find(cfg)
	}
	if prim == nil {
		return fmt.Errorf("Invalid resource name: %s", rsc)
	}
	ns := nodeStateElem(root, node)
	lrm := child(child(ns, "lrm", "id", ns.Get("id")), "lrm_resources")
	lr := child(lrm, "lrm_resource", "id", rsc)
	lr.Set("class", prim.Get("class"))
	if p := prim.Get("provider"); p != "" {
		lr.Set("provider", p)
	}
	lr.Set("type", prim.Get("type"))
	calls := 0
	for _, op := range lr.All("lrm_rsc_op") {
		if n, _ := strconv.Atoi(op.Get("call-id")); n > calls {
			calls = n
		}
	}
	target := "0"
	if task == "monitor" && interval == "0" {
		target = "7"
	}
	id := key
	if interval == "0" {
		id = rsc + "_last_0"
	}
	op := child(lr, "lrm_rsc_op", "id", id)
	tkey := "0:0:" + target + ":hbctl-simulate"
	for _, kv := range [][2]string{{"operation_key", key}, {"operation", task}, {"transition-key", tkey},
		{"transition-magic", "0:" + rcs + ";" + tkey}, {"call-id", strconv.Itoa(calls + 1)}, {"rc-code", strconv.Itoa(rc)},
		{"op-status", "0"}, {"interval", interval}, {"on_node", node}} {
		op.Set(kv[0], kv[1])
	}
	return nil
}

func nowUnix() int64 { return time.Now().Unix() }

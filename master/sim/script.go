package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/master/own"
)

// Script is the interpreter of scripted scenarios: text files of
// commands, each followed by a "----" line and the output it must
// produce, up to a blank line (etcd raft's interaction tests have this
// shape). Lines starting with # and blank lines are kept as they are.
// RunScript runs one and returns its text with the actual outputs in
// place, so a test compares it, or writes it back to regenerate the
// expected outputs.
//
// Commands (node lists are comma-separated names, "*" for all):
//
//	cluster nodes=a,b media=eth0,eth1 noloop=eth1 keepalive=100ms deadtime=500ms
//	        [warntime= initdead= maxrexmit= granularity= seed=N]
//	start [a,b]                 start nodes (all by default), each at the same instant
//	run DURATION [show=logs,events,sends,status]   advance time; print what happened
//	kill a                      crash a node (kill -9: nothing is sent)
//	freeze a DURATION [report]  a's daemon is not scheduled for that long (SIGSTOP,
//	                            VM freeze): what arrives waits in its sockets; with
//	                            report it tells its master of the pause (Paused)
//	restart a                   start it again with the next generation
//	link from=a to=b [medium=eth1] [down] [up] [loss=0.5] [delay=10ms] [jitter=5ms] [dup=0.1]
//	heal                        every link back to perfect
//	capture a TYPE              keep the last TYPE datagram a sent
//	replay b [medium=eth0]      deliver the captured datagram to b now
//	send a TYPE                 a sends a client message of that type
//	status                      every running node's view of the cluster
//
// Resources (cluster ... groups=KEY@NODE,... failback=on|off|legacy
// acttime=DURATION: every action takes that long on a node's executor):
//
//	shutdown a                  graceful shutdown (SIGTERM)
//	standby a [all|local|foreign]   hb_standby: ask_resources info=me via the FIFO
//	takeover a [all|...]        hb_takeover via the FIFO
//	fail a KEY                  the next start of KEY on a fails
//	hold a KEY [off]            KEY runs on a (left running), or not
//	holdings                    what runs where, and each master's Holding()
//	quickrestart a [linger=D] [window=D] [failback=on|off|legacy]
//	                            heartbeat's quick restart (SIGHUP, exec -R -C):
//	                            PrepareRestart, linger, go quiet, and a new
//	                            master with its holdings starts window later
//
// show= also takes "actions" (resource work queued and finished); with
// resources the default is logs and actions.
//
// A layer's own tests add commands through Commands.
type Script struct {
	s        *Sim
	check    *Checker
	traced   int // Trace entries already shown
	captured []byte

	// Commands are extra commands: each gets the positional arguments and
	// the key=value ones, and returns its output ("" prints "ok").
	Commands map[string]func(sc *Script, pos []string, kv map[string]string) (string, error)
}

// Sim returns the cluster the script built (nil before "cluster").
func (sc *Script) Sim() *Sim { return sc.s }

// ScriptResult is what running a script produced.
type ScriptResult struct {
	// Text is the script with every command's actual output.
	Text string
	// Diffs are the commands whose output differs from the script's.
	Diffs []ScriptDiff
	// Violations are the invariant checker's findings over the run.
	Violations []string
}

// ScriptDiff is one command whose output is not the expected one.
type ScriptDiff struct {
	Line      int // the command's line, from 1
	Cmd       string
	Got, Want string
}

func (d ScriptDiff) String() string {
	return fmt.Sprintf("%d: %s\n--- got:\n%s\n--- want:\n%s", d.Line, d.Cmd, d.Got, d.Want)
}

// scriptError ends a script at a command that cannot run.
type scriptError struct{ msg string }

func fail(format string, args ...any) { panic(scriptError{fmt.Sprintf(format, args...)}) }

// RunScript runs the script data (named name in errors) on a fresh
// Script. An error means a command could not run (a bad argument, an
// unknown node or command); mismatching outputs are not errors.
func RunScript(name string, data []byte) (*ScriptResult, error) {
	return (&Script{}).Run(name, data)
}

// Run runs the script data with sc's extra Commands.
func (sc *Script) Run(name string, data []byte) (res *ScriptResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(scriptError)
			if !ok {
				panic(r)
			}
			res, err = nil, fmt.Errorf("%s", se.msg)
		}
	}()
	res = &ScriptResult{}
	lines := strings.Split(string(data), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			i++
			continue
		}
		cmd := line
		lineNo := i + 1
		i++
		if i >= len(lines) || lines[i] != "----" {
			fail("%s:%d: command without ---- line", name, lineNo)
		}
		i++
		var want []string
		for i < len(lines) && lines[i] != "" {
			want = append(want, lines[i])
			i++
		}
		got := sc.exec(name, lineNo, cmd)
		if got == "" {
			got = "ok"
		}
		out.WriteString(cmd + "\n----\n" + got + "\n")
		if w := strings.Join(want, "\n"); got != w {
			res.Diffs = append(res.Diffs, ScriptDiff{Line: lineNo, Cmd: cmd, Got: got, Want: w})
		}
	}
	if sc.check != nil {
		res.Violations = append(res.Violations, sc.check.Violations...)
	}
	res.Text = strings.TrimRight(out.String(), "\n") + "\n"
	return res, nil
}

func parseArgs(fields []string) (pos []string, kv map[string]string) {
	kv = map[string]string{}
	for _, f := range fields {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		} else {
			pos = append(pos, f)
		}
	}
	return pos, kv
}

func (sc *Script) nodes(list string) []int {
	if list == "" || list == "*" {
		var all []int
		for i := range sc.s.Nodes {
			all = append(all, i)
		}
		return all
	}
	var r []int
	for _, name := range strings.Split(list, ",") {
		n := sc.s.Node(name)
		if n == nil {
			fail("no node %q", name)
		}
		r = append(r, n.Index)
	}
	return r
}

func (sc *Script) medium(name string) int {
	if name == "" {
		return -1
	}
	i := slices.Index(sc.s.Options().Media, name)
	if i < 0 {
		fail("no medium %q", name)
	}
	return i
}

func dur(s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		fail("%v", err)
	}
	return d
}

func (sc *Script) exec(file string, line int, cmd string) string {
	fields := strings.Fields(cmd)
	pos, kv := parseArgs(fields[1:])
	arg := func(i int) string {
		if i < len(pos) {
			return pos[i]
		}
		return ""
	}
	if fields[0] != "cluster" && sc.s == nil {
		fail("%s:%d: no cluster yet", file, line)
	}
	switch fields[0] {
	case "cluster":
		opt := Options{
			Nodes:          strings.Split(kv["nodes"], ","),
			Keepalive:      dur(kv["keepalive"]),
			Deadtime:       dur(kv["deadtime"]),
			Warntime:       dur(kv["warntime"]),
			Initdead:       dur(kv["initdead"]),
			MaxRexmitDelay: dur(kv["maxrexmit"]),
			Granularity:    dur(kv["granularity"]),
			Trace:          true,
		}
		if m := kv["media"]; m != "" {
			opt.Media = strings.Split(m, ",")
		}
		if m := kv["noloop"]; m != "" {
			opt.NoLoopback = strings.Split(m, ",")
		}
		if v := kv["seed"]; v != "" {
			opt.Seed, _ = strconv.ParseUint(v, 10, 64)
		}
		if g := kv["groups"]; g != "" {
			opt.Resources = true
			for _, kn := range strings.Split(g, ",") {
				key, node, _ := strings.Cut(kn, "@")
				opt.Groups = append(opt.Groups, own.GroupConfig{Key: key, Node: node})
			}
			opt.Failback = failbackMode(kv["failback"])
			opt.ActionTime = dur(kv["acttime"])
		}
		s, err := New(opt)
		if err != nil {
			fail("%s:%d: %v", file, line, err)
		}
		sc.s, sc.check, sc.traced = s, NewChecker(s), 0
		if opt.Resources {
			sc.check.CheckResources()
		}
		return ""
	case "start":
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.Start(i); err != nil {
				fail("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "run":
		sc.s.RunFor(dur(arg(0)))
		return sc.show(kv["show"])
	case "kill":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Crash(i)
		}
		return ""
	case "freeze":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Freeze(i, dur(arg(1)), arg(2) == "report")
		}
		return ""
	case "restart":
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.Start(i); err != nil {
				fail("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "link":
		md := sc.medium(kv["medium"])
		sc.s.SetLinks(sc.nodes(kv["from"]), sc.nodes(kv["to"]), md, func(l *Link) {
			for _, p := range pos {
				switch p {
				case "down":
					l.Down = true
				case "up":
					l.Down = false
				}
			}
			if v, ok := kv["loss"]; ok {
				l.Loss, _ = strconv.ParseFloat(v, 64)
			}
			if v, ok := kv["dup"]; ok {
				l.Dup, _ = strconv.ParseFloat(v, 64)
			}
			if v, ok := kv["delay"]; ok {
				l.Delay = dur(v)
			}
			if v, ok := kv["jitter"]; ok {
				l.Jitter = dur(v)
			}
		})
		return ""
	case "heal":
		sc.s.Heal()
		return ""
	case "capture":
		b := sc.s.LastSent[arg(0)+" "+arg(1)]
		if b == nil {
			fail("%s:%d: %s sent no %s", file, line, arg(0), arg(1))
		}
		sc.captured = b
		return fmt.Sprintf("captured %d bytes", len(b))
	case "replay":
		md := sc.medium(kv["medium"])
		if md < 0 {
			md = 0
		}
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Inject(i, md, sc.captured)
		}
		return sc.show(kv["show"])
	case "send":
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.SendMessage(i, arg(1)); err != nil {
				fail("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "status":
		return sc.status()
	case "shutdown":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Shutdown(i)
		}
		return sc.show(kv["show"])
	case "standby", "takeover":
		text := ">>>\nt=ask_resources\nrsc_hold=" + cmp.Or(arg(1), "all") + "\ninfo=me\n<<<\n"
		if fields[0] == "takeover" {
			text = ">>>\nt=hb_takeover\nrsc_hold=" + cmp.Or(arg(1), "all") + "\n<<<\n"
		}
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.SendText(i, text); err != nil {
				fail("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "fail":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Nodes[i].FailStart(arg(1))
		}
		return ""
	case "hold":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Nodes[i].SetHolds(arg(1), arg(2) != "off")
		}
		return ""
	case "holdings":
		return sc.holdings()
	case "quickrestart":
		q := QuickRestart{Linger: dur(kv["linger"]), Window: dur(kv["window"])}
		if v, ok := kv["failback"]; ok {
			f := failbackMode(v)
			q.Failback = &f
		}
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.QuickRestart(i, q); err != nil {
				return "error: " + err.Error()
			}
		}
		return sc.show(kv["show"])
	}
	if f := sc.Commands[fields[0]]; f != nil {
		out, err := f(sc, pos, kv)
		if err != nil {
			fail("%s:%d: %v", file, line, err)
		}
		return out
	}
	fail("%s:%d: unknown command %q", file, line, fields[0])
	return ""
}

func failbackMode(s string) own.FailbackMode {
	switch s {
	case "", "legacy":
		return own.FailbackLegacy
	case "on":
		return own.FailbackOn
	case "off":
		return own.FailbackOff
	}
	fail("bad failback %q", s)
	return 0
}

// show prints the trace since the last command: log lines by default.
func (sc *Script) show(what string) string {
	kinds := map[EntryKind]bool{TraceLog: true}
	if sc.s.Options().Resources {
		kinds[TraceAction] = true
	}
	statuses := false
	if what != "" {
		kinds = map[EntryKind]bool{}
		for _, w := range strings.Split(what, ",") {
			switch w {
			case "logs":
				kinds[TraceLog] = true
			case "events":
				kinds[TraceEvent] = true
			case "sends":
				kinds[TraceSend] = true
			case "status":
				kinds[TraceSend], statuses = true, true
			case "actions":
				kinds[TraceAction] = true
			default:
				fail("show: unknown %q", w)
			}
		}
	}
	var b strings.Builder
	for _, e := range sc.s.Trace[sc.traced:] {
		if !kinds[e.Kind] || (e.Kind == TraceSend && !statuses && strings.HasPrefix(e.Text, "status ")) {
			continue
		}
		prefix := ""
		switch e.Kind {
		case TraceEvent:
			prefix = "event "
		case TraceSend:
			prefix = "send "
		case TraceAction:
			prefix = "action "
		}
		fmt.Fprintf(&b, "%8.3f %s %s%s\n", float64(e.At)/1e9, sc.s.Nodes[e.Node].Name, prefix, e.Text)
	}
	sc.traced = len(sc.s.Trace)
	return strings.TrimRight(b.String(), "\n")
}

func (sc *Script) holdings() string {
	var b strings.Builder
	for _, n := range sc.s.Nodes {
		var held []string
		for _, g := range sc.s.Options().Groups {
			if n.Holds(g.Key) {
				held = append(held, g.Key)
			}
		}
		st := "down"
		if n.Running() {
			st = n.O.Holding()
		}
		fmt.Fprintf(&b, "%s: %s [%s]\n", n.Name, st, strings.Join(held, " "))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (sc *Script) status() string {
	var b strings.Builder
	for _, n := range sc.s.Nodes {
		if !n.Running() {
			fmt.Fprintf(&b, "%s: down\n", n.Name)
			continue
		}
		fmt.Fprintf(&b, "%s:", n.Name)
		for i := range n.M.NumNodes() {
			fmt.Fprintf(&b, " %s=%s", n.M.NodeName(i), n.M.NodeStatus(i))
			var links []string
			for j, l := range n.M.Links(i) {
				st := "dead"
				if n.M.LinkUp(i, j) {
					st = "up"
				}
				links = append(links, l+":"+st)
			}
			fmt.Fprintf(&b, "(%s)", strings.Join(links, ","))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

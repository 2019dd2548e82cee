package master_test

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/master/sim"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of master/testdata/*.txt scenarios")

// TestScenarios runs the scripted N-node scenarios in testdata/*.txt. Each
// block is a command, a "----" line, and the output it must produce, up to
// a blank line; -rewrite writes the actual output back instead.
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
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			runScenarioFile(t, file)
		})
	}
}

type scenario struct {
	t        *testing.T
	s        *sim.Sim
	check    *sim.Checker
	traced   int // Trace entries already shown
	captured []byte
}

func runScenarioFile(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out strings.Builder
	sc := &scenario{t: t}
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
			t.Fatalf("%s:%d: command without ---- line", file, lineNo)
		}
		i++
		var want []string
		for i < len(lines) && lines[i] != "" {
			want = append(want, lines[i])
			i++
		}
		got := sc.exec(file, lineNo, cmd)
		if got == "" {
			got = "ok"
		}
		out.WriteString(cmd + "\n----\n" + got + "\n")
		if !*rewrite && got != strings.Join(want, "\n") {
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", file, lineNo, cmd, got, strings.Join(want, "\n"))
		}
	}
	if sc.check != nil {
		for _, v := range sc.check.Violations {
			t.Errorf("%s: invariant: %s", file, v)
		}
	}
	if *rewrite {
		text := strings.TrimRight(out.String(), "\n") + "\n"
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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

func (sc *scenario) nodes(list string) []int {
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
			sc.t.Fatalf("no node %q", name)
		}
		r = append(r, n.Index)
	}
	return r
}

func (sc *scenario) medium(name string) int {
	if name == "" {
		return -1
	}
	i := slices.Index(sc.s.Options().Media, name)
	if i < 0 {
		sc.t.Fatalf("no medium %q", name)
	}
	return i
}

func dur(t *testing.T, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (sc *scenario) exec(file string, line int, cmd string) string {
	t := sc.t
	fields := strings.Fields(cmd)
	pos, kv := parseArgs(fields[1:])
	arg := func(i int) string {
		if i < len(pos) {
			return pos[i]
		}
		return ""
	}
	if fields[0] != "cluster" && sc.s == nil {
		t.Fatalf("%s:%d: no cluster yet", file, line)
	}
	switch fields[0] {
	case "cluster":
		opt := sim.Options{
			Nodes:          strings.Split(kv["nodes"], ","),
			Keepalive:      dur(t, kv["keepalive"]),
			Deadtime:       dur(t, kv["deadtime"]),
			Warntime:       dur(t, kv["warntime"]),
			Initdead:       dur(t, kv["initdead"]),
			MaxRexmitDelay: dur(t, kv["maxrexmit"]),
			Granularity:    dur(t, kv["granularity"]),
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
			opt.Failback = failbackMode(t, kv["failback"])
			opt.ActionTime = dur(t, kv["acttime"])
		}
		s, err := sim.New(opt)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
		sc.s, sc.check, sc.traced = s, sim.NewChecker(s), 0
		if opt.Resources {
			sc.check.CheckResources()
		}
		return ""
	case "start":
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.Start(i); err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "run":
		sc.s.RunFor(dur(t, arg(0)))
		return sc.show(kv["show"])
	case "kill":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Crash(i)
		}
		return ""
	case "freeze":
		for _, i := range sc.nodes(arg(0)) {
			sc.s.Freeze(i, dur(t, arg(1)), arg(2) == "report")
		}
		return ""
	case "restart":
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.Start(i); err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
		}
		return sc.show(kv["show"])
	case "link":
		md := sc.medium(kv["medium"])
		sc.s.SetLinks(sc.nodes(kv["from"]), sc.nodes(kv["to"]), md, func(l *sim.Link) {
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
				l.Delay = dur(t, v)
			}
			if v, ok := kv["jitter"]; ok {
				l.Jitter = dur(t, v)
			}
		})
		return ""
	case "heal":
		sc.s.Heal()
		return ""
	case "capture":
		b := sc.s.LastSent[arg(0)+" "+arg(1)]
		if b == nil {
			t.Fatalf("%s:%d: %s sent no %s", file, line, arg(0), arg(1))
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
				t.Fatalf("%s:%d: %v", file, line, err)
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
				t.Fatalf("%s:%d: %v", file, line, err)
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
		q := sim.QuickRestart{Linger: dur(t, kv["linger"]), Window: dur(t, kv["window"])}
		if v, ok := kv["failback"]; ok {
			f := failbackMode(t, v)
			q.Failback = &f
		}
		for _, i := range sc.nodes(arg(0)) {
			if err := sc.s.QuickRestart(i, q); err != nil {
				return "error: " + err.Error()
			}
		}
		return sc.show(kv["show"])
	}
	t.Fatalf("%s:%d: unknown command %q", file, line, fields[0])
	return ""
}

func failbackMode(t *testing.T, s string) own.FailbackMode {
	switch s {
	case "", "legacy":
		return own.FailbackLegacy
	case "on":
		return own.FailbackOn
	case "off":
		return own.FailbackOff
	}
	t.Fatalf("bad failback %q", s)
	return 0
}

// show prints the trace since the last command: log lines by default.
func (sc *scenario) show(what string) string {
	kinds := map[sim.EntryKind]bool{sim.TraceLog: true}
	if sc.s.Options().Resources {
		kinds[sim.TraceAction] = true
	}
	statuses := false
	if what != "" {
		kinds = map[sim.EntryKind]bool{}
		for _, w := range strings.Split(what, ",") {
			switch w {
			case "logs":
				kinds[sim.TraceLog] = true
			case "events":
				kinds[sim.TraceEvent] = true
			case "sends":
				kinds[sim.TraceSend] = true
			case "status":
				kinds[sim.TraceSend], statuses = true, true
			case "actions":
				kinds[sim.TraceAction] = true
			default:
				sc.t.Fatalf("show: unknown %q", w)
			}
		}
	}
	var b strings.Builder
	for _, e := range sc.s.Trace[sc.traced:] {
		if !kinds[e.Kind] || (e.Kind == sim.TraceSend && !statuses && strings.HasPrefix(e.Text, "status ")) {
			continue
		}
		prefix := ""
		switch e.Kind {
		case sim.TraceEvent:
			prefix = "event "
		case sim.TraceSend:
			prefix = "send "
		case sim.TraceAction:
			prefix = "action "
		}
		fmt.Fprintf(&b, "%8.3f %s %s%s\n", float64(e.At)/1e9, sc.s.Nodes[e.Node].Name, prefix, e.Text)
	}
	sc.traced = len(sc.s.Trace)
	return strings.TrimRight(b.String(), "\n")
}

func (sc *scenario) holdings() string {
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

func (sc *scenario) status() string {
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

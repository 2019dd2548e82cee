package config

import (
	"fmt"
	"strings"
)

const (
	maxMedia = 64  // heartbeat's MAXMEDIA
	hostLeng = 100 // heartbeat's HOSTLENG: node names must be shorter
	// heartbeatMaxNodes is heartbeat's MAXNODE: it refuses an ha.cf with
	// more nodes. hbd takes up to MaxNodes, with a warning past
	// heartbeat's limit, since no heartbeat node can join such a cluster.
	heartbeatMaxNodes = 100
)

// MaxNodes is the most nodes (normal and ping) an hbd ha.cf may list.
const MaxNodes = 1024

// hacfParser reads ha.cf as heartbeat's parse_config and init_config do.
// Heartbeat keeps its state in globals and plugin statics; here they are
// fields, one parser per parse.
type hacfParser struct {
	path  string // ha.cf path as heartbeat prints it
	env   *Env
	cfg   *Config
	diags Diagnostics
	line  int // line being parsed; 0 in the global checks
	local string

	lastLine map[string]int // directive name -> last line it appeared on

	anyMediaYet   bool // heartbeat's any_media_statements_yet
	baudSet       bool
	watchdogSet   bool
	pacemakerSeen bool
	niceFailback  bool
	logFacility   int // -1 when unset, 0 for "none" and "kern"
	useLogdLine   int
	heartbeatMS   int64
	deadtimeMS    int64
	deadpingMS    int64 // -1 when unset
	initdeadMS    int64 // -1 when unset
	warntimeMS    int64
	connLogdMS    int64
	apiClients    map[string]bool
	// Ports the UDP plugins read once, on their first medium (0 = not yet).
	bcastPort, ucastPort, ucast6Port int

	rest          string // the option line after its directive name
	selfFenceLine int    // line whose hbd_self_fence is in cfg.SelfFence
}

func newHACFParser(dir, path string, env *Env) *hacfParser {
	cfg := &Config{
		Dir:             dir,
		HopFudge:        1,
		ManageResources: true,
		Realtime:        true,
		GenMethod:       "file",
		UUIDFrom:        "file",
		AutoJoin:        "none",
		MsgFmt:          "classic",
		IPAgent:         "builtin",
		Monitor:         Monitor{Restarts: DefaultMonitorRestarts, Window: DefaultMonitorWindow},
	}
	cfg.Params.set("hbversion", HeartbeatVersion, 0)
	return &hacfParser{
		path:        path,
		env:         env,
		cfg:         cfg,
		lastLine:    map[string]int{},
		logFacility: -1,
		heartbeatMS: 1000,
		deadtimeMS:  30000,
		deadpingMS:  -1,
		initdeadMS:  -1,
		apiClients:  map[string]bool{},
	}
}

// logf records a line heartbeat prints.
func (p *hacfParser) logf(level Level, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.path, Line: p.line, Level: level, Msg: fmt.Sprintf(format, args...)})
}

// fatalf records a line that makes the configuration fail.
func (p *hacfParser) fatalf(line int, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.path, Line: line, Level: LevelError, Msg: fmt.Sprintf(format, args...), Fatal: true})
}

// hbdFatalf records hbd's own reason for a failure heartbeat does not
// explain.
func (p *hacfParser) hbdFatalf(format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.path, Line: p.line, Level: LevelError, Msg: fmt.Sprintf(format, args...), Fatal: true, Hbd: true})
}

func (p *hacfParser) hbdWarnf(format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.path, Line: p.line, Level: LevelWarn, Msg: fmt.Sprintf(format, args...), Hbd: true})
}

// failed marks what a failing step printed as fatal; when heartbeat printed
// no error for it, hbd adds one saying what was rejected.
func (p *hacfParser) failed(from int, format string, args ...any) {
	explained := false
	for i := from; i < len(p.diags); i++ {
		if p.diags[i].Level >= LevelError {
			p.diags[i].Fatal = true
			explained = true
		}
	}
	if !explained {
		p.hbdFatalf(format, args...)
	}
}

// parseLines is heartbeat's parse_config: it reports whether every line was
// accepted.
func (p *hacfParser) parseLines(data string) bool {
	errs := 0
	r := newLineReader(data, maxLine)
	for {
		text, num, ok := r.next()
		if !ok {
			break
		}
		p.line = num
		if !p.parseLine(text) {
			errs++
		}
	}
	p.line = 0
	p.addDefaultAPIAuth()
	return errs == 0
}

// parseLine handles one line (one fgets piece) of ha.cf.
func (p *hacfParser) parseLine(bp string) bool {
	bp = bp[strspn(bp, whitespace):]
	if i := strings.IndexByte(bp, '#'); i >= 0 {
		bp = bp[:i]
	}
	if i := strings.IndexAny(bp, "\r\n"); i >= 0 {
		bp = bp[:i]
	}
	if bp == "" {
		return true
	}
	n := strcspn(bp, whitespace)
	name := bp[:n]
	if name == "udp" {
		p.logf(LevelWarn, "WARNING: directive 'udp' replaced by 'bcast'")
		name = "bcast"
	}
	if !isLegal(name) {
		p.fatalf(p.line, "Illegal directive [%s] in %s", name, p.path)
		return false
	}
	p.lastLine[name] = p.line
	bp = bp[n:]
	bp = bp[strspn(bp, delims):]

	if m := lookupMedium(name); m != nil && m.parse != nil {
		from := len(p.diags)
		if !m.parse(p, bp) {
			p.failed(from, "Invalid %s value [%s]", name, bp)
			return false
		}
		p.anyMediaYet = true
		return true
	}
	if wl := wholeLine[name]; wl != nil {
		from := len(p.diags)
		ok := wl(p, bp)
		if !ok {
			p.failed(from, "Invalid %s value [%s]", name, bp)
		}
		p.anyMediaYet = true // heartbeat sets it for any whole-line directive
		return ok
	}
	ok := true
	p.rest = bp
	for bp != "" {
		tok := bp[:strcspn(bp, delims)]
		bp = bp[len(tok):]
		if !p.addOption(name, tok) {
			ok = false
		}
		bp = bp[strspn(bp, delims):]
	}
	return ok
}

// addOption is heartbeat's add_option: one token of an option directive
// or of a one-medium-per-token medium.
func (p *hacfParser) addOption(name, value string) bool {
	from := len(p.diags)
	if d := lookupDirective(name); d != nil {
		if !d.set(p, value) {
			p.failed(from, "Invalid %s value [%s]", name, value)
			return false
		}
		if d.record {
			p.cfg.Params.set(name, value, p.line)
		}
		return true
	}
	if m := lookupMedium(name); m != nil && m.new != nil {
		return p.newMedium(m, value)
	}
	// Unreachable from ha.cf: only legal directives get here.
	p.fatalf(p.line, "Illegal configuration directive [%s]", name)
	return false
}

// addNode is heartbeat's add_node.
func (p *hacfParser) addNode(name string, t NodeType) bool {
	switch len(p.cfg.Nodes) {
	case MaxNodes:
		p.hbdFatalf("Too many nodes specified (> %d)", MaxNodes)
		return false
	case heartbeatMaxNodes:
		p.hbdWarnf("hbd: more than %d nodes: heartbeat 3.0.6 refuses this ha.cf (its MAXNODE), so only hbd nodes can run in this cluster", heartbeatMaxNodes)
	}
	if len(name) >= hostLeng {
		p.hbdFatalf("Node name [%s] is too long (max %d characters)", name, hostLeng-1)
		return false
	}
	name = asciiLower(name)
	if _, dup := p.cfg.Node(name); dup {
		// Heartbeat keeps both entries and one of them never hears from
		// the node; hbd keeps the first.
		p.hbdWarnf("Node [%s] is listed more than once", name)
		return true
	}
	p.cfg.Nodes = append(p.cfg.Nodes, Node{Name: name, Type: t, Line: p.line})
	return true
}

package config

import (
	"strconv"
)

// finish is the rest of heartbeat's init_config, run once ha.cf and
// authkeys have been read: defaults, then the global checks, in
// heartbeat's order. It reports whether the configuration is valid.
func (p *hacfParser) finish() bool {
	p.line = 0
	start := len(p.diags)
	p.applyDefaults()

	if len(p.cfg.Media) < 1 {
		p.fatalf(0, "No heartbeat media defined")
	}
	if p.warntimeMS <= 0 {
		p.warntimeMS = p.deadtimeMS / 2
		p.cfg.Params.set("warntime", strconv.FormatInt(p.warntimeMS, 10)+"ms", 0)
	}
	if len(p.cfg.Nodes) < 1 && p.cfg.AutoJoin != "any" {
		p.fatalf(0, "no nodes defined")
	}
	p.checkLocalNode()
	if p.deadtimeMS <= 2*p.heartbeatMS {
		p.fatalf(p.lineOf("deadtime", "keepalive"), "Dead time [%d] is too small compared to keeplive [%d]", p.deadtimeMS, p.heartbeatMS)
	}
	p.checkInitdead()
	if p.deadpingMS < 0 {
		p.deadpingMS = p.deadtimeMS
		p.cfg.Params.set("deadping", strconv.FormatInt(p.deadpingMS, 10)+"ms", 0)
	} else if p.deadpingMS <= 2*p.heartbeatMS {
		p.fatalf(p.lineOf("deadping", "keepalive"), "Ping dead time [%d] is too small compared to keeplive [%d]", p.deadpingMS, p.heartbeatMS)
	}
	if _, ok := p.cfg.Params.Get("udpport"); !ok {
		p.cfg.UDPPort = p.udpPort()
		p.cfg.Params.set("udpport", strconv.Itoa(p.cfg.UDPPort), 0)
	}
	if !p.niceFailback && p.cfg.ManageResources {
		line := p.lineOf("auto_failback", "nice_failback")
		p.warnAt(line, "Deprecated 'legacy' auto_failback option selected.")
		p.warnAt(line, "Please convert to 'auto_failback on'.")
		p.warnAt(line, "See documentation for conversion details.")
	}
	p.checkLogd()
	if p.logFacility > 0 {
		// Syslog is on: unset log files are recorded as /dev/null.
		if p.cfg.LogFile == "" {
			p.cfg.LogFile = "/dev/null"
			p.cfg.Params.set("logfile", "/dev/null", 0)
		}
		if p.cfg.DebugFile == "" {
			p.cfg.DebugFile = "/dev/null"
			p.cfg.Params.set("debugfile", "/dev/null", 0)
		}
	}
	if p.cfg.ManageResources && p.cfg.AutoJoin != "none" {
		line := p.lastLine["autojoin"]
		p.fatalf(line, "R1 style resource management conflicts with  autojoin set")
		p.fatalf(line, "You need either unset autojoin or enable crm")
	}
	for _, d := range p.diags[start:] {
		if d.Fatal {
			return false
		}
	}
	p.setDurations()
	// Heartbeat's banner is about the whole configuration, not ha.cf.
	p.diags = append(p.diags,
		Diagnostic{Level: LevelInfo, Msg: "**************************"},
		Diagnostic{Level: LevelInfo, Msg: "Configuration validated. Starting heartbeat " + HeartbeatVersion})
	return true
}

// applyDefaults records the default of every directive ha.cf left unset.
// Heartbeat does it through add_option, so the handlers run and print
// what they print for an explicit line.
func (p *hacfParser) applyDefaults() {
	for _, d := range directives {
		if d.def == "" {
			continue
		}
		if _, ok := p.cfg.Params.Get(d.name); !ok {
			p.addOption(d.name, d.def)
		}
	}
	if _, ok := p.cfg.Params.Get("debug"); !ok {
		p.addOption("debug", strconv.Itoa(p.env.Debug))
	}
}

func (p *hacfParser) checkLocalNode() {
	if _, ok := p.cfg.Node(p.local); ok {
		return
	}
	if p.cfg.AutoJoin == "any" {
		p.addNode(p.local, NormalNode)
		p.logf(LevelNotice, "Current node [%s] added to configuration.", p.local)
		return
	}
	p.fatalf(0, "Current node [%s] not in configuration!", p.local)
	p.logf(LevelInfo, "By default, cluster nodes are named by `uname -n` and must be declared with a 'node' directive in the ha.cf file.")
	p.logf(LevelInfo, "See also: http://linux-ha.org/wiki/Ha.cf#node_directive")
}

func (p *hacfParser) checkInitdead() {
	if p.initdeadMS < 0 {
		switch {
		case p.deadtimeMS > 10000:
			p.initdeadMS = p.deadtimeMS
		case p.deadtimeMS < 6000:
			p.initdeadMS = 12000
		default:
			p.initdeadMS = 2 * p.deadtimeMS
		}
		p.cfg.Params.set("initdead", strconv.FormatInt(p.initdeadMS, 10)+"ms", 0)
	}
	line := p.lineOf("initdead", "deadtime")
	if p.initdeadMS < p.deadtimeMS {
		p.fatalf(line, "Initial dead time [%d] is smaller than deadtime [%d]", p.initdeadMS, p.deadtimeMS)
	} else if p.initdeadMS < 10000 {
		p.warnAt(line, "Initial dead time [%d ms] may be too small!", p.initdeadMS)
		p.infoAt(line, "Initial dead time accounts for slow network startup time")
		p.infoAt(line, "It should be >= deadtime and >= 10 seconds")
	}
}

// checkLogd is heartbeat's check_logd_usage.
func (p *hacfParser) checkLogd() {
	value, set := p.cfg.Params.Get("use_logd")
	on, _ := ParseBool(value)
	line := p.useLogdLine
	if p.cfg.LogFile == "" && p.cfg.DebugFile == "" && p.logFacility <= 0 {
		if !set {
			p.logf(LevelInfo, "No log entry found in ha.cf -- use logd")
			p.addOption("use_logd", "yes")
			return
		}
		if !on {
			p.fatalf(line, "No log entry found in ha.cf and use_logd is set to off")
		}
		return
	}
	if !set || !on {
		p.warnAt(line, "Logging daemon is disabled --enabling logging daemon is recommended")
		return
	}
	// heartbeat tests char arrays for NULL here, so the first two words
	// are always printed.
	what := "logfile/debugfile"
	if p.logFacility > 0 {
		what += "/logfacility"
	}
	p.warnAt(line, "logd is enabled but %s is still configured in ha.cf", what)
}

// lineOf returns the line of the first of names that ha.cf set, 0 if none:
// global checks point at the directive behind the value they judge.
func (p *hacfParser) lineOf(names ...string) int {
	for _, n := range names {
		if l := p.lastLine[n]; l > 0 {
			return l
		}
	}
	return 0
}

func (p *hacfParser) warnAt(line int, format string, args ...any) {
	p.line = line
	p.logf(LevelWarn, format, args...)
	p.line = 0
}

func (p *hacfParser) infoAt(line int, format string, args ...any) {
	p.line = line
	p.logf(LevelInfo, format, args...)
	p.line = 0
}

// setDurations fills the typed fields from heartbeat's millisecond counts.
func (p *hacfParser) setDurations() {
	c := p.cfg
	c.LocalNode = p.local
	c.Keepalive = msDuration(p.heartbeatMS)
	c.Deadtime = msDuration(p.deadtimeMS)
	c.Warntime = msDuration(p.warntimeMS)
	c.Initdead = msDuration(p.initdeadMS)
	c.Deadping = msDuration(p.deadpingMS)
	c.ConnLogdTime = msDuration(p.connLogdMS)
	if v, ok := c.Params.Get("use_logd"); ok {
		c.UseLogd, _ = ParseBool(v)
	}
}

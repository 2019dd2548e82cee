package config

import (
	"math"
	"strings"
	"time"
)

// Handlers of heartbeat's option directives, called once per token. Each
// returns false where heartbeat's returns HA_FAIL, printing what heartbeat
// prints (often nothing: then hbd's caller explains the failure).

func (p *hacfParser) setCluster(v string) bool {
	p.cfg.Cluster = v
	return true
}

func (p *hacfParser) setQuorumServer(v string) bool {
	p.cfg.Cluster, p.cfg.QuorumServer = v, v
	return true
}

func (p *hacfParser) addNormalNode(v string) bool { return p.addNode(v, NormalNode) }

func (p *hacfParser) setHopfudge(v string) bool {
	p.cfg.HopFudge = atoi(v)
	return p.cfg.HopFudge >= 0 && p.cfg.HopFudge < 256
}

func (p *hacfParser) setKeepalive(v string) bool {
	p.heartbeatMS = getMsec(v)
	return p.heartbeatMS > 0
}

func (p *hacfParser) setDeadtime(v string) bool {
	p.deadtimeMS = getMsec(v)
	return p.deadtimeMS >= 0
}

func (p *hacfParser) setDeadping(v string) bool {
	p.deadpingMS = getMsec(v)
	return p.deadpingMS >= 0
}

func (p *hacfParser) setInitdead(v string) bool {
	p.initdeadMS = getMsec(v)
	return p.initdeadMS >= 0
}

func (p *hacfParser) setWarntime(v string) bool {
	ms := getMsec(v)
	if ms <= 0 {
		p.logf(LevelError, "Warn time [%s] is invalid.", v)
		return false
	}
	p.warntimeMS = ms
	return true
}

func (p *hacfParser) setWatchdog(v string) bool {
	if p.watchdogSet {
		p.logf(LevelError, "Watchdog device multiply specified.")
		return false
	}
	p.watchdogSet = true
	p.cfg.Watchdog = v
	return true
}

// baudRates are the speeds heartbeat's StringToBaud knows on Linux.
var baudRates = []int{9600, 19200, 38400, 57600, 115200, 230400, 460800}

func (p *hacfParser) setBaud(v string) bool {
	if p.baudSet {
		p.logf(LevelError, "Baudrate multiply specified.")
		return false
	}
	p.baudSet = true
	baud := atoi(v)
	known := false
	for _, b := range baudRates {
		known = known || b == baud
	}
	if !known {
		p.logf(LevelError, "invalid baudrate [%s] specified.", v)
		return false
	}
	if p.anyMediaYet {
		// Heartbeat prints this (without a newline) whenever a medium
		// or a whole-line directive came first, even for the default.
		p.logf(LevelWarn, "baudrate setting must precede media statements")
	}
	p.cfg.Baud = baud
	return true
}

func (p *hacfParser) setUDPPort(v string) bool {
	port := atoi(v)
	if port <= 0 {
		p.logf(LevelError, "invalid port [%s] specified.", v)
		return false
	}
	if name, ok := p.env.serviceByPort(port&0xffff, "udp"); ok && name != "ha-cluster" {
		p.logf(LevelWarn, "udp port %s reserved for service \"%s\".", v, name)
	}
	// Printed for every udpport line, media or not (heartbeat bug).
	p.logf(LevelWarn, "udpport setting must precede media statements")
	p.cfg.UDPPort = port
	return true
}

// facilities is glibc's facilitynames table (with "mark"), which
// heartbeat's cl_syslogfac_str2int uses; "none" maps to 0 like "kern".
var facilities = map[string]int{
	"auth": 4 << 3, "authpriv": 10 << 3, "cron": 9 << 3, "daemon": 3 << 3,
	"ftp": 11 << 3, "kern": 0, "lpr": 6 << 3, "mail": 2 << 3, "mark": 24 << 3,
	"news": 7 << 3, "security": 4 << 3, "syslog": 5 << 3, "user": 1 << 3,
	"uucp": 8 << 3, "local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3,
	"local3": 19 << 3, "local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3,
	"local7": 23 << 3, "none": 0,
}

func (p *hacfParser) setFacility(v string) bool {
	code, ok := facilities[v]
	if !ok {
		p.logf(LevelError, "Log facility(%s) not valid", v)
		return false
	}
	p.logFacility = code
	p.cfg.LogFacility = v
	return true
}

func (p *hacfParser) setLogfile(v string) bool {
	p.cfg.LogFile = v
	return true
}

func (p *hacfParser) setDebugfile(v string) bool {
	p.cfg.DebugFile = v
	return true
}

// setNiceFailback reproduces a quirk: it looks at the current mode, not at
// its own argument.
func (p *hacfParser) setNiceFailback(v string) bool {
	_, ok := ParseBool(v)
	p.logf(LevelError, "nice_failback flag is obsolete.. Use auto_failback {on, off, legacy} instead.")
	if ok {
		if p.niceFailback {
			p.logf(LevelError, "'nice_failback %s' has been changed to 'auto_failback off'", v)
			p.setAutoFailback("off")
		} else {
			p.logf(LevelError, "nice_failback %s has been strictly interpreted as 'auto_failback legacy'", v)
			p.logf(LevelError, "Consider converting to 'auto_failback on'.")
			p.logf(LevelError, "When you do, then you can use ipfail, and hb_standby")
			p.setAutoFailback("legacy")
		}
	}
	p.logf(LevelError, "See documentation for details.")
	return ok
}

func (p *hacfParser) setAutoFailback(v string) bool {
	on, ok := ParseBool(v)
	switch {
	case ok && on:
		p.niceFailback, p.cfg.AutoFailback = true, FailbackOn
	case ok:
		p.niceFailback, p.cfg.AutoFailback = true, FailbackOff
	case strings.EqualFold(v, "legacy"):
		p.niceFailback, p.cfg.AutoFailback = false, FailbackLegacy
	default:
		return false
	}
	return true
}

// SCHED_FIFO priority range on Linux.
const rtPrioMin, rtPrioMax = 1, 99

func (p *hacfParser) setRTPrio(v string) bool {
	prio := atoi(v)
	if prio < rtPrioMin || prio > rtPrioMax {
		p.logf(LevelError, "Illegal realtime priority [%s]", v)
		return false
	}
	p.cfg.RTPrio = prio
	return true
}

func (p *hacfParser) setGenMethod(v string) bool {
	if v != "file" && v != "time" {
		p.logf(LevelError, "Illegal hb generation method [%s]", v)
		return false
	}
	p.cfg.GenMethod = v
	return true
}

func (p *hacfParser) setRealtime(v string) bool {
	b, ok := ParseBool(v)
	p.cfg.Realtime = b
	return ok
}

func (p *hacfParser) setDebug(v string) bool {
	p.cfg.Debug = atoi(v)
	return p.cfg.Debug >= 0 && p.cfg.Debug < 256
}

// setMsgfmt takes heartbeat's two formats and hbd's "native". An explicit
// classic or netstring line keeps hbd on heartbeat's bytes for good; the
// default (no line, p.line 0) lets nodes agree on native; native forces it.
func (p *hacfParser) setMsgfmt(v string) bool {
	switch v {
	case "classic", "netstring":
		p.cfg.MsgFmt = v
		p.cfg.Native = NativeAuto
		if p.line > 0 {
			p.cfg.Native = NativeOff
		}
	case "native":
		// Heartbeat-form packets (ping, serial, peers not yet native)
		// keep classic's inner auth.
		p.cfg.MsgFmt = "classic"
		p.cfg.Native = NativeOn
	default:
		return false
	}
	return true
}

func (p *hacfParser) setUseLogd(v string) bool {
	on, ok := ParseBool(v)
	if on {
		p.logf(LevelInfo, "Enabling logging daemon ")
		p.logf(LevelInfo, "logfile and debug file are those specified in logd config file (default /etc/logd.cf)")
	} else {
		p.logf(LevelWarn, "Logging daemon is disabled --enabling logging daemon is recommended")
	}
	p.cfg.UseLogd = on
	p.useLogdLine = p.line
	return ok
}

func (p *hacfParser) setConnLogdTime(v string) bool {
	// Stored in a C int by cluster-glue.
	p.connLogdMS = int64(int32(getMsec(v)))
	return p.connLogdMS > 0
}

func (p *hacfParser) setUseApphbd(v string) bool {
	b, ok := ParseBool(v)
	p.cfg.UseApphbd = b
	return ok
}

func (p *hacfParser) setLogBadpack(v string) bool {
	b, ok := ParseBool(v)
	if ok {
		p.cfg.LogBadpack = b
	}
	return ok
}

func (p *hacfParser) setSyslogMsgFmt(v string) bool {
	b, ok := ParseBool(v)
	if ok {
		p.cfg.SyslogMsgFmt = b
	}
	return ok
}

func (p *hacfParser) setCoredumps(v string) bool {
	b, ok := ParseBool(v)
	if ok {
		p.cfg.Coredumps = b
	}
	return ok
}

func (p *hacfParser) setCoreRoot(v string) bool {
	if !strings.HasPrefix(v, "/") {
		// Both lines are cl_perror: the first shows whatever errno was
		// left over (ENOENT on Debian), the second EINVAL.
		p.logf(LevelError, "Invalid dir in cl_set_corerootdir() [%s]: No such file or directory", v)
		p.logf(LevelError, "Invalid core directory [%s]: Invalid argument", v)
		return false
	}
	p.cfg.CoreRoot = v
	return true
}

// crm_daemon_dir's check is inverted in 3.0.6: before a pacemaker line it
// fails silently, after one it complains and succeeds.
func (p *hacfParser) setCrmDaemonDir(v string) bool {
	if _, ok := p.cfg.Params.Get("pacemaker"); ok {
		p.logf(LevelError, "If you specify %s, it must come before the pacemaker directive\n", v)
		return true
	}
	return false
}

func (p *hacfParser) setPengineByCrm(v string) bool {
	if _, ok := p.cfg.Params.Get("pacemaker"); ok {
		p.logf(LevelError, "If you specify %s, it must come before the pacemaker directive\n", v)
		return false
	}
	return p.checkBoolean(v)
}

func (p *hacfParser) setCrm(v string) bool {
	return p.addOption("pacemaker", v)
}

func (p *hacfParser) setPacemaker(v string) bool {
	if p.pacemakerSeen {
		p.logf(LevelError, "pacemaker/crm directive used multiple times!")
		return false
	}
	p.pacemakerSeen = true
	p.logf(LevelInfo, "Pacemaker support: %s", v)
	switch {
	case strings.EqualFold(v, "ccm-only"):
		// Membership alone: hbd's CCM (or the binary, hbd_ccm respawn);
		// resources stay haresources'.
		p.cfg.CCMOnly = true
		return true
	case strings.EqualFold(v, "minimal"), strings.EqualFold(v, "manual"),
		strings.EqualFold(v, "respawn"):
	case strings.EqualFold(v, "valgrind"):
		p.logf(LevelInfo, "Enabling Valgrind on selected components")
	default:
		on, ok := ParseBool(v)
		if !ok {
			return false
		}
		if !on {
			return true
		}
	}
	// Heartbeat would now hand resources to Pacemaker and respawn its
	// daemons; hbd runs its own CRM in-process instead, and haresources
	// is not read.
	p.cfg.ManageResources = false
	p.cfg.CRM = true
	if hr := strings.TrimSuffix(p.path, "ha.cf") + "haresources"; strings.HasSuffix(p.path, "ha.cf") {
		if _, _, err := p.env.readFile(hr); err == nil {
			p.logf(LevelWarn, "File %s exists.", hr)
			p.logf(LevelWarn, "This file is not used because crm is enabled")
		}
	}
	return true
}

func (p *hacfParser) setAutojoin(v string) bool {
	switch l := strings.ToLower(v); l {
	case "none", "other", "any":
		p.cfg.AutoJoin = l
		return true
	}
	p.logf(LevelError, "Invalid autojoin directive [%s]", v)
	return false
}

func (p *hacfParser) setUUIDFrom(v string) bool {
	if v != "file" && v != "nodename" {
		p.logf(LevelError, "Invalid uuidfrom directive [%s]", v)
		return false
	}
	p.cfg.UUIDFrom = v
	return true
}

// compressionPlugins are the compress plugins Debian installs.
var compressionPlugins = []string{"zlib", "bz2"}

func (p *hacfParser) setCompression(v string) bool {
	for _, c := range compressionPlugins {
		if v == c {
			p.cfg.Compression = v
			return true
		}
	}
	p.logf(LevelError, "Compression module(%s) not found", v)
	return false
}

func (p *hacfParser) setCompressionThreshold(v string) bool {
	t := atoi(v)
	if t <= 0 {
		p.logf(LevelError, "set_compression_threshold: compress_threshhold(%s) invalid", v)
		return false
	}
	p.cfg.CompressionThreshold = t
	return true
}

func (p *hacfParser) setTraditionalCompression(v string) bool {
	b, ok := ParseBool(v)
	if !ok {
		p.logf(LevelError, "set_traditional_compression:Invalid directive value %s", v)
		return false
	}
	p.cfg.TraditionalCompression = b
	return true
}

func (p *hacfParser) setEnv(v string) bool {
	name, value, found := strings.Cut(v, "=")
	if name == "" {
		p.logf(LevelError, "set_env: invalid nvpair(%s)", v)
		return false
	}
	if !found {
		// Heartbeat reads past the end of the token here and sets
		// whatever it finds; hbd sets an empty value.
		p.hbdWarnf("env [%s] has no '=': HA_%s is set to an empty string", v, name)
	}
	p.cfg.Env = append(p.cfg.Env, EnvVar{Line: p.line, Name: name, Value: value})
	return true
}

func (p *hacfParser) setMaxRexmitDelay(v string) bool {
	d := atoi(v)
	if d <= 0 {
		p.logf(LevelError, "Invalid max_rexmit_delay time(%s)", v)
		return false
	}
	p.cfg.MaxRexmitDelay = time.Duration(d) * time.Millisecond
	return true
}

func (p *hacfParser) checkBoolean(v string) bool {
	if _, ok := ParseBool(v); !ok {
		p.logf(LevelError, "ha_config_check_boolean:Invalid directive value %s", v)
		return false
	}
	return true
}

func (p *hacfParser) setMemReserve(v string) bool {
	p.cfg.MemReserve = atoi(v)
	return p.cfg.MemReserve > 0
}

// msDuration converts heartbeat's millisecond counts, saturating where a
// time.Duration cannot hold them.
func msDuration(ms int64) time.Duration {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	if ms < math.MinInt64/int64(time.Millisecond) {
		return math.MinInt64
	}
	return time.Duration(ms) * time.Millisecond
}

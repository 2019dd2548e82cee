package config

// directive is one row of the ha.cf directive table. Heartbeat's rows come
// first, in heartbeat's order (which is the order "heartbeat -D" prints);
// hbd's own directives, all named hbd_*, are appended after them, one row
// each.
type directive struct {
	name    string
	set     func(p *hacfParser, value string) bool
	record  bool   // the value is recorded as a parameter (HA_<name>)
	def     string // default recorded when the directive is absent; "" = none
	explain string // "heartbeat -D" description
}

// wholeLine are heartbeat's whole-line directives: their handler gets the
// rest of the line verbatim instead of one call per token.
var wholeLine = map[string]func(p *hacfParser, rest string) bool{
	"stonith":      (*hacfParser).setStonith,
	"stonith_host": (*hacfParser).setStonithHost,
	"apiauth":      (*hacfParser).setAPIAuth,
	"respawn":      func(p *hacfParser, rest string) bool { return p.addClient(rest, false) },
	"failfast":     func(p *hacfParser, rest string) bool { return p.addClient(rest, true) },
}

// directives is heartbeat 3.0.6's Directives[] table (normalpoll is not
// compiled into Debian's binary). It is filled in init because some
// handlers (crm) call back into the table.
var directives []directive

func init() {
	directives = []directive{
		{"cluster", (*hacfParser).setCluster, true, "linux-ha", "the name of cluster"},
		{"node", (*hacfParser).addNormalNode, false, "", ""},
		{"hopfudge", (*hacfParser).setHopfudge, true, "1", "# of hops above cluster size"},
		{"keepalive", (*hacfParser).setKeepalive, true, "1000ms", "keepalive time"},
		{"deadtime", (*hacfParser).setDeadtime, true, "30000ms", "node deadtime"},
		{"deadping", (*hacfParser).setDeadping, true, "", "ping deadtime"},
		{"initdead", (*hacfParser).setInitdead, true, "", "initial deadtime"},
		{"warntime", (*hacfParser).setWarntime, true, "", "warning time"},
		{"watchdog", (*hacfParser).setWatchdog, true, "", "watchdog device"},
		{"baud", (*hacfParser).setBaud, true, "19200", "baud rate"},
		{"udpport", (*hacfParser).setUDPPort, true, "", "UDP port number"},
		{"logfacility", (*hacfParser).setFacility, true, "", "syslog log facility"},
		{"logfile", (*hacfParser).setLogfile, true, "", "log file"},
		{"debugfile", (*hacfParser).setDebugfile, true, "", "debug file"},
		{"nice_failback", (*hacfParser).setNiceFailback, false, "", ""},
		{"auto_failback", (*hacfParser).setAutoFailback, true, "legacy", "auto failback"},
		{"rtprio", (*hacfParser).setRTPrio, true, "", "realtime priority"},
		{"hbgenmethod", (*hacfParser).setGenMethod, true, "file", "protocol generation computation method"},
		{"realtime", (*hacfParser).setRealtime, true, "true", "enable realtime behavior?"},
		{"debug", (*hacfParser).setDebug, true, "", "debug level"},
		{"msgfmt", (*hacfParser).setMsgfmt, true, "classic", "message format in the wire"},
		{"use_logd", (*hacfParser).setUseLogd, true, "", "use logging daemon"},
		{"conn_logd_time", (*hacfParser).setConnLogdTime, true, "60", "the interval to reconnect to logd"},
		{"use_apphbd", (*hacfParser).setUseApphbd, false, "", "register with apphbd"},
		{"log_badpack", (*hacfParser).setLogBadpack, true, "true", "warn about bad packets"},
		{"syslogmsgfmt", (*hacfParser).setSyslogMsgFmt, true, "true", "log to files in syslog format"},
		{"coredumps", (*hacfParser).setCoredumps, true, "true", "enable Linux-HA core dumps"},
		{"coreroot", (*hacfParser).setCoreRoot, true, "", "set root directory of core dump area"},
		{"crm_daemon_dir", (*hacfParser).setCrmDaemonDir, true, "", "location for Pacemaker daemons"},
		{"crmd_spawns_pengine", (*hacfParser).setPengineByCrm, true, "", "should pengine be spawned directly by heartbeat"},
		{"crm", (*hacfParser).setCrm, false, "", "historical alias for 'pacemaker'"},
		{"pacemaker", (*hacfParser).setPacemaker, true, "false", "enable Pacemaker resource management"},
		{"autojoin", (*hacfParser).setAutojoin, true, "none", "set automatic join mode/style"},
		{"uuidfrom", (*hacfParser).setUUIDFrom, true, "file", "set the source for uuid"},
		{"compression", (*hacfParser).setCompression, true, "zlib", "set compression module"},
		{"compression_threshold", (*hacfParser).setCompressionThreshold, true, "2", "set compression threshold"},
		{"traditional_compression", (*hacfParser).setTraditionalCompression, true, "no", "set traditional_compression"},
		{"env", (*hacfParser).setEnv, false, "", "set environment variable for respawn clients"},
		{"max_rexmit_delay", (*hacfParser).setMaxRexmitDelay, true, "250", "set the maximum rexmit delay time"},
		{"record_config_changes", (*hacfParser).checkBoolean, true, "on", "record changes to the cib (valid only with: pacemaker on)"},
		{"record_pengine_inputs", (*hacfParser).checkBoolean, true, "on", "record the input used by the policy engine (valid only with: pacemaker on)"},
		{"enable_config_writes", (*hacfParser).checkBoolean, true, "on", "write configuration changes to disk (valid only with: pacemaker on)"},
		{"memreserve", (*hacfParser).setMemReserve, true, "6500", "number of kbytes to preallocate in heartbeat"},
		{"quorum_server", (*hacfParser).setQuorumServer, true, "", "the name or ip of quorum server"},
		// hbd's own directives, all named hbd_*. They have no default
		// here ("heartbeat -D" prints heartbeat's table) and are not
		// recorded: heartbeat's children never saw them.
		{"hbd_self_fence", (*hacfParser).setSelfFence, false, "", "command run when a resource cannot be stopped"},
		{"hbd_action_timeout", (*hacfParser).setActionTimeout, false, "", "time limit of one resource action"},
		{"hbd_ip_agent", (*hacfParser).setIPAgent, false, "", "IPaddr/IPaddr2 agent: builtin or script"},
		{"hbd_ocf_ip_agent", (*hacfParser).setOCFIPAgent, false, "", "ocf:heartbeat:IPaddr2 agent under pacemaker on: builtin (in-process when its parameters allow) or script"},
		{"hbd_rsc_workers", (*hacfParser).setRscWorkers, false, "", "resource agents run at once"},
		{"hbd_ucast_bind", (*hacfParser).setUcastBind, false, "", "local IPv4 address ucast receive sockets bind to"},
		{"hbd_metrics_listen", (*hacfParser).setMetricsListen, false, "", "host:port of the Prometheus metrics endpoint"},
		{"hbd_cluster_id", (*hacfParser).setClusterID, false, "", "cluster id of native packets, instead of the authkeys-derived one"},
		{"hbd_bpf_filter", (*hacfParser).setBPFFilter, false, "", "kernel filter of foreign packets: auto, on or off"},
		{"hbd_beacon_socket", (*hacfParser).setBeaconSocket, false, "", "status beacons on a socket of their own, read at each wake-up: on (default) or off"},
		{"hbd_ipfail", (*hacfParser).setIPFail, false, "", "ipfail respawn lines: builtin (run in-process) or respawn (run the binary)"},
		{"hbd_ccm", (*hacfParser).setCCM, false, "", "ccm (respawn line or pacemaker ccm-only): builtin (run in-process) or respawn (run the binary)"},
		{"hbd_hook_timeout", (*hacfParser).setHookTimeout, false, "", "time limit of one rc.d hook run through harc (default 120 s)"},
		{"hbd_logd", (*hacfParser).setHbdLogd, false, "", "serve the logd socket in-process for ha_logger and cl_log clients: on or off"},
		{"hbd_logd_config", (*hacfParser).setHbdLogdConfig, false, "", "logd.cf of the built-in logd (default /etc/logd.cf if it exists)"},
		{"hbd_apphbd", (*hacfParser).setHbdApphbd, false, "", "serve apphbd's socket in-process: on or off"},
		{"hbd_apphbd_config", (*hacfParser).setHbdApphbdConfig, false, "", "apphbd.cf of the built-in apphbd"},
		{"hbd_apphbd_allow_reboot", (*hacfParser).setHbdApphbdAllowReboot, false, "", "let a setboot client's failure reboot the node: on or off (default off)"},
		{"hbd_recovery_config", (*hacfParser).setHbdRecoveryConfig, false, "", "recovery rules run on the built-in apphbd's events"},
		{"hbd_lrm", (*hacfParser).setHbdLRM, false, "", "run the local resource manager in-process and serve lrmd's sockets: on or off"},
		{"hbd_monitor", (*hacfParser).setMonitor, false, "", "monitor every haresources resource: <interval> [timeout] (default: none)"},
		{"hbd_monitor_restarts", (*hacfParser).setMonitorRestarts, false, "", "in-place restarts of a group within hbd_monitor_window before it is given up (default 3)"},
		{"hbd_monitor_window", (*hacfParser).setMonitorWindow, false, "", "window hbd_monitor_restarts are counted in (default 10m)"},
	}
}

func lookupDirective(name string) *directive {
	for i := range directives {
		if directives[i].name == name {
			return &directives[i]
		}
	}
	return nil
}

// isLegal is heartbeat's islegaldirective: a table row, a whole-line
// directive or an installed medium plugin.
func isLegal(name string) bool {
	return lookupDirective(name) != nil || wholeLine[name] != nil || lookupMedium(name) != nil
}

package config

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Handlers of hbd's own directives (hbd_*). A bad value fails the line,
// which gives "ha.cf:<line>: Invalid <directive> value [<value>]" unless
// the handler says more.

// maxRscWorkers bounds hbd_rsc_workers: more agents at once than this
// is a typo, not a plan.
const maxRscWorkers = 256

// setSelfFence takes the whole line, split on blanks only (commas stay
// in the arguments): the option loop calls it once per token, and the
// first call of each line does the work. The last line wins.
func (p *hacfParser) setSelfFence(string) bool {
	if p.selfFenceLine == p.line {
		return true
	}
	p.selfFenceLine = p.line
	argv := strings.FieldsFunc(p.rest, func(r rune) bool { return strings.ContainsRune(whitespace, r) })
	p.cfg.SelfFence = nil
	if len(argv) == 0 {
		return false
	}
	if !strings.HasPrefix(argv[0], "/") {
		p.hbdFatalf("hbd_self_fence command [%s] is not a full pathname", argv[0])
		return false
	}
	if !p.env.executable(argv[0]) {
		p.hbdFatalf("hbd_self_fence command [%s] is not executable", argv[0])
		return false
	}
	p.cfg.SelfFence = argv
	return true
}

// setActionTimeout reads heartbeat's time syntax, as deadtime does
// (seconds, or ms/us suffixes); 0 means no limit.
func (p *hacfParser) setActionTimeout(v string) bool {
	ms := getMsec(v)
	if ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) {
		return false // negative, or more than a time.Duration holds
	}
	p.cfg.ActionTimeout = msDuration(ms)
	return true
}

// setHookTimeout reads heartbeat's time syntax, as hbd_action_timeout
// does; a hook always has a limit, so 0 is refused.
func (p *hacfParser) setHookTimeout(v string) bool {
	ms := getMsec(v)
	if ms <= 0 || ms > math.MaxInt64/int64(time.Millisecond) {
		return false
	}
	p.cfg.HookTimeout = msDuration(ms)
	return true
}

func (p *hacfParser) setIPAgent(v string) bool {
	if v != "builtin" && v != "script" {
		p.hbdFatalf("hbd_ip_agent [%s] must be builtin or script", v)
		return false
	}
	p.cfg.IPAgent = v
	return true
}

// setOCFIPAgent is hbd_ocf_ip_agent: whether a CIB's
// ocf:heartbeat:IPaddr2 may run in the built-in IP agent.
func (p *hacfParser) setOCFIPAgent(v string) bool {
	if v != "builtin" && v != "script" {
		p.hbdFatalf("hbd_ocf_ip_agent [%s] must be builtin or script", v)
		return false
	}
	p.cfg.OCFIPAgent = v
	return true
}

func (p *hacfParser) setRscWorkers(v string) bool {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxRscWorkers {
		p.hbdFatalf("hbd_rsc_workers [%s] must be a number from 1 to %d", v, maxRscWorkers)
		return false
	}
	p.cfg.RscWorkers = n
	return true
}

// setUcastBind takes a literal IPv4 address: several nodes on one machine
// (a demo, a test) share ucast's port only if each binds its own address.
func (p *hacfParser) setUcastBind(v string) bool {
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		p.hbdFatalf("hbd_ucast_bind [%s] must be an IPv4 address", v)
		return false
	}
	p.cfg.UcastBind = a
	return true
}

// setMetricsListen takes host:port with a numeric port; the host may be
// empty (every address) and is not resolved here, as ucast's are not.
func (p *hacfParser) setMetricsListen(v string) bool {
	_, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || strings.TrimLeft(port, "0123456789") != "" || n < 1 || n > 65535 {
		p.hbdFatalf("hbd_metrics_listen [%s] must be host:port with a port from 1 to 65535", v)
		return false
	}
	p.cfg.MetricsListen = v
	return true
}

// setClusterID takes a uint32 in decimal or 0x-hex.
func (p *hacfParser) setClusterID(v string) bool {
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		p.hbdFatalf("hbd_cluster_id [%s] must be a number from 0 to 4294967295 (decimal or 0x hex)", v)
		return false
	}
	p.cfg.ClusterID, p.cfg.ClusterIDSet = uint32(n), true
	return true
}

func (p *hacfParser) setBPFFilter(v string) bool {
	if v != "auto" && v != "on" && v != "off" {
		p.hbdFatalf("hbd_bpf_filter [%s] must be auto, on or off", v)
		return false
	}
	p.cfg.BPFFilter = v
	return true
}

func (p *hacfParser) setBeaconSocket(v string) bool {
	var on bool
	if !p.hbdOnOff("hbd_beacon_socket", v, &on) {
		return false
	}
	p.cfg.NoBeaconSocket = !on
	return true
}

func (p *hacfParser) setIPFail(v string) bool {
	if v != "builtin" && v != "respawn" {
		p.hbdFatalf("hbd_ipfail [%s] must be builtin or respawn", v)
		return false
	}
	p.cfg.IPFail = v
	return true
}

func (p *hacfParser) setCCM(v string) bool {
	if v != "builtin" && v != "respawn" {
		p.hbdFatalf("hbd_ccm [%s] must be builtin or respawn", v)
		return false
	}
	p.cfg.CCM = v
	return true
}

// hbdOnOff parses an hbd_ on/off directive.
func (p *hacfParser) hbdOnOff(name, v string, dst *bool) bool {
	b, ok := ParseBool(v)
	if !ok {
		p.hbdFatalf("%s [%s] must be on or off", name, v)
		return false
	}
	*dst = b
	return true
}

func (p *hacfParser) setHbdLogd(v string) bool { return p.hbdOnOff("hbd_logd", v, &p.cfg.Logd) }

func (p *hacfParser) setHbdApphbd(v string) bool { return p.hbdOnOff("hbd_apphbd", v, &p.cfg.Apphbd) }

func (p *hacfParser) setHbdApphbdAllowReboot(v string) bool {
	return p.hbdOnOff("hbd_apphbd_allow_reboot", v, &p.cfg.ApphbdAllowReboot)
}

// hbdPath takes an absolute path (the daemon runs from /).
func (p *hacfParser) hbdPath(name, v string, dst *string) bool {
	if !strings.HasPrefix(v, "/") {
		p.hbdFatalf("%s [%s] must be an absolute path", name, v)
		return false
	}
	*dst = v
	return true
}

func (p *hacfParser) setHbdLogdConfig(v string) bool {
	return p.hbdPath("hbd_logd_config", v, &p.cfg.LogdConfig)
}

func (p *hacfParser) setHbdApphbdConfig(v string) bool {
	return p.hbdPath("hbd_apphbd_config", v, &p.cfg.ApphbdConfig)
}

func (p *hacfParser) setHbdRecoveryConfig(v string) bool {
	return p.hbdPath("hbd_recovery_config", v, &p.cfg.RecoveryConfig)
}

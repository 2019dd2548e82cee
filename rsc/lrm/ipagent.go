package lrm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/rsc/ipaddr"
)

// Choices of Options.IPAgent, as hbd_ip_agent spells them.
const (
	IPAgentBuiltin = "builtin"
	IPAgentScript  = "script"
)

// ipParams are the OCF IPaddr2 parameters the built-in agent honours;
// any other leaves the resource to the agent's script (Declines), or
// makes the built-in agent refuse it (rc 6) when it is asked anyway,
// rather than ignore what the agent would do with it.
var ipParams = map[string]bool{"ip": true, "cidr_netmask": true, "nic": true, "broadcast": true,
	"iflabel": true, "arp_count": true, "arp_interval": true}

// ipDefaults are IPaddr2's parameters that change nothing at their
// default (resource-agents 4.12's OCF_RESKEY_*_default), which the
// built-in agent's behaviour is: a CIB may spell them out. The boolean
// ones take any value ocf_is_true reads as false. preferred_lft and
// nodad take any value: IPaddr2 passes them for IPv6 only, and the
// built-in agent declines IPv6.
var ipDefaults = map[string]string{
	"lvs_support": "false", "lvs_ipv6_addrlabel": "false", "unique_clone_address": "false",
	"flush_routes": "false", "run_arping": "false", "nodad": "false", "noprefixroute": "false",
	"arp_count_refresh": "0", "preferred_lft": "forever",
	"mac": "", "arp_bg": "", "arp_sender": "", "send_arp_opts": "", "network_namespace": "",
}

// ocfTrue is ocf-shellfuncs' ocf_is_true.
func ocfTrue(v string) bool {
	switch v {
	case "yes", "true", "1", "YES", "TRUE", "True", "ja", "on", "ON":
		return true
	}
	return false
}

// atDefault reports whether an IPaddr2 parameter outside ipParams holds
// the value at which the script does what the built-in agent does.
func atDefault(name, value string) bool {
	if (name == "preferred_lft" || name == "nodad") && value != "" {
		return true // the script applies them to IPv6 only
	}
	d, ok := ipDefaults[name]
	switch {
	case !ok:
		return false
	case d == "false":
		return !ocfTrue(value)
	}
	return value == d
}

// IPAgent is the built-in IP agent as an LRM Builtin: heartbeat's IPaddr
// and IPaddr2 (and, when chosen, ocf:heartbeat:IPaddr2) run through
// rsc/ipaddr's netlink code in the daemon's process. Monitor reads the
// interface's addresses over netlink: no fork. It keeps one
// ipaddr.Resource per LRM resource (its ARP burst and saved loopback
// address live there), made again when the parameters change.
type IPAgent struct {
	// Logf receives the agent's lines (ocf_log's words); nil discards.
	Logf func(format string, args ...any)
	// ARPCount and ARPInterval override the agents' ARP defaults (for
	// tests); an OCF resource's arp_count/arp_interval override both.
	ARPCount    int
	ARPInterval time.Duration
	// In, when set, runs each operation (for tests: in another network
	// namespace, as netlink sockets belong to their thread's).
	In func(func())

	mu sync.Mutex
	rs map[string]*ipEntry
}

type ipEntry struct {
	key string // class, type and parameters it was made from
	r   *ipaddr.Resource
}

var _ Builtin = (*IPAgent)(nil)

// ipArg turns a resource's parameters into the haresources argument and
// script name: heartbeat class from positional parameter 1 (the
// "ip/mask/nic/brd" haresources gives), ocf from ip, cidr_netmask, nic
// (iflabel appended as nic:label) and broadcast.
func ipArg(r *Resource, params []Param) (script, arg string, opt ipaddr.Options, err error) {
	script = r.Type
	if r.Class == ClassHeartbeat {
		for _, p := range params {
			if p.Name == "1" {
				arg = p.Value
			}
		}
		if arg == "" {
			return "", "", opt, errors.New("no address argument (parameter 1)")
		}
		return script, arg, opt, nil
	}
	v := map[string]string{}
	for _, p := range params {
		if strings.HasPrefix(p.Name, "CRM_meta_") {
			continue
		}
		if !ipParams[p.Name] {
			if atDefault(p.Name, p.Value) {
				continue
			}
			return "", "", opt, fmt.Errorf("parameter %s=%q is not one the built-in IP agent honours", p.Name, p.Value)
		}
		v[p.Name] = p.Value
	}
	if v["ip"] == "" {
		return "", "", opt, errors.New("Required parameter OCF_RESKEY_ip is missing")
	}
	if strings.Contains(v["ip"]+v["cidr_netmask"]+v["nic"]+v["broadcast"]+v["iflabel"], "/") {
		return "", "", opt, errors.New("a parameter holds '/'")
	}
	nic := v["nic"]
	if v["iflabel"] != "" {
		if nic == "" {
			return "", "", opt, errors.New("iflabel needs nic")
		}
		nic += ":" + v["iflabel"]
	}
	arg = v["ip"]
	if v["cidr_netmask"] != "" || nic != "" || v["broadcast"] != "" {
		arg += "/" + v["cidr_netmask"]
	}
	if nic != "" {
		arg += "/" + nic
	}
	if v["broadcast"] != "" {
		arg += "/" + v["broadcast"]
	}
	if s := v["arp_count"]; s != "" {
		if opt.ARPCount, err = strconv.Atoi(s); err != nil || opt.ARPCount < 0 {
			return "", "", opt, fmt.Errorf("arp_count %q", s)
		}
	}
	if s := v["arp_interval"]; s != "" {
		ms, err := strconv.Atoi(s)
		if err != nil || ms < 0 {
			return "", "", opt, fmt.Errorf("arp_interval %q", s)
		}
		opt.ARPInterval = time.Duration(ms) * time.Millisecond
	}
	return script, arg, opt, nil
}

// Declines is Decliner's: an ocf:heartbeat:IPaddr2 resource runs
// in-process only when the built-in agent does exactly what the script
// would with every parameter it has; otherwise the reason (the first
// parameter it does not honour, an IPv6 address, an ARP count or
// interval of 0, which the script reads differently) and the LRM runs
// the script. Heartbeat-class resources are never declined: they are
// the built-in agent's by hbd_ip_agent.
func (a *IPAgent) Declines(r *Resource, params []Param) string {
	if r.Class != ClassOCF {
		return ""
	}
	script, arg, opt, err := ipArg(r, params)
	if err != nil {
		return err.Error()
	}
	for _, p := range params {
		if (p.Name == "arp_count" || p.Name == "arp_interval") && p.Value == "0" {
			return "parameter " + p.Name + "=0 is not one the built-in IP agent honours"
		}
	}
	if _, err := ipaddr.New(script, config.ParseIPAddr(arg), opt); err != nil {
		return err.Error()
	}
	return ""
}

// resource returns the ipaddr.Resource for r with params, making it when
// missing or when the parameters changed.
func (a *IPAgent) resource(r *Resource, params []Param) (*ipaddr.Resource, int, error) {
	script, arg, opt, err := ipArg(r, params)
	if err != nil {
		return nil, RCErrConfigured, err
	}
	key := r.Class + "\x00" + script + "\x00" + arg + "\x00" + fmt.Sprint(opt.ARPCount, opt.ARPInterval)
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.rs[r.ID]; e != nil && e.key == key {
		return e.r, 0, nil
	}
	if opt.ARPCount == 0 {
		opt.ARPCount = a.ARPCount
	}
	if opt.ARPInterval == 0 {
		opt.ARPInterval = a.ARPInterval
	}
	if a.Logf != nil {
		logf := a.Logf
		opt.Logf = func(l prio.Level, format string, args ...any) {
			logf("%s: %s: %s", r.ID, l, fmt.Sprintf(format, args...))
		}
	}
	ir, err := ipaddr.New(script, config.ParseIPAddr(arg), opt)
	if err != nil {
		return nil, errCode(err), err
	}
	if a.rs == nil {
		a.rs = make(map[string]*ipEntry)
	}
	a.rs[r.ID] = &ipEntry{key: key, r: ir}
	return ir, 0, nil
}

// Forget drops what the agent keeps for a resource (its ARP burst goes
// on until it ends); the LRM calls it when the resource is deleted.
func (a *IPAgent) Forget(id string) {
	a.mu.Lock()
	delete(a.rs, id)
	a.mu.Unlock()
}

func errCode(err error) int {
	var e *ipaddr.Error
	if errors.As(err, &e) && e.Code > 0 {
		return e.Code
	}
	return RCErrGeneric
}

// Run is Builtin's: start, stop, monitor (status), validate-all and
// meta-data; other operations are unimplemented (rc 3), as IPaddr2's.
func (a *IPAgent) Run(ctx context.Context, r *Resource, op string, params []Param) (rc int, output string) {
	if op == "meta-data" {
		return RCOK, ipMetaData(r.Type)
	}
	ir, rc, err := a.resource(r, params)
	if err != nil {
		if op == "stop" && rc == RCErrConfigured {
			return RCOK, "" // nothing of ours can be up: the LSB rule
		}
		if (op == "monitor" || op == "status") && r.Class == ClassHeartbeat {
			return RCNotRunning, err.Error() // ResourceManager's reading
		}
		return rc, err.Error()
	}
	run := func(f func()) { f() }
	if a.In != nil {
		run = a.In
	}
	switch op {
	case "validate-all":
		return RCOK, ""
	case "start", "stop":
		run(func() {
			if op == "start" {
				err = ir.Start(ctx)
			} else {
				err = ir.Stop(ctx)
			}
		})
		if err != nil {
			return errCode(err), err.Error()
		}
		return RCOK, ""
	case "monitor", "status":
		var up bool
		run(func() { up, err = ir.Running(ctx) })
		switch {
		case err != nil && r.Class == ClassHeartbeat:
			return RCNotRunning, err.Error()
		case err != nil:
			return errCode(err), err.Error()
		case up:
			return RCOK, "running"
		}
		return RCNotRunning, "stopped"
	}
	return RCErrUnimplemented, ""
}

// ipMetaData describes the parameters the built-in agent takes.
func ipMetaData(typ string) string {
	return `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="` + typ + `" version="hbd-builtin">
<version>1.0</version>
<longdesc lang="en">hbd's built-in IP agent: the address is added, removed and checked over netlink in the daemon's process.</longdesc>
<shortdesc lang="en">Manages virtual IPv4 addresses (in-process)</shortdesc>
<parameters>
<parameter name="ip" unique="1" required="1"><content type="string"/></parameter>
<parameter name="cidr_netmask"><content type="string"/></parameter>
<parameter name="nic"><content type="string"/></parameter>
<parameter name="broadcast"><content type="string"/></parameter>
<parameter name="iflabel"><content type="string"/></parameter>
<parameter name="arp_count"><content type="integer" default="5"/></parameter>
<parameter name="arp_interval"><content type="integer" default="200"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s" depth="0"/>
<action name="meta-data" timeout="5s"/>
<action name="validate-all" timeout="20s"/>
</actions>
</resource-agent>
`
}

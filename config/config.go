package config

import (
	"net/netip"
	"time"
)

// HeartbeatVersion is the heartbeat release hbd reproduces. It is recorded
// as the "hbversion" parameter (HA_hbversion) and printed where heartbeat
// prints its version.
const HeartbeatVersion = "3.0.6"

// Config is a validated configuration: ha.cf, authkeys and haresources read
// the way heartbeat 3.0.6 reads them. Treat it as immutable: nothing in it
// is shared with anything else after Load returns.
type Config struct {
	Dir       string // configuration directory given to Load
	LocalNode string // this node's name, lower-cased (HA_CURHOST)

	// Nodes are the cluster nodes in the order heartbeat adds them:
	// "node" names and ping nodes (from ping, ping6, ping_group) as read.
	Nodes []Node
	Media []Medium

	Keepalive time.Duration
	Deadtime  time.Duration
	Warntime  time.Duration
	Initdead  time.Duration
	Deadping  time.Duration

	UDPPort      int // the recorded udpport; each medium carries the port it uses
	Baud         int
	AutoFailback AutoFailback
	Stonith      *Stonith // the device for this node (last applicable line), or nil
	Watchdog     string
	Clients      []Client  // respawn and failfast lines, in order
	APIAuth      []APIAuth // apiauth lines, then heartbeat's built-in defaults

	LogFile      string // "" when unset; "/dev/null" disables
	DebugFile    string
	LogFacility  string // facility name as written, "" when unset
	UseLogd      bool
	ConnLogdTime time.Duration
	SyslogMsgFmt bool
	Debug        int

	HopFudge  int
	Realtime  bool
	RTPrio    int    // 0 when unset: heartbeat then uses the SCHED_FIFO minimum
	GenMethod string // "file" or "time"
	UUIDFrom  string // "file" or "nodename"
	AutoJoin  string // "none", "other" or "any" (lower-cased)
	MsgFmt    string // "classic" or "netstring"
	// Native says when to send hbd's native format (msgfmt): auto when
	// ha.cf has no msgfmt line, on for "msgfmt native", off for an
	// explicit classic or netstring.
	Native                 NativeMode
	Compression            string
	CompressionThreshold   int // KB
	TraditionalCompression bool
	MaxRexmitDelay         time.Duration
	LogBadpack             bool
	Coredumps              bool
	CoreRoot               string
	MemReserve             int // KB
	UseApphbd              bool
	Env                    []EnvVar // env lines: each sets HA_<Name>=<Value> for children
	Cluster                string
	QuorumServer           string
	// ManageResources is false when the CRM manages resources (pacemaker
	// on): haresources is then ignored, as heartbeat ignores it.
	ManageResources bool
	// CRM is pacemaker on|yes|respawn|minimal|manual|valgrind (or crm
	// ...): hbd's own CRM runs in-process, over the built-in CCM and LRM,
	// with the CIB of <state dir>/crm/cib.xml.
	CRM bool

	// hbd's own directives (hbd_*), which heartbeat does not know.

	// SelfFence is the command run when a resource cannot be stopped
	// (hbd_self_fence, split on blanks); nil is heartbeat's reboot -nf,
	// then init 6.
	SelfFence []string
	// ActionTimeout bounds each resource action (hbd_action_timeout);
	// 0, the default, waits for ever as heartbeat does.
	ActionTimeout time.Duration
	// HookTimeout bounds each rc.d hook run through harc
	// (hbd_hook_timeout); 0 leaves the choice to package node.
	HookTimeout time.Duration
	// IPAgent runs IPaddr and IPaddr2 resources: "builtin" (default) or
	// "script" (hbd_ip_agent).
	IPAgent string
	// OCFIPAgent runs a CIB's ocf:heartbeat:IPaddr2 under pacemaker on:
	// "" or "builtin" (default) in-process when the resource's
	// parameters allow, "script" always forked (hbd_ocf_ip_agent).
	OCFIPAgent string
	// RscWorkers bounds the resource agents run at once
	// (hbd_rsc_workers); 0 leaves the choice to package rsc.
	RscWorkers int
	// UcastBind is the local address ucast receive sockets bind to
	// (hbd_ucast_bind); invalid means heartbeat's 0.0.0.0.
	UcastBind netip.Addr
	// MetricsListen is the host:port the Prometheus metrics endpoint
	// listens on (hbd_metrics_listen); "" (the default) serves none.
	MetricsListen string
	// ClusterID replaces the cluster ids native packets derive from the
	// authkeys secrets (hbd_cluster_id), when ClusterIDSet.
	ClusterID    uint32
	ClusterIDSet bool
	// BPFFilter is hbd_bpf_filter: "auto" (the default: the kernel filter
	// where it loads), "on" (fail to start without it) or "off".
	BPFFilter string
	// NoBeaconSocket is hbd_beacon_socket off: native status beacons
	// arrive on the receive socket instead of a socket of their own that
	// the loop drains at each wake-up (media.Beaconer).
	NoBeaconSocket bool
	// IPFail is hbd_ipfail: "builtin" (the default: a respawn line running
	// ipfail runs hbd's in-process equivalent) or "respawn" (the binary).
	IPFail string
	// CCM is hbd_ccm: "builtin" (the default: a respawn line running ccm,
	// or pacemaker ccm-only, runs hbd's in-process CCM) or "respawn" (the
	// binary).
	CCM string
	// CCMOnly is set by pacemaker (crm) ccm-only: membership is wanted
	// without Pacemaker's other daemons; haresources stay managed.
	CCMOnly bool
	// Logd is hbd_logd: serve the logd socket in-process, with the
	// logd.cf LogdConfig ("" for /etc/logd.cf if it exists).
	Logd       bool
	LogdConfig string
	// Apphbd is hbd_apphbd: serve apphbd's socket in-process, with the
	// apphbd.cf ApphbdConfig ("" for apphbd's defaults) and the recovery
	// rules of RecoveryConfig; a setboot client's failure reboots only
	// with ApphbdAllowReboot.
	Apphbd            bool
	ApphbdConfig      string
	ApphbdAllowReboot bool
	RecoveryConfig    string
	// LRM is hbd_lrm: run the local resource manager in the daemon and
	// serve lrmd's sockets (lrmadmin, liblrm clients).
	LRM bool
	// Monitor is hbd_monitor, hbd_monitor_restarts and
	// hbd_monitor_window: monitoring of haresources resources (monitor.go).
	Monitor Monitor

	// Params are the recorded directive values (last value wins), in the
	// order first recorded; heartbeat exports each as HA_<name>=<value>
	// and answers "cl_status hbparameter" from them.
	Params Params

	Authkeys    *Authkeys
	Haresources *Haresources
}

// NodeType tells a cluster node from a ping node.
type NodeType int

// Node types, as the API names them.
const (
	NormalNode NodeType = iota
	PingNode
)

func (t NodeType) String() string {
	if t == PingNode {
		return "ping"
	}
	return "normal"
}

// Node is a configured node.
type Node struct {
	Name string // lower-cased
	Type NodeType
	Line int // ha.cf line that added it
}

// Medium is one heartbeat medium (one per interface, tty or ping host).
type Medium struct {
	Type string // bcast, ucast, mcast, ucast6, mcast6, serial, ping, ping6, ping_group
	Line int
	// Name is the link name heartbeat shows: the interface (bcast, ucast,
	// mcast, ucast6, mcast6), the tty (serial), the host (ping, ping6) or
	// the group name (ping_group), case kept.
	Name  string
	Iface string
	// Port is the UDP port the medium uses: for bcast, ucast and ucast6
	// the udpport in force when heartbeat first built a medium of that
	// type (each plugin reads it once); for mcast and mcast6 the port on
	// the line. 0 for the others.
	Port int
	// Peer is the ucast target or the ucast6 address, as written.
	Peer string
	// Group is the mcast or mcast6 group, as written.
	Group string
	// Addr is Peer or Group parsed, when it is a literal address.
	Addr netip.Addr
	TTL  int  // mcast ttl, mcast6 hops
	Loop bool // mcast/mcast6 loopback
	// Hosts are the ping_group members, as written.
	Hosts []string
}

// AutoFailback is heartbeat's resource failback mode.
type AutoFailback int

// Failback modes; on and off use the "nice_failback" protocol.
const (
	FailbackLegacy AutoFailback = iota
	FailbackOn
	FailbackOff
)

func (a AutoFailback) String() string {
	switch a {
	case FailbackOn:
		return "on"
	case FailbackOff:
		return "off"
	}
	return "legacy"
}

// Nice reports whether the mode uses the nice_failback protocol.
func (a AutoFailback) Nice() bool { return a != FailbackLegacy }

// Stonith is the STONITH device this node uses.
type Stonith struct {
	Line int
	Type string
	// Host is the stonith_host target as written lower-cased ("*" or this
	// node); empty for a "stonith" line.
	Host string
	// ConfigFile is the "stonith" line's device configuration file.
	ConfigFile string
	// Params is the rest of a "stonith_host" line, passed to the plugin.
	Params string
}

// Client is a respawn or failfast child.
type Client struct {
	Line     int
	User     string
	UID, GID int
	Command  string // the command line, run as /bin/sh -c "exec <Command>"
	Path     string // its first word
	Failfast bool   // the node reboots when it dies
}

// APIAuth says which users and groups may sign on as an API client.
type APIAuth struct {
	Line   int // 0 for heartbeat's built-in defaults
	Client string
	// UIDs and GIDs are nil when the line has no such list; a present
	// but empty list ("uid=") is an empty, non-nil slice.
	UIDs []int
	GIDs []int
}

// EnvVar is one "env NAME=value" line: heartbeat sets HA_NAME=value.
type EnvVar struct {
	Line  int
	Name  string // without the HA_ prefix
	Value string
}

// Node looks a node up by name, case-insensitively as heartbeat does.
func (c *Config) Node(name string) (Node, bool) {
	name = asciiLower(name)
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// NativeMode is when hbd sends its native wire format.
type NativeMode uint8

const (
	NativeAuto NativeMode = iota // once every known node has advertised it
	NativeOn                     // always (msgfmt native)
	NativeOff                    // never (an explicit msgfmt classic or netstring)
)

func (m NativeMode) String() string {
	switch m {
	case NativeOn:
		return "on"
	case NativeOff:
		return "off"
	}
	return "auto"
}

// Package config reads and validates heartbeat 3.0.6's configuration —
// ha.cf, authkeys and haresources — exactly as heartbeat does, into one
// typed Config, so that an existing /etc/ha.d works unchanged under hbd.
//
// "Exactly" covers what heartbeat accepts and refuses and what it prints:
// its lexical rules (a "#" anywhere ends a line, commas split tokens, one
// handler call per token, 5119-byte reads), its value syntaxes (cluster-
// glue's time parser with its rounding, glibc's atoi and boolean words),
// every directive of the Debian build with its default, the media plugins'
// argument checks, the global checks in heartbeat's order, authkeys'
// permission rule and haresources' node check. Each line heartbeat would
// print comes back as a Diagnostic with heartbeat's wording, verbatim, and
// the file and line it is about. Where heartbeat fails without a word, or
// crashes, hbd says why in words of its own, marked Hbd. Two liberties:
// the "heartbeat: " (its argv[0]) a few messages start with is left out,
// and the lines heartbeat writes raw to stderr get a priority like the
// others. hbd is stricter in
// a few places heartbeat misbehaves (a duplicated haresources group key, a
// group ResourceManager reads differently from heartbeat's check); the
// Diagnostic says so. pacemaker on|yes|respawn (and crm) runs hbd's own
// CRM (Config.CRM): haresources is then not read, as heartbeat does not.
//
// The behaviour was checked against Debian's heartbeat 1:3.0.6-13+b2: the
// cases in testdata/heartbeat hold its output and are replayed by the tests
// (go test -capture reruns the real daemon, isolated, to refresh them).
//
// The package keeps no global state and does no I/O of its own: the three
// files and every look-up heartbeat makes while reading them (local node
// name, /etc/services, users and groups, executables, serial devices,
// network interfaces, STONITH plugins) go through an Env. SystemEnv, in a
// file of its own, is the real system; tests pass their own, so they are
// hermetic. It must not touch the network: the host names heartbeat
// resolves while parsing (ucast and ping targets) are left for the media to
// resolve unless the caller supplies Env.LookupHost.
//
// hbd's own ha.cf directives are all named hbd_* (hbd_self_fence,
// hbd_action_timeout, hbd_ip_agent, hbd_rsc_workers); each is one row of
// the directive table, after heartbeat's, and none is recorded as a
// parameter, so heartbeat's children never see them.
//
// # Resource monitoring
//
// hbd can monitor haresources resources (heartbeat cannot: it fails over
// only when a node dies). It is off unless configured, so a drop-in
// configuration changes nothing:
//
//	hbd_monitor <interval> [timeout]   monitor every resource (timeout 20 s)
//	hbd_monitor_restarts <n>           in-place restarts per group (default 3)
//	hbd_monitor_window <time>          ...counted within this window (default 10m)
//	hbd_lrm on                         also serve lrmd's sockets (lrmadmin)
//
// hbd_lrm on (and pacemaker ccm-only or on) runs the local resource manager in
// the daemon and serves lrmd's two sockets beside the API socket, unless
// an lrmd already answers there.
//
// Times take heartbeat's syntax (seconds, "ms", "us") and also "s", "m"
// and "h" suffixes. A failed monitor restarts the resource in place; the
// failure after n restarts within the window gives the group up as
// hb_standby does (n = 0: at the first failure). The defaults are those a
// heartbeat user expects of a service that died: a few restarts, then the
// peer takes over.
//
// A resource can have its own setting in haresources, as a last
// "::"-separated field of its token:
//
//	node1 198.18.0.100::hbd_monitor=5s apache::hbd_monitor=off \
//	      OCF::Dummy::d1::hbd_monitor=2s/30s
//
// "hbd_monitor=<interval>[/<timeout>]" monitors the resource whatever
// ha.cf says; "hbd_monitor=off" never does. The suffix is taken off the
// token before ResourceManager's parsing, so the group key, the script
// and its arguments are as without it. Heartbeat would pass it to the
// script as one more argument: the extension makes the file hbd's only
// when it is used (mixed clusters keep the ha.cf directive, which only the
// hbd nodes' ha.cf carry). An argument cannot itself start with
// "hbd_monitor=".
package config

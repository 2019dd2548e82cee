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
// group ResourceManager reads differently from heartbeat's check, Pacemaker
// mode); the Diagnostic says so.
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
package config

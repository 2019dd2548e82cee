// Package rsc runs haresources resource groups as heartbeat 3.0.6's
// ResourceManager (/usr/share/heartbeat/ResourceManager) runs them, with
// its log lines, for the daemon's event loop.
//
// A resource is an agent found as ResourceManager finds it: the script
// <confdir>/resource.d/<name>, else /etc/init.d/<name>, run as
// "<path> <args…> <verb>" with the daemon's child environment plus what
// ResourceManager's shell exports (HA_RESOURCEDIR, OCF_AGENTS, LC_ALL=C,
// the PATH prefix…), its stdout and stderr appended to the debug log.
// Whether a resource runs is decided from the text the status verb
// prints, the exit code ignored ("not … running" is not owned, "running"
// or "OK" is). A group starts left to right, skipping what already runs;
// a failed start stops the whole group right to left; a failed stop is
// retried once a second, and if the resource still runs the node fences
// itself (heartbeat: pkill -9 heartbeat, reboot -nf).
//
// The Manager takes batches (Take, Give) from the loop without blocking,
// runs them strictly one after another in submission order on a small
// worker pool (distinct groups of one batch side by side), and hands
// back Results after a wake-up. Every agent runs through internal/proc,
// in its own process group, so that a timed-out agent is killed with its
// children.
//
// Deliberate differences from ResourceManager:
//
//   - OCF::<type>::<instance> resources run their OCF agent directly
//     (<ocfroot>/resource.d/<provider>/<type>, the heartbeat provider
//     first; verbs start, stop, monitor; monitor 0 is running, 7 is
//     stopped, anything else is logged and taken as not running), with
//     OCF_ROOT, OCF_RA_VERSION_MAJOR/MINOR, OCF_RESOURCE_INSTANCE,
//     OCF_TYPE and the parameters of <confdir>/conf/OCF/<type>/<instance>,
//     which is read (NAME=value lines, simple quoting), not sourced.
//     The installed resource.d/OCF wrapper cannot work: it searches
//     $OCF_AGENTS/*/<type> with OCF_AGENTS one directory too deep, and
//     even when found it asks agents for a "status" verb that today's
//     agents no longer have. Its "Running" line shows the agent and the
//     instance: "Running <agent> <instance> start".
//   - IPaddr and IPaddr2 run in-process by default (package rsc/ipaddr);
//     Options.IPAgent "script" runs the resource.d scripts instead.
//   - Agents are located once, by New (heartbeat looks again at each
//     action), and groups are found by key, not by ResourceManager's
//     " <key> " regular expression over the whole file.
//   - Options.Timeout can bound each action (heartbeat waits for ever).
//     A status that cannot complete counts as not running before a start
//     but as still running after a failed stop: it must not avoid the
//     fence.
//   - After a failed start, heartbeat runs "hb_standby foreign" 30 s
//     later; here the Result's Failed says so and the caller decides.
//
// The package does not decide which groups to hold (that is the
// membership state machine's business) and must not block the loop.
package rsc

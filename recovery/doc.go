// Package recovery is the recovery manager heartbeat 2 had (recoverymgrd,
// dropped in 2.99.0) rebuilt on hbd's apphbd: when a client registered
// with apphbd fails to heartbeat or hangs up, and a rule of the recovery
// configuration names its application and that event, the rule's command
// runs through internal/proc (its own process group, a timeout, SIGTERM
// then SIGKILL), optionally after a signal to the failed process. A rule
// whose command keeps failing backs off: each failure doubles the wait
// before the next run, up to a bound, and a success resets it.
//
// # Configuration
//
// One rule or setting per line, '#' starts a comment:
//
//	timeout 30s                 # default time a command may run
//	backoff 1s 5m               # first wait after a failed command, and the bound
//	killgrace 2s                # SIGTERM to SIGKILL when a command is killed
//
//	app myapp event failed,hangup user root timeout 10s signal TERM run /usr/local/sbin/restart-myapp --now
//	app web/worker1 event failed user www-data run /etc/init.d/web restart
//	app db event failed systemd postgresql.service
//
// A rule is keyword–value pairs: app NAME (apphbd's application name, or
// NAME/INSTANCE for one instance), event (failed, hangup, or both,
// comma-separated), user (default root), timeout (overrides the default),
// signal (sent to the failed client's pid before the command: TERM, KILL,
// HUP …) and last either run, whose value is the rest of the line given
// to /bin/sh -c, or systemd UNIT, which runs `systemctl restart UNIT` (a
// unit whose service registered with apphbd and missed its heartbeats is
// restarted). The command gets APPHB_APP, APPHB_INSTANCE, APPHB_PID and
// APPHB_EVENT in its environment. A bad line is refused with file:line.
//
// The manager runs on the event loop and never waits for a command: the
// run's outcome comes back through the loop's wake-up. It must not decide
// what apphbd reports; it only acts on events.
package recovery

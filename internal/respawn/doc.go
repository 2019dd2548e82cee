// Package respawn runs heartbeat's respawn and failfast clients (ha.cf
// "respawn <user> <cmd>" and "failfast <user> <cmd>") as heartbeat 3.0.6
// does: started at comm-up in config order through /bin/sh -c "exec <cmd>"
// in their own process group as their user, respawned when they die
// (except after exit code 100, and not after more than 10 consecutive
// deaths within 30 s of their start), the node rebooted when a failfast
// client dies, and stopped one at a time in reverse config order at
// shutdown. Log lines are heartbeat's, as the installed daemon with
// cluster-glue 1.0.12 prints them.
//
// A Supervisor belongs to the event loop's goroutine: Start, Reap, Stop
// and BeginShutdown are called there and never block it. Fork and exec
// happen on other goroutines, which also keeps children off the loop's
// SCHED_RR thread (a forked child inherits its thread's policy; heartbeat
// resets it to normal scheduling in the child). Children start through
// internal/proc, whose goroutine waits for each and posts its exit, which
// calls Options.Wake; the respawn policy (throttle, exit code 100,
// failfast, Stop's order and grace) stays here.
//
// It must not decide anything about membership or resources: the daemon
// tells it when communications are up and when shutdown begins.
package respawn

// Package hblog writes log lines exactly as heartbeat 3.0.6 does, so that
// operators' log watchers keep working: to the logfile (every non-debug
// line), the debugfile (every line), syslog through /dev/log, and stderr
// before the daemon detaches.
//
// Logging never blocks the caller: lines go into a bounded queue that one
// writer goroutine drains; when it is full, lines are dropped and counted
// (Dropped), and the count is reported in the log once there is room again.
package hblog

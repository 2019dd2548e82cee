// Package core is heartbeat's application heartbeat service (apphbd) as a
// pure layer: the requests a libapphb client sends (reg, setint, setwarn,
// setboot, hb, unreg as fixed-size C structs) and their errno replies,
// each registered client's timer, and apphbd's four log lines (failed to
// heartbeat, resumed heartbeats, late heartbeat, hangup) with the events a
// recovery manager acts on.
//
// Every input carries its time; the layer keeps one timer per client in a
// heap and tells its driver the next deadline (Deadline), and what it
// decides (log lines, events, a reboot request) waits in its output until
// Ready and Advance. The socket, credentials and the clock are the
// driver's (package apphb serves the socket; node and cmd/hbd wire the two).
//
// It must not read a clock, touch a socket or file, start a goroutine, or
// reboot anything: a setboot client's failure becomes an event, and only a
// driver configured to allow it acts on it.
package core

// Package prio is the priority of a log line as heartbeat 3.0.6 prints it:
// syslog's order (Emerg 0 … Debug 7, so a syslog datagram's priority is
// facility|level) and heartbeat's words (EMERG … WARN in capitals, notice,
// info, debug in lower case). The membership state machine and the logger
// share it; it imports nothing that touches the system.
package prio

import "strconv"

// Level is a log priority.
type Level uint8

// Levels, most severe first.
const (
	Emerg Level = iota
	Alert
	Crit
	Error
	Warn
	Notice
	Info
	Debug
)

var words = [...]string{"EMERG", "ALERT", "CRIT", "ERROR", "WARN", "notice", "info", "debug"}

// String returns heartbeat's word for the level.
func (l Level) String() string {
	if int(l) < len(words) {
		return words[l]
	}
	return "prio" + strconv.Itoa(int(l))
}

// Parse maps heartbeat's word to its level.
func Parse(s string) (Level, bool) {
	for i, w := range words {
		if w == s {
			return Level(i), true
		}
	}
	return Debug, false
}

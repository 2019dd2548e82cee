package hblog

import (
	"strconv"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Level is a log priority, printed with heartbeat's words.
type Level = prio.Level

// Levels, most severe first, as syslog numbers them.
const (
	Emerg  = prio.Emerg
	Alert  = prio.Alert
	Crit   = prio.Crit
	Error  = prio.Error
	Warn   = prio.Warn
	Notice = prio.Notice
	Info   = prio.Info
	Debug  = prio.Debug
)

// ParseLevel maps heartbeat's priority words to a Level.
func ParseLevel(s string) (Level, bool) { return prio.Parse(s) }

// maxLine is where heartbeat truncates a message (5119 characters).
const maxLine = 5119

// appendFileLine appends a logfile/debugfile line. With syslogmsgfmt (the
// default): "Mon DD HH:MM:SS <host> <entity>: [<pid>]: <prio>: <msg>";
// without: "<entity>[<pid>]: YYYY/MM/DD_HH:MM:SS <prio>: <msg>".
func appendFileLine(dst []byte, syslogFmt bool, t time.Time, host, entity string, pid int, l Level, msg string) []byte {
	if len(msg) > maxLine {
		msg = msg[:maxLine]
	}
	if syslogFmt {
		dst = t.AppendFormat(dst, "Jan 02 15:04:05")
		dst = append(dst, ' ')
		dst = append(dst, host...)
		dst = append(dst, ' ')
		dst = append(dst, entity...)
		dst = append(dst, ": ["...)
		dst = strconv.AppendInt(dst, int64(pid), 10)
		dst = append(dst, "]: "...)
	} else {
		dst = append(dst, entity...)
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(pid), 10)
		dst = append(dst, "]: "...)
		dst = t.AppendFormat(dst, "2006/01/02_15:04:05")
		dst = append(dst, ' ')
	}
	dst = append(dst, l.String()...)
	dst = append(dst, ": "...)
	dst = append(dst, msg...)
	return append(dst, '\n')
}

// appendSyslog appends a datagram for /dev/log as glibc's syslog(3) builds
// it for heartbeat's openlog(entity, LOG_CONS, facility): "<PRI>Mmm dd
// HH:MM:SS entity: [pid]: prio: msg".
func appendSyslog(dst []byte, facility int, t time.Time, entity string, pid int, l Level, msg string) []byte {
	if len(msg) > maxLine {
		msg = msg[:maxLine]
	}
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility|int(l)), 10)
	dst = append(dst, '>')
	dst = t.AppendFormat(dst, "Jan _2 15:04:05")
	dst = append(dst, ' ')
	dst = append(dst, entity...)
	dst = append(dst, ": ["...)
	dst = strconv.AppendInt(dst, int64(pid), 10)
	dst = append(dst, "]: "...)
	dst = append(dst, l.String()...)
	dst = append(dst, ": "...)
	return append(dst, msg...)
}

// facilities are the syslog facility names heartbeat accepts, with their
// codes (already shifted left by 3, as syslog wants them).
var facilities = map[string]int{
	"kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": 3 << 3, "auth": 4 << 3,
	"security": 4 << 3, "syslog": 5 << 3, "lpr": 6 << 3, "news": 7 << 3, "uucp": 8 << 3,
	"cron": 9 << 3, "authpriv": 10 << 3, "ftp": 11 << 3, "mark": 24 << 3,
	"local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3, "local3": 19 << 3,
	"local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

// Facility returns a facility's code; "none" and kern (0) disable syslog in
// heartbeat, so they report false.
func Facility(name string) (int, bool) {
	f, ok := facilities[name]
	return f, ok && f != 0
}

package logd

import (
	"strconv"
	"time"
)

// maxText is where cl_log cuts a message.
const maxText = 5119

var priWords = [...]string{"EMERG", "ALERT", "CRIT", "ERROR", "WARN", "notice", "info", "debug"}

// AppendLine appends the line ha_logd writes to its files for r, stamped
// with r's own time in loc: "Mon dd hh:mm:ss <host> <entity>: [<pid>]:
// [<pri>: ]<text>\n" (the priority word only when the client asked for it).
func AppendLine(dst []byte, r *Record, host string, loc *time.Location) []byte {
	dst = time.Unix(r.Time, 0).In(loc).AppendFormat(dst, "Jan 02 15:04:05")
	dst = append(dst, ' ')
	dst = append(dst, host...)
	dst = append(dst, ' ')
	dst = append(dst, r.Entity...)
	dst = append(dst, ": ["...)
	dst = strconv.AppendInt(dst, int64(r.PID), 10)
	dst = append(dst, "]: "...)
	if r.UsePriStr {
		if p := r.Priority; p >= 0 && int(p) < len(priWords) {
			dst = append(dst, priWords[p]...)
		} else {
			dst = append(dst, "prio"...)
			dst = strconv.AppendInt(dst, int64(p), 10)
		}
		dst = append(dst, ": "...)
	}
	text := r.Text
	if len(text) > maxText {
		text = text[:maxText]
	}
	dst = append(dst, text...)
	return append(dst, '\n')
}

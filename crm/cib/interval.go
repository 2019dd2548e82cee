package cib

import (
	"strconv"
	"strings"
	"time"
)

// ParseInterval reads Pacemaker's interval specification: an integer
// with an optional unit (ms/msec, us/usec, s/sec, m/min, h/hr; none is
// seconds), case-insensitive, spaces around allowed. ISO 8601 durations
// are not taken.
func ParseInterval(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := time.Second
	switch strings.TrimSpace(s[i:]) {
	case "", "s", "sec":
	case "ms", "msec":
		unit = time.Millisecond
	case "us", "usec":
		unit = time.Microsecond
	case "m", "min":
		unit = time.Minute
	case "h", "hr":
		unit = time.Hour
	default:
		return 0, false
	}
	if n > int64(1<<63-1)/int64(unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

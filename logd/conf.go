package logd

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Conf is a logd.cf. The zero value is not ready: use DefaultConf.
type Conf struct {
	Path         string // where it was read from ("" for none)
	LogFile      string // every line but debug
	DebugFile    string // every line
	Facility     string // syslog facility name; "none" for no syslog
	Entity       string // the daemon's own entity
	SyslogPrefix string
	SendQLen     int // queue between the reader and the writer
	RecvQLen     int
	LogMode      uint32 // file mode of the files it creates
	SyslogMsgFmt bool
	UseApphbd    bool
}

// DefaultConf is ha_logd's configuration without a file.
func DefaultConf() Conf {
	return Conf{Facility: "daemon", Entity: "logd", SendQLen: 256, RecvQLen: 256, LogMode: 0o644}
}

// ConfError is a bad line of a logd.cf, with its place.
type ConfError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseConf reads a logd.cf named name from data into the defaults: one
// "directive value" per line, '#' comments. An unknown directive or a bad
// value is an error with file:line (ha_logd exits 6 on them).
func ParseConf(name string, data []byte) (Conf, error) {
	c := DefaultConf()
	c.Path = name
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &ConfError{name, n, fmt.Sprintf(format, args...)}
		}
		if len(f) != 2 {
			return c, bad("%s: wants one value, has %d", f[0], len(f)-1)
		}
		v := f[1]
		switch strings.ToLower(f[0]) {
		case "debugfile":
			c.DebugFile = v
		case "logfile":
			c.LogFile = v
		case "logfacility":
			c.Facility = v
		case "entity":
			if len(v) >= EntityMax {
				return c, bad("entity %q longer than %d bytes", v, EntityMax-1)
			}
			c.Entity = v
		case "syslogprefix":
			c.SyslogPrefix = v
		case "sendqlen", "recvqlen":
			q, err := strconv.Atoi(v)
			if err != nil || q <= 0 {
				return c, bad("%s: %q is not a positive number", f[0], v)
			}
			if f[0] == "sendqlen" {
				c.SendQLen = q
			} else {
				c.RecvQLen = q
			}
		case "logmode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil || m > 0o777 {
				return c, bad("logmode: %q is not an octal file mode", v)
			}
			c.LogMode = uint32(m)
		case "syslogmsgfmt", "useapphbd":
			b, ok := parseBool(v)
			if !ok {
				return c, bad("%s: %q is not yes or no", f[0], v)
			}
			if f[0] == "useapphbd" {
				c.UseApphbd = b
			} else {
				c.SyslogMsgFmt = b
			}
		default:
			return c, bad("unknown directive %q", f[0])
		}
	}
	return c, sc.Err()
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "on", "true", "y", "1":
		return true, true
	case "no", "off", "false", "n", "0":
		return false, true
	}
	return false, false
}

package core

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Conf is an apphbd.cf.
type Conf struct {
	DebugLevel         int    // default 3
	DebugFile, LogFile string // honoured only when DebugLevel > 0
	WatchdogDevice     string // accepted; hbd never opens a watchdog for apphbd
	WatchdogIntervalMS int    // default 1000
	NotifyPlugins      []string
	Realtime           bool // default yes
}

// DefaultConf is apphbd's configuration before its file.
func DefaultConf() Conf { return Conf{DebugLevel: 3, WatchdogIntervalMS: 1000, Realtime: true} }

// ConfError is a bad line, with its place.
type ConfError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Plugins are the notify_plugin names hbd has: recmgr is the built-in
// recovery manager.
var Plugins = []string{"recmgr"}

// ParseConf reads an apphbd.cf named name. An unknown directive is
// refused as apphbd refuses it ("Illegal directive [X] in FILE"), with
// the line.
func ParseConf(name string, data []byte) (Conf, error) {
	c := DefaultConf()
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
			if !isDirective(f[0]) {
				return c, bad("Illegal directive [%s] in %s", f[0], name)
			}
			return c, bad("%s wants one value", f[0])
		}
		v := f[1]
		num := func() (int, error) {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return 0, bad("%s: %q is not a number", f[0], v)
			}
			return i, nil
		}
		var err error
		switch f[0] {
		case "debug_level":
			c.DebugLevel, err = num()
		case "debugfile":
			c.DebugFile = v
		case "logfile":
			c.LogFile = v
		case "watchdog_device":
			c.WatchdogDevice = v
		case "watchdog_interval_ms":
			c.WatchdogIntervalMS, err = num()
		case "notify_plugin":
			known := false
			for _, p := range Plugins {
				known = known || p == v
			}
			if !known {
				return c, bad("notify_plugin %s: no such plugin (hbd has %s)", v, strings.Join(Plugins, ", "))
			}
			c.NotifyPlugins = append(c.NotifyPlugins, v)
		case "realtime":
			switch strings.ToLower(v) {
			case "yes", "on", "true", "y":
				c.Realtime = true
			case "no", "off", "false", "n":
				c.Realtime = false
			default:
				err = bad("realtime: %q is not yes or no", v)
			}
		default:
			return c, bad("Illegal directive [%s] in %s", f[0], name)
		}
		if err != nil {
			return c, err
		}
	}
	return c, sc.Err()
}

func isDirective(s string) bool {
	switch s {
	case "debug_level", "debugfile", "logfile", "watchdog_device", "watchdog_interval_ms", "notify_plugin", "realtime":
		return true
	}
	return false
}

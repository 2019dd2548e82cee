package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hbd-ha/hbd/config"
)

// clLogger writes log lines to stderr as cluster-glue's cl_log does for a
// command-line tool: syslog-like by default ("Nov 22 06:35:43 host
// cl_status: [pid]: ERROR: …"), heartbeat's own format when the
// environment says HA_syslogmsgfmt is false.
type clLogger struct {
	w       io.Writer
	entity  string
	syslogF bool
	host    string
	now     func() time.Time
}

func newCLLogger(w io.Writer, entity string) *clLogger {
	l := &clLogger{w: w, entity: entity, syslogF: true, now: time.Now}
	if v, ok := config.ParseBool(os.Getenv("HA_syslogmsgfmt")); ok {
		l.syslogF = v
	}
	l.host, _ = os.Hostname()
	return l
}

func (l *clLogger) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t := l.now()
	if l.syslogF {
		fmt.Fprintf(l.w, "%s %02d %02d:%02d:%02d %s %s: [%d]: ERROR: %s\n",
			t.Month().String()[:3], t.Day(), t.Hour(), t.Minute(), t.Second(), l.host, l.entity, os.Getpid(), msg)
		return
	}
	fmt.Fprintf(l.w, "%s[%d]: %04d/%02d/%02d_%02d:%02d:%02d ERROR: %s\n",
		l.entity, os.Getpid(), t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), msg)
}

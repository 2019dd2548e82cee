package main

import (
	"fmt"
	"io"
	"time"
)

// stderrLog writes log lines the way heartbeat writes them to stderr
// before it daemonizes: "Mon DD HH:MM:SS <host> <entity>: [<pid>]: <PRIO>: <msg>".
type stderrLog struct {
	w      io.Writer
	host   string // uname -n
	entity string // basename of argv[0]
	pid    int
	now    func() time.Time
}

func (l *stderrLog) log(prio, msg string) {
	fmt.Fprintf(l.w, "%s %s %s: [%d]: %s: %s\n", l.now().Format("Jan 02 15:04:05"), l.host, l.entity, l.pid, prio, msg)
}

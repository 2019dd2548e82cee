package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hbd-ha/hbd/config"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "devel"

// exitUsage is heartbeat's exit status for bad arguments (LSB_EXIT_EINVAL),
// also used for the run modes hbd does not have yet.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(argv []string, stdout, stderr io.Writer) int {
	argv0 := "hbd"
	if len(argv) > 0 {
		argv0 = argv[0]
	}
	name := filepath.Base(argv0)
	if code, ok := helperCommand(argv, stdout, stderr); ok {
		return code
	}
	o := parseArgs(argv0, argv[1:], stderr)
	if o.version {
		fmt.Fprintf(stdout, "%s (hbd %s)\n", config.HeartbeatVersion, version)
		return 0
	}
	if o.errs > 0 || (o.current != "" && !o.restarting) {
		usage(stderr, name)
		return exitUsage
	}
	if o.printDefault {
		if err := config.WriteDefaults(stdout, o.wiki); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		return 0
	}
	host, err := os.Hostname()
	if err != nil {
		fmt.Fprintf(stderr, "%s: uname: %v\n", name, err)
		return 1
	}
	l := &stderrLog{w: stderr, host: host, entity: name, pid: os.Getpid(), now: time.Now}
	switch {
	case o.check:
		return checkConfig(l, o.confdir, o.debug)
	case o.kill:
		return stopDaemon(stderr, o)
	case o.status:
		return statusDaemon(stdout, o, host)
	case o.restart:
		return reloadDaemon(l, o, name)
	}
	stop := startProfile()
	defer stop()
	return runDaemon(l, o, name)
}

package main

import (
	"fmt"
	"io"
	"strings"
)

// options are heartbeat's command-line flags (getopt "dDkMrRsvWlC:Vf")
// and hbd's additions. Every flag is parsed now so that the daemon's run
// modes can be added one at a time.
type options struct {
	debug        int    // -d, repeatable
	printDefault bool   // -D: print the directive defaults
	wiki         bool   // -W: ... in wiki format
	kill         bool   // -k: stop the running daemon
	noResources  bool   // -M: do not manage resources
	restart      bool   // -r: ask the running daemon to reread its configuration
	restarting   bool   // -R: we were exec'ed by a restarting daemon
	status       bool   // -s: report whether the daemon runs
	verbose      bool   // -v: dump the configuration at start
	noRealtime   bool   // -l: no realtime scheduling
	current      string // -C: resources held before a restart (with -R)
	version      bool   // -V
	foreground   bool   // -f
	check        bool   // -t, --check: validate the configuration and exit
	confdir      string // --confdir
	statedir     string // --statedir: heartbeat's /var/lib/heartbeat
	rundir       string // --rundir: where heartbeat.pid goes (/run)
	errs         int    // usage errors, reported as getopt does
}

// Heartbeat's paths, which the long options move so that several nodes
// can run on one machine.
const (
	defaultConfdir  = "/etc/ha.d"
	defaultStatedir = "/var/lib/heartbeat"
	defaultRundir   = "/run"
)

// parseArgs reads args (without argv[0]) the way glibc's getopt_long does
// for heartbeat's option string: clustered short flags, -C's argument
// attached or separate, "--" ends the options, other words are ignored.
// Usage errors are printed to stderr prefixed with argv0 and counted. Like
// heartbeat, it stops at -V, which prints the version whatever follows.
func parseArgs(argv0 string, args []string, stderr io.Writer) options {
	o := options{confdir: defaultConfdir, statedir: defaultStatedir, rundir: defaultRundir}
	dirs := map[string]*string{"confdir": &o.confdir, "statedir": &o.statedir, "rundir": &o.rundir}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return o
		case strings.HasPrefix(arg, "--"):
			name, value, hasValue := strings.Cut(arg[2:], "=")
			switch name {
			case "check":
				if hasValue {
					fmt.Fprintf(stderr, "%s: option '--check' doesn't allow an argument\n", argv0)
					o.errs++
				}
				o.check = true
			case "confdir", "statedir", "rundir":
				if !hasValue {
					if i+1 == len(args) {
						fmt.Fprintf(stderr, "%s: option '--%s' requires an argument\n", argv0, name)
						o.errs++
						continue
					}
					i++
					value = args[i]
				}
				*dirs[name] = value
			default:
				fmt.Fprintf(stderr, "%s: unrecognized option '%s'\n", argv0, arg)
				o.errs++
			}
		case len(arg) > 1 && arg[0] == '-':
			for j := 1; j < len(arg); j++ {
				c := arg[j]
				if c == 'C' {
					switch {
					case j+1 < len(arg):
						o.current = arg[j+1:]
					case i+1 < len(args):
						i++
						o.current = args[i]
					default:
						fmt.Fprintf(stderr, "%s: option requires an argument -- 'C'\n", argv0)
						o.errs++
					}
					break
				}
				if !o.flag(c) {
					fmt.Fprintf(stderr, "%s: invalid option -- '%c'\n", argv0, c)
					o.errs++
				}
				if o.version {
					return o
				}
			}
		}
	}
	return o
}

// flag sets a flag without argument, reporting whether c is one.
func (o *options) flag(c byte) bool {
	switch c {
	case 'd':
		o.debug++
	case 'D':
		o.printDefault = true
	case 'k':
		o.kill = true
	case 'M':
		o.noResources = true
	case 'r':
		o.restart = true
	case 'R':
		o.restarting = true
	case 's':
		o.status = true
	case 'v':
		o.verbose = true
	case 'W':
		o.wiki = true
	case 'l':
		o.noRealtime = true
	case 'V':
		o.version = true
	case 'f':
		o.foreground = true
	case 't':
		o.check = true
	default:
		return false
	}
	return true
}

// usage prints heartbeat's usage text, with hbd's flags added.
func usage(w io.Writer, name string) {
	fmt.Fprintf(w, "\nUsage: %s [-dDkMrRsvWlVft] [-C Current-resource-state] [--check] [--confdir DIR]\n", name)
	fmt.Fprintf(w, "\t-C only valid with -R\n")
	fmt.Fprintf(w, "\t-r is mutually exclusive with -R\n")
	fmt.Fprintf(w, "\t-t, --check validates the configuration and exits\n")
	fmt.Fprintf(w, "\t--confdir DIR reads the configuration from DIR (default %s)\n", defaultConfdir)
}

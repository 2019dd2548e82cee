package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// defaultFIFO is heartbeat's FIFO; $HA_FIFO overrides it, as in the
// shell functions hb_standby and hb_takeover source.
const defaultFIFO = "/var/lib/heartbeat/fifo"

func fifoPath() string {
	if p := os.Getenv("HA_FIFO"); p != "" {
		return p
	}
	return defaultFIFO
}

// runStandbyScript is /usr/share/heartbeat/hb_standby (takeover false) or
// hb_takeover (true), invoked as prog: the same checks, texts and exit
// codes, and the same message written to the FIFO.
func runStandbyScript(prog string, args []string, takeover bool, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stdout, "usage:")
		fmt.Fprintf(stderr, "%s [all|foreign|local|failback]\n", prog)
		return 1
	}
	if len(args) >= 2 {
		fmt.Fprintf(stdout, "%s: too many arguments\n", prog)
		return usage()
	}
	set := "all"
	if len(args) == 1 {
		set = args[0]
	}
	if takeover && set == "--help" {
		return usage()
	}
	switch set {
	case "all", "foreign", "local", "failback":
	case "--help":
		return usage()
	default:
		fmt.Fprintf(stdout, "%s: wrong resources(%s).\n", prog, set)
		return usage()
	}
	if takeover {
		return writeFIFO(fifoPath(), []string{"t=hb_takeover", "rsc_hold=" + set}, stderr)
	}
	if set == "failback" {
		set = "foreign"
	}
	haLog(prog, fmt.Sprintf("Going standby [%s].", set), stderr)
	return writeFIFO(fifoPath(), []string{"t=ask_resources", "rsc_hold=" + set, "info=me"}, stderr)
}

// writeFIFO is ha_clustermsg: the lines between ">>>" and "<<<", in one
// write, appended (a missing FIFO becomes a file, as the shell's >> makes
// it). Opening a FIFO nobody reads blocks, as it does for the script.
func writeFIFO(path string, lines []string, stderr io.Writer) int {
	msg := ">>>\n" + strings.Join(lines, "\n") + "\n<<<\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl: %v\n", err)
		return 2
	}
	defer f.Close()
	if _, err := f.WriteString(msg); err != nil {
		fmt.Fprintf(stderr, "hbctl: %v\n", err)
		return 1
	}
	return 0
}

// haLog is ocf-shellfuncs' ha_log as hb_standby runs it: to stderr bare
// on a terminal; otherwise to $HA_LOGFILE (and $HA_DEBUGLOG) with the
// script's tag, and to stderr with a date when there is neither a log file
// nor a syslog facility. Syslog and logd delivery are left to the shell
// version (hbd logs the standby request itself when it reads the FIFO).
func haLog(prog, msg string, stderr io.Writer) {
	// The script asks `tty`, which looks at standard input.
	if sysio.IsTerminal(0) {
		fmt.Fprintln(stderr, msg)
		return
	}
	tag := os.Getenv("HA_LOGTAG")
	if tag == "" {
		tag = fmt.Sprintf("%s[%d]", baseName(prog), os.Getpid())
	}
	date := haDate()
	facility := os.Getenv("HA_LOGFACILITY")
	if facility == "none" {
		facility = ""
	}
	logfile := os.Getenv("HA_LOGFILE")
	if logfile != "" {
		appendLine(logfile, date+" "+tag+":    "+msg)
	}
	if facility == "" && logfile == "" {
		fmt.Fprintln(stderr, date+" "+msg)
	}
	debug, set := os.LookupEnv("HA_DEBUGLOG")
	if !set {
		debug = "/dev/null"
	}
	if debug != "" && debug != logfile {
		appendLine(debug, tag+":\t"+date+" "+msg)
	}
}

// haDate is `hadate` (date "+%b %d %T ") as the unquoted shell expansion
// leaves it: words joined by single spaces, the trailing blank gone.
func haDate() string {
	if f := os.Getenv("HA_DATEFMT"); f != "" && f != "%b %d %T " {
		return strings.Join(strings.Fields(strftime(f, time.Now())), " ")
	}
	return time.Now().Format("Jan 02 15:04:05")
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, line)
	f.Close()
}

// strftime knows the conversions heartbeat's date formats use.
func strftime(f string, t time.Time) string {
	r := strings.NewReplacer("%b", t.Format("Jan"), "%d", t.Format("02"), "%T", t.Format("15:04:05"),
		"%Y", t.Format("2006"), "%m", t.Format("01"), "%H", t.Format("15"), "%M", t.Format("04"), "%S", t.Format("05"))
	return r.Replace(f)
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// standbyCommand is "hbctl standby|takeover [--fifo PATH] [SET]".
func standbyCommand(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fifo := fs.String("fifo", fifoPath(), "heartbeat's FIFO `path`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	os.Setenv("HA_FIFO", *fifo)
	return runStandbyScript("hbctl "+name, fs.Args(), name == "takeover", stdout, stderr)
}

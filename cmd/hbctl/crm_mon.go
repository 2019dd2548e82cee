package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/mon"
	"github.com/hbd-ha/hbd/crm/pe"
)

// Pacemaker's exit codes (crm_exit_t) the tools give in these cases.
const (
	crmExitOK         = 0
	crmExitError      = 1
	crmExitInvalid    = 2  // invalid parameter
	crmExitUsage      = 64 // bad command line
	crmExitDataErr    = 65
	crmExitNoInput    = 66
	crmExitSoftware   = 70
	crmExitConfig     = 78 // CRM_EX_CONFIG: the configuration is invalid
	crmExitNotConn    = 102
	crmExitNoSuch     = 105 // CRM_EX_NOSUCH: no such object
	crmExitUnsafe     = 107
	crmExitNotRunning = 7
)

// emptyCIB is what Pacemaker's tools read from a CIB_file that does not
// exist: they create an empty CIB.
const emptyCIB = `<cib epoch="0" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`

// loadCIB reads the CIB the tool works on: $CIB_file, as Pacemaker's tools
// do offline, else the running node's (path ""). live reports that no
// CIB_file was given and no node answers (the caller prints its tool's
// connection error).
func loadCIB() (root *pe.Element, path string, live bool, err error) {
	path = os.Getenv("CIB_file")
	if path == "" {
		c, err := liveCIB(0)
		if err != nil {
			if noAccess(err) {
				return nil, "", true, err
			}
			return nil, "", true, nil
		}
		root, err = pe.ParseXML(c.Root.AppendXML(nil))
		return root, "", false, err
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		data, err = []byte(emptyCIB), nil
	}
	if err != nil {
		return nil, path, false, err
	}
	root, err = pe.ParseXML(data)
	return root, path, false, err
}

var crmMonOpts = []crmOpt{
	{'1', "one-shot", false}, {'r', "inactive", false}, {'f', "failcounts", false},
	{'A', "show-node-attributes", false}, {0, "output-as", true}, {'X', "as-xml", false},
	{'i', "interval", true}, {'h', "help", false}, {'V', "verbose", false}, {'Q', "quiet", false},
}

// runCrmMon is crm_mon: -1 prints the status once; without it the status
// is re-rendered every --interval (5 s) until interrupted.
func runCrmMon(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmMonOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "Usage:\n  %s [OPTION?]\n\nProvides a summary of cluster's current state.\n", prog)
		return crmExitOK
	}
	asXML := p.has("as-xml")
	switch f := p.last("output-as"); f {
	case "", "text", "console":
	case "xml":
		asXML = true
	default:
		fmt.Fprintf(stderr, "%s: Error parsing output format: Unknown output format '%s'\n", prog, f)
		return crmExitUsage
	}
	interval := 5 * time.Second
	if s := p.last("interval"); s != "" {
		d, err := parseInterval(s)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "%s: Invalid value '%s' for interval\n", prog, s)
			return crmExitUsage
		}
		interval = d
	}
	o := mon.Options{Inactive: p.has("inactive"), FailCounts: p.has("failcounts"), Attributes: p.has("show-node-attributes"), Loc: localZone()}
	render := func() (string, int) {
		root, _, live, err := loadCIB()
		if live && noAccess(err) {
			fmt.Fprintf(stderr, "%s: Connection to cluster failed: Permission denied\n", prog)
			return "", 4 // CRM_EX_INSUFFICIENT_PRIV
		}
		if live {
			fmt.Fprintf(stderr, "%s: Connection to cluster failed: Connection refused\n", prog)
			return "", crmExitNotConn
		}
		if err != nil {
			fmt.Fprintf(stderr, "Could not connect to the CIB: %v\n", err)
			return "", crmExitNoInput
		}
		o.Updated = time.Now()
		c, err := pe.Unpack(root, o.Updated.Unix())
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return "", crmExitConfig
		}
		if asXML {
			return mon.XML(root, c, o, strings.Join(append([]string{prog}, args...), " ")), crmExitOK
		}
		return mon.Text(root, c, o), crmExitOK
	}
	if p.has("one-shot") || asXML {
		text, rc := render()
		fmt.Fprint(stdout, text)
		return rc
	}
	for {
		text, rc := render()
		if rc != crmExitOK {
			return rc
		}
		// Clear the screen and redraw, as crm_mon's console mode does.
		fmt.Fprint(stdout, "\033[H\033[2J"+text)
		time.Sleep(interval)
	}
}

// parseInterval reads crm_mon's --interval: a number of seconds or a
// duration with a unit (5s, 500ms, 2m).
func parseInterval(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("bad interval")
	}
	return time.Duration(n) * time.Second, nil
}

// localZone is the zone ctime(3) would use: $TZ as it is now (Go reads it
// once at start-up for time.Local), else the system's.
func localZone() *time.Location {
	tz, ok := os.LookupEnv("TZ")
	if !ok {
		return time.Local
	}
	if tz == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(strings.TrimPrefix(tz, ":")); err == nil {
		return loc
	}
	return time.UTC
}

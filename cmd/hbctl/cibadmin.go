package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
)

// cibadmin's exit codes beyond the CIB's own (cib.Code.Exit).
const (
	cibExitUsage    = 64  // CRM_EX_USAGE: bad option, no command
	cibExitSoftware = 70  // CRM_EX_SOFTWARE: a write command without data
	cibExitConfig   = 78  // CRM_EX_CONFIG: input that does not parse
	cibExitNoSuch   = 105 // CRM_EX_NOSUCH: no CIB to connect to
	cibExitUnsafe   = 107 // CRM_EX_UNSAFE: -E without --force
)

const cibadminUsage = `cibadmin - query and edit the Pacemaker configuration
Usage: cibadmin <command> [options]
Commands:
 -Q, --query		Query the contents of the CIB
 -E, --erase		Erase the contents of the whole CIB
 -B, --bump		Increase the CIB's epoch value by 1
 -C, --create		Create an object in the CIB (will fail if object already exists)
 -M, --modify		Find object somewhere in CIB's XML tree and update it (fails if object does not exist unless -c is also specified)
 -P, --patch		Supply an update in the form of an XML diff (see crm_diff(8))
 -R, --replace		Recursively replace an object in the CIB
 -D, --delete		Delete first object matching supplied criteria
 -d, --delete-all	When used with --xpath, remove all matching objects in the configuration instead of just the first one
 -a, --empty		Output an empty CIB
 -5, --md5-sum		Calculate the on-disk CIB digest
 -u, --upgrade		Upgrade the configuration to the latest syntax (hbd: a heartbeat 2.x CIB)
Additional options:
 -f, --force
 -l, --local		Command takes effect locally (should be used only for queries)
 -c, --allow-create	(Advanced) Allow target of --modify/-M to be created if it does not exist
 -n, --no-children	(Advanced) When querying an object, do not include its children in the result
Data:
 -X, --xml-text=value	Retrieve XML from the supplied string
 -x, --xml-file=value	Retrieve XML from the named file
 -p, --xml-pipe	Retrieve XML from stdin
 -o, --scope=value	Limit scope of operation to specific section of CIB
 -A, --xpath=value	A valid XPath to use instead of --scope/-o
 -e, --node-path	When performing XPath queries, return path of any matches found

hbd's cibadmin works on the file named by CIB_file, as Pacemaker's does offline,
and without it on the running node's CIB (pacemaker on): writes go through the DC.
`

type cibadminOpts struct {
	cmd                        byte // Q E B C M P R D d a 5
	force, allowCreate, noKids bool
	nodePath                   bool
	xmlText, xmlFile, scope    string
	xpath                      string
	pipe, haveText, haveFile   bool
	timeout                    time.Duration // -t, live only
}

var cibadminLong = map[string]byte{
	"query": 'Q', "erase": 'E', "bump": 'B', "create": 'C', "modify": 'M', "patch": 'P', "replace": 'R',
	"delete": 'D', "delete-all": 'd', "empty": 'a', "md5-sum": '5', "force": 'f', "local": 'l',
	"allow-create": 'c', "no-children": 'n', "xml-text": 'X', "xml-file": 'x', "xml-pipe": 'p',
	"scope": 'o', "xpath": 'A', "node-path": 'e', "sync-call": 's', "timeout": 't', "verbose": 'V',
	"help": '?', "node": 'N', "user": 'U', "upgrade": 'u', "md5-sum-versioned": '6',
}

const cibadminWithArg = "XxoAtNU"

// parseCibadmin reads the arguments as getopt_long does for cibadmin.
func parseCibadmin(prog string, args []string, stderr io.Writer) (cibadminOpts, int, bool) {
	var o cibadminOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		var letters []byte
		val, hasVal := "", false
		switch {
		case a == "--":
			i = len(args)
			continue
		case strings.HasPrefix(a, "--"):
			name := a[2:]
			if j := strings.IndexByte(name, '='); j >= 0 {
				name, val, hasVal = name[:j], name[j+1:], true
			}
			c, ok := cibadminLong[name]
			if !ok {
				fmt.Fprintf(stderr, "%s: unrecognized option '%s'\n%s", prog, a, cibadminUsage)
				return o, cibExitUsage, false
			}
			letters = []byte{c}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			letters = []byte(a[1:])
		default:
			continue // operands are ignored, as by cibadmin
		}
		for k := 0; k < len(letters); k++ {
			c := letters[k]
			if strings.IndexByte(cibadminWithArg, c) >= 0 {
				if !hasVal {
					if rest := string(letters[k+1:]); rest != "" && !strings.HasPrefix(a, "--") {
						val = rest
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						fmt.Fprintf(stderr, "%s: option requires an argument -- '%c'\n%s", prog, c, cibadminUsage)
						return o, cibExitUsage, false
					}
				}
				k = len(letters)
			}
			switch c {
			case 'Q', 'E', 'B', 'C', 'M', 'P', 'R', 'D', 'a', '5':
				o.cmd = c
			case 'd':
				o.cmd = 'd'
			case 'f':
				o.force = true
			case 'c':
				o.allowCreate = true
			case 'n':
				o.noKids = true
			case 'e':
				o.nodePath = true
			case 'X':
				o.xmlText, o.haveText = val, true
			case 'x':
				o.xmlFile, o.haveFile = val, true
			case 'p':
				o.pipe = true
			case 'o':
				o.scope = val
			case 'A':
				o.xpath = val
			case 't':
				if sec, err := strconv.Atoi(val); err == nil && sec > 0 {
					o.timeout = time.Duration(sec) * time.Second
				}
			case 'l', 's', 'V', 'N', 'U':
				// --local: the file is local anyway; the rest do not apply offline.
			case '?', 'h':
				fmt.Fprint(stderr, cibadminUsage)
				return o, 0, false
			case 'u':
				o.cmd = 'u'
			case '6':
				fmt.Fprintf(stderr, "%s: -%c is not supported by hbd's cibadmin\n", prog, c)
				return o, 3, false
			default:
				fmt.Fprintf(stderr, "%s: invalid option -- '%c'\n%s", prog, c, cibadminUsage)
				return o, cibExitUsage, false
			}
		}
	}
	if o.cmd == 0 {
		fmt.Fprint(stderr, cibadminUsage)
		return o, cibExitUsage, false
	}
	return o, 0, true
}

// runCibadmin is hbctl cibadmin and the cibadmin personality: Pacemaker
// 2.1.5's cibadmin on the CIB in $CIB_file, with its output, messages,
// exit codes and the file it leaves.
func runCibadmin(prog string, args []string, stdout, stderr io.Writer) int {
	o, rc, ok := parseCibadmin(prog, args, stderr)
	if !ok {
		return rc
	}
	var input *cib.Element
	if o.haveText || o.haveFile || o.pipe {
		var data []byte
		var err error
		var what string
		switch {
		case o.haveText:
			data, what = []byte(o.xmlText), "input from input string."
		case o.haveFile:
			data, err = os.ReadFile(o.xmlFile)
			what = "input from " + o.xmlFile + "."
		default:
			data, err = io.ReadAll(os.Stdin)
			what = "input from STDIN."
		}
		if err == nil {
			input, err = cib.Parse(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "Couldn't parse %s\n", what)
			return cibExitConfig
		}
	}
	switch o.cmd {
	case 'a':
		e := cib.Empty(cib.LatestSchema)
		e.Root.Set("epoch", "1")
		stdout.Write(e.Bytes())
		return 0
	case '5':
		if input == nil {
			fmt.Fprintln(stderr, "Please supply XML to process with -X, -x or -p")
			return cibExitUsage
		}
		fmt.Fprintln(stdout, cib.Digest(input))
		return 0
	case 'E', 'd':
		if !o.force {
			fmt.Fprintln(stderr, "The supplied command is considered dangerous.  To prevent accidental destruction of the cluster, the --force flag is required in order to proceed.")
			return cibExitUnsafe
		}
	case 'C', 'M', 'R', 'D', 'P':
		if input == nil && o.xpath == "" {
			fmt.Fprintln(stderr, "Call failed: Invalid argument")
			return cibExitSoftware
		}
	}
	path := os.Getenv("CIB_file")
	if path == "" {
		// The running node's CIB, through its socket.
		if o.cmd == 'u' {
			return cibadminUpgradeLive(o, stdout, stderr)
		}
		return cibadminLive(o, input, stdout, stderr)
	}
	data, err := store.ReadFile(path)
	var c *cib.CIB
	if err == nil {
		// Pacemaker keeps a CIB's comments, and prints and writes them.
		var root *cib.Element
		if root, err = cib.ParseKeepComments(data); err == nil {
			c, err = cib.New(root)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "Could not connect to the CIB: No such device or address\nInit failed, could not perform requested operations")
		return cibExitNoSuch
	}
	if o.cmd == 'u' {
		return cibadminUpgrade(c, path, stdout, stderr)
	}
	return cibadminDo(o, input, c, path, stdout, stderr)
}

func cibadminDo(o cibadminOpts, input *cib.Element, c *cib.CIB, path string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		e, _ := err.(*cib.Error)
		if e != nil && e.Candidate != nil {
			// Pacemaker prints the rejected document, numbered.
			lines := strings.Split(string(e.Candidate.Format()), "\n")
			for i, l := range lines {
				fmt.Fprintf(stderr, "%4d %s\n", i+1, l)
			}
		}
		if e != nil && e.Failed != nil {
			stdout.Write(e.Failed.Format())
		}
		code := cib.CodeOf(err)
		fmt.Fprintf(stderr, "Call failed: %s\n", code)
		return code.Exit()
	}
	if o.cmd == 'Q' {
		var out []*cib.Element
		if o.xpath != "" {
			m, err := cib.Select(c.Root, o.xpath)
			if err != nil {
				return fail(&cib.Error{Code: cib.ErrInvalid})
			}
			if len(m) == 0 {
				return fail(&cib.Error{Code: cib.ErrNoSuch})
			}
			if o.nodePath {
				for _, e := range m {
					fmt.Fprintln(stdout, e.XPath())
				}
				return 0
			}
			out = m
		} else {
			sec := c.Section(o.scope)
			if sec == nil {
				return fail(&cib.Error{Code: cib.ErrNoSuch})
			}
			out = []*cib.Element{sec}
		}
		var doc *cib.Element
		if len(out) == 1 {
			doc = out[0].Clone()
		} else {
			doc = cib.NewElement("xpath-query")
			for _, e := range out {
				doc.AddChild(e.Clone())
			}
		}
		if o.noKids {
			if len(out) == 1 {
				doc.Children = nil
			} else {
				for _, k := range doc.Children {
					k.Children = nil
				}
			}
		}
		stdout.Write(doc.Format())
		return 0
	}
	var err error
	switch o.cmd {
	case 'P':
		err = c.ApplyPatch(input)
	case 'D', 'd':
		if o.xpath != "" && input == nil {
			// -D removes the first match, -d every one.
			root, serr := cib.WithoutMatches(c.Root, o.xpath, o.cmd == 'd')
			if serr != nil {
				return fail(serr)
			}
			err = cibApply(c, cib.Request{Op: cib.OpReplace, Data: root})
			break
		}
		err = cibApply(c, cib.Request{Op: cib.OpDelete, Section: o.scope, Data: input})
	case 'C':
		err = cibApply(c, cib.Request{Op: cib.OpCreate, Section: o.scope, Data: input})
	case 'M':
		err = cibApply(c, cib.Request{Op: cib.OpModify, Section: o.scope, Data: input, AllowCreate: o.allowCreate})
	case 'R':
		err = cibApply(c, cib.Request{Op: cib.OpReplace, Section: o.scope, Data: input})
	case 'E':
		err = cibApply(c, cib.Request{Op: cib.OpErase})
	case 'B':
		err = cibApply(c, cib.Request{Op: cib.OpModify, Data: cib.NewElement("cib", "epoch", "epoch++")})
	}
	if err != nil {
		return fail(err)
	}
	// Pacemaker's file backend writes the file back after every write
	// request that succeeds, changed or not (so its formatting too).
	if werr := store.WriteFile(path, c.Bytes()); werr != nil {
		fmt.Fprintf(stderr, "Call failed: %v\n", werr)
		return 1
	}
	return 0
}

func cibApply(c *cib.CIB, req cib.Request) error {
	_, err := c.Apply(req)
	return err
}

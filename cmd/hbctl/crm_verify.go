package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
)

var crmVerifyOpts = []crmOpt{
	{'L', "live-check", false}, {'x', "xml-file", true}, {'X', "xml-text", true}, {'p', "xml-pipe", false},
	{'S', "save-xml", true}, {'V', "verbose", false}, {'h', "help", false}, {'Q', "quiet", false},
}

// runCrmVerify is crm_verify: it unpacks the CIB as the scheduler would
// and reports the errors and warnings hbd's policy engine finds, with
// Pacemaker's messages and exit codes (78, CRM_EX_CONFIG, for either).
func runCrmVerify(prog string, args []string, stdout, stderr io.Writer) int {
	p, err := parseCrmOpts(crmVerifyOpts, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return crmExitUsage
	}
	if p.has("help") {
		fmt.Fprintf(stdout, "Usage:\n  %s [OPTION?]\n\nCheck a (complete) configuration for syntax and common conceptual errors.\n", prog)
		return crmExitOK
	}
	verbose := len(p.vals["verbose"])
	var data []byte
	switch {
	case p.has("xml-file"):
		data, err = os.ReadFile(p.last("xml-file"))
		if err != nil {
			fmt.Fprintf(stderr, "%s: Couldn't parse input file: %s\n", prog, p.last("xml-file"))
			return crmExitError
		}
	case p.has("xml-text"):
		data = []byte(p.last("xml-text"))
	case p.has("xml-pipe"):
		data, err = io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintf(stderr, "%s: Couldn't parse input from STDIN\n", prog)
			return crmExitError
		}
	case p.has("live-check") && os.Getenv("CIB_file") == "":
		// The running cluster's CIB, status included, as -x reads a file.
		c, err := liveCIB(0)
		if errors.Is(err, errNoCIB) {
			// What Pacemaker's prints when no cib manager runs.
			fmt.Fprintf(stderr, "%s: CIB query failed: Input file not available\n", prog)
			return crmExitNoInput
		}
		if err != nil {
			text, exit := liveErrExit(err)
			fmt.Fprintf(stderr, "%s: CIB query failed: %s\n", prog, text)
			return exit
		}
		data = c.Root.AppendXML(nil)
	case p.has("live-check"):
		file := os.Getenv("CIB_file")
		data, err = os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: CIB query failed: Input file not available\n", prog)
			return crmExitNoInput
		}
	default:
		fmt.Fprintf(stderr, "%s: No configuration source specified.  Use --help for usage information.\n", prog)
		return crmExitError
	}
	errs, warns, notes := verifyCIB(data)
	if verbose > 0 {
		for _, n := range notes {
			fmt.Fprintf(stderr, "%s\n", n)
		}
		for _, e := range errs {
			fmt.Fprintf(stderr, "%s\n", e)
		}
		for _, w := range warns {
			fmt.Fprintf(stderr, "%s\n", w)
		}
	}
	switch {
	case len(errs) > 0:
		fmt.Fprintf(stderr, "%s: Errors found during check: config not valid\n", prog)
	case len(warns) > 0:
		fmt.Fprintf(stderr, "%s: Warnings found during check: config may not be valid\n", prog)
	default:
		return crmExitOK
	}
	if verbose == 0 {
		fmt.Fprintln(stderr, "-V may provide more details")
	}
	return crmExitConfig
}

// verifyCIB returns the errors and warnings found in a CIB, each as
// Pacemaker logs it with -V ("(function) \terror: message").
func verifyCIB(data []byte) (errs, warns, notes []string) {
	root, err := pe.ParseXML(data)
	if err != nil {
		return []string{"(validate_xml) \terror: " + err.Error()}, nil, nil
	}
	c, err := pe.Unpack(root, nowUnix())
	if err != nil {
		return []string{"(unpack) \terror: " + err.Error()}, nil, nil
	}
	// have-watchdog (SBD) counts as a fencing device.
	if c.Options.StonithEnabled && !hasStonith(root) && !crmConfigTrue(root, "have-watchdog") {
		errs = append(errs,
			"(unpack_resources) \terror: Resource start-up disabled since no STONITH resources have been defined",
			"(unpack_resources) \terror: Either configure some or disable STONITH with the stonith-enabled option",
			"(unpack_resources) \terror: NOTE: Clusters with shared data need STONITH to ensure data integrity")
	}
	errs = append(errs, checkResources(root, c)...)
	warns = append(warns, configWarnings(root, c)...)
	// hbd's own warnings name what its policy engine does not support
	// (resource sets, tickets): notes with -V, not a verdict on the
	// configuration, which Pacemaker would accept.
	for _, w := range c.Warnings {
		notes = append(notes, "(hbd) \tnotice: "+w)
	}
	return errs, warns, notes
}

// checkResources finds the configuration errors Pacemaker's unpacking
// logs for resources: a target-role of Unpromoted outside a promotable
// clone (get_target_role), an operation repeating another's name and
// interval (is_op_dup).
func checkResources(root *pe.Element, c *pe.Cluster) []string {
	var errs []string
	var walk func(e *pe.Element, promotable bool)
	walk = func(e *pe.Element, promotable bool) {
		for _, ch := range e.Children {
			switch ch.Name {
			case "clone", "master":
				walk(ch, ch.Name == "master" || cloneIsPromotable(ch))
			case "group":
				walk(ch, promotable)
			case "primitive":
				id := ch.Get("id")
				for _, m := range ch.All("meta_attributes") {
					for _, nv := range m.All("nvpair") {
						if nv.Get("name") == "target-role" && !promotable {
							switch strings.ToLower(nv.Get("value")) {
							case "unpromoted", "slave":
								errs = append(errs, "(get_target_role) \terror: Ignoring 'target-role' for "+id+
									" because 'Unpromoted' only makes sense for promotable clones")
							}
						}
					}
				}
				if ops := ch.Child("operations"); ops != nil {
					list := ops.All("op")
					for i, op := range list {
						if opIntervalMS(op.Get("interval")) == 0 {
							continue // only recurring operations are checked
						}
						for _, prev := range list[:i] {
							if prev.Get("name") == op.Get("name") && opIntervalMS(prev.Get("interval")) == opIntervalMS(op.Get("interval")) {
								errs = append(errs, "(is_op_dup) \terror: Operation "+op.Get("id")+" is duplicate of "+prev.Get("id")+
									" (do not use same name and interval combination more than once per resource)")
								break
							}
						}
					}
				}
			}
		}
	}
	if cfg := root.Child("configuration"); cfg != nil {
		if rs := cfg.Child("resources"); rs != nil {
			walk(rs, false)
		}
	}
	return errs
}

func cloneIsPromotable(e *pe.Element) bool {
	for _, m := range e.All("meta_attributes") {
		for _, nv := range m.All("nvpair") {
			if nv.Get("name") == "promotable" {
				switch strings.ToLower(nv.Get("value")) {
				case "true", "yes", "on", "y", "1":
					return true
				}
			}
		}
	}
	return false
}

// opIntervalMS reads an operation's interval (a number of seconds, or
// with a unit: 10s, 500ms, 1m) in milliseconds; -1 when unreadable.
func opIntervalMS(s string) int64 {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	d, ok := cib.ParseInterval(s)
	if !ok {
		return -1
	}
	return d.Milliseconds()
}

func hasStonith(root *pe.Element) bool {
	found := false
	var walk func(e *pe.Element)
	walk = func(e *pe.Element) {
		for _, ch := range e.Children {
			if ch.Name == "primitive" && strings.EqualFold(ch.Get("class"), "stonith") {
				found = true
			}
			walk(ch)
		}
	}
	if cfg := root.Child("configuration"); cfg != nil {
		if rs := cfg.Child("resources"); rs != nil {
			walk(rs)
		}
	}
	return found
}

// configWarnings are the configuration warnings Pacemaker's unpacking and
// scheduling raise (pcmk__config_warn, pe_warn_once) that hbd finds in
// the CIB: deprecated settings, fencing that cannot be, active orphans.
func configWarnings(root *pe.Element, c *pe.Cluster) []string {
	var warns []string
	once := map[string]bool{}
	warn := func(fn, msg string) {
		if !once[msg] {
			once[msg] = true
			warns = append(warns, "("+fn+") \twarning: "+msg)
		}
	}
	cfg := root.Child("configuration")
	if cfg == nil {
		return nil
	}
	opt := func(name string) (string, bool) {
		if cc := cfg.Child("crm_config"); cc != nil {
			for _, s := range cc.All("cluster_property_set") {
				for _, nv := range s.All("nvpair") {
					if nv.Get("name") == name {
						return nv.Get("value"), true
					}
				}
			}
		}
		return "", false
	}
	// (startup-fencing=false's "Blind faith" is logged, not a verdict.)
	if v, _ := opt("stonith-action"); v == "poweroff" {
		warn("unpack_config", "Support for stonith-action of 'poweroff' is deprecated and will be removed in a future release (use 'off' instead)")
	}
	if _, ok := opt("remove-after-stop"); ok {
		warn("unpack_config", "Support for the remove-after-stop cluster property is deprecated and will be removed in a future release")
	}
	var walk func(e *pe.Element)
	walk = func(e *pe.Element) {
		for _, ch := range e.Children {
			switch ch.Name {
			case "group", "primitive", "clone", "master":
				meta := map[string]string{}
				// Pacemaker 1.0 put meta attributes on the element itself.
				for _, a := range ch.Attrs {
					meta[a.Name.Local] = a.Value
				}
				for _, m := range ch.All("meta_attributes") {
					for _, nv := range m.All("nvpair") {
						meta[nv.Get("name")] = nv.Get("value")
					}
				}
				id := ch.Get("id")
				if ch.Name == "group" {
					for _, o := range []string{"ordered", "collocated"} {
						if v, ok := meta[o]; ok && !isTrueText(v) && isBoolText(v) {
							warn("set_group_flag", "Support for the '"+o+"' group meta-attribute is deprecated and will be removed in a future release (use a resource set instead)")
						}
					}
					if len(ch.All("primitive")) == 0 {
						warn("group_unpack", "Group "+id+" will be ignored because it does not have any members")
					}
				}
				if strings.EqualFold(meta["restart-type"], "restart") {
					warn("pe__unpack_resource", "Support for restart-type is deprecated and will be removed in a future release")
				}
				if v, ok := meta["migration-threshold"]; ok && strings.HasPrefix(strings.TrimSpace(v), "-") {
					warn("pe__unpack_resource", "migration-threshold must be non-negative, using 1 instead")
				}
				if ch.Name == "primitive" && strings.EqualFold(meta["requires"], "fencing") && !c.Options.StonithEnabled {
					warn("unpack_requires", id+" requires fencing but fencing is disabled")
				}
				walk(ch)
			}
		}
	}
	if rs := cfg.Child("resources"); rs != nil {
		walk(rs)
	}
	if cons := cfg.Child("constraints"); cons != nil {
		for _, e := range cons.Children {
			if e.Name == "rsc_order" {
				if _, ok := e.Lookup("require-all"); ok {
					warn("get_minimum_first_instances", "Support for require-all in ordering constraints is deprecated and will be removed in a future release (use clone-min clone meta-attribute instead)")
				}
				if _, ok := e.Lookup("score"); ok {
					warn("get_ordering_type", "Support for 'score' in rsc_order is deprecated and will be removed in a future release (use 'kind' instead)")
				}
				if _, ok := e.Lookup("first-instance"); ok {
					warn("get_ordering_resource", "Support for first-instance and then-instance is deprecated and will be removed in a future release (use the clone's rsc_order instead)")
				}
			}
			if e.Child("lifetime") != nil {
				warn("unpack_constraints", "Support for 'lifetime' attribute (in "+e.Get("id")+") is deprecated (the rules it contains should instead be direct descendants of the constraint object)")
			}
		}
	}
	for _, n := range c.Nodes {
		if n.Unclean {
			warn("determine_online_status", n.Name+" is unclean")
		}
	}
	// crm_verify runs the scheduler: a node to fence is a warning.
	res := pe.Schedule(c)
	for _, f := range res.Fence {
		warn("schedule_fencing", "Scheduling node "+f.Node.Name+" for fencing")
	}
	for _, o := range c.Orphans() {
		if o.Kind == pe.KindPrimitive && len(o.RunningOn) > 0 {
			warn("process_rsc_state", "Detected active orphan "+o.ID+" running on "+o.RunningOn[0].Name)
		}
	}
	return warns
}

func isTrueText(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

func isBoolText(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "y", "1", "false", "off", "no", "n", "0":
		return true
	}
	return false
}

func crmConfigTrue(root *pe.Element, name string) bool {
	cfg := root.Child("configuration")
	if cfg == nil || cfg.Child("crm_config") == nil {
		return false
	}
	for _, s := range cfg.Child("crm_config").All("cluster_property_set") {
		for _, nv := range s.All("nvpair") {
			if nv.Get("name") == name {
				return isTrueText(nv.Get("value"))
			}
		}
	}
	return false
}

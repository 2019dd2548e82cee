package lrm

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/rsc"
)

// verb is what the agent is asked to do for op: LSB and heartbeat
// scripts know "status", not "monitor".
func verb(class, op string) string {
	if (class == ClassLSB || class == ClassHeartbeat) && op == "monitor" {
		return "status"
	}
	return op
}

// agentPath locates the agent of r, or returns "" when it is missing.
func (l *LRM) agentPath(r *Resource) string {
	var p string
	switch r.Class {
	case ClassOCF:
		if r.Provider == "" || strings.Contains(r.Provider, "/") || strings.Contains(r.Type, "/") {
			return ""
		}
		p = filepath.Join(l.opt.OCFRoot, "resource.d", r.Provider, r.Type)
	case ClassLSB:
		if strings.Contains(r.Type, "/") {
			p = r.Type
		} else {
			p = filepath.Join(l.opt.InitDir, r.Type)
		}
	case ClassHeartbeat:
		if strings.Contains(r.Type, "/") {
			return ""
		}
		p = filepath.Join(l.opt.ResourceDir, r.Type)
	case ClassStonith:
		return l.opt.Stonith
	default:
		return ""
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return ""
	}
	return p
}

// spec builds the child for one run of op on r with params.
func (l *LRM) spec(r *Resource, path string, o *op, params []Param) *proc.Spec {
	s := &proc.Spec{
		Path:          path,
		Dir:           "/",
		CaptureStdout: true,
		CaptureStderr: true,
		Cap:           l.opt.OutputCap,
		Timeout:       o.req.Timeout,
		KillGrace:     l.opt.KillGrace,
	}
	// The result is the agent's exit, as Pacemaker reports it: a
	// background child holding stdout (IPaddr2's send_arp burst, a
	// second long) must not hold the resource's queue. Only meta-data
	// and a heartbeat-class status are read from the output: those wait
	// for its end (proc's default).
	if o.req.Name != "meta-data" && !(r.Class == ClassHeartbeat && (o.req.Name == "monitor" || o.req.Name == "status")) {
		s.PipeWait = l.opt.PipeWait
	}
	env := append([]string(nil), l.opt.Env...)
	name := verb(r.Class, o.req.Name)
	switch r.Class {
	case ClassOCF:
		env = append(env,
			"OCF_ROOT="+l.opt.OCFRoot,
			"OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=0",
			"OCF_RESOURCE_TYPE="+r.Type,
			"OCF_RESOURCE_PROVIDER="+r.Provider,
			"OCF_RESKEY_CRM_meta_interval="+strconv.FormatInt(o.req.Interval.Milliseconds(), 10),
			"OCF_RESKEY_CRM_meta_timeout="+strconv.FormatInt(o.req.Timeout.Milliseconds(), 10),
		)
		env = append(env, "OCF_RESOURCE_INSTANCE="+r.ID)
		for _, p := range params {
			env = append(env, "OCF_RESKEY_"+p.Name+"="+p.Value)
		}
		s.Args = []string{path, name}
	case ClassLSB:
		s.Args = []string{path, name}
	case ClassHeartbeat:
		// Positional arguments are the parameters named 1, 2, … in order.
		s.Args = append([]string{path}, positional(params)...)
		s.Args = append(s.Args, name)
	case ClassStonith:
		s.Args = []string{path, "-t", r.Type}
		if o.req.Name == "meta-data" {
			s.Args = append(s.Args, "-m")
			break
		}
		for _, p := range params {
			s.Args = append(s.Args, p.Name+"="+p.Value)
		}
		s.Args = append(s.Args, "-S")
	}
	s.Env = env
	return s
}

// positional orders parameters named 1, 2, … by number.
func positional(params []Param) []string {
	type arg struct {
		n int
		v string
	}
	var as []arg
	for _, p := range params {
		if n, err := strconv.Atoi(p.Name); err == nil && n > 0 {
			as = append(as, arg{n, p.Value})
		}
	}
	sort.SliceStable(as, func(i, j int) bool { return as[i].n < as[j].n })
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.v
	}
	return out
}

// mapRC turns an agent's exit code into an OCF code for op, per class.
func mapRC(class, op string, exit int, stdout []byte) int {
	monitor := op == "monitor" || op == "status"
	switch class {
	case ClassLSB:
		// Pacemaker's services__lsb2ocf.
		if !monitor {
			if exit < 0 || exit > RCNotRunning {
				return RCErrGeneric
			}
			return exit
		}
		switch exit {
		case 0:
			return RCOK
		case 1, 2, 3:
			return RCNotRunning
		case 150:
			return RCErrInstalled
		case 151:
			return RCErrPerm
		}
		return RCErrGeneric
	case ClassHeartbeat:
		if monitor {
			// ResourceManager's test: the text decides, not the code.
			if rsc.OwnedText(stdout) {
				return RCOK
			}
			return RCNotRunning
		}
		if exit == 0 {
			return RCOK
		}
		return RCErrGeneric
	case ClassStonith:
		if exit == 0 {
			return RCOK
		}
		return RCErrGeneric
	}
	if exit < 0 || exit > RCFailedPromoted {
		return RCErrGeneric
	}
	return exit
}

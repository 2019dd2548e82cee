package main

import (
	"fmt"
	"strings"
	"time"
)

// cl_status's sub-commands that list: hbstatus (with -v, the nodes too),
// listnodes and listhblinks.

func (cs *clStatus) hbstatus(_ *clCmd, _ []string) int {
	verbose := cs.opt('v')
	hb := cs.hb
	if !hb.signed {
		rc := clFail
		if hb.deadtime == 0 {
			cs.printf("Heartbeat is stopped on this machine.\n")
		} else {
			cs.printf("Heartbeat is apparently running on this machine, but refuses my connection\n")
			rc = clOK
		}
		if verbose && hb.errmsg != "" {
			cs.printf("(%s)\n", hb.errmsg)
		}
		return rc
	}
	if !verbose {
		cs.printf("Heartbeat is running on this machine.\n")
		return clOK
	}
	version, haveVersion := hb.param("hbversion")
	pcmk, enabled := hb.pacemakerEnabled()
	if cs.human {
		if haveVersion {
			cs.printf("Heartbeat version %s\n", version)
		} else {
			cs.printf("Heartbeat is running on this machine.\n")
		}
		if enabled {
			cs.printf("Resources controlled by Pacemaker.\n")
		} else {
			cs.printf("Resources controlled by \"haresources\"\n")
		}
	} else {
		if !haveVersion {
			version = "unknown"
		}
		cs.printf("version:\t%s\n", version)
		if !enabled {
			cs.printf("managed by:\t\"haresources\"\n")
		} else {
			cs.printf("managed by:\tpacemaker\t(%s)\n", cNull(pcmk, pcmk != ""))
		}
	}
	// The CCM membership when ccm runs (hbd's built-in or the real one):
	// cl_status looks for it without waiting; hbd's CCM writes the pair
	// at once on connect, the real ccm in two writes that cl_status may
	// miss.
	if v, err := readCCM(ccmSocketPath(), 100*time.Millisecond); err == nil {
		var b strings.Builder
		v.writeClStatus(&b)
		cs.printf("%s", b.String())
	}
	cs.listNodes(false, false, true)
	return clOK
}

// cNull is what printf("%s") shows for a string or a NULL pointer.
func cNull(s string, ok bool) string {
	if !ok {
		return "(null)"
	}
	return s
}

func (cs *clStatus) listnodes(_ *clCmd, _ []string) int {
	return cs.listNodes(cs.opt('n'), cs.opt('p'), cs.opt('v'))
}

func (cs *clStatus) listNodes(normalOnly, pingOnly, verbose bool) int {
	hb := cs.hb
	if !hb.initNodeWalk() {
		return cs.fail(errNodeWalk, nil)
	}
	if normalOnly && pingOnly {
		normalOnly, pingOnly = false, false
	}
	if cs.human {
		cs.printf("The nodes are as follow:\n")
	}
	for _, n := range hb.nodes {
		if normalOnly || pingOnly {
			t, _ := hb.nodeType(n.Name)
			if normalOnly && !strings.HasPrefix(t, "normal") {
				continue
			}
			if pingOnly && !strings.HasPrefix(t, "ping") {
				continue
			}
		}
		if verbose {
			st, okS := hb.nodeStatus(n.Name)
			t, okT := hb.nodeType(n.Name)
			cs.printf("\n%s\t%s\t(nodetype: %s)\n", n.Name, cNull(st, okS), cNull(t, okT))
			cs.listLinks(n.Name, true)
		} else {
			cs.printf("%s\n", n.Name)
		}
	}
	return clOK
}

func (cs *clStatus) listhblinks(_ *clCmd, ops []string) int {
	if len(ops) < 1 {
		fmt.Fprint(cs.stderr, tooFewParam)
		return clParamError
	}
	return cs.listLinks(ops[0], cs.opt('v'))
}

func (cs *clStatus) listLinks(host string, verbose bool) int {
	hb := cs.hb
	if !hb.initIfWalk(host) {
		return cs.fail(errIfWalk, nil)
	}
	if cs.human {
		cs.printf("\tthis node has the following heartbeat links:\n")
	}
	for _, l := range hb.links {
		if verbose {
			st, ok := hb.ifStatus(host, l.Name)
			cs.printf("\t%s\t%s\n", l.Name, cNull(st, ok))
		} else {
			cs.printf("\t%s\n", l.Name)
		}
	}
	return clOK
}

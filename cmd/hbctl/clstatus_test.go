package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
)

type clCase struct {
	args string
	code int
}

// clCases is every cl_status sub-command, its options and its failure
// paths, with the exit code cl_status must give for apitest's cluster
// (node1 us and active, node2 dead, node3 active, one ping node; a named
// client "testclient" signed on).
var clCases = []clCase{
	{"", 0}, {"-h", 0}, {"-h x", 11}, {"bogus", 11},
	{"hbstatus", 0}, {"hbstatus -v", 0}, {"hbstatus -m -v", 0}, {"hbstatus -x", 0},
	{"listnodes", 0}, {"listnodes -v", 0}, {"listnodes -n", 0}, {"listnodes -p", 0},
	{"listnodes -n -p", 0}, {"listnodes -m", 0}, {"listnodes -x", 11}, {"listnodes -m -p -v", 0},
	{"nodestatus node1", 0}, {"nodestatus node2", 1}, {"nodestatus NODE3", 0}, {"nodestatus -m node3", 0},
	{"nodestatus node2 -m", 1}, {"nodestatus 198.18.0.254", 0}, {"nodestatus nosuch", 11},
	{"nodestatus", 11}, {"nodestatus -x node1", 11}, {"nodestatus -x -y node1", 11}, {"nodestatus -- -m", 11},
	{"nodetype node1", 0}, {"nodetype 198.18.0.254", 0}, {"nodetype -m node2", 0}, {"nodetype nosuch", 11}, {"nodetype", 11},
	{"nodeweight node2", 0}, {"nodeweight -m node2", 0}, {"nodeweight nosuch", 11}, {"nodeweight", 11},
	{"nodesite node2", 0}, {"nodesite node1", 0}, {"nodesite -m node2", 0}, {"nodesite nosuch", 11}, {"nodesite", 11},
	{"listhblinks node1", 0}, {"listhblinks -v node1", 0}, {"listhblinks -m -v node3", 0},
	{"listhblinks 198.18.0.254", 0}, {"listhblinks nosuch", 13}, {"listhblinks", 11}, {"listhblinks -q node1", 11},
	{"hblinkstatus node1 eth0", 0}, {"hblinkstatus node1 eth1", 1}, {"hblinkstatus -m node1 eth0", 0},
	{"hblinkstatus node1 nosuch", 13}, {"hblinkstatus nosuch eth0", 13}, {"hblinkstatus node1", 11},
	{"clientstatus node1 testclient", 0}, {"clientstatus node1 nobody", 1}, {"clientstatus node2 x", 1},
	{"clientstatus node3 x 100", 13}, {"clientstatus nosuch x 100", 13}, {"clientstatus node1", 11},
	{"rscstatus", 0}, {"rscstatus -m", 0}, {"rscstatus -v", 11},
	{"hbparameter -p keepalive", 0}, {"hbparameter -p deadtime", 0}, {"hbparameter -m -p keepalive", 0},
	{"hbparameter -pkeepalive", 0}, {"hbparameter -p nosuch", 1}, {"hbparameter", 11}, {"hbparameter -p", 11},
	{"hbparameter -p hbversion", 0}, {"hbparameter -p pacemaker", 0}, {"hbparameter -p crm", 0},
	{"test", 0},
}

var (
	logStamp    = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d `)
	stderrStamp = regexp.MustCompile(`\d{4}/\d\d/\d\d_\d\d:\d\d:\d\d `) // cl_log's own stamp on stderr
	logPID      = regexp.MustCompile(`\[\d+\]`)
)

// normalize removes what differs between two runs of the same command:
// the time stamps and the pid in log lines.
func normalize(s string) string {
	s = stderrStamp.ReplaceAllString(logStamp.ReplaceAllString(s, "DATE "), "DATE ")
	return logPID.ReplaceAllString(s, "[PID]")
}

// runBoth runs heartbeat's cl_status and hbctl invoked as cl_status on the
// same arguments against sockDir and checks they agree on everything, and
// on the exit code want.
func runBoth(t *testing.T, sockDir string, env []string, args string, want int) (real apitest.Result) {
	t.Helper()
	clStatus := apitest.RequireClStatus(t)
	argv := strings.Fields(args)
	real = apitest.RunIsolated(t, sockDir, env, append([]string{clStatus}, argv...)...)
	ours := apitest.RunIsolated(t, sockDir, env, append([]string{filepath.Join(binDir, "cl_status")}, argv...)...)
	if real.Code != want {
		t.Errorf("cl_status %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, real.Code, want, real.Stdout, real.Stderr)
	}
	if ours.Code != real.Code {
		t.Errorf("hbctl as cl_status %s: exit %d, cl_status %d", args, ours.Code, real.Code)
	}
	if ours.Stdout != real.Stdout {
		t.Errorf("cl_status %s: stdout differs\ncl_status:\n%s\nhbctl:\n%s", args, real.Stdout, ours.Stdout)
	}
	if normalize(ours.Stderr) != normalize(real.Stderr) {
		t.Errorf("cl_status %s: stderr differs\ncl_status:\n%s\nhbctl:\n%s", args, real.Stderr, ours.Stderr)
	}
	return real
}

func TestClStatusMatchesHeartbeat(t *testing.T) {
	apitest.RequireRoot(t)
	apitest.RequireClStatus(t)
	b := apitest.NewBackend()
	s := apitest.Start(t, b, api.Options{})
	s.SignOn(t, "testclient") // stays signed on for clientstatus to find
	for _, c := range clCases {
		runBoth(t, s.Dir, nil, c.args, c.code)
	}
	// clientstatus for an active remote node asks it through the cluster.
	asked := 0
	for _, m := range b.Sent() {
		if strings.Contains(m, "t=query-cstatus\ndest=node3\ncn=x\n") {
			asked++
		}
	}
	if asked != 2 {
		t.Errorf("query-cstatus for node3 sent %d times, want 2 (once per client)\n%q", asked, b.Sent())
	}
}

// With nothing listening, cl_status says heartbeat is stopped.
func TestClStatusNoDaemon(t *testing.T) {
	apitest.RequireRoot(t)
	dir := t.TempDir()
	for _, c := range []clCase{{"hbstatus", 1}, {"hbstatus -v", 1}, {"listnodes", 1}, {"nodestatus node1", 1}, {"rscstatus", 1}} {
		r := runBoth(t, dir, nil, c.args, c.code)
		if c.args == "hbstatus" && r.Stdout != "Heartbeat is stopped on this machine.\n" {
			t.Errorf("hbstatus with no daemon: %q", r.Stdout)
		}
	}
}

// A daemon that refuses the sign-on is "apparently running"; -v shows
// heartbeat's reason.
func TestClStatusRefused(t *testing.T) {
	apitest.RequireRoot(t)
	b := apitest.NewBackend()
	b.RefuseAll = "client failed authorization"
	s := apitest.Start(t, b, api.Options{})
	r := runBoth(t, s.Dir, nil, "hbstatus -v", 0)
	if !strings.Contains(r.Stdout, "(client failed authorization)") {
		t.Errorf("hbstatus -v when refused: %q", r.Stdout)
	}
	runBoth(t, s.Dir, nil, "hbstatus", 0)
	runBoth(t, s.Dir, nil, "listnodes", 1)
}

// Under Pacemaker, rscstatus refuses and hbstatus -v says who manages.
func TestClStatusPacemaker(t *testing.T) {
	apitest.RequireRoot(t)
	b := apitest.NewBackend()
	b.Params["pacemaker"] = "respawn"
	s := apitest.Start(t, b, api.Options{})
	runBoth(t, s.Dir, nil, "rscstatus", 1)
	r := runBoth(t, s.Dir, nil, "hbstatus -v", 0)
	if !strings.Contains(r.Stdout, "managed by:\tpacemaker\t(respawn)\n") {
		t.Errorf("hbstatus -v under pacemaker: %q", r.Stdout)
	}
	runBoth(t, s.Dir, nil, "hbstatus -m -v", 0)
	runBoth(t, s.Dir, []string{"HA_syslogmsgfmt=false"}, "rscstatus", 1)
}

package rsc

import (
	"math/rand/v2"
	"os/exec"
	"testing"
)

// ownedCases are status outputs of real agents on this system (Debian
// heartbeat 3.0.6, resource-agents, sysvinit scripts), collected by
// running them, and what ResourceManager concludes from each.
var ownedCases = []struct {
	from  string
	out   string
	owned bool
}{
	{"resource.d/Delay 0 0 status, started", "INFO:  Running OK\n", true},
	{"resource.d/Delay 0 0 status, stopped", "INFO:  Resource is stopped\n", false},
	{"resource.d/IPaddr2 127.0.0.1/8/lo status", "INFO:  Running OK\n", true},
	{"resource.d/IPaddr 127.0.0.1 status", "ERROR:  Generic error\n", false},
	{"resource.d/IPaddr2 198.18.7.7/24 status", "INFO:  Resource is stopped\n", false},
	{"resource.d/MailTo root status", "stopped\nINFO:  Resource is stopped\n", false},
	{"resource.d/portblock tcp 80 block status", "portblock DROP rule [tcp 80 0.0.0.0/0 in block] is inactive\nINFO:  Resource is stopped\n", false},
	{"resource.d/OCF Dummy d1 status (wrapper broken: usage on stderr)", "", false},
	{"OCF wrapper with OCF_AGENTS fixed: Dummy has no status op", "usage: /usr/lib/ocf/resource.d/heartbeat/Dummy {start|stop|monitor|reload|migrate_to|migrate_from|validate-all|meta-data}\n\nExpects to have a fully populated OCF RA-compliant environment set.\n", false},
	{"lsb status_of_proc, running", "mysvc is running.\n", true},
	{"lsb status_of_proc, stale pidfile", "mysvc is not running ... failed!\n", false},
	{"/etc/init.d/dbus status", "dbus is not running ... failed!\n", false},
	{"/etc/init.d/procps status", "", false},
	{"/etc/init.d/hwclock.sh status", "Usage: hwclock.sh {stop|reload|force-reload|show}.\n       stop and reload set hardware (RTC) clock from kernel (system) clock.\n", false},
	{"/etc/init.d/logd status", "logging daemon is stopped.\n", false},
	{"/etc/init.d/postgresql status", "15/main (port 5432): down\n", false},
	{"/etc/init.d/heartbeat status, unconfigured", "Heartbeat not configured: /etc/ha.d/ha.cf not found. Heartbeat failure [rc=1]. Failed.\n", false},
	{"/etc/init.d/openhpid status", "Checking for openhpid daemon: \nopenhpid is not running.\n", false},
	{"/etc/init.d/pacemaker status", "pacemakerd is stopped\n", false},
	// The patterns' corners.
	{"OK alone", "OK", true},
	{"ok is not OK", "ok", false},
	{"RUNNING is not [Rr]unning", "RUNNING", false},
	{"NOT RUNNING", "NOT RUNNING", false},
	{"NoT running", "NoT running", false},
	{"not, then Running on the next line", "not \nRunning", false},
	{"running before not", "running, not stopped", true},
	{"nothing after not", "Running but not ", true},
	{"not without a blank", "notrunning", true},
	{"cannot run: 'not ' inside a word", "cannot running", false},
	{"OK after a not-running", "not running OK", false},
}

// rmCase is ResourceManager's we_own_resource case statement, verbatim.
const rmCase = `case $1 in
  *[Nn][Oo][Tt]\ *[Rr]unning*)	exit 3;;
  *[Rr]unning*|*OK*)			exit 0;;
  *)					exit 3;;
esac`

// shellOwned asks /bin/sh (dash, as ResourceManager runs) the question.
func shellOwned(t *testing.T, out string) bool {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", rmCase, "sh", out).Run()
	if err == nil {
		return true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		return false
	}
	t.Fatalf("sh: %v", err)
	return false
}

func TestOwnedText(t *testing.T) {
	for _, c := range ownedCases {
		if got := ownedText([]byte(c.out)); got != c.owned {
			t.Errorf("%s: ownedText(%q) = %v, want %v", c.from, c.out, got, c.owned)
		}
		// The table itself is checked against the shell.
		if sh := shellOwned(t, c.out); sh != c.owned {
			t.Errorf("%s: table says %v, sh says %v for %q", c.from, c.owned, sh, c.out)
		}
	}
}

// TestOwnedTextMatchesShell compares with dash on random text built from
// the patterns' pieces.
func TestOwnedTextMatchesShell(t *testing.T) {
	pieces := []string{"not ", "NOT ", "nOt", "Not", " ", "\n", "running", "Running", "RUNNING", "unning", "R", "OK", "O", "K", "ok", "is ", "x"}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		var s []byte
		for range rng.IntN(6) {
			s = append(s, pieces[rng.IntN(len(pieces))]...)
		}
		if got, want := ownedText(s), shellOwned(t, string(s)); got != want {
			t.Errorf("ownedText(%q) = %v, sh says %v", s, got, want)
		}
	}
}

func TestOwnedTextAllocs(t *testing.T) {
	out := []byte(ownedCases[1].out)
	if n := testing.AllocsPerRun(100, func() { ownedText(out) }); n != 0 {
		t.Errorf("ownedText allocates %v times", n)
	}
}

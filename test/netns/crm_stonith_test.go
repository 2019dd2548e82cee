package netns

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// Fencing devices configured in the CIB under pacemaker on: no stonith
// line in ha.cf, a class="stonith" primitive of the test power switch
// (fencePlugin, its host list naming the three nodes: a dynamic-list
// device) and a Dummy. kill -9 of the Dummy's holder: the DC fences it
// through the CIB device, and only once the reset has succeeded does the
// Dummy start on a survivor.

// crmStonithCIB is every node's cib.xml; %STATE% is the plugin's state
// directory. startup-fencing is off: nodes that have not joined yet when
// the first DC plans are not fenced.
const crmStonithCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="true"/><nvpair id="opts-startup" name="startup-fencing" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/><node id="node3" uname="node3"/></nodes>
<resources>
<primitive id="fence1" class="stonith" type="external/hbdtest"><instance_attributes id="fence1-ia"><nvpair id="fence1-statedir" name="statedir" value="%STATE%"/></instance_attributes><operations><op id="fence1-monitor" name="monitor" interval="10s" timeout="20s"/></operations></primitive>
<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="d1-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive>
</resources>
<constraints/>
</configuration>
<status/>
</cib>
`

// crmStonithScene starts the cluster with the plugin failing its first
// fails resets, and waits until d1 runs on one node and the DC is agreed.
func crmStonithScene(t *testing.T, fails int) (s *crmScene, state, holder string) {
	t.Helper()
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	if _, err := os.Stat("/usr/sbin/stonith"); err != nil {
		t.Skip("cluster-glue's stonith is not installed; CI installs it")
	}
	dir := t.TempDir()
	ext := filepath.Join(dir, "external")
	state = filepath.Join(dir, "state")
	for _, p := range []string{ext, state} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plugin := strings.Replace(fencePlugin, "echo node1; echo node2", "echo node1; echo node2; echo node3", 1)
	if err := os.WriteFile(filepath.Join(ext, "hbdtest"), []byte(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if fails > 0 {
		os.WriteFile(filepath.Join(state, "fail"), []byte(strconv.Itoa(fails)+"\n"), 0o644)
	}
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "2", Initdead: "5",
		Extra: "pacemaker on\n"}
	s = &crmScene{t: t}
	s.ds, s.rsctmp = crmNodes(t, spec, strings.ReplaceAll(crmStonithCIB, "%STATE%", state), func(d *clustertest.Daemon) {
		d.Binds = append(d.Binds, [2]string{ext, "/usr/lib/stonith/plugins/external"})
	})
	s.start = time.Now()
	for _, d := range s.ds {
		d.Start()
	}
	holder = s.waitActive(s.ds, "Dummy-d1.state", "", 1, "", 60*time.Second)[0]
	s.waitDC(s.ds, s.start, 30*time.Second)
	return s, state, holder
}

// resetLines returns the hosts the plugin was asked to reset, in order.
func resetLines(state string) []string {
	b, _ := os.ReadFile(filepath.Join(state, "resets"))
	var hosts []string
	for _, line := range strings.Split(string(b), "\n") {
		if h, _, _ := strings.Cut(line, " "); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// crmPowerSwitch powers victim off when the plugin is asked to reset it
// and its fail count is spent (that attempt is the one to succeed), then
// lets the plugin's reset return; it returns when that was.
func crmPowerSwitch(t *testing.T, s *crmScene, state, victim string) <-chan time.Time {
	off := make(chan time.Time, 1)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-stop:
				return
			default:
			}
			n, _ := os.ReadFile(filepath.Join(state, "fail"))
			if c := strings.TrimSpace(string(n)); c != "" && c != "0" {
				continue
			}
			hosts := resetLines(state)
			if len(hosts) == 0 || hosts[len(hosts)-1] != victim {
				continue
			}
			s.node(victim).PowerOff()
			at := time.Now()
			os.WriteFile(filepath.Join(state, "off-"+victim), nil, 0o644)
			off <- at
			return
		}
	}()
	return off
}

// crmFenceFailover kills d1's holder and checks that it is fenced through
// the CIB device before d1 starts on a survivor; it returns the kill time,
// the power-off time and when d1 started on the survivor.
func crmFenceFailover(t *testing.T, s *crmScene, state, holder string) (killed, offAt, movedAt time.Time, survivor string) {
	t.Helper()
	w := s.watch("Dummy-d1.state", "")
	w.down.Store(holder, true)
	survivors := s.others(holder)
	off := crmPowerSwitch(t, s, state, holder)
	killed = s.node(holder).Kill9()
	var seen time.Time // d1 first seen on a survivor
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case offAt = <-off:
		default:
		}
		if on := s.active(survivors, "Dummy-d1.state", ""); len(on) > 0 && seen.IsZero() {
			seen, survivor = time.Now(), on[0]
			if offAt.IsZero() {
				t.Fatalf("d1 started on %s at %s before %s was fenced (resets asked: %v)", survivor, seen.Format("15:04:05.000"), holder, resetLines(state))
			}
		}
		if !seen.IsZero() && !offAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after kill -9 of %s: fenced at %v, d1 on a survivor at %v (resets asked: %v)", holder, offAt, seen, resetLines(state))
		}
	}
	s.waitActive(survivors, "Dummy-d1.state", "", 1, survivor, 10*time.Second)
	for _, h := range resetLines(state) {
		if h != holder {
			t.Errorf("the device was asked to reset %s; only %s was lost", h, holder)
		}
	}
	return killed, offAt, seen, survivor
}

// fencerLog finds line (a regular expression) in a survivor's log since
// since, and returns the node that logged it.
func fencerLog(t *testing.T, s *crmScene, holder, line string, since time.Time) string {
	t.Helper()
	re := regexp.MustCompile(line)
	for _, d := range s.others(holder) {
		for _, l := range d.Log.Since(since) {
			if re.MatchString(l.Text) {
				return d.Name
			}
		}
	}
	t.Errorf("no survivor logged %q", line)
	return ""
}

func TestCRMStonithDevice(t *testing.T) {
	s, state, holder := crmStonithScene(t, 0)
	// The fencing device is a resource like any other: it runs.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _, rc := liveTool(t, s.ds[0], "crm_mon", "-1")
		if rc == 0 && regexp.MustCompile(`fence1\s+\(stonith:external/hbdtest\):\s+Started`).MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("crm_mon -1 does not show fence1 Started:\n%s", out)
		}
	}
	killed, offAt, movedAt, survivor := crmFenceFailover(t, s, state, holder)
	fencer := fencerLog(t, s, holder, `Requesting fencing \(reboot\) of node `+holder, killed)
	fencerLog(t, s, holder, `Operation 'reboot' targeting `+holder+` using fence1 returned 0`, killed)
	if hosts := resetLines(state); len(hosts) != 1 {
		t.Errorf("the device was asked %d resets, want 1: %v", len(hosts), hosts)
	}
	failsuite(t, "kill -9 of a Dummy's holder, pacemaker on, fencing device in the CIB",
		"the DC fences the holder through the CIB's stonith primitive, then starts the Dummy on a survivor",
		fencer+" fenced "+holder+" through fence1; d1 started on "+survivor+" after the reset",
		"fenced="+ms(offAt.Sub(killed))+" d1-started="+ms(movedAt.Sub(killed)))
}

func TestCRMStonithDeviceRetry(t *testing.T) {
	s, state, holder := crmStonithScene(t, 1)
	killed, offAt, movedAt, survivor := crmFenceFailover(t, s, state, holder)
	if hosts := resetLines(state); len(hosts) != 2 {
		t.Errorf("the device was asked %d resets, want 2 (one failed, one succeeded): %v", len(hosts), hosts)
	}
	fencerLog(t, s, holder, `Operation 'reboot' targeting `+holder+` using fence1 returned [1-9]`, killed)
	fencerLog(t, s, holder, `Operation 'reboot' targeting `+holder+` using fence1 returned 0`, killed)
	failsuite(t, "kill -9 of a Dummy's holder, the CIB's fencing device failing once",
		"nothing moves while fencing fails; a later attempt succeeds, then the Dummy starts on a survivor",
		"first reset failed, second succeeded; d1 started on "+survivor+" only after it",
		"fenced="+ms(offAt.Sub(killed))+" d1-started="+ms(movedAt.Sub(killed)))
}

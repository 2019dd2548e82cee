package rsc

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/rsc/ipaddr"
)

// The LSB init script runs a real daemon; status is init-functions'
// status_of_proc, judged by its text ("is running" / "is not running").
func TestLSBInitScript(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.idir, "hbdtestsvc"), lsbScript)
	m := f.start("node1 hbdtestsvc\n")
	t.Cleanup(func() { // stop the daemon if the test did not
		if f.exists("svc.pid") {
			m.Give(99, []string{"hbdtestsvc"})
			f.wait(99)
		}
	})
	ctx := context.Background()
	m.Take(1, []string{"hbdtestsvc"})
	if r := f.wait(1); len(r.Failed) != 0 {
		t.Fatalf("take: %s", fmtResult(r))
	}
	if owned, err := m.Status(ctx, "hbdtestsvc"); err != nil || !owned {
		t.Fatalf("status after start: %v, %v", owned, err)
	}
	daemon := pidFromFile(t, filepath.Join(f.dir, "svc.pid"))
	// start-stop-daemon --background writes the pidfile before its child
	// execs the daemon (it closes every descriptor first, slow under a
	// high descriptor limit); a stop before the exec matches no
	// /usr/bin/sleep and kills nothing, as it would under init.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if exe, _ := os.Readlink("/proc/" + strconv.Itoa(daemon) + "/exe"); exe == "/usr/bin/sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon %d never became /usr/bin/sleep", daemon)
		}
	}
	// Taking it again only asks.
	m.Take(2, []string{"hbdtestsvc"})
	f.wait(2)
	f.equal("order", f.order(), []string{"svc_status", "svc_start", "svc_status", "svc_status"})
	m.Give(3, []string{"hbdtestsvc"})
	if r := f.wait(3); len(r.Failed) != 0 {
		t.Fatalf("give: %s", fmtResult(r))
	}
	if owned, err := m.Status(ctx, "hbdtestsvc"); err != nil || owned {
		t.Fatalf("status after stop: %v, %v", owned, err)
	}
	waitGone(t, daemon)
}

// The real resource.d/Delay wrapper, which runs the OCF Delay agent.
func TestDelayWrapper(t *testing.T) {
	const real = "/etc/ha.d/resource.d/Delay"
	if _, err := os.Stat(real); err != nil {
		t.Skipf("heartbeat's resource.d is not installed: %v", err)
	}
	f := newFixture(t)
	if err := os.Symlink(real, filepath.Join(f.rdir, "Delay")); err != nil {
		t.Fatal(err)
	}
	m := f.start("node1 Delay::0::0\n")
	ctx := context.Background()
	m.Take(1, []string{"Delay::0::0"})
	if r := f.wait(1); len(r.Failed) != 0 {
		t.Fatalf("take: %s", fmtResult(r))
	}
	f.logged("info: Running " + f.rdir + "/Delay 0 0 start")
	// The agent's pseudo-resource file, in HA_RSCTMP.
	if !f.exists("Delay_Delay_0") {
		t.Error("Delay did not record itself as started")
	}
	if owned, err := m.Status(ctx, "Delay::0::0"); err != nil || !owned {
		t.Fatalf("status after start: %v, %v", owned, err)
	}
	m.Give(2, []string{"Delay::0::0"})
	if r := f.wait(2); len(r.Failed) != 0 {
		t.Fatalf("give: %s", fmtResult(r))
	}
	if owned, err := m.Status(ctx, "Delay::0::0"); err != nil || owned {
		t.Fatalf("status after stop: %v, %v", owned, err)
	}
}

// OCF::Dummy::<instance> runs the real Dummy agent natively.
func TestOCFDummy(t *testing.T) {
	const agent = "/usr/lib/ocf/resource.d/heartbeat/Dummy"
	if _, err := os.Stat(agent); err != nil {
		t.Skipf("resource-agents is not installed: %v", err)
	}
	f := newFixture(t)
	state := filepath.Join(f.dir, "dummy.state") // Dummy does not quote it
	conf := filepath.Join(f.dir, "conf", "OCF", "Dummy")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	f.write(filepath.Join(conf, "d1"), "# Dummy's state file\nOCF_RESKEY_state='"+state+"'\n")
	m := f.start("node1 OCF::Dummy::d1\n")
	ctx := context.Background()
	if owned, err := m.Status(ctx, "OCF::Dummy::d1"); err != nil || owned {
		t.Fatalf("status before start: %v, %v", owned, err)
	}
	m.Take(1, []string{"OCF::Dummy::d1"})
	if r := f.wait(1); len(r.Failed) != 0 {
		t.Fatalf("take: %s", fmtResult(r))
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("Dummy's state file: %v", err)
	}
	f.logged("info: Running " + agent + " d1 start")
	if owned, err := m.Status(ctx, "OCF::Dummy::d1"); err != nil || !owned {
		t.Fatalf("status after start: %v, %v", owned, err)
	}
	m.Give(2, []string{"OCF::Dummy::d1"})
	if r := f.wait(2); len(r.Failed) != 0 {
		t.Fatalf("give: %s", fmtResult(r))
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file after stop: %v", err)
	}
}

// envAgent is an OCF agent that records its environment and answers
// monitor with $FAKE_MONITOR_RC.
const envAgent = `#!/bin/sh
env >"$TEST_DIR/env.$1"
case $1 in
monitor) exit ${OCF_RESKEY_monitor_rc:-7};;
esac
exit 0
`

func TestOCFEnvironmentAndProviders(t *testing.T) {
	f := newFixture(t)
	root := filepath.Join(f.dir, "ocf")
	for _, p := range []string{"acme", "heartbeat", "zeta"} {
		if err := os.MkdirAll(filepath.Join(root, "resource.d", p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.write(filepath.Join(root, "resource.d", "acme", "Fake"), "#!/bin/sh\nexit 1\n")
	f.write(filepath.Join(root, "resource.d", "heartbeat", "Fake"), envAgent)
	f.write(filepath.Join(root, "resource.d", "zeta", "Other"), envAgent)
	conf := filepath.Join(f.dir, "conf", "OCF")
	for _, typ := range []string{"Fake", "Other"} {
		if err := os.MkdirAll(filepath.Join(conf, typ), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.write(filepath.Join(conf, "Fake", "i1"), "OCF_RESKEY_ip=198.18.0.1\nexport OCF_RESKEY_msg=\"a b\" # comment\nOCF_ROOT=/elsewhere\nOCF_RESKEY_monitor_rc=5\n")
	f.write(filepath.Join(conf, "Other", "i2"), "")
	f.opt.OCFRoot = root
	m := f.start("node1 OCF::Fake::i1\nnode1 OCF::Other::i2\n")
	owned, err := m.Status(context.Background(), "OCF::Fake::i1")
	if err != nil || owned {
		t.Fatalf("monitor rc 5: %v, %v; want not owned", owned, err)
	}
	f.logged("ERROR: " + filepath.Join(root, "resource.d", "heartbeat", "Fake") + " i1 monitor returned 5 (OCF_ERR_INSTALLED): taken as not running")
	env := map[string]string{}
	for _, kv := range strings.Split(string(readFile(t, filepath.Join(f.dir, "env.monitor"))), "\n") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range map[string]string{
		"OCF_ROOT": root, "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "0",
		"OCF_RESOURCE_INSTANCE": "i1", "OCF_TYPE": "Fake", "OCF_RESKEY_ip": "198.18.0.1",
		"OCF_RESKEY_msg": "a b", "TEST_DIR": f.dir, "LC_ALL": "C", "HA_RESOURCEDIR": f.rdir,
	} {
		if env[k] != v {
			t.Errorf("agent environment: %s=%q, want %q", k, env[k], v)
		}
	}
	// A provider other than heartbeat is found too.
	if owned, err := m.Status(context.Background(), "OCF::Other::i2"); err != nil || owned {
		t.Fatalf("Other: %v, %v", owned, err)
	}
}

func TestOCFErrors(t *testing.T) {
	f := newFixture(t)
	root := filepath.Join(f.dir, "ocf")
	if err := os.MkdirAll(filepath.Join(root, "resource.d", "heartbeat"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write(filepath.Join(root, "resource.d", "heartbeat", "Fake"), envAgent)
	if err := os.MkdirAll(filepath.Join(f.dir, "conf", "OCF", "Fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	inst := filepath.Join(f.dir, "conf", "OCF", "Fake", "bad")
	f.write(inst, "OCF_RESKEY_a=1\nOCF_RESKEY_b=$HOME\n")
	f.opt.OCFRoot = root
	hr := filepath.Join(f.dir, "haresources")
	for _, c := range []struct{ haresources, want string }{
		{"node1 OCF::Fake::bad\n", hr + ":1: " + inst + ":2: shell expansion ($) is not supported"},
		{"node1 OCF::Fake\n", hr + ":1: OCF::Fake needs exactly a type and an instance: OCF::<type>::<instance>"},
		{"node1 OCF::Nope::x\n", hr + ":1: no OCF resource agent Nope in " + root + "/resource.d/*/"},
	} {
		_, err := New(f.groups(c.haresources), f.opt)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: %v\nwant %s", c.haresources, err, c.want)
		}
	}
	_, err := New(f.groups("node1 OCF::Fake::missing\n"), f.opt)
	if err == nil || !strings.Contains(err.Error(), hr+":1: OCF instance parameters: open "+filepath.Join(f.dir, "conf", "OCF", "Fake", "missing")) {
		t.Errorf("missing instance file: %v", err)
	}
}

// IPaddr and IPaddr2 go to the built-in agent unless told otherwise;
// nothing here touches the network.
func TestBuiltinIPWiring(t *testing.T) {
	f := newFixture(t)
	f.opt.IPAgent = IPAgentBuiltin
	m := f.start("node1 198.18.0.10 IPaddr2::198.18.0.11/24 Test::a\n")
	g := m.groups["198.18.0.10"]
	for i, want := range []string{"IPaddr::198.18.0.10", "IPaddr2::198.18.0.11/24"} {
		if _, ok := g.agents[i].(*ipaddr.Resource); !ok || g.agents[i].String() != want {
			t.Errorf("agent %d: %T %q, want the built-in %s", i, g.agents[i], g.agents[i], want)
		}
	}
	_, err := New(f.groups("node1 Test::a\nnode1 IPaddr2\n"), f.opt)
	if want := filepath.Join(f.dir, "haresources") + ":2: IPaddr2 needs an address"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("IPaddr2 without an address: %v, want %q…", err, want)
	}
	_, err = New(f.groups("node1 IPaddr2::198.18.0.300/24\n"), f.opt)
	if want := filepath.Join(f.dir, "haresources") + ":1: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("bad address: %v, want an error naming %s", err, want)
	}
	// "script" runs resource.d's scripts instead.
	f.write(filepath.Join(f.rdir, "IPaddr2"), testScript)
	f.opt.IPAgent = IPAgentScript
	m2, err := New(f.groups("node1 IPaddr2::198.18.0.11/24\n"), f.opt)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if a, ok := m2.groups["IPaddr2::198.18.0.11/24"].agents[0].(*script); !ok || a.path != filepath.Join(f.rdir, "IPaddr2") {
		t.Errorf("with IPAgent script: %T %v", m2.groups["IPaddr2::198.18.0.11/24"].agents[0], m2.groups["IPaddr2::198.18.0.11/24"].agents[0])
	}
}

package lrm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Debian's agents, beyond Dummy and the test scripts (lrm_test.go): the
// real IPaddr2 in a network namespace, Filesystem on a tmpfs, the real
// resource.d IPaddr2 wrapper (heartbeat class with the script agent), and
// the stonith class through cluster-glue's stonith command.

func needFile(t *testing.T, p, pkg string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is not installed (%s)", p, pkg)
	}
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: " + why)
	}
}

// inNetns makes an agent that runs path inside h's namespace, as
// provider "netns" of the rig's OCF root (the LRM forks in its own).
func inNetns(t *testing.T, g *rig, h *netnstest.Host, name, path string) {
	t.Helper()
	dir := filepath.Join(g.dir, "ocf", "resource.d", "netns")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := "#!/bin/sh\nexec ip netns exec " + h.Name() + " " + path + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(sh), 0o755); err != nil {
		t.Fatal(err)
	}
}

func waitNoProcs(t *testing.T, h *netnstest.Host) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(h.PIDs()) == 0 {
			return
		}
	}
	t.Errorf("processes left in %s: %v", h.Name(), h.PIDs())
}

func TestRealIPaddr2InNamespace(t *testing.T) {
	needFile(t, "/usr/lib/ocf/resource.d/heartbeat/IPaddr2", "resource-agents")
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	g := newRig(t, func(o *Options) {
		o.Env = append(o.Env, "HA_RSCTMP="+filepath.Join(t.TempDir()), "HA_LOGD=no")
	})
	inNetns(t, g, h, "IPaddr2", "/usr/lib/ocf/resource.d/heartbeat/IPaddr2")
	t.Cleanup(func() { waitNoProcs(t, h) }) // send_arp's burst
	g.add(Resource{ID: "vip", Class: ClassOCF, Provider: "netns", Type: "IPaddr2",
		Params: []Param{{"ip", "198.18.0.100"}, {"cidr_netmask", "24"}, {"arp_count", "1"}, {"arp_interval", "10"}}})
	has := func() bool {
		out, _ := h.Exec("ip", "-o", "-f", "inet", "addr", "show", "dev", "eth0")
		return strings.Contains(string(out), " 198.18.0.100/24 ")
	}
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "validate-all"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "start"}), RCOK, StatusDone)
	if !has() {
		t.Fatal("no address after start")
	}
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCOK, StatusDone)
	h.Exec("ip", "addr", "del", "198.18.0.100/24", "dev", "eth0")
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "start"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCOK, StatusDone)
	r := g.run(Op{Rsc: "vip", Name: "meta-data"})
	check(t, r, RCOK, StatusDone)
	if !strings.Contains(r.Output, `<resource-agent name="IPaddr2"`) {
		t.Errorf("meta-data: %.200q", r.Output)
	}
	check(t, g.run(Op{Rsc: "vip", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCNotRunning, StatusDone)
	if has() {
		t.Error("address left after stop")
	}
	// Without ip the agent refuses: not configured.
	g.add(Resource{ID: "bad", Class: ClassOCF, Provider: "netns", Type: "IPaddr2", Params: []Param{{"cidr_netmask", "24"}}})
	check(t, g.run(Op{Rsc: "bad", Name: "start"}), RCErrConfigured, StatusDone)
}

// heartbeat's resource.d/IPaddr2 (the wrapper over the OCF agent) as a
// heartbeat-class resource, with hbd_ip_agent script.
func TestHeartbeatClassIPaddr2Script(t *testing.T) {
	needFile(t, "/etc/ha.d/resource.d/IPaddr2", "heartbeat")
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	dir := t.TempDir()
	sh := "#!/bin/sh\nexec ip netns exec " + h.Name() + " /etc/ha.d/resource.d/IPaddr2 \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "IPaddr2"), []byte(sh), 0o755); err != nil {
		t.Fatal(err)
	}
	g := newRig(t, func(o *Options) {
		o.IPAgent = IPAgentScript
		o.ResourceDir = dir
		o.Env = append(o.Env, "HA_RSCTMP="+t.TempDir(), "HA_LOGD=no", "HA_LOGFACILITY=none", "HA_LOGFILE="+filepath.Join(dir, "ha-log"))
	})
	t.Cleanup(func() { waitNoProcs(t, h) })
	g.add(Resource{ID: "vip", Class: ClassHeartbeat, Type: "IPaddr2", Params: []Param{{"1", "198.18.0.100/24/eth0"}}})
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "start"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "vip", Name: "monitor"}), RCNotRunning, StatusDone)
}

func TestRealFilesystemOnTmpfs(t *testing.T) {
	needFile(t, "/usr/lib/ocf/resource.d/heartbeat/Filesystem", "resource-agents")
	needRoot(t, "Filesystem mounts")
	// The agent checks for modprobe (kmod), which loads filesystems
	// tmpfs does not need; machines without kmod get a stub.
	path := "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
	if _, err := exec.LookPath("modprobe"); err != nil {
		bin := t.TempDir()
		if err := os.WriteFile(filepath.Join(bin, "modprobe"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		path = "PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin"
	}
	g := newRig(t, func(o *Options) {
		o.Env = append([]string{path, "HA_RSCTMP=" + t.TempDir(), "HA_LOGD=no"}, o.Env[1:]...)
	})
	mnt := filepath.Join(g.dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	g.add(Resource{ID: "fs", Class: ClassOCF, Provider: "heartbeat", Type: "Filesystem",
		Params: []Param{{"device", "hbdtest"}, {"directory", mnt}, {"fstype", "tmpfs"}, {"options", "size=1m"}, {"force_unmount", "false"}}})
	mounted := func() bool {
		b, _ := os.ReadFile("/proc/self/mounts")
		return strings.Contains(string(b), " "+mnt+" tmpfs ")
	}
	check(t, g.run(Op{Rsc: "fs", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "validate-all"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "start"}), RCOK, StatusDone)
	if !mounted() {
		t.Fatal("not mounted after start")
	}
	check(t, g.run(Op{Rsc: "fs", Name: "monitor"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "start"}), RCOK, StatusDone)
	// Unmounted behind its back: the monitor sees it.
	if err := syscall.Unmount(mnt, 0); err != nil {
		t.Fatal(err)
	}
	check(t, g.run(Op{Rsc: "fs", Name: "monitor"}), RCNotRunning, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "start"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "stop"}), RCOK, StatusDone)
	if mounted() {
		t.Error("still mounted after stop")
	}
	check(t, g.run(Op{Rsc: "fs", Name: "stop"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "fs", Name: "monitor"}), RCNotRunning, StatusDone)
	r := g.run(Op{Rsc: "fs", Name: "meta-data"})
	check(t, r, RCOK, StatusDone)
	if !strings.Contains(r.Output, `<resource-agent name="Filesystem"`) {
		t.Errorf("meta-data: %.200q", r.Output)
	}
	// A missing directory parameter: the agent's own code.
	g.add(Resource{ID: "nodir", Class: ClassOCF, Provider: "heartbeat", Type: "Filesystem",
		Params: []Param{{"device", "hbdtest"}, {"fstype", "tmpfs"}}})
	check(t, g.run(Op{Rsc: "nodir", Name: "start"}), RCErrConfigured, StatusDone)
}

// The stonith class: status only (start, monitor and stop check the
// device with "stonith -S"), never a reset. The null plugin and
// external/ssh (whose status pings each host: localhost only).
func TestStonithClass(t *testing.T) {
	if _, err := exec.LookPath("/usr/sbin/stonith"); err != nil {
		t.Skip("cluster-glue's stonith is not installed")
	}
	g := newRig(t, nil)
	g.add(Resource{ID: "null", Class: ClassStonith, Type: "null", Params: []Param{{"hostlist", "node1 node2"}}})
	g.add(Resource{ID: "ssh", Class: ClassStonith, Type: "external/ssh", Params: []Param{{"hostlist", "localhost"}}})
	g.add(Resource{ID: "sshnohosts", Class: ClassStonith, Type: "external/ssh"})
	g.add(Resource{ID: "nonesuch", Class: ClassStonith, Type: "nonesuch"})
	for _, op := range []string{"monitor", "start", "monitor", "stop"} {
		check(t, g.run(Op{Rsc: "null", Name: op}), RCOK, StatusDone)
	}
	check(t, g.run(Op{Rsc: "ssh", Name: "monitor"}), RCOK, StatusDone)
	check(t, g.run(Op{Rsc: "sshnohosts", Name: "monitor"}), RCErrGeneric, StatusDone)
	r := g.run(Op{Rsc: "nonesuch", Name: "monitor"})
	check(t, r, RCErrGeneric, StatusDone)
	if r.ExitCode == 0 {
		t.Errorf("an unknown device type exited 0")
	}
	r = g.run(Op{Rsc: "null", Name: "meta-data"})
	check(t, r, RCOK, StatusDone)
	if !strings.Contains(r.Output, `<resource-agent name="null"`) {
		t.Errorf("meta-data: %.200q", r.Output)
	}
	// A recurring monitor on a device, as the CRM runs it.
	id := g.perform(Op{Rsc: "null", Name: "monitor", Interval: 50 * time.Millisecond, Timeout: 10 * time.Second})
	for i := 0; i < 2; i++ {
		check(t, g.wait(id, 20*time.Second), RCOK, StatusDone)
	}
	g.do(func() { g.lrm.Cancel("null", id) })
}

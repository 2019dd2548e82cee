package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Debian 12's Pacemaker 2.1.5 and Corosync 3.1.7 (packages pacemaker,
// corosync).
const (
	corosyncBin   = "/usr/sbin/corosync"
	pacemakerdBin = "/usr/sbin/pacemakerd"
	pcmkLibexec   = "/usr/lib/pacemaker"
)

// requirePacemaker skips unless both stacks' binaries and the OCF agents
// the scenario uses are installed.
func requirePacemaker(b testing.TB) {
	b.Helper()
	for _, p := range []string{corosyncBin, pacemakerdBin, pcmkLibexec + "/pacemaker-controld",
		"/usr/lib/ocf/resource.d/heartbeat/IPaddr2", "/usr/lib/ocf/resource.d/heartbeat/Dummy"} {
		if _, err := os.Stat(p); err != nil {
			b.Skipf("%s is not installed (Debian packages pacemaker, corosync, resource-agents)", p)
		}
	}
	if _, err := user.Lookup("hacluster"); err != nil {
		b.Skip("no hacluster user (Debian package pacemaker)")
	}
}

// pcmkNode is one node of a Pacemaker + Corosync cluster: corosync -f and
// pacemakerd (with its six subdaemons) in the host's network namespace
// and in PID, mount and UTS namespaces of their own. Inside, the node's
// own directories are bound over /etc/corosync, /var/lib/corosync,
// /var/lib/pacemaker and /var/log/pacemaker, and /run and /dev/shm are
// fresh tmpfs mounts (libqb's IPC ring buffers and pid files of one node
// must not meet another's, and each start is a clean boot). Nothing of
// the machine's own Pacemaker or Corosync state is touched. Killing the
// PID namespace's first process ends every process of the node at once.
type pcmkNode struct {
	b    testing.TB
	name string
	host *netnstest.Host
	dir  string
	cmd  *exec.Cmd
}

// pcmkSpec is what every node of one cluster shares.
type pcmkSpec struct {
	nodes    []*netnstest.Host
	tokenMS  int    // totem.token; consensus stays corosync's 1.2 × token
	monitor  string // interval of both recurring monitors
	vip      string // the group's IPaddr2 address, on eth0, /24
	prefer   string // node the group prefers (score 100)
	stickOff bool
}

// corosyncConf is corosync.conf: knet on eth0 without crypto, the token
// asked for, votequorum (two_node for a pair), logging to stderr with
// high-resolution stamps.
func (s pcmkSpec) corosyncConf() string {
	var b strings.Builder
	fmt.Fprintf(&b, "totem {\n\tversion: 2\n\tcluster_name: hbdbench\n\ttransport: knet\n\tcrypto_cipher: none\n\tcrypto_hash: none\n\ttoken: %d\n}\n", s.tokenMS)
	b.WriteString("quorum {\n\tprovider: corosync_votequorum\n")
	if len(s.nodes) == 2 {
		b.WriteString("\ttwo_node: 1\n")
	}
	b.WriteString("}\nlogging {\n\tfileline: off\n\tto_stderr: yes\n\tto_logfile: no\n\tto_syslog: no\n\ttimestamp: hires\n\tdebug: off\n}\nnodelist {\n")
	for i, h := range s.nodes {
		fmt.Fprintf(&b, "\tnode {\n\t\tname: node%d\n\t\tnodeid: %d\n\t\tring0_addr: %s\n\t}\n", i+1, i+1, h.Addr(0))
	}
	b.WriteString("}\n")
	return b.String()
}

// benchCIB is the scenario's configuration for both systems: a group of
// the VIP and a Dummy, each monitored, preferring one node (score 100),
// stonith off. ip is the VIP's primitive (its class, type and
// instance attributes differ: Pacemaker runs ocf:heartbeat:IPaddr2, hbd
// its built-in IP agent as heartbeat::IPaddr2); nodes, when given, are
// written into the nodes section (Pacemaker fills it in itself).
func benchCIB(ip, monitor, prefer string, nodes []string) string {
	var b strings.Builder
	b.WriteString(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0">
<configuration>
<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/><nvpair id="opt-no-quorum-policy" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
<nodes>`)
	for _, n := range nodes {
		fmt.Fprintf(&b, `<node id="%s" uname="%s"/>`, n, n)
	}
	fmt.Fprintf(&b, `</nodes>
<resources><group id="grp">%s<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="dummy-monitor" name="monitor" interval="%s" timeout="20s"/></operations></primitive></group></resources>
<constraints><rsc_location id="grp-prefers-%s" rsc="grp" node="%s" score="100"/></constraints>
</configuration>
<status/>
</cib>
`, ip, monitor, prefer, prefer)
	return b.String()
}

// pcmkVIP is the VIP as Pacemaker's IPaddr2 primitive.
func pcmkVIP(vip, monitor string) string {
	return fmt.Sprintf(`<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="%s"/><nvpair id="vip-cidr" name="cidr_netmask" value="24"/><nvpair id="vip-nic" name="nic" value="eth0"/></instance_attributes><operations><op id="vip-monitor" name="monitor" interval="%s" timeout="20s"/></operations></primitive>`, vip, monitor)
}

// pcmkLaunch runs as the PID namespace's first process: it makes the
// node's mounts, starts corosync, waits until its cmap answers, starts
// pacemakerd and waits for it (then stops corosync). Pacemaker logs to
// $D/pacemaker.log (no syslog, no blackbox); corosync's stderr is the
// launcher's, $D/corosync.log.
const pcmkLaunch = `set -e
hostname "$N"
mount --bind "$D/etc-corosync" /etc/corosync
mount --bind "$D/var-lib-corosync" /var/lib/corosync
mount --bind "$D/var-lib-pacemaker" /var/lib/pacemaker
mount --bind "$D/var-log-pacemaker" /var/log/pacemaker
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p /run/crm /run/resource-agents /run/lock
chown hacluster:haclient /run/crm
set +e
` + corosyncBin + ` -f &
cs=$!
n=0
until corosync-cmapctl -g totem.cluster_name >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -gt 400 ] && { echo "launcher: corosync does not answer" >&2; break; }
	sleep 0.05
done
export PCMK_logfile="$D/pacemaker.log" PCMK_logfacility=none PCMK_blackbox=no PCMK_debug=no
` + pacemakerdBin + ` &
pm=$!
trap 'kill -TERM $pm' TERM
while kill -0 $pm 2>/dev/null; do wait $pm; done
kill -TERM $cs 2>/dev/null
wait $cs
`

// newPcmkNode prepares node i (1-based) of s with cib as its cib.xml.
func newPcmkNode(b testing.TB, s pcmkSpec, i int, cib string) *pcmkNode {
	b.Helper()
	n := &pcmkNode{b: b, name: fmt.Sprintf("node%d", i), host: s.nodes[i-1], dir: b.TempDir()}
	// The copies keep the packages' owners (hacluster:haclient) and modes.
	for _, c := range [][2]string{{"/etc/corosync", "etc-corosync"}, {"/var/lib/pacemaker", "var-lib-pacemaker"}, {"/var/log/pacemaker", "var-log-pacemaker"}} {
		if out, err := exec.Command("cp", "-a", c[0], filepath.Join(n.dir, c[1])).CombinedOutput(); err != nil {
			b.Fatalf("copy %s: %v\n%s", c[0], err, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "var-lib-corosync"), 0o700); err != nil {
		b.Fatal(err)
	}
	n.write("etc-corosync/corosync.conf", s.corosyncConf(), 0o644, false)
	n.write("var-lib-pacemaker/cib/cib.xml", cib, 0o600, true)
	// The subdaemons run as hacluster and append to the same log.
	n.write("pacemaker.log", "", 0o660, true)
	// TempDir is 0700 root: the hacluster subdaemons must reach their
	// bound directories' and the log's paths.
	for d := n.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o011 != 0o011 {
			os.Chmod(d, st.Mode().Perm()|0o011)
		}
	}
	b.Cleanup(n.kill)
	return n
}

func (n *pcmkNode) write(rel, content string, mode os.FileMode, hacluster bool) {
	n.b.Helper()
	p := filepath.Join(n.dir, rel)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		n.b.Fatal(err)
	}
	os.Chmod(p, mode)
	if hacluster {
		u, _ := user.Lookup("hacluster")
		g, _ := user.LookupGroup("haclient")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(g.Gid)
		if err := os.Chown(p, uid, gid); err != nil {
			n.b.Fatal(err)
		}
	}
}

// start boots the node: the launcher in fresh PID, mount and UTS
// namespaces inside the host's network namespace.
func (n *pcmkNode) start() {
	n.b.Helper()
	logf, err := os.OpenFile(filepath.Join(n.dir, "corosync.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.b.Fatal(err)
	}
	defer logf.Close()
	n.cmd = n.host.Command("unshare", "--pid", "--fork", "--mount", "--mount-proc", "--uts", "--propagation", "private", "--kill-child",
		"--", "/bin/bash", "-c", pcmkLaunch)
	n.cmd.Env = append(os.Environ(), "N="+n.name, "D="+n.dir)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		n.b.Fatalf("%s: start: %v", n.name, err)
	}
}

// init is the PID namespace's first process (the launcher), as seen from
// here, or 0.
func (n *pcmkNode) init() int {
	if n.cmd == nil || n.cmd.Process == nil || n.cmd.ProcessState != nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", n.cmd.Process.Pid, n.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// kill9 kills every process of the node at once (SIGKILL to the PID
// namespace's first process: the kernel kills the rest) and returns the
// time taken just before.
func (n *pcmkNode) kill9() time.Time {
	n.b.Helper()
	pid := n.init()
	if pid <= 0 {
		n.b.Fatalf("%s: not running", n.name)
	}
	at := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		n.b.Fatalf("%s: kill -9 %d: %v", n.name, pid, err)
	}
	n.cmd.Wait()
	return at
}

// kill ends the node if it still runs (cleanup).
func (n *pcmkNode) kill() {
	if pid := n.init(); pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if n.cmd != nil && n.cmd.ProcessState == nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
	}
	// The kernel ends the PID namespace's other processes after its
	// first one, not at once: wait for them, or the network's own
	// cleanup finds them still there.
	for i := 0; i < 200 && len(n.host.PIDs()) > 0; i++ {
		time.Sleep(25 * time.Millisecond)
	}
	if n.b.Failed() {
		for _, f := range []string{"corosync.log", "pacemaker.log"} {
			b, _ := os.ReadFile(filepath.Join(n.dir, f))
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			n.b.Logf("%s %s (tail):\n%s", n.name, f, b)
		}
	}
}

// tool runs one of Pacemaker's command-line tools inside the node's
// namespaces, where its IPC reaches the node's daemons.
func (n *pcmkNode) tool(args ...string) (string, error) {
	pid := n.init()
	if pid <= 0 {
		return "", fmt.Errorf("%s: not running", n.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(pid), "-n", "-m", "-u", "-p", "--"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// nodeTicks sums the CPU time (user + system, with what reaped children
// used, in clock ticks) of every process in host h's network namespace:
// a fork that came and went between two samples (an agent's monitor) is
// counted in whoever reaped it. rssKB and procs count the processes
// keep selects (the launchers are left out).
func nodeTicks(h *netnstest.Host, keep func(comm string) bool) (ticks, rssKB int64, procs int) {
	for _, pid := range h.PIDs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i {
			continue
		}
		comm := s[i+1 : j]
		// After ")": state is field 3; utime, stime, cutime, cstime are
		// fields 14–17.
		if f := strings.Fields(s[j+1:]); len(f) > 14 {
			for _, v := range f[11:15] {
				t, _ := strconv.ParseInt(v, 10, 64)
				ticks += t
			}
		}
		if !keep(comm) {
			continue
		}
		procs++
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(st), "\n") {
			if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				rssKB += v
			}
		}
	}
	return ticks, rssKB, procs
}

// notLauncher leaves out unshare, nsenter and the launcher's shell and
// sleeps.
func notLauncher(comm string) bool {
	switch comm {
	case "unshare", "nsenter", "bash", "sh", "sleep", "ip":
		return false
	}
	return true
}

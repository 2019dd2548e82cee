package netns

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// Debian's ccm clients (package heartbeat).
const (
	ccmBin        = "/usr/libexec/heartbeat/ccm"
	ccmTestClient = "/usr/libexec/heartbeat/ccm_testclient"
	clmTest       = "/usr/libexec/heartbeat/clmtest"
)

func requireCCM(t *testing.T) {
	t.Helper()
	clustertest.RequireHeartbeat(t)
	for _, p := range []string{ccmBin, ccmTestClient, clmTest} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (Debian package heartbeat)", p)
		}
	}
}

// ccmSpec: every node's ha.cf asks for ccm with heartbeat's respawn line;
// hbd runs its built-in CCM for it unless extra says hbd_ccm respawn.
func ccmSpec(extra string) clustertest.Spec {
	return clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "10",
		Extra: "auto_failback off\nrespawn hacluster " + ccmBin + "\n" + extra}
}

// membership is what a ccm client reports: the instance, the members
// with their born instance, and quorum.
type membership struct {
	Instance int
	Members  string // "node1:2 node2:1", sorted by name
	Quorum   bool
}

func (m membership) names() string {
	var b []string
	for _, f := range strings.Fields(m.Members) {
		b = append(b, f[:strings.IndexByte(f, ':')])
	}
	return strings.Join(b, " ")
}

func (m membership) String() string {
	return fmt.Sprintf("instance %d [%s] quorum %v", m.Instance, m.Members, m.Quorum)
}

// ccmClient runs ccm_testclient in a daemon's namespaces (its /run holds
// the ccm socket) and keeps the last membership it printed.
type ccmClient struct {
	name string
	mu   sync.Mutex
	last membership
	seen int // memberships printed
	log  strings.Builder
}

var (
	reEvent  = regexp.MustCompile(`event=([A-Z ]+):`)
	reInst   = regexp.MustCompile(`info: instance=(\d+)`)
	reMember = regexp.MustCompile(`nodeid=\d+, uname=(\S+), born=(-?\d+)`)
)

// startCCMClient starts ccm_testclient on d, again whenever it exits while
// the daemon runs (before ccm's socket exists, the client gives up).
func startCCMClient(t *testing.T, d *clustertest.Daemon) *ccmClient {
	t.Helper()
	c := &ccmClient{name: d.Name}
	runClient(t, d, ccmTestClient, c.read, &c.mu, &c.log)
	return c
}

// runClient runs a ccm client program on d (again whenever it exits
// while the daemon runs) and hands its output to read.
func runClient(t *testing.T, d *clustertest.Daemon, prog string, read func(io.Reader), mu *sync.Mutex, log *strings.Builder) {
	t.Helper()
	for i := 0; !d.Running() && i < 200; i++ {
		time.Sleep(10 * time.Millisecond) // unshare forks the daemon
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(d.Pid()), "-m", "-n", "-p", "--",
		"/bin/sh", "-c", "while :; do stdbuf -oL "+prog+" 2>&1; sleep 0.2; done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { read(out); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("%s %s:\n%s", d.Name, filepath.Base(prog), log.String())
			mu.Unlock()
		}
	})
}

// clmClient runs clmtest (libclm's membership tracking) and keeps the
// last view it printed: the view number and the members' names.
type clmClient struct {
	mu   sync.Mutex
	view int
	mem  string
	log  strings.Builder
}

var (
	reView  = regexp.MustCompile(`viewNumber = (\d+)`)
	reName  = regexp.MustCompile(`nodeName = (\S+)`)
	reIsMem = regexp.MustCompile(`member = (\d)`)
)

func startCLMClient(t *testing.T, d *clustertest.Daemon) *clmClient {
	t.Helper()
	c := &clmClient{}
	runClient(t, d, clmTest, c.read, &c.mu, &c.log)
	return c
}

func (c *clmClient) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	in := false
	view, name := 0, ""
	var members []string
	for sc.Scan() {
		line := sc.Text()
		c.mu.Lock()
		c.log.WriteString(line + "\n")
		c.mu.Unlock()
		switch {
		case strings.Contains(line, "Track Callback BEGIN"):
			in, view, members = true, 0, nil
		case !in:
		case reView.MatchString(line):
			view, _ = strconv.Atoi(reView.FindStringSubmatch(line)[1])
		case reName.MatchString(line):
			name = reName.FindStringSubmatch(line)[1]
		case reIsMem.MatchString(line):
			if reIsMem.FindStringSubmatch(line)[1] == "1" {
				members = append(members, name)
			}
		case strings.Contains(line, "Track Callback END"):
			slices.Sort(members)
			c.mu.Lock()
			c.view, c.mem = view, strings.Join(members, " ")
			c.mu.Unlock()
			in = false
		}
	}
}

// clmAgrees waits a little for clmtest on node to report m's view.
// clmtest reports changes only: one started after m formed has nothing to
// say until the next.
func clmAgrees(t *testing.T, node string, c *clmClient, m membership) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		view, mem := c.view, c.mem
		c.mu.Unlock()
		if view == 0 && time.Now().After(deadline.Add(-4*time.Second)) {
			return
		}
		if view == m.Instance && mem == m.names() {
			t.Logf("%s: clmtest view %d [%s]", node, view, mem)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: clmtest reports view %d [%s], ccm_testclient %v", node, view, mem, m)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *ccmClient) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	var kind string
	var cur membership
	var members []string
	inList := false
	for sc.Scan() {
		line := sc.Text()
		c.mu.Lock()
		c.log.WriteString(line + "\n")
		c.mu.Unlock()
		switch {
		case strings.Contains(line, "IPC broken"):
			// ccm went away (its node stopped or restarted): the
			// membership it reported no longer holds.
			c.mu.Lock()
			c.last = membership{}
			c.mu.Unlock()
		case reEvent.MatchString(line):
			kind = reEvent.FindStringSubmatch(line)[1]
			cur, members, inList = membership{}, nil, false
		case reInst.MatchString(line):
			cur.Instance, _ = strconv.Atoi(reInst.FindStringSubmatch(line)[1])
		case strings.Contains(line, "NODES IN THE PRIMARY MEMBERSHIP"):
			inList = true
		case inList && reMember.MatchString(line):
			m := reMember.FindStringSubmatch(line)
			members = append(members, m[1]+":"+m[2])
		case strings.Contains(line, "-----------------------"):
			if kind == "NEW MEMBERSHIP" || kind == "NO QUORUM MEMBERSHIP" || kind == "PRIMARY RESTORED" {
				slices.Sort(members)
				cur.Members = strings.Join(members, " ")
				cur.Quorum = kind != "NO QUORUM MEMBERSHIP"
				c.mu.Lock()
				c.last, c.seen = cur, c.seen+1
				c.mu.Unlock()
			}
			kind, inList = "", false
		default:
			if inList && !strings.Contains(line, "nodeid=") {
				inList = false
			}
		}
	}
}

func (c *ccmClient) membership() (membership, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.seen
}

// agree waits until the clients of the given nodes report the same
// membership, with the members want (names) and quorum q, and returns it.
func agree(t *testing.T, step string, clients map[string]*ccmClient, nodes []string, want string, q bool) membership {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	var got []membership
	for {
		got = got[:0]
		ok := true
		for _, n := range nodes {
			m, seen := clients[n].membership()
			got = append(got, m)
			if seen == 0 || m.names() != want || m.Quorum != q || m != got[0] {
				ok = false
			}
		}
		if ok {
			t.Logf("%s: %v on %v", step, got[0], nodes)
			return got[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: clients on %v report %v, want [%s] quorum %v on all", step, nodes, got, want, q)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var reClStatus = regexp.MustCompile(`(?s)ccm membership (with|WITHOUT) quorum\n\tinstance (\d+)\n\tmembers \d+\n(.*?)\n\t(?:member|not member)`)

// clStatusAgrees checks that cl_status hbstatus -v on d shows m (its ccm
// section is printed whenever the pair arrives in one read; heartbeat's
// real ccm writes two frames and cl_status may miss the second: that
// alone is not a failure).
func clStatusAgrees(t *testing.T, d *clustertest.Daemon, m membership) {
	t.Helper()
	out, err := d.InNamespaces("cl_status", "hbstatus", "-v")
	if err != nil {
		t.Errorf("%s: cl_status hbstatus -v: %v\n%s", d.Name, err, out)
		return
	}
	s := reClStatus.FindStringSubmatch(out)
	if s == nil {
		if !d.Heartbeat() {
			t.Errorf("%s: cl_status hbstatus -v has no ccm section (hbd writes the pair at once):\n%s", d.Name, out)
		}
		return
	}
	var members []string
	for _, l := range strings.Split(s[3], "\n") {
		f := strings.Fields(l) // "1 node2 (born: 1)"
		if len(f) == 4 {
			members = append(members, f[1]+":"+strings.TrimSuffix(f[3], ")"))
		}
	}
	slices.Sort(members)
	inst, _ := strconv.Atoi(s[2])
	got := membership{Instance: inst, Members: strings.Join(members, " "), Quorum: s[1] == "with"}
	if got != m {
		t.Errorf("%s: cl_status shows %v, clients %v", d.Name, got, m)
	}
}

// ccmRunDir makes the daemon's /run/heartbeat and its ccm directory as
// Debian's package does (ccm: 750 hacluster:haclient): the real ccm, running as hacluster,
// creates its socket there.
func ccmRunDir(t *testing.T, d *clustertest.Daemon) {
	t.Helper()
	// /var/run/heartbeat is 755: ccm reaches the API socket in it.
	if err := os.MkdirAll(d.Dir+"/run/heartbeat", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := d.Dir + "/run/heartbeat/ccm"
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup("hacluster")
	if err != nil {
		t.Skipf("no hacluster user: %v", err)
	}
	g, err := user.LookupGroup("haclient")
	if err != nil {
		t.Skipf("no haclient group: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
}

// ccmMetrics is where the hbd nodes of the CCM tests serve their metrics.
const ccmMetrics = "127.0.0.1:9694"

// metricsAgree checks that d's metrics show m.
func metricsAgree(t *testing.T, d *clustertest.Daemon, m membership) {
	t.Helper()
	q := 0
	if m.Quorum {
		q = 1
	}
	want := []string{fmt.Sprintf("hbd_ccm_instance %d", m.Instance),
		fmt.Sprintf("hbd_ccm_members %d", len(strings.Fields(m.Members))), fmt.Sprintf("hbd_ccm_quorum %d", q)}
	var page string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, _ = scrape(d.Host, ccmMetrics)
		lines := strings.Split(page, "\n")
		if !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(lines, w) }) {
			return
		}
	}
	t.Errorf("%s: metrics do not show %v:\n%s", d.Name, want, grepLines(page, "hbd_ccm"))
}

// ccmTimeline runs the 3-node timeline: startup, kill -9 of one node, a
// single node left without quorum, rejoins, a clean shutdown, a partition
// and its heal; the ccm clients of all live nodes must agree at each
// step. hb marks the nodes that run heartbeat 3.0.6 and its real ccm.
func ccmTimeline(t *testing.T, hb map[int]bool, extra string) {
	spec := ccmSpec(extra)
	net := netnstest.New(t, netnstest.Config{Hosts: 3})
	ds := map[string]*clustertest.Daemon{}
	var names []string
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("node%d", i)
		var d *clustertest.Daemon
		if hb[i] {
			d = clustertest.NewHeartbeat(t, net.Host(i), name, func(log string) string { return spec.HaCF(net, i, log) })
		} else {
			d = clustertest.NewHBD(t, net.Host(i), name, func(log string) string {
				return spec.HaCF(net, i, log) + "hbd_metrics_listen " + ccmMetrics + "\n"
			})
			net.Host(i).Exec("ip", "link", "set", "lo", "up")
			// The clients find ccm's socket at /var/run/heartbeat/ccm/ccm.
			d.Binds = append(d.Binds, [2]string{d.Dir + "/run", "/run"})
		}
		// Membership only (-M): a heal makes heartbeat's resource layer
		// (and hbd's, as heartbeat's) restart the partitioned nodes a
		// few seconds later, racing the heal's check (CI saw it once),
		// and heartbeat 3.0.6's restart does not come back in these
		// namespaces.
		d.Flags = append(d.Flags, "-M")
		ccmRunDir(t, d)
		ds[name] = d
		names = append(names, name)
	}
	clients := map[string]*ccmClient{}
	clms := map[string]*clmClient{}
	start := func(ns ...string) {
		for _, n := range ns {
			ds[n].Start()
		}
		for _, n := range ns {
			clients[n] = startCCMClient(t, ds[n])
			clms[n] = startCLMClient(t, ds[n])
		}
	}
	check := func(step string, nodes []string, q bool) {
		t.Helper()
		m := agree(t, step, clients, nodes, strings.Join(nodes, " "), q)
		for _, n := range nodes {
			clStatusAgrees(t, ds[n], m)
			clmAgrees(t, n, clms[n], m)
			if !ds[n].Heartbeat() {
				metricsAgree(t, ds[n], m)
			}
		}
	}
	start(names...)
	check("startup", names, true)
	// Every node's ccm is an online client, the built-in one too.
	for _, asker := range names {
		for _, target := range names {
			out, err := ds[asker].InNamespaces("cl_status", "clientstatus", target, "ccm")
			if err != nil || out != "online" {
				t.Errorf("on %s, cl_status clientstatus %s ccm: %q (%v), want online", asker, target, out, err)
			}
		}
	}

	ds["node3"].Kill9()
	check("kill -9 node3", []string{"node1", "node2"}, true)
	ds["node2"].Kill9()
	check("node1 alone", []string{"node1"}, false)

	start("node2", "node3")
	check("rejoin", names, true)

	ds["node1"].Stop()
	check("shutdown node1", []string{"node2", "node3"}, true)
	start("node1")
	check("rejoin node1", names, true)

	// Last: with resources managed, a heal would restart nodes (see -M
	// above).
	net.Host(3).Block(0)
	check("partition: majority", []string{"node1", "node2"}, true)
	check("partition: node3", []string{"node3"}, false)
	net.Host(3).Unblock(0)
	check("heal", names, true)
	for _, n := range names {
		if d := ds[n]; !d.Heartbeat() {
			for _, l := range strings.Split(d.Log.Text(), "\n") {
				if i := strings.Index(l, "ERROR:"); i >= 0 && strings.Contains(strings.ReplaceAll(l[i:], d.Dir, ""), "ccm") {
					t.Errorf("%s: %s", n, l)
				}
			}
		}
	}
}

// Three hbd nodes with the built-in CCM: Debian's ccm_testclient and
// cl_status see one membership on every node through the timeline.
func TestCCMBuiltin(t *testing.T) {
	requireCCM(t)
	ccmTimeline(t, nil, "")
}

// Heartbeat 3.0.6 with its real ccm on one or two nodes, hbd's built-in
// CCM on the others: the same memberships on all of them.
func TestCCMMixed(t *testing.T) {
	requireCCM(t)
	t.Run("heartbeat node1", func(t *testing.T) { ccmTimeline(t, map[int]bool{1: true}, "") })
	t.Run("heartbeat node1 node2", func(t *testing.T) { ccmTimeline(t, map[int]bool{1: true, 2: true}, "") })
}

// hbd_ccm respawn hosts the real ccm binary as before: its clients see the
// cluster's membership on every node.
func TestCCMRespawn(t *testing.T) {
	requireCCM(t)
	spec := ccmSpec("hbd_ccm respawn\n")
	spec.Nodes = 2
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	clients := map[string]*ccmClient{}
	var ds []*clustertest.Daemon
	for i := 1; i <= 2; i++ {
		d := clustertest.NewHBD(t, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) })
		d.Binds = append(d.Binds, [2]string{d.Dir + "/run", "/run"})
		ccmRunDir(t, d)
		d.Start()
		ds = append(ds, d)
	}
	for _, d := range ds {
		clients[d.Name] = startCCMClient(t, d)
	}
	agree(t, "startup", clients, []string{"node1", "node2"}, "node1 node2", true)
	for _, d := range ds {
		if _, ok := d.Log.Find("running ccm in-process", time.Time{}); ok {
			t.Errorf("%s: hbd_ccm respawn ran the built-in CCM", d.Name)
		}
		if _, ok := d.Log.Find(`Starting "`+ccmBin+`"`, time.Time{}); !ok {
			t.Errorf("%s: the real ccm was not started", d.Name)
		}
		// At info, as heartbeat logs it (hbd said ERROR).
		if _, ok := d.Log.Find("info: the send queue length from heartbeat to client ccm is set to 1024", time.Time{}); !ok {
			t.Errorf("%s: ccm's set_sendqlen not logged at info", d.Name)
		}
	}
}

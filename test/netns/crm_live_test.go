package netns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/ipc"
)

// hbctl is built once for the tests that run Pacemaker's tools against
// the running daemons.
var hbctlBuild struct {
	once sync.Once
	path string
	err  error
}

func hbctlBin(t *testing.T) string {
	t.Helper()
	hbctlBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "hbctl-live-")
		if err != nil {
			hbctlBuild.err = err
			return
		}
		bin := filepath.Join(dir, "hbctl")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/hbd-ha/hbd/cmd/hbctl").CombinedOutput()
		if err != nil {
			hbctlBuild.err = fmt.Errorf("build hbctl: %v\n%s", err, out)
			return
		}
		hbctlBuild.path = bin
	})
	if hbctlBuild.err != nil {
		t.Fatal(hbctlBuild.err)
	}
	return hbctlBuild.path
}

// liveTool runs one of hbctl's Pacemaker tools against daemon d's CIB
// socket (in its run directory, seen from the host).
func liveTool(t *testing.T, d *clustertest.Daemon, tool string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(hbctlBin(t), append([]string{tool}, args...)...)
	cmd.Env = append(os.Environ(), "HBD_LRM_DIR="+filepath.Join(d.Dir, "run", "heartbeat"), "CIB_file=", "TZ=UTC")
	return runCmd(t, cmd)
}

// runCmd runs cmd and returns its output and exit code; a command that
// cannot be run fails the test with exit code -1 (Errorf: the writers
// call this from their goroutines).
func runCmd(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Errorf("%v: %v", cmd.Args, err)
		rc = -1
	}
	return out.String(), errb.String(), rc
}

// crmLiveCluster starts three nodes with pacemaker on and crmCIB, and
// waits until every node names the same DC; it returns the daemons, the
// Dummy's state directories by node and the DC.
func crmLiveCluster(t *testing.T) ([]*clustertest.Daemon, map[string]string, string) {
	t.Helper()
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	hbctlBin(t)
	// No node is meant to fail here: a deadtime of 3 s keeps a loaded
	// machine's stalls from declaring one dead.
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "3", Initdead: "5",
		Extra: "pacemaker on\n"}
	ds, rsctmp := crmNodes(t, spec, crmCIB, nil)
	start := time.Now()
	for _, d := range ds {
		d.Start()
	}
	dcRE := regexp.MustCompile(`crm: the DC is "([^"]*)"`)
	dcOf := func(d *clustertest.Daemon) string {
		dc := ""
		for _, l := range d.Log.Since(start) {
			if m := dcRE.FindStringSubmatch(l.Text); m != nil {
				dc = m[1]
			}
		}
		return dc
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var names []string
		for _, d := range ds {
			names = append(names, dcOf(d))
		}
		if names[0] != "" && names[0] == names[1] && names[1] == names[2] {
			t.Logf("the DC is %s, %v after the start", names[0], time.Since(start).Round(time.Millisecond))
			return ds, rsctmp, names[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes name the DCs %v", names)
		}
	}
}

var epochRE = regexp.MustCompile(`<cib [^>]*\bepoch="(\d+)"`)

// TestCRMLive: Pacemaker's tools against the running cluster, without
// CIB_file: concurrent cibadmin -M from two nodes go through the DC and
// none is lost, and every node ends with the same CIB version;
// crm_resource --move/--clear, crm_standby, crm_attribute -l reboot and
// crm_resource --cleanup act on the cluster from any node.
func TestCRMLive(t *testing.T) {
	ds, rsctmp, dc := crmLiveCluster(t)
	var writers []*clustertest.Daemon
	for _, d := range ds {
		if d.Name != dc {
			writers = append(writers, d)
		}
	}
	// (a) 2 × 20 updates, each a distinct nvpair, from the two nodes that
	// are not the DC at once: every one is forwarded to the DC.
	const per = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat []time.Duration
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				id := fmt.Sprintf("live-%s-%d", w.Name, i)
				x := `<cluster_property_set id="opts"><nvpair id="` + id + `" name="` + id + `" value="` + fmt.Sprint(i) + `"/></cluster_property_set>`
				t0 := time.Now()
				out, errs, rc := liveTool(t, w, "cibadmin", "-M", "-o", "crm_config", "-X", x)
				if rc != 0 {
					t.Errorf("%s: cibadmin -M %s: exit %d: %s%s", w.Name, id, rc, out, errs)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	slices.Sort(lat)
	t.Logf("cibadmin -M through the DC (process start included): median %v, max %v over %d", lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), len(lat))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var epochs []string
		missing := ""
		for _, d := range ds {
			out, errs, rc := liveTool(t, d, "cibadmin", "-Q")
			if rc != 0 {
				t.Fatalf("%s: cibadmin -Q: exit %d: %s", d.Name, rc, errs)
			}
			m := epochRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("%s: cibadmin -Q without an epoch:\n%s", d.Name, out)
			}
			epochs = append(epochs, m[1])
			for _, w := range writers {
				for i := range per {
					if id := fmt.Sprintf(`id="live-%s-%d"`, w.Name, i); !strings.Contains(out, id) && missing == "" {
						missing = d.Name + " lacks " + id
					}
				}
			}
		}
		if missing == "" && epochs[0] == epochs[1] && epochs[1] == epochs[2] {
			t.Logf("every node holds the %d updates at epoch %s", 2*per, epochs[0])
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the updates: %s; epochs %v", missing, epochs)
		}
	}

	// The round trip itself, without the tool's process start: a client
	// on a node that is not the DC and one on the DC.
	for _, d := range []*clustertest.Daemon{writers[0], byDCName(ds, dc)} {
		t.Logf("modify round trip from %s (DC %s): median %v over 20", d.Name, dc, modifyRoundTrip(t, d, 20))
	}

	byName := map[string]*clustertest.Daemon{}
	for _, d := range ds {
		byName[d.Name] = d
	}
	running := func(name string) bool {
		_, err := os.Stat(filepath.Join(rsctmp[name], "Dummy-d1.state"))
		return err == nil
	}
	// waitOn waits until d1 runs on want only, never on two nodes.
	waitOn := func(want string, timeout time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
			var on []string
			for _, d := range ds {
				if running(d.Name) {
					on = append(on, d.Name)
				}
			}
			if len(on) > 1 {
				t.Fatalf("d1 runs on %v", on)
			}
			if len(on) == 1 && (want == "" || on[0] == want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("d1 runs on %v, not on %q, after %v", on, want, timeout)
			}
		}
	}
	holder := func() string {
		waitOn("", 20*time.Second)
		for _, d := range ds {
			if running(d.Name) {
				return d.Name
			}
		}
		return ""
	}
	// A tool run from a node that is not the DC.
	other := writers[0]
	mustTool := func(d *clustertest.Daemon, tool string, args ...string) string {
		t.Helper()
		out, errs, rc := liveTool(t, d, tool, args...)
		if rc != 0 {
			t.Fatalf("%s: %s %v: exit %d\n%s%s", d.Name, tool, args, rc, out, errs)
		}
		return out
	}

	// (b) crm_resource --move to another node, then --clear.
	phase := time.Now()
	from := holder()
	t.Logf("d1 runs on %s (waited %v)", from, time.Since(phase).Round(time.Millisecond))
	target := ""
	for _, d := range ds {
		if d.Name != from {
			target = d.Name
			break
		}
	}
	moved := time.Now()
	mustTool(other, "crm_resource", "--move", "-r", "d1", "-N", target)
	waitOn(target, 20*time.Second)
	t.Logf("crm_resource --move: d1 on %s %v after the command", target, time.Since(moved).Round(time.Millisecond))
	if out := mustTool(byName[dc], "cibadmin", "-Q", "-o", "constraints"); !strings.Contains(out, "cli-prefer-d1") {
		t.Fatalf("no cli-prefer-d1 constraint after --move:\n%s", out)
	}
	mustTool(other, "crm_resource", "--clear", "-r", "d1")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := mustTool(byName[target], "cibadmin", "-Q", "-o", "constraints")
		if !strings.Contains(out, "cli-prefer-d1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cli-prefer-d1 still there after --clear:\n%s", out)
		}
	}

	// (c) crm_standby moves d1 off its node; off brings the node back.
	phase = time.Now()
	on := holder()
	mustTool(other, "crm_standby", "-v", "on", "-N", on)
	for deadline := time.Now().Add(20 * time.Second); running(on); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("d1 still on %s in standby", on)
		}
	}
	next := holder()
	if next == on {
		t.Fatalf("d1 back on %s in standby", on)
	}
	if out := mustTool(other, "crm_standby", "-G", "-N", on); !strings.Contains(out, "value=on") {
		t.Errorf("crm_standby -G after -v on: %q", out)
	}
	if out := mustTool(other, "crm_mon", "-1"); !strings.Contains(out, "Node "+on+": standby") {
		t.Errorf("crm_mon -1 does not show %s in standby:\n%s", on, out)
	}
	mustTool(other, "crm_standby", "-v", "off", "-N", on)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := mustTool(byName[on], "crm_mon", "-1")
		if !strings.Contains(out, "standby") && strings.Contains(out, on) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still in standby after -v off:\n%s", on, out)
		}
	}
	holder()

	t.Logf("standby on and off: %v", time.Since(phase).Round(time.Millisecond))
	phase = time.Now()

	// (d) a transient attribute through the controller, seen by crm_mon -A
	// on another node.
	mustTool(other, "crm_attribute", "-l", "reboot", "-N", target, "-n", "live-attr", "-v", "42")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := mustTool(byName[dc], "crm_mon", "-1", "-A")
		if strings.Contains(out, "live-attr") && strings.Contains(out, "42") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("crm_mon -A lacks live-attr=42:\n%s", out)
		}
	}
	if out := mustTool(byName[target], "crm_attribute", "-l", "reboot", "-N", target, "-n", "live-attr", "-G", "-q"); strings.TrimSpace(out) != "42" {
		t.Errorf("crm_attribute -G of live-attr: %q", out)
	}

	t.Logf("transient attribute: %v", time.Since(phase).Round(time.Millisecond))
	phase = time.Now()

	// (e) a monitor failure leaves a fail count; crm_resource --cleanup
	// erases it (and the history: the resource is probed again).
	h := holder()
	if err := os.Remove(filepath.Join(rsctmp[h], "Dummy-d1.state")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := mustTool(other, "crm_failcount", "-G", "-q", "-r", "d1", "-N", h)
		if strings.TrimSpace(out) != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no fail count after the monitor failure")
		}
	}
	t.Logf("fail count after the monitor failure: %v", time.Since(phase).Round(time.Millisecond))
	holder()
	phase = time.Now()
	out := mustTool(other, "crm_resource", "--cleanup", "-r", "d1", "-N", h)
	if !strings.Contains(out, "Cleaned up d1 on "+h) {
		t.Errorf("crm_resource --cleanup printed %q", out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := mustTool(byName[dc], "crm_failcount", "-G", "-q", "-r", "d1", "-N", h)
		if strings.TrimSpace(out) == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fail count %q after the cleanup", out)
		}
	}
	t.Logf("cleanup: %v", time.Since(phase).Round(time.Millisecond))
	holder()
}

func byDCName(ds []*clustertest.Daemon, name string) *clustertest.Daemon {
	for _, d := range ds {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// modifyRoundTrip sends n modifies on one connection to d's CIB socket
// and returns the median time to the DC's answer.
func modifyRoundTrip(t *testing.T, d *clustertest.Daemon, n int) time.Duration {
	t.Helper()
	c, err := net.Dial("unix", filepath.Join(d.Dir, "run", "heartbeat", cibipc.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var lat []time.Duration
	var in []byte
	buf := make([]byte, 64<<10)
	for i := range n {
		id := fmt.Sprintf("rt-%s-%d", d.Name, i)
		req := cibipc.Request{CallID: uint64(i + 1), Op: cibipc.OpModify, Section: "crm_config",
			Data: []byte(`<cluster_property_set id="opts"><nvpair id="` + id + `" name="` + id + `" value="1"/></cluster_property_set>`)}
		b, start := ipc.BeginFrame(nil)
		b = cibipc.AppendRequest(b, &req)
		b, _ = ipc.EndFrame(b, start, cibipc.MaxFrame)
		t0 := time.Now()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		for {
			body, k, err := ipc.SplitFrame(in, cibipc.MaxFrame)
			if err != nil {
				t.Fatal(err)
			}
			if k > 0 {
				r, err := cibipc.DecodeReply(body)
				in = in[k:]
				if err != nil || r.CallID != req.CallID || r.RC != 0 {
					t.Fatalf("reply %+v, %v", r, err)
				}
				break
			}
			m, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			in = append(in, buf[:m]...)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	return lat[len(lat)/2].Round(time.Microsecond)
}

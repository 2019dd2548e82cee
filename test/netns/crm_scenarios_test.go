package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// The 3-node pacemaker-on scenarios that TestCRMFailover and
// TestCRMLive leave out: a partition and its heal with one CIB, the
// newest; every node restarted with the CIB persisted; a promotable
// clone's failover. Each checks all along that no primitive is active on
// two nodes while the network holds.

// crmScene is a 3-node pacemaker-on cluster whose agents keep their
// state in a directory per node (HA_RSCTMP).
type crmScene struct {
	t      *testing.T
	ds     []*clustertest.Daemon
	rsctmp map[string]string
	start  time.Time
}

// crmNodes builds spec's hbd nodes (pacemaker on in spec.Extra), each
// with cibXML as its cib.xml and a directory of its own as HA_RSCTMP (by
// node name in rsctmp); setup, if any, adjusts a node before it starts.
// None is started.
func crmNodes(t *testing.T, spec clustertest.Spec, cibXML string, setup func(d *clustertest.Daemon)) (ds []*clustertest.Daemon, rsctmp map[string]string) {
	t.Helper()
	net := netnstest.New(t, netnstest.Config{Hosts: spec.Nodes, Links: 1})
	rsctmp = map[string]string{}
	for i := 1; i <= spec.Nodes; i++ {
		name := fmt.Sprintf("node%d", i)
		d := clustertest.NewHBD(t, net.Host(i), name, func(logfile string) string { return spec.HaCF(net, i, logfile) })
		crm := filepath.Join(d.Dir, "state", "crm")
		if err := os.MkdirAll(crm, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crm, "cib.xml"), []byte(cibXML), 0o600); err != nil {
			t.Fatal(err)
		}
		rsctmp[name] = filepath.Join(d.Dir, "rsctmp")
		if err := os.MkdirAll(rsctmp[name], 0o755); err != nil {
			t.Fatal(err)
		}
		d.Env = []string{"HA_RSCTMP=" + rsctmp[name]}
		if setup != nil {
			setup(d)
		}
		ds = append(ds, d)
	}
	return ds, rsctmp
}

// newCRMScene builds three nodes with cibXML as every node's cib.xml and
// starts them; env adds to a node's environment. Deadtime is 2 s: nodes
// are meant to fail here, and a loaded machine's stalls stay below it.
func newCRMScene(t *testing.T, cibXML string, env func(d *clustertest.Daemon) []string) *crmScene {
	t.Helper()
	spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: "100ms", Deadtime: "2", Initdead: "5",
		Extra: "pacemaker on\n"}
	s := &crmScene{t: t}
	s.ds, s.rsctmp = crmNodes(t, spec, cibXML, func(d *clustertest.Daemon) {
		if env != nil {
			d.Env = append(d.Env, env(d)...)
		}
	})
	s.start = time.Now()
	for _, d := range s.ds {
		d.Start()
	}
	return s
}

func (s *crmScene) node(name string) *clustertest.Daemon {
	for _, d := range s.ds {
		if d.Name == name {
			return d
		}
	}
	s.t.Fatalf("no node %s", name)
	return nil
}

// others are the nodes but name.
func (s *crmScene) others(name string) []*clustertest.Daemon {
	var out []*clustertest.Daemon
	for _, d := range s.ds {
		if d.Name != name {
			out = append(out, d)
		}
	}
	return out
}

// active returns the nodes among ds whose agent state file (a glob in
// HA_RSCTMP) exists with content containing want ("" any).
func (s *crmScene) active(ds []*clustertest.Daemon, glob, want string) []string {
	var on []string
	for _, d := range ds {
		files, _ := filepath.Glob(filepath.Join(s.rsctmp[d.Name], glob))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && strings.Contains(string(b), want) {
				on = append(on, d.Name)
				break
			}
		}
	}
	return on
}

// wipe removes a node's agent state, as a reboot clears HA_RSCTMP.
func (s *crmScene) wipe(name string) {
	files, _ := filepath.Glob(filepath.Join(s.rsctmp[name], "*"))
	for _, f := range files {
		os.Remove(f)
	}
}

// watch checks, every 20 ms until the test ends, that at most one of the
// nodes that run and are connected (all but those paused) has glob's
// state holding want; a violation fails the test at its end.
type crmWatch struct {
	paused atomic.Bool
	down   sync.Map // node name → true: killed or isolated, not counted
	stop   chan struct{}
	done   chan struct{}
	bad    atomic.Value
}

func (s *crmScene) watch(glob, want string) *crmWatch {
	w := &crmWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if w.paused.Load() {
				continue
			}
			var live []*clustertest.Daemon
			for _, d := range s.ds {
				if _, gone := w.down.Load(d.Name); !gone {
					live = append(live, d)
				}
			}
			if on := s.active(live, glob, want); len(on) > 1 && w.bad.Load() == nil {
				w.bad.Store(fmt.Sprintf("%s %q on %v at %s", glob, want, on, time.Now().Format("15:04:05.000")))
			}
		}
	}()
	s.t.Cleanup(func() { w.check(s.t) })
	return w
}

// check stops the watch and fails the test on a violation seen.
func (w *crmWatch) check(t *testing.T) {
	t.Helper()
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	if v := w.bad.Load(); v != nil {
		t.Errorf("active on two connected nodes: %s", v)
	}
}

// waitActive waits until glob's state holding want is on exactly n of
// ds (and, with only non-empty, on that node), and returns them.
func (s *crmScene) waitActive(ds []*clustertest.Daemon, glob, want string, n int, only string, timeout time.Duration) []string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		on := s.active(ds, glob, want)
		if len(on) == n && (only == "" || n == 1 && on[0] == only) {
			return on
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s %q active on %v, want %d node(s) %s, after %v", glob, want, on, n, only, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var dcLineRE = regexp.MustCompile(`crm: the DC is "([^"]*)"`)

// dcOf is the DC node d last named since since ("" none).
func dcOf(d *clustertest.Daemon, since time.Time) string {
	dc := ""
	for _, l := range d.Log.Since(since) {
		if m := dcLineRE.FindStringSubmatch(l.Text); m != nil {
			dc = m[1]
		}
	}
	return dc
}

// waitDC waits until every node of ds names the same DC since since.
func (s *crmScene) waitDC(ds []*clustertest.Daemon, since time.Time, timeout time.Duration) string {
	s.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		var names []string
		same := true
		for _, d := range ds {
			names = append(names, dcOf(d, since))
			if names[len(names)-1] == "" || names[len(names)-1] != names[0] {
				same = false
			}
		}
		if same {
			return names[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the nodes name the DCs %v", names)
		}
	}
}

// diskCIB reads node d's persisted CIB as the daemon does at start (the
// digest in cib.xml.sig checked); it fails the test unless cib.xml itself
// (not a backup) is what loads.
func (s *crmScene) diskCIB(d *clustertest.Daemon) *cib.CIB {
	s.t.Helper()
	dir := store.Dir{Path: filepath.Join(d.Dir, "state", "crm")}
	data, from, err := dir.Load(cib.CheckDisk)
	if err != nil || data == nil {
		s.t.Fatalf("%s: no CIB on disk: %v", d.Name, err)
	}
	if filepath.Base(from) != "cib.xml" {
		s.t.Fatalf("%s: cib.xml did not load, %s did", d.Name, from)
	}
	if _, err := os.Stat(filepath.Join(dir.Path, "cib.xml.sig")); err != nil {
		s.t.Fatalf("%s: %v", d.Name, err)
	}
	c, err := cib.ParseCIB(data)
	if err != nil {
		s.t.Fatalf("%s: %v", d.Name, err)
	}
	return c
}

// writeDiskCIB writes c as node d's cib.xml with its digest (the daemon
// is stopped).
func writeDiskCIB(t *testing.T, d *clustertest.Daemon, c *cib.CIB) {
	t.Helper()
	dir := store.Dir{Path: filepath.Join(d.Dir, "state", "crm"), Backups: 10}
	if err := dir.Save(c.Bytes(), cib.Digest(c.Root)); err != nil {
		t.Fatal(err)
	}
}

var configRE = regexp.MustCompile(`(?s)<configuration>.*</configuration>`)

// liveCIBs returns every node's cibadmin -Q: its version and its
// configuration section.
func (s *crmScene) liveCIBs(ds []*clustertest.Daemon) (versions []cib.Version, configs []string) {
	s.t.Helper()
	for _, d := range ds {
		out, errs, rc := liveTool(s.t, d, "cibadmin", "-Q")
		if rc != 0 {
			s.t.Fatalf("%s: cibadmin -Q: exit %d: %s", d.Name, rc, errs)
		}
		c, err := cib.ParseCIB([]byte(out))
		if err != nil {
			s.t.Fatalf("%s: cibadmin -Q: %v\n%s", d.Name, err, out)
		}
		versions = append(versions, c.Version())
		configs = append(configs, configRE.FindString(out))
	}
	return versions, configs
}

func allSame[T comparable](v []T) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// TestCRMPartitionNewestCIB: the holder of d1 is cut off (its link down):
// without quorum it stops d1 (no-quorum-policy=stop) while the majority
// starts it. Both sides' CIBs then move on apart: the majority changes
// its configuration through cibadmin -M (epoch + 1); the isolated node is
// restarted with a cib.xml edited to a higher epoch. After the heal the
// three nodes hold one CIB, the newest (the isolated node's), live and in
// their cib.xml; d1 runs on one node. Never on two connected nodes.
func TestCRMPartitionNewestCIB(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	hbctlBin(t)
	s := newCRMScene(t, crmCIB, nil)
	const d1 = "Dummy-d1.state"
	w := s.watch(d1, "")
	holder := s.waitActive(s.ds, d1, "", 1, "", 30*time.Second)[0]
	s.waitDC(s.ds, s.start, 30*time.Second)
	t.Logf("d1 runs on %s after %v", holder, time.Since(s.start).Round(time.Millisecond))

	// The partition: the holder alone.
	minority, majority := s.node(holder), s.others(holder)
	w.down.Store(holder, true)
	cut := time.Now()
	minority.Host.LinkDown(0)
	minority.Log.Wait(t, "quorum false", cut, 20*time.Second)
	s.waitActive([]*clustertest.Daemon{minority}, d1, "", 0, "", 20*time.Second)
	next := s.waitActive(majority, d1, "", 1, "", 20*time.Second)[0]
	t.Logf("partition: d1 stopped on %s, started on %s %v after the cut", holder, next, time.Since(cut).Round(time.Millisecond))
	majorityDC := s.waitDC(majority, s.start, 20*time.Second)

	// The majority changes its configuration through its DC.
	x := `<cluster_property_set id="opts"><nvpair id="majority-change" name="majority-change" value="1"/></cluster_property_set>`
	if out, errs, rc := liveTool(t, majority[0], "cibadmin", "-M", "-o", "crm_config", "-X", x); rc != 0 {
		t.Fatalf("%s: cibadmin -M: exit %d: %s%s", majority[0].Name, rc, out, errs)
	}
	var majorityVer cib.Version
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		vs, cs := s.liveCIBs(majority)
		if vs[0].Epoch == vs[1].Epoch && allSame(cs) && strings.Contains(cs[0], "majority-change") {
			majorityVer = vs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the majority's CIBs after cibadmin -M: %v", vs)
		}
	}

	// The isolated node: stopped, its cib.xml edited to a newer epoch
	// (as an operator would), started again, still cut off.
	minority.Kill9()
	data, err := os.ReadFile(filepath.Join(minority.Dir, "state", "crm", "cib.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cib.ParseCIB(data)
	if err != nil {
		t.Fatal(err)
	}
	set, err := cib.Parse([]byte(`<cluster_property_set id="opts"><nvpair id="minority-change" name="minority-change" value="1"/></cluster_property_set>`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(cib.Request{Op: cib.OpModify, Section: "crm_config", Data: set}); err != nil {
		t.Fatal(err)
	}
	c.Root.Set("epoch", fmt.Sprint(majorityVer.Epoch+5))
	newest := c.Version()
	writeDiskCIB(t, minority, c)
	restarted := time.Now()
	minority.Start()
	minority.Log.Wait(t, `crm: the DC is "`+holder+`"`, restarted, 30*time.Second)

	// The heal: one CIB, the newest, everywhere. The invariant holds
	// throughout: the built-in CCM once delivered, at the heal, the
	// majority's DC a membership without its other member, which then
	// started d1 on the healed node beside it (ccm TestHealKeepsMajority).
	w.down.Delete(holder)
	healed := time.Now()
	minority.Host.LinkUp(0)
	var config string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		vs, cs := s.liveCIBs(s.ds)
		// num_updates counts the status writes, which go on.
		epochs := make([]cib.Version, len(vs))
		for i, v := range vs {
			epochs[i] = cib.Version{AdminEpoch: v.AdminEpoch, Epoch: v.Epoch}
		}
		if allSame(epochs) && allSame(cs) && vs[0].Epoch == newest.Epoch && vs[0].AdminEpoch == newest.AdminEpoch {
			config = cs[0]
			t.Logf("one CIB %v on the three nodes %v after the heal", vs[0], time.Since(healed).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the heal: versions %v (newest %v), same configuration %v", vs, newest, allSame(cs))
		}
	}
	if !strings.Contains(config, `id="minority-change"`) || strings.Contains(config, `id="majority-change"`) {
		t.Fatalf("the configuration after the heal is not the newest (the isolated node's):\n%s", config)
	}
	dc := s.waitDC(s.ds, s.start, 20*time.Second)
	t.Logf("the DC after the heal is %s (the majority's was %s)", dc, majorityDC)
	s.waitActive(s.ds, d1, "", 1, "", 20*time.Second)
	// Persisted: every cib.xml holds it, with its digest.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var vs []cib.Version
		var cs []string
		for _, d := range s.ds {
			c := s.diskCIB(d)
			vs = append(vs, c.Version())
			cs = append(cs, string(c.Section("configuration").AppendXML(nil)))
		}
		ok := allSame(cs) && strings.Contains(cs[0], `id="minority-change"`)
		for _, v := range vs {
			ok = ok && v.AdminEpoch == newest.AdminEpoch && v.Epoch == newest.Epoch
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the nodes' cib.xml do not all hold the newest CIB")
		}
	}
	// The two nodes that were never cut off never lost each other: the
	// heal merged the minority into their membership (the CCM once
	// dissolved both sides, which gave the majority's DC a membership of
	// itself alone and then a quorate one without its partner).
	for _, d := range majority {
		for _, l := range d.Log.Since(healed) {
			_, rest, ok := strings.Cut(l.Text, "(lost [")
			if !ok {
				continue
			}
			lost, _, _ := strings.Cut(rest, "]")
			for _, o := range majority {
				if o != d && slices.Contains(strings.Fields(lost), o.Name) {
					t.Fatalf("%s lost %s at the heal: %s", d.Name, o.Name, l.Text)
				}
			}
		}
	}
	s.waitActive(s.ds, d1, "", 1, "", 20*time.Second)
	for range 25 {
		if on := s.active(s.ds, d1, ""); len(on) != 1 {
			t.Fatalf("d1 runs on %v after the heal", on)
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.check(t)
}

// TestCRMAllRestarted: a constraint added while the cluster runs
// (cibadmin -C on a node that is not the DC: the DC applies it and the
// others take its newer CIB) moves d1 to its node; then every node goes
// down at once (kill -9, HA_RSCTMP cleared as by a reboot). Each cib.xml
// holds the change with a digest that checks, and the restarted cluster
// runs d1 where the constraint says; never on two nodes.
func TestCRMAllRestarted(t *testing.T) {
	if _, err := os.Stat(dummyAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", dummyAgent)
	}
	hbctlBin(t)
	s := newCRMScene(t, crmCIB, nil)
	const d1 = "Dummy-d1.state"
	w := s.watch(d1, "")
	holder := s.waitActive(s.ds, d1, "", 1, "", 30*time.Second)[0]
	dc := s.waitDC(s.ds, s.start, 30*time.Second)
	// The target: a node that is not the holder; the tool runs on a node
	// that is not the DC.
	var target, via *clustertest.Daemon
	for _, d := range s.ds {
		if d.Name != holder && target == nil {
			target = d
		}
	}
	for _, d := range s.ds {
		if d.Name != dc && via == nil {
			via = d
		}
	}
	x := `<rsc_location id="loc-d1" rsc="d1" node="` + target.Name + `" score="INFINITY"/>`
	moved := time.Now()
	if out, errs, rc := liveTool(t, via, "cibadmin", "-C", "-o", "constraints", "-X", x); rc != 0 {
		t.Fatalf("%s: cibadmin -C: exit %d: %s%s", via.Name, rc, out, errs)
	}
	s.waitActive(s.ds, d1, "", 1, target.Name, 20*time.Second)
	t.Logf("d1 moved from %s to %s %v after the constraint (added on %s, DC %s)", holder, target.Name, time.Since(moved).Round(time.Millisecond), via.Name, dc)
	// Every node's cib.xml holds it.
	var want cib.Version
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ok := true
		var vs []cib.Version
		for _, d := range s.ds {
			b, _ := os.ReadFile(filepath.Join(d.Dir, "state", "crm", "cib.xml"))
			c, err := cib.ParseCIB(b)
			if err != nil || !strings.Contains(string(b), `id="loc-d1"`) {
				ok = false
				continue
			}
			vs = append(vs, cib.Version{AdminEpoch: c.Version().AdminEpoch, Epoch: c.Version().Epoch})
		}
		if ok && allSame(vs) {
			want = vs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes' cib.xml do not all hold loc-d1 at one epoch: %v", vs)
		}
	}

	// Every node down at once, as in a power cut.
	for _, d := range s.ds {
		w.down.Store(d.Name, true)
	}
	for _, d := range s.ds {
		d.Kill9()
	}
	for _, d := range s.ds {
		s.wipe(d.Name)
		c := s.diskCIB(d)
		if v := c.Version(); v.AdminEpoch != want.AdminEpoch || v.Epoch != want.Epoch {
			t.Fatalf("%s: cib.xml at %v, want epoch %v", d.Name, v, want)
		}
		if c.Section("constraints").Find("rsc_location", "loc-d1") == nil {
			t.Fatalf("%s: cib.xml without loc-d1", d.Name)
		}
		w.down.Delete(d.Name)
	}
	restarted := time.Now()
	for _, d := range s.ds {
		d.Start()
	}
	s.waitActive(s.ds, d1, "", 1, target.Name, 30*time.Second)
	t.Logf("all restarted: d1 runs on %s %v after the start", target.Name, time.Since(restarted).Round(time.Millisecond))
	s.waitDC(s.ds, restarted, 20*time.Second)
	for range 25 {
		if on := s.active(s.ds, d1, ""); len(on) != 1 || on[0] != target.Name {
			t.Fatalf("d1 runs on %v, want %s", on, target.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	vs, cs := s.liveCIBs(s.ds)
	if !allSame(cs) || !strings.Contains(cs[0], `id="loc-d1"`) {
		t.Fatalf("after the restart the nodes hold different configurations (versions %v)", vs)
	}
	w.check(t)
}

const statefulAgent = "/usr/lib/ocf/resource.d/heartbeat/Stateful"

// crmPromotableCIB: a promotable clone of ocf:heartbeat:Stateful, one
// promoted instance, monitored in both roles.
const crmPromotableCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/><node id="node3" uname="node3"/></nodes>
<resources><clone id="ms"><meta_attributes id="ms-meta"><nvpair id="ms-promotable" name="promotable" value="true"/><nvpair id="ms-promoted-max" name="promoted-max" value="1"/></meta_attributes>
<primitive id="s1" class="ocf" provider="heartbeat" type="Stateful"><operations>
<op id="s1-monitor-promoted" name="monitor" interval="2s" role="Promoted" timeout="20s"/>
<op id="s1-monitor-unpromoted" name="monitor" interval="3s" role="Unpromoted" timeout="20s"/>
</operations></primitive></clone></resources>
<constraints/>
</configuration>
<status/>
</cib>
`

// promotionScoreTool stands in for crm_master and crm_attribute -p, which
// Stateful calls through ocf_promotion_score ($HA_SBIN_DIR): the
// instance's promotion score goes to the running node through hbctl's
// crm_attribute (-l reboot, master-<primitive>).
const promotionScoreTool = `#!/bin/sh
name="master-${OCF_RESOURCE_INSTANCE%%:*}"
v=""; del=""
while [ $# -gt 0 ]; do
	case "$1" in
	-v) v="$2"; shift ;;
	-D) del=1 ;;
	esac
	shift
done
if [ -n "$del" ]; then
	exec "$HBCTL" crm_attribute -l reboot -N "$HBD_TEST_NODE" -n "$name" -D
fi
exec "$HBCTL" crm_attribute -l reboot -N "$HBD_TEST_NODE" -n "$name" -v "$v"
`

// TestCRMPromotable: a promotable clone of Stateful runs on the three
// nodes, promoted on one; kill -9 of the promoted holder promotes an
// instance on a survivor; the killed node, back, runs an unpromoted
// instance. Never two promoted, nor an instance twice on a node.
func TestCRMPromotable(t *testing.T) {
	if _, err := os.Stat(statefulAgent); err != nil {
		t.Skipf("%s is not installed (Debian package resource-agents)", statefulAgent)
	}
	hbctl := hbctlBin(t)
	sbin := t.TempDir()
	for _, name := range []string{"crm_master", "crm_attribute"} {
		if err := os.WriteFile(filepath.Join(sbin, name), []byte(promotionScoreTool), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := newCRMScene(t, crmPromotableCIB, func(d *clustertest.Daemon) []string {
		return []string{"HA_SBIN_DIR=" + sbin, "HBCTL=" + hbctl, "HBD_TEST_NODE=" + d.Name,
			"HBD_LRM_DIR=" + filepath.Join(d.Dir, "run", "heartbeat"), "CIB_file="}
	})
	const state = "Stateful-*.state"
	w := s.watch(state, "master")
	s.waitActive(s.ds, state, "", 3, "", 30*time.Second)
	promoted := s.waitActive(s.ds, state, "master", 1, "", 30*time.Second)[0]
	t.Logf("promoted on %s, unpromoted on the others, %v after the start", promoted, time.Since(s.start).Round(time.Millisecond))
	for range 50 {
		if on := s.active(s.ds, state, "master"); len(on) != 1 || on[0] != promoted {
			t.Fatalf("promoted on %v, want %s alone", on, promoted)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// kill -9 of the promoted holder: a survivor is promoted.
	victim := s.node(promoted)
	survivors := s.others(promoted)
	w.down.Store(promoted, true)
	killed := victim.Kill9()
	next := s.waitActive(survivors, state, "master", 1, "", 30*time.Second)[0]
	t.Logf("promoted on %s %v after kill -9 of %s", next, time.Since(killed).Round(time.Millisecond), promoted)
	s.waitActive(survivors, state, "", 2, "", 10*time.Second)

	// The killed node comes back (its HA_RSCTMP cleared, as by a reboot):
	// an unpromoted instance there, still one promoted.
	s.wipe(promoted)
	w.down.Delete(promoted)
	back := time.Now()
	if on := s.active([]*clustertest.Daemon{victim}, state, ""); len(on) != 0 {
		t.Fatalf("%s's instance state survived the wipe", promoted)
	}
	victim.Start()
	victim.Log.Wait(t, "lrmd: rsc:s1 start", back, 30*time.Second)
	s.waitActive(s.ds, state, "", 3, "", 30*time.Second)
	t.Logf("%s runs its instance again %v after its start", promoted, time.Since(back).Round(time.Millisecond))
	for range 50 {
		if on := s.active(s.ds, state, "master"); len(on) != 1 {
			t.Fatalf("promoted on %v, want one node", on)
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.check(t)
}

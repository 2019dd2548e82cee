package node

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/stonith"
	"github.com/hbd-ha/hbd/loop"
)

const fenceTestCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>
<crm_config/><nodes/><resources>
<primitive id="fence1" class="stonith" type="null"><instance_attributes id="f1"><nvpair id="f1-hl" name="hostlist" value="node1 node2"/></instance_attributes></primitive>
<primitive id="fence2" class="stonith" type="null"><instance_attributes id="f2"><nvpair id="f2-hl" name="hostlist" value="node3"/><nvpair id="f2-l" name="pcmk_host_list" value="node3"/></instance_attributes></primitive>
</resources><constraints/></configuration><status/></cib>`

// fenceTestNode is a node with a loop (not running: the test reaps), a
// log and a controller, fencing with fenceTestCIB's devices.
func fenceTestNode(t *testing.T) (*Node, *syncWriter) {
	t.Helper()
	if _, err := os.Stat(stonith.DefaultCommand); err != nil {
		t.Skipf("cluster-glue's stonith is not installed: %v", err)
	}
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := &syncWriter{w: new(bytes.Buffer)}
	lg, err := hblog.New(hblog.Options{Entity: "hbd", Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{loop: l, log: lg}
	c, err := cib.ParseCIB([]byte(fenceTestCIB))
	if err != nil {
		t.Fatal(err)
	}
	n.crm.cib = c
	n.crm.c = controld.New(controld.Config{Local: "node1", Keepalive: time.Second})
	n.crm.fencing = map[string]controld.FenceRequest{}
	dir := t.TempDir()
	n.fence.env = append(os.Environ(), "HA_logfacility=none", "HA_logfile="+filepath.Join(dir, "ha-log"))
	t.Cleanup(func() { n.closeCRMFenced(); lg.Close() })
	return n, out
}

// settleFences reaps the devices' outcomes until the controller has no fencing
// waiting.
func settleFences(t *testing.T, n *Node) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); len(n.crm.fencing) > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fencings still waiting: %v", n.crm.fencing)
		}
		n.reapCRMFences()
	}
}

// waitFenceLog waits for the log to hold want.
func waitFenceLog(t *testing.T, out *syncWriter, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		out.mu.Lock()
		s := out.w.String()
		out.mu.Unlock()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", want, s)
		}
	}
}

// The controller's request goes to the CIB device that can fence the
// target: a dynamic-list device is asked for its hosts first (kept for the
// next request), a static-list one is not; the outcome reaches the
// controller.
func TestCRMFenceCIBDevices(t *testing.T) {
	n, out := fenceTestNode(t)
	if !n.crmFenceCIB(controld.FenceRequest{Transition: 1, Action: 3, Target: "node2", Op: "reboot"}) {
		t.Fatal("the CIB's devices did not take the request")
	}
	if d := n.fence.cib.devs["fence1"]; d == nil || !d.listing {
		t.Fatalf("fence1 is not asked for its hosts: %+v", d)
	}
	settleFences(t, n)
	waitFenceLog(t, out, "Requesting fencing (reboot) of node node2")
	waitFenceLog(t, out, "fenced: Operation 'reboot' targeting node2 using fence1 returned 0 (OK)")
	if d := n.fence.cib.devs["fence1"]; !d.listed || strings.Join(d.hosts, " ") != "node1 node2" {
		t.Errorf("fence1's hosts %q (listed %v)", d.hosts, d.listed)
	}
	if d := n.fence.cib.devs["fence2"]; d.listed || d.listing {
		t.Error("the static-list device was asked for its hosts")
	}
	n.crmFenceCIB(controld.FenceRequest{Transition: 2, Action: 1, Target: "node3", Op: "off"})
	settleFences(t, n)
	waitFenceLog(t, out, "fenced: Operation 'off' targeting node3 using fence2 returned 0 (OK)")
	if len(n.fence.cib.ops) != 0 {
		t.Errorf("fencings left: %v", n.fence.cib.ops)
	}
}

// A node no device can fence: without ha.cf's device the request fails
// (reported after crmFenceFailPause, by the loop's timer).
func TestCRMFenceNoDevice(t *testing.T) {
	n, out := fenceTestNode(t)
	n.crmFenceCIB(controld.FenceRequest{Transition: 1, Action: 3, Target: "node9", Op: "reboot"})
	for deadline := time.Now().Add(30 * time.Second); len(n.fence.cib.ops) > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fencing of node9 is still planned")
		}
		n.reapCRMFences()
	}
	waitFenceLog(t, out, "crm: cannot fence node9: no fencing device can fence it")
	if _, ok := n.crm.fencing["node9"]; !ok {
		t.Error("the failure was reported before the pause")
	}
}

// A CIB change keeps an unchanged device's Fencer and host list, and
// replaces a changed one; without devices the request is left to ha.cf's.
func TestCRMFenceRefresh(t *testing.T) {
	n, _ := fenceTestNode(t)
	n.crmFenceRefresh()
	f1, f2 := n.fence.cib.devs["fence1"], n.fence.cib.devs["fence2"]
	if f1 == nil || f2 == nil {
		t.Fatalf("devices %v", n.fence.cib.devs)
	}
	nv := n.crm.cib.FindID("f2-hl")
	nv.Set("value", "node3 node4")
	n.crmFenceRefresh()
	if n.fence.cib.devs["fence1"] != f1 {
		t.Error("the unchanged device was rebuilt")
	}
	if g := n.fence.cib.devs["fence2"]; g == f2 || g == nil {
		t.Error("the changed device was kept")
	}
	n.crm.cib.FindID("fence1").Remove()
	n.crm.cib.FindID("fence2").Remove()
	n.crmFenceRefresh()
	if len(n.fence.cib.devs) != 0 {
		t.Errorf("devices left: %v", n.fence.cib.devs)
	}
	if n.crmFenceCIB(controld.FenceRequest{Target: "node2", Op: "reboot"}) {
		t.Error("a CIB without devices took the request")
	}
}

// A fencing-topology level fails as soon as one of its devices fails,
// and the next level is tried; the fencing succeeds with the level whose
// devices all succeed.
func TestCRMFenceTopology(t *testing.T) {
	n, out := fenceTestNode(t)
	res := n.crm.cib.Section("resources")
	bad, err := cib.Parse([]byte(`<primitive id="broken" class="stonith" type="hbd-no-such-type"><instance_attributes id="b"><nvpair id="b-c" name="pcmk_host_check" value="none"/></instance_attributes></primitive>`))
	if err != nil {
		t.Fatal(err)
	}
	res.AddChild(bad)
	topo, err := cib.Parse([]byte(`<fencing-topology>
<fencing-level id="l1" target="node2" index="1" devices="broken,fence1"/>
<fencing-level id="l2" target="node2" index="2" devices="fence1,fence1"/>
</fencing-topology>`))
	if err != nil {
		t.Fatal(err)
	}
	n.crm.cib.Section("configuration").AddChild(topo)
	n.crmFenceCIB(controld.FenceRequest{Transition: 1, Action: 3, Target: "node2", Op: "reboot"})
	settleFences(t, n)
	waitFenceLog(t, out, "fenced: Operation 'reboot' targeting node2: OK")
	out.mu.Lock()
	log := out.w.String()
	out.mu.Unlock()
	var ops []string
	for _, l := range strings.Split(log, "\n") {
		if _, after, ok := strings.Cut(l, "fenced: Operation 'reboot' targeting node2 using "); ok {
			ops = append(ops, after)
		}
	}
	// broken fails (stonith(8) knows no such type), fence1 is not run
	// in its level; level 2 runs fence1 twice.
	if len(ops) != 3 || !strings.HasPrefix(ops[0], "broken returned ") || strings.HasSuffix(ops[0], "(OK)") ||
		ops[1] != "fence1 returned 0 (OK)" || ops[2] != "fence1 returned 0 (OK)" {
		t.Errorf("attempts %q\n%s", ops, log)
	}
}

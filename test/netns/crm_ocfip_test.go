package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

const ipaddr2Agent = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"

// ocfIPPrimitive is an ocf:heartbeat:IPaddr2 primitive on eth0, /24,
// monitored every second, with extra nvpairs.
func ocfIPPrimitive(id, ip, extra string) string {
	return fmt.Sprintf(`<primitive id="%[1]s" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="%[1]s-ia"><nvpair id="%[1]s-ip" name="ip" value="%[2]s"/><nvpair id="%[1]s-mask" name="cidr_netmask" value="24"/><nvpair id="%[1]s-nic" name="nic" value="eth0"/>%[3]s</instance_attributes><operations><op id="%[1]s-monitor" name="monitor" interval="1s" timeout="20s"/></operations></primitive>`, id, ip, extra)
}

// TestCRMOCFIPaddr2InProcess: under pacemaker on, a CIB's
// ocf:heartbeat:IPaddr2 runs in the built-in IP agent, without a fork:
// vip (ip, cidr_netmask, nic) starts on node1 and answers a client from
// there, and node1 logs no agent process for it (the LRM logs the pid of
// every forked start and probe); removed by hand, its 1 s in-process
// monitor finds it gone and the CRM restores it in place. vip2 has a
// parameter the built-in agent does not honour (noprefixroute=true): node1
// runs the real script for it, says so once, and the address carries the
// script's flag. vip3 is placed on node2, whose ha.cf says
// hbd_ocf_ip_agent script: forked there.
func TestCRMOCFIPaddr2InProcess(t *testing.T) {
	for _, p := range []string{ipaddr2Agent} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (Debian package resource-agents)", p)
		}
	}
	vip := clustertest.VIP().String()
	const vip2, vip3 = "198.18.0.201", "198.18.0.202"
	cib := `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/><nvpair id="opts-quorum" name="no-quorum-policy" value="ignore"/></cluster_property_set></crm_config>
<nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
<resources>` + ocfIPPrimitive("vip", vip, "") +
		ocfIPPrimitive("vip2", vip2, `<nvpair id="vip2-npr" name="noprefixroute" value="true"/>`) +
		ocfIPPrimitive("vip3", vip3, "") + `</resources>
<constraints><rsc_location id="vip-on-1" rsc="vip" node="node1" score="100"/><rsc_location id="vip2-on-1" rsc="vip2" node="node1" score="100"/><rsc_location id="vip3-on-2" rsc="vip3" node="node2" score="100"/></constraints>
</configuration>
<status/>
</cib>
`
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "2", Initdead: "5",
		Extra: "pacemaker on\nhbd_self_fence /bin/true\n"}
	net := netnstest.New(t, netnstest.Config{Hosts: 3, Links: 1})
	var ds []*clustertest.Daemon
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("node%d", i)
		d := clustertest.NewHBD(t, net.Host(i), name, func(logfile string) string {
			cf := spec.HaCF(net, i, logfile)
			if i == 2 {
				cf += "hbd_ocf_ip_agent script\n"
			}
			return cf
		})
		crm := filepath.Join(d.Dir, "state", "crm")
		if err := os.MkdirAll(crm, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crm, "cib.xml"), []byte(cib), 0o600); err != nil {
			t.Fatal(err)
		}
		rt := filepath.Join(d.Dir, "rsctmp")
		if err := os.MkdirAll(rt, 0o755); err != nil {
			t.Fatal(err)
		}
		d.Env = []string{"HA_RSCTMP=" + rt}
		clustertest.Serve(t, net.Host(i), name)
		ds = append(ds, d)
	}
	probe := clustertest.Probe(t, net.Host(3), clustertest.VIP())
	start := time.Now()
	for _, d := range ds {
		d.Start()
	}
	probe.WaitFrom(t, "node1", start, 60*time.Second)

	addrs := func(h *netnstest.Host) string {
		out, err := h.Exec("ip", "-o", "-4", "addr", "show", "dev", "eth0")
		if err != nil {
			t.Fatalf("%s: ip addr: %v", h.Name(), err)
		}
		return string(out)
	}
	waitAddr := func(h *netnstest.Host, ip string) string {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if a := addrs(h); strings.Contains(a, " "+ip+"/24 ") {
				return a
			}
		}
		t.Fatalf("%s: %s not on eth0 within 60 s:\n%s", h.Name(), ip, addrs(h))
		return ""
	}
	a1 := waitAddr(net.Host(1), vip2)
	waitAddr(net.Host(2), vip3)
	if l := lineWith(a1, " "+vip2+"/24 "); !strings.Contains(l, "noprefixroute") {
		t.Errorf("vip2 was not added by the script (no noprefixroute flag): %q", l)
	}

	// No agent forked for vip on node1: no pid logged for its probe or
	// start; vip2's start was forked, and the reason logged once.
	n1, n2 := ds[0], ds[1]
	n1.Log.Wait(t, "rsc:vip2 start[", start, 30*time.Second)
	if l, ok := n1.Log.Find("rsc:vip ", start); ok {
		t.Errorf("node1 forked an agent for vip: %q", l.Text)
	}
	if l, ok := n1.Log.Find("rsc:vip3 ", start); ok {
		t.Errorf("node1 forked an agent for vip3's probe: %q", l.Text)
	}
	if n := strings.Count(n1.Log.Text(), "rsc:vip2: ocf:heartbeat:IPaddr2 runs its agent's script: parameter noprefixroute"); n != 1 {
		t.Errorf("node1 logged the script's choice for vip2 %d times, want 1", n)
	}
	// node2, hbd_ocf_ip_agent script: vip3's start forked there.
	n2.Log.Wait(t, "rsc:vip3 start[", start, 30*time.Second)

	// The in-process monitor: the address removed by hand → restored on
	// node1.
	time.Sleep(2 * time.Second)
	removed := time.Now()
	if out, err := net.Host(1).Exec("ip", "addr", "del", vip+"/24", "dev", "eth0"); err != nil {
		t.Fatalf("ip addr del: %v\n%s", err, out)
	}
	a := probe.WaitFrom(t, "node1", time.Now().Add(2*time.Millisecond), 30*time.Second)
	t.Logf("vip removed by hand: answering from node1 again after %v", a.At.Sub(removed).Round(time.Millisecond))
	// The in-process monitor's failure is in the log (the LRM logs a
	// recurring monitor's changed return code).
	n1.Log.Wait(t, "on vip every 1s: return code 7, was 0", removed, 10*time.Second)
	if l, ok := n1.Log.Find("rsc:vip ", removed); ok {
		t.Errorf("node1 forked an agent for vip's restart: %q", l.Text)
	}
}

// lineWith is the line of s holding sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
)

// h2cSamples are v1 configurations: the project's sample and a few that
// use what the converter knows (IP forms, Filesystem, resource.d and
// init.d scripts, several groups, each failback mode).
func h2cSamples(t *testing.T) map[string]string {
	t.Helper()
	dirs := map[string]string{"sample-ha.d": filepath.Join("..", "..", "testdata", "sample-ha.d")}
	write := func(name, hacf, hares string, scripts ...string) {
		d := filepath.Join(t.TempDir(), name)
		os.MkdirAll(filepath.Join(d, "resource.d"), 0o755)
		os.WriteFile(filepath.Join(d, "ha.cf"), []byte(hacf), 0o644)
		os.WriteFile(filepath.Join(d, "haresources"), []byte(hares), 0o644)
		os.WriteFile(filepath.Join(d, "nodeinfo"), []byte("alpha\n"), 0o644)
		for _, s := range scripts {
			os.WriteFile(filepath.Join(d, "resource.d", s), []byte("#!/bin/sh\n"), 0o755)
		}
		dirs[name] = d
	}
	base := "keepalive 1\ndeadtime 10\nucast lo 127.0.0.1\nnode alpha\nnode beta\n"
	write("two-groups-off", base+"auto_failback off\n",
		"alpha 198.18.1.10/24/eth0/198.18.1.255 Filesystem::/dev/sdb1::/srv::ext4::noatime httpd\n"+
			"beta IPaddr2::198.18.1.11/24/eth0 MailTo::root@example.com::failover mysql\n", "MailTo")
	write("legacy-bare-ip", base+"auto_failback legacy\n", "beta 198.18.2.1 198.18.2.2 Delay::3::0\n", "Delay")
	write("on-three-groups", base+"auto_failback on\n",
		"alpha 198.18.3.1\nbeta IPaddr::198.18.3.2/255.255.255.0/eth1 \\\n  exim4\nalpha Filesystem::/dev/drbd0::/var/lib/data::xfs\n")
	return dirs
}

func convertSample(t *testing.T, dir string) (*cib.CIB, *config.Config, *config.Haresources) {
	t.Helper()
	cfg, hr, err := loadV1Config(filepath.Join(dir, "ha.cf"), filepath.Join(dir, "haresources"))
	if err != nil {
		t.Fatal(err)
	}
	o := h2cOpts{monitors: true, heartbeatScript: func(s string) bool {
		_, err := os.Stat(filepath.Join(dir, "resource.d", s))
		return err == nil
	}}
	c, err := haresourcesToCIB(cfg, hr, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, cfg, hr
}

// TestHaresources2cibVerifies: Pacemaker 2.1.5's crm_verify accepts every
// converted CIB without an error or a warning.
func TestHaresources2cibVerifies(t *testing.T) {
	verify, err := exec.LookPath("crm_verify")
	if err != nil {
		t.Skip("Pacemaker's crm_verify is not installed (apt-get install pacemaker-cli-utils)")
	}
	for name, dir := range h2cSamples(t) {
		c, _, _ := convertSample(t, dir)
		f := filepath.Join(t.TempDir(), "cib.xml")
		os.WriteFile(f, c.Bytes(), 0o600)
		cmd := exec.Command(verify, "-V", "-x", f)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s: crm_verify: %v\n%s\n%s", name, err, out, c.Bytes())
		}
	}
}

// withStatus gives the CIB a status section: the nodes in up are online,
// the others cleanly down, and each primitive of running[node] has a
// successful start there.
func withStatus(t *testing.T, c *cib.CIB, nodes []string, up map[string]bool, running map[string][]*cib.Element) *cib.Element {
	t.Helper()
	root := c.Root.Clone()
	st := root.Child("status")
	for _, n := range nodes {
		ns := cib.NewElement("node_state", "id", n, "uname", n, "in_ccm", "false", "crmd", "offline", "join", "down", "expected", "down")
		if up[n] {
			ns = cib.NewElement("node_state", "id", n, "uname", n, "in_ccm", "true", "crmd", "online", "join", "member", "expected", "member")
		}
		if len(running[n]) > 0 {
			lr := ns.AddChild(cib.NewElement("lrm", "id", n)).AddChild(cib.NewElement("lrm_resources"))
			for i, p := range running[n] {
				r := lr.AddChild(cib.NewElement("lrm_resource", "id", p.ID(), "type", p.Get("type"), "class", p.Get("class")))
				if prov := p.Get("provider"); prov != "" {
					r.Set("provider", prov)
				}
				r.AddChild(cib.NewElement("lrm_rsc_op", "id", p.ID()+"_last_0", "operation_key", p.ID()+"_start_0", "operation", "start",
					"transition-key", fmt.Sprintf("%d:1:0:00000000-0000-0000-0000-000000000000", i+1), "call-id", fmt.Sprint(i+2),
					"rc-code", "0", "op-status", "0", "interval", "0", "last-rc-change", "1700000000"))
			}
		}
		st.AddChild(ns)
	}
	return root
}

// placement runs hbd's policy engine and says where each group's
// primitives end up ("" when stopped, "split" when not together).
func placement(t *testing.T, root *cib.Element) map[string]string {
	t.Helper()
	cl, err := pe.Unpack(root, 1_700_000_100)
	if err != nil {
		t.Fatal(err)
	}
	res := pe.Schedule(cl)
	where := map[string]string{}
	for r, fs := range res.Final {
		if r.Parent == nil {
			continue
		}
		node := ""
		if len(fs.Nodes) == 1 {
			node = fs.Nodes[0].Name
		}
		g := r.Parent.ID
		if prev, ok := where[g]; ok && prev != node {
			node = "split"
		}
		where[g] = node
	}
	return where
}

// TestHaresources2cibPlacesAsHeartbeat: under hbd's policy engine the
// converted CIB puts each group where the haresources cluster would:
// with both nodes up, on its line's node; with that node down, on the
// other; when it comes back, back to it with auto_failback on or legacy,
// and staying put with off.
func TestHaresources2cibPlacesAsHeartbeat(t *testing.T) {
	for name, dir := range h2cSamples(t) {
		c, cfg, hr := convertSample(t, dir)
		var nodes []string
		for _, n := range cfg.Nodes {
			nodes = append(nodes, n.Name)
		}
		other := func(n string) string {
			for _, m := range nodes {
				if m != n {
					return m
				}
			}
			return ""
		}
		groups := c.Section("resources").All("group")
		if len(groups) != len(hr.Groups) {
			t.Fatalf("%s: %d groups for %d haresources lines", name, len(groups), len(hr.Groups))
		}
		all := map[string]bool{}
		for _, n := range nodes {
			all[n] = true
		}
		where := placement(t, withStatus(t, c, nodes, all, nil))
		for i, g := range hr.Groups {
			if got := where[groups[i].ID()]; got != g.Node {
				t.Errorf("%s: both up: %s (line %d) on %q, want %s", name, groups[i].ID(), g.Line, got, g.Node)
			}
		}
		for i, g := range hr.Groups {
			gid := groups[i].ID()
			alt := other(g.Node)
			// The preferred node down: the group runs on the other.
			where := placement(t, withStatus(t, c, nodes, map[string]bool{alt: true}, nil))
			if where[gid] != alt {
				t.Errorf("%s: %s down: %s on %q, want %s", name, g.Node, gid, where[gid], alt)
			}
			// It comes back while the group runs on the other node.
			running := map[string][]*cib.Element{alt: groups[i].All("primitive")}
			want := g.Node
			if cfg.AutoFailback == config.FailbackOff {
				want = alt
			}
			where = placement(t, withStatus(t, c, nodes, all, running))
			if where[gid] != want {
				t.Errorf("%s: auto_failback %s, %s back: %s on %q, want %s", name, cfg.AutoFailback, g.Node, gid, where[gid], want)
			}
		}
	}
}

func TestHaresources2cibPrimitives(t *testing.T) {
	c, _, _ := convertSample(t, h2cSamples(t)["two-groups-off"])
	out := string(c.Bytes())
	for _, want := range []string{
		`<primitive id="IPaddr2_198_18_1_10" class="ocf" provider="heartbeat" type="IPaddr2">`,
		`name="ip" value="198.18.1.10"/>`, `name="cidr_netmask" value="24"/>`, `name="nic" value="eth0"/>`, `name="broadcast" value="198.18.1.255"/>`,
		`type="Filesystem">`, `name="device" value="/dev/sdb1"/>`, `name="directory" value="/srv"/>`, `name="fstype" value="ext4"/>`, `name="options" value="noatime"/>`,
		`<primitive id="httpd" class="lsb" type="httpd">`,
		`<primitive id="MailTo" class="heartbeat" type="MailTo">`, `name="1" value="root@example.com"/>`, `name="2" value="failover"/>`,
		`name="resource-stickiness" value="INFINITY"/>`,
		`<rsc_location id="location_group_2" rsc="group_2" node="beta" score="100"/>`,
		`name="monitor" interval="10s"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Index(out, `name="1" value="root@example.com"`) > strings.Index(out, `name="2" value="failover"`) {
		t.Error("heartbeat-class arguments out of order")
	}
}

package cib_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/crm/pe/pecase"
)

func readUpgradeData(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "upgrade", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t *testing.T, doc string) *cib.Element {
	t.Helper()
	root, err := cib.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// findNV returns the value of the nvpair called name under e (any depth).
func findNV(e *cib.Element, name string) (string, bool) {
	val, found := "", false
	e.Walk(func(x *cib.Element) {
		if !found && x.Name == "nvpair" && x.Get("name") == name {
			val, found = x.Get("value"), true
		}
	})
	return val, found
}

// TestUpgradeHeartbeat214 upgrades the CIB heartbeat 2.1.4 wrote for a
// haresources cluster (haresources2cib's form, nodes added by the joins):
// it validates, declares pacemaker-1.0, and keeps what 2.x meant.
func TestUpgradeHeartbeat214(t *testing.T) {
	root := mustParse(t, readUpgradeData(t, "heartbeat-2.1.4.xml"))
	rep, err := cib.Upgrade(root)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Changed() || rep.From != "" || rep.FeatureSet != "2.0" || rep.To != "pacemaker-1.0" {
		t.Fatalf("report %+v", rep)
	}
	line := rep.String()
	for _, want := range []string{"upgraded the CIB from heartbeat 2.x (no validate-with, crm_feature_set 2.0) to pacemaker-1.0",
		"default-resource-stickiness=0 moved to rsc_defaults resource-stickiness"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	if err := cib.Validate(root); err != nil {
		t.Fatal(err)
	}
	if got := root.Get("validate-with"); got != "pacemaker-1.0" {
		t.Errorf("validate-with %q", got)
	}
	for _, a := range []string{"generated", "ignore_dtd", "num_peers", "ccm_transition", "cib_feature_revision", "have_quorum", "dc_uuid"} {
		if _, ok := root.Lookup(a); ok {
			t.Errorf("cib keeps 2.x attribute %s", a)
		}
	}
	if root.Get("have-quorum") != "true" || root.Get("dc-uuid") != "0ee8e4a2-6d3f-4c5e-9d54-3c1e9f0a1b01" {
		t.Errorf("have-quorum/dc-uuid not carried: %s", root.Format()[:200])
	}
	if v := cib.VersionOf(root); v.String() != "0.12.4" {
		t.Errorf("version %v, want 0.12.4 kept", v)
	}
	root.Walk(func(e *cib.Element) {
		if e.Name == "attributes" {
			t.Errorf("an <attributes> wrapper is left at %s", e.XPath())
		}
	})
	c, _ := cib.New(root)
	ip := c.FindID("IPaddr_192_168_1_10_attr_0")
	if ip == nil || ip.Parent.ID() != "IPaddr_192_168_1_10_inst_attr" || ip.Get("value") != "192.168.1.10" {
		t.Errorf("the IP's nvpair is not in its instance_attributes: %v", ip)
	}
	if a := c.FindID("apache_2"); a == nil || a.Get("provider") != "" {
		t.Errorf("lsb primitive keeps a provider: %v", a)
	}
	if v, ok := findNV(c.Section("crm_config"), "stonith-enabled"); !ok || v != "false" {
		t.Errorf("stonith-enabled %q %v", v, ok)
	}
	for _, gone := range []string{"default-resource-stickiness", "is-managed-default", "default-action-timeout", "default-resource-failure-stickiness"} {
		if _, ok := findNV(c.Section("crm_config"), gone); ok {
			t.Errorf("crm_config keeps %s", gone)
		}
	}
	rd := root.Child("configuration").Child("rsc_defaults")
	if v, _ := findNV(rd, "resource-stickiness"); rd == nil || v != "0" {
		t.Errorf("rsc_defaults resource-stickiness %q", v)
	}
	od := root.Child("configuration").Child("op_defaults")
	if v, _ := findNV(od, "timeout"); od == nil || v != "20s" {
		t.Errorf("op_defaults timeout %q", v)
	}
	// Upgraded once: a second pass has nothing to do.
	before := string(root.Format())
	if rep, err := cib.Upgrade(root); err != nil || rep.Changed() || string(root.Format()) != before {
		t.Errorf("second upgrade: %+v %v", rep, err)
	}
}

// TestUpgradePlacement schedules the upgraded 2.1.4 CIB as heartbeat 2.x
// meant it: each group on its preferred node (rsc_location rules of 100),
// both on node2 while node1 is down, and group_1 back on node1 when node1
// returns (default-resource-stickiness 0: heartbeat's auto_failback on),
// or left on node2 with stickiness INFINITY (auto_failback off).
// crm_simulate (Pacemaker 2.1.5) gives the same answer on the same
// upgraded CIB and status (with drbddisk as an lsb script: Pacemaker
// 2.1.5 has no heartbeat class); the node1-back status is the history its
// simulation wrote.
func TestUpgradePlacement(t *testing.T) {
	src := readUpgradeData(t, "heartbeat-2.1.4.xml")
	sticky := strings.Replace(src, `name="default-resource-stickiness" value="0"`, `name="default-resource-stickiness" value="INFINITY"`, 1)
	cases := []struct {
		name, cib, status string
		want              []string
	}{
		{"both up", src, "status-both-up.xml", []string{
			"place Filesystem_4 Started node2", "place IPaddr_192_168_1_10 Started node1",
			"place apache_2 Started node1", "place drbddisk_3 Started node2",
			"action Start Filesystem_4 node2", "action Start IPaddr_192_168_1_10 node1",
			"action Start apache_2 node1", "action Start drbddisk_3 node2"}},
		{"node1 down", src, "status-node1-down.xml", []string{
			"place Filesystem_4 Started node2", "place IPaddr_192_168_1_10 Started node2",
			"place apache_2 Started node2", "place drbddisk_3 Started node2",
			"action Start Filesystem_4 node2", "action Start IPaddr_192_168_1_10 node2",
			"action Start apache_2 node2", "action Start drbddisk_3 node2"}},
		{"node1 back, failback", src, "status-node1-back.xml", []string{
			"place Filesystem_4 Started node2", "place IPaddr_192_168_1_10 Started node1",
			"place apache_2 Started node1", "place drbddisk_3 Started node2",
			"action Move IPaddr_192_168_1_10 node2 -> node1", "action Move apache_2 node2 -> node1"}},
		{"node1 back, sticky", sticky, "status-node1-back.xml", []string{
			"place Filesystem_4 Started node2", "place IPaddr_192_168_1_10 Started node2",
			"place apache_2 Started node2", "place drbddisk_3 Started node2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := mustParse(t, tc.cib)
			if _, err := cib.Upgrade(root); err != nil {
				t.Fatal(err)
			}
			st := mustParse(t, readUpgradeData(t, tc.status))
			root.Child("status").ReplaceWith(st)
			c, err := pe.Unpack(root, time.Now().Unix())
			if err != nil {
				t.Fatal(err)
			}
			got := pecase.Normalize(pe.Schedule(c).Text(), pecase.Groups(root.Format()), false)
			want := append([]string(nil), tc.want...)
			if !reflect.DeepEqual(sortedCopy(got), sortedCopy(want)) {
				t.Errorf("\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// heartbeat 2.0's forms: underscore option names, resource options as
// attributes, clone options as instance attributes, master_slave,
// from/to constraints, decimal and lower-case scores, rules without a
// score or expression, nvpairs without ids or with ids that are not XML
// names, op disabled and without interval.
const cib20 = `<cib admin_epoch="1" epoch="3" num_updates="0" have_quorum="true" crm_feature_set="1.0.7">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts"><attributes>
        <nvpair name="no_quorum_policy" value="ignore"/>
        <nvpair name="default_resource_stickiness" value="infinity"/>
        <nvpair name="stonith_enabled" value="true"/>
        <nvpair name="transition_idle_timeout" value="120s"/>
      </attributes></cluster_property_set>
    </crm_config>
    <nodes>
      <node id="n1" uname="n1" type="normal"/>
      <node id="n2" uname="n2" type="normal"/>
    </nodes>
    <resources>
      <primitive id="db" class="ocf" provider="heartbeat" type="Dummy" is_managed="false" resource_stickiness="50">
        <operations>
          <op id="db-mon" name="monitor" interval="10s" on_fail="restart" start_delay="5s" prereq="fencing"/>
          <op id="db-start" name="start" disabled="true"/>
        </operations>
        <instance_attributes id="db-ia"><attributes>
          <nvpair id="1st" name="state" value="/tmp/db"/>
          <nvpair id="db:target" name="target_role" value="stopped"/>
        </attributes></instance_attributes>
      </primitive>
      <primitive id="web" class="lsb" provider="heartbeat" type="apache"/>
      <clone id="cl">
        <instance_attributes id="cl-ia"><attributes>
          <nvpair id="cl-max" name="clone_max" value="2"/>
          <nvpair id="cl-nmax" name="clone_node_max" value="1"/>
        </attributes></instance_attributes>
        <primitive id="ping" class="ocf" provider="heartbeat" type="Dummy"/>
      </clone>
      <master_slave id="ms" notify="true">
        <instance_attributes id="ms-ia"><attributes>
          <nvpair id="ms-mmax" name="master_max" value="1"/>
        </attributes></instance_attributes>
        <primitive id="stateful" class="ocf" provider="heartbeat" type="Stateful"/>
      </master_slave>
    </resources>
    <constraints>
      <rsc_location id="loc" rsc="web">
        <rule id="loc-r" score="100.0" boolean_op="and">
          <expression id="loc-e" attribute="#uname" operation="eq" value="n2"/>
        </rule>
      </rsc_location>
      <rsc_location id="any" rsc="db">
        <rule id="any-r"/>
      </rsc_location>
      <rsc_colocation id="web-with-db" from="web" to="db" score="infinity" from_role="started" to_role="master" symmetrical="true"/>
      <rsc_order id="web-after-db" from="web" to="db" type="after"/>
      <rsc_order id="db-before-web" from="db" to="web" type="before" action="stop" to_action="stop"/>
    </constraints>
  </configuration>
  <status/>
</cib>`

func TestUpgradeHeartbeat20Forms(t *testing.T) {
	root := mustParse(t, cib20)
	rep, err := cib.Upgrade(root)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Changed() || rep.FeatureSet != "1.0.7" {
		t.Fatalf("report %+v", rep)
	}
	c, _ := cib.New(root)
	get := func(id, attr string) string {
		e := c.FindID(id)
		if e == nil {
			t.Fatalf("no element %s in\n%s", id, root.Format())
		}
		return e.Get(attr)
	}
	checks := []struct{ id, attr, want string }{
		{"loc-r", "score", "100"},
		{"loc-r", "boolean-op", "and"},
		{"any-r", "score", "0"},
		{"web-with-db", "rsc", "web"},
		{"web-with-db", "with-rsc", "db"},
		{"web-with-db", "score", "INFINITY"},
		{"web-with-db", "rsc-role", "Started"},
		{"web-with-db", "with-rsc-role", "Master"},
		{"web-with-db", "symmetrical", ""},
		{"web-after-db", "first", "db"},
		{"web-after-db", "then", "web"},
		{"web-after-db", "first-action", "start"},
		{"web-after-db", "then-action", "start"},
		{"db-before-web", "first", "db"},
		{"db-before-web", "then", "web"},
		{"db-before-web", "first-action", "stop"},
		{"db-before-web", "then-action", "stop"},
		{"db-mon", "on-fail", "restart"},
		{"db-mon", "start-delay", "5s"},
		{"db-mon", "requires", "fencing"},
		{"db-start", "enabled", "false"},
		{"db-start", "interval", "0"},
		{"db", "is_managed", ""},
		{"web", "provider", ""},
		{"ms", "notify", ""},
	}
	for _, ck := range checks {
		if got := get(ck.id, ck.attr); got != ck.want {
			t.Errorf("%s@%s = %q, want %q", ck.id, ck.attr, got, ck.want)
		}
	}
	if e := c.FindID("ms"); e == nil || e.Name != "master" {
		t.Errorf("master_slave not renamed: %v", e)
	}
	metaOf := func(id, name string) string {
		for _, m := range c.FindID(id).All("meta_attributes") {
			if v, ok := findNV(m, name); ok {
				return v
			}
		}
		return "(none)"
	}
	for _, m := range []struct{ id, name, want string }{
		{"db", "is-managed", "false"}, {"db", "resource-stickiness", "50"}, {"db", "target-role", "stopped"},
		{"cl", "clone-max", "2"}, {"cl", "clone-node-max", "1"}, {"ms", "master-max", "1"}, {"ms", "notify", "true"},
	} {
		if got := metaOf(m.id, m.name); got != m.want {
			t.Errorf("%s meta %s = %q, want %q", m.id, m.name, got, m.want)
		}
	}
	if _, ok := findNV(c.FindID("db-ia"), "target_role"); ok {
		t.Error("target_role left among db's parameters")
	}
	cc := c.Section("crm_config")
	for name, want := range map[string]string{"no-quorum-policy": "ignore", "stonith-enabled": "true", "cluster-delay": "120s"} {
		if v, _ := findNV(cc, name); v != want {
			t.Errorf("crm_config %s = %q, want %q", name, v, want)
		}
	}
	if v, _ := findNV(root.Child("configuration").Child("rsc_defaults"), "resource-stickiness"); v != "infinity" {
		t.Errorf("rsc_defaults resource-stickiness %q", v)
	}
	// Ids: the made-up ones are XML names, unique, and the same on every
	// run (each node upgrades its own copy of the file).
	ids := map[string]bool{}
	root.Child("configuration").Walk(func(e *cib.Element) {
		if e.Name == "nvpair" {
			id := e.ID()
			if id == "" || ids[id] || strings.ContainsAny(id[:1], "0123456789") || strings.Contains(id, ":") {
				t.Errorf("nvpair id %q at %s", id, e.XPath())
			}
			ids[id] = true
		}
	})
	again := mustParse(t, cib20)
	if _, err := cib.Upgrade(again); err != nil || !again.Equal(root) {
		t.Errorf("a second upgrade of the same file differs: %v", err)
	}
	// The PE reads it: db stopped (target-role), web runs, the rule of
	// 100 put it on n2, and is-managed=false keeps db as it is.
	pc, err := pe.Unpack(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := pc.Resource("db"); r == nil || r.Managed {
		t.Errorf("db managed after the upgrade: %+v", r)
	}
}

func TestUpgradeRefuses(t *testing.T) {
	cases := []struct{ name, from, to, path string }{
		{"resource id not an XML name", `<primitive id="web"`, `<primitive id="1web"`, "primitive[@id='1web']"},
		{"failure stickiness", `<nvpair name="transition_idle_timeout" value="120s"/>`,
			`<nvpair id="fs" name="default-resource-failure-stickiness" value="-50"/>`, "nvpair[@id='fs']"},
		{"resource failure stickiness", `type="apache"/>`, `type="apache" resource_failure_stickiness="-100"/>`, "primitive[@id='web']"},
		{"unknown constraint", `<rsc_order id="web-after-db"`, `<rsc_dependency id="web-after-db"`, "rsc_dependency[@id='web-after-db']"},
		{"order without to", `<rsc_order id="web-after-db" from="web" to="db"`, `<rsc_order id="web-after-db" from="web"`, "rsc_order[@id='web-after-db']"},
		{"order type", `type="after"`, `type="during"`, "rsc_order[@id='web-after-db']"},
		{"unknown resource", `<primitive id="web" class="lsb" provider="heartbeat" type="apache"/>`, `<incarnation id="web"/>`, "incarnation[@id='web']"},
		{"pacemaker-0.7", `<cib admin_epoch="1"`, `<cib validate-with="pacemaker-0.7" admin_epoch="1"`, "/cib"},
		{"duplicate id", `<op id="db-start"`, `<op id="db-mon"`, "op[@id='db-mon']"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(cib20, tc.from) {
				t.Fatalf("case does not apply: %s", tc.from)
			}
			root := mustParse(t, strings.Replace(cib20, tc.from, tc.to, 1))
			before := root.Clone()
			rep, err := cib.Upgrade(root)
			if err == nil {
				t.Fatalf("upgraded: %s\n%s", rep, root.Format())
			}
			e, ok := err.(*cib.Error)
			if !ok || e.Code != cib.ErrSchema || !strings.Contains(e.Path, tc.path) {
				t.Errorf("error %v, want a schema error at %s", err, tc.path)
			}
			if rep.Changed() || !root.Equal(before) {
				t.Error("a refused upgrade changed the CIB")
			}
		})
	}
}

func TestUpgradeLeavesOthersAlone(t *testing.T) {
	for _, doc := range []string{
		// Pacemaker's schemas, and "none".
		`<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
		`<cib validate-with="pacemaker-1.0" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
		`<cib validate-with="none" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
		// No validate-with, but Pacemaker's feature set and forms: no
		// stonith-enabled=false slipped in.
		`<cib crm_feature_set="3.16.1" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
		`<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources><primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>`,
	} {
		root := mustParse(t, doc)
		before := root.Clone()
		rep, err := cib.Upgrade(root)
		if err != nil || rep.Changed() || !root.Equal(before) {
			t.Errorf("%.60s: %+v %v", doc, rep, err)
		}
	}
	// Declared 0.6 with nothing of 2.x in it: still upgraded.
	root := mustParse(t, `<cib validate-with="transitional-0.6" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`)
	if rep, err := cib.Upgrade(root); err != nil || rep.From != "transitional-0.6" || root.Get("validate-with") != "pacemaker-1.0" {
		t.Errorf("transitional-0.6: %+v %v", rep, err)
	}
}

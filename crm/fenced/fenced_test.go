package fenced

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

func TestParseHostMap(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Alias
	}{
		{"node1:port1;node2:port2", []Alias{{"node1", "port1"}, {"node2", "port2"}}},
		{"node1=1 node2=2\tnode3:3", []Alias{{"node1", "1"}, {"node2", "2"}, {"node3", "3"}}},
		{"node1:1;;  node2:2;", []Alias{{"node1", "1"}, {"node2", "2"}}},
		// A later pair for the same node, case-insensitively, wins.
		{"node1:1;NODE1:9", []Alias{{"NODE1", "9"}}},
		// The last assignment character before the value names the node.
		{"a:b:c", []Alias{{"b", "c"}}},
		// Escapes: the character after a backslash is no delimiter; the
		// backslashes are dropped from the port, not from the node.
		{`n1:p\;1;n2:p2`, []Alias{{"n1", "p;1"}, {"n2", "p2"}}},
		{`a\:b:c`, []Alias{{`a\:b`, "c"}}},
		// A trailing backslash loses the pair it ends.
		{`n1:1;n2:2\`, []Alias{{"n1", "1"}}},
		// No node: nothing.
		{":x;=y", nil},
		{"node1", nil},
		{"", nil},
		// An empty port is a pair.
		{"node1:", []Alias{{"node1", ""}}},
	} {
		if got := ParseHostMap(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseHostMap(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"node1 node2,node3;node4\nnode5", []string{"node1", "node2", "node3", "node4", "node5"}},
		// A literal "\n" ends a line, as in a CIB attribute.
		{`node1\nnode2`, []string{"node1", "node2"}},
		// A status in the output is no host.
		{"node1 on\nnode2 OFF", []string{"node1", "node2"}},
		// A complaint about parameters is no host list.
		{"invalid parameter foo\nnode1", []string{"node1"}},
		{"node1\nundefined variable", []string{"node1"}},
		// An entry is its leading run of name characters.
		{"node1@rack2 -x _y.z @bad", []string{"node1", "-x", "_y.z"}},
		{"\n\n  \t", nil},
	} {
		if got := ParseTargets(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseTargets(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCaps: what one parameter can make the table hold is bounded.
func TestCaps(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3*MaxAliases; i++ {
		b.WriteString("n")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(":")
		b.WriteString("p;")
	}
	if got := len(ParseHostMap(b.String())); got > MaxAliases {
		t.Errorf("%d aliases kept, cap %d", got, MaxAliases)
	}
	unique := strings.Builder{}
	for i := 0; i < 2*MaxAliases; i++ {
		unique.WriteString("n" + strings.Repeat("a", i%50) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + ":p ")
	}
	if got := len(ParseHostMap(unique.String())); got != MaxAliases {
		t.Errorf("%d aliases kept from %d distinct pairs, want the cap %d", got, 2*MaxAliases, MaxAliases)
	}
	if got := len(ParseTargets(strings.Repeat("h ", 3*MaxTargets))); got != MaxTargets {
		t.Errorf("%d targets kept, want the cap %d", got, MaxTargets)
	}
	d := newDevice("f", "null", map[string]string{
		"pcmk_host_list": strings.Repeat("h ", 2*MaxTargets),
		"pcmk_host_map":  unique.String(),
	})
	if len(d.Targets) > MaxTargets || len(d.Aliases) > MaxAliases {
		t.Errorf("device holds %d targets, %d aliases", len(d.Targets), len(d.Aliases))
	}
}

const tableCIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration>
<crm_config/>
<nodes>
<node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1-rack" name="rack" value="A"/></instance_attributes></node>
<node id="2" uname="node2"/>
<node id="3" uname="node3"><instance_attributes id="n3"><nvpair id="n3-rack" name="rack" value="B"/></instance_attributes></node>
</nodes>
<resources>
<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>
<primitive id="ipmi1" class="stonith" type="external/ipmi">
 <instance_attributes id="ipmi1-ia">
  <nvpair id="ipmi1-host" name="hostname" value="node1"/>
  <nvpair id="ipmi1-ip" name="ipaddr" value="198.18.0.1"/>
  <nvpair id="ipmi1-list" name="pcmk_host_list" value="node1"/>
  <nvpair id="ipmi1-ra" name="pcmk_reboot_action" value="off"/>
 </instance_attributes>
</primitive>
<primitive id="off" class="stonith" type="null">
 <instance_attributes id="off-ia"><nvpair id="off-hl" name="hostlist" value="node1 node2 node3"/></instance_attributes>
 <meta_attributes id="off-meta"><nvpair id="off-role" name="target-role" value="Stopped"/></meta_attributes>
</primitive>
<primitive id="pdu" class="stonith" type="external/rackpdu">
 <instance_attributes id="pdu-ia">
  <nvpair id="pdu-map" name="pcmk_host_map" value="node1:4;node2:5;node3:6"/>
 </instance_attributes>
</primitive>
<group id="g">
 <primitive id="ssh" class="stonith" type="external/ssh"><instance_attributes id="ssh-ia"><nvpair id="ssh-hl" name="hostlist" value="node2 node3"/></instance_attributes></primitive>
</group>
<clone id="any-clone">
 <primitive id="any" class="stonith" type="null"><instance_attributes id="any-ia"><nvpair id="any-check" name="pcmk_host_check" value="none"/><nvpair id="any-hl" name="hostlist" value="x"/></instance_attributes></primitive>
</clone>
</resources>
<constraints/>
%TOPOLOGY%
</configuration>
<status/>
</cib>`

func build(t *testing.T, topology string) *Table {
	t.Helper()
	root, err := cib.Parse([]byte(strings.Replace(tableCIB, "%TOPOLOGY%", topology, 1)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Build(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestBuild(t *testing.T) {
	tb := build(t, "")
	var ids []string
	for _, d := range tb.Devices {
		ids = append(ids, d.ID)
	}
	// CIB order; the disabled device left out; the group's member and
	// the clone's first instance (under the clone's child's name) in.
	if want := []string{"ipmi1", "pdu", "ssh", "any"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("devices %q, want %q", ids, want)
	}
	if !reflect.DeepEqual(tb.Warnings, []string{"Device off has been disabled"}) {
		t.Errorf("warnings %q", tb.Warnings)
	}
	ipmi := tb.Device("ipmi1")
	want := &Device{ID: "ipmi1", Agent: "external/ipmi",
		Params:  []Param{{"hostname", "node1"}, {"ipaddr", "198.18.0.1"}},
		Check:   CheckStaticList,
		Targets: []string{"node1"}, RebootAction: "off", OffAction: "off"}
	if !reflect.DeepEqual(ipmi, want) {
		t.Errorf("ipmi1 = %+v\nwant %+v", ipmi, want)
	}
	if pdu := tb.Device("pdu"); pdu.Check != CheckStaticList || pdu.Port("NODE2") != "5" || pdu.Params != nil {
		t.Errorf("pdu = %+v (port of NODE2 %q)", pdu, pdu.Port("NODE2"))
	}
	if ssh := tb.Device("ssh"); ssh.Check != CheckDynamicList || ssh.Targets != nil || ssh.Port("node2") != "node2" {
		t.Errorf("ssh = %+v", ssh)
	}
	if any := tb.Device("any"); any.Check != CheckNone || !any.CanFence("whatever", nil) {
		t.Errorf("any = %+v", any)
	}
}

// TestBuildDefaultsDisable: rsc_defaults target-role=Stopped disables
// every device, as the meta attribute reaches each resource.
func TestBuildDefaultsDisable(t *testing.T) {
	x := strings.Replace(tableCIB, "<constraints/>", `<constraints/><rsc_defaults><meta_attributes id="rd"><nvpair id="rd-role" name="target-role" value="Stopped"/></meta_attributes></rsc_defaults>`, 1)
	root, err := cib.Parse([]byte(strings.Replace(x, "%TOPOLOGY%", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Build(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Devices) != 0 {
		t.Errorf("devices %d, want none", len(tb.Devices))
	}
}

func TestCanFence(t *testing.T) {
	for _, c := range []struct {
		params map[string]string
		target string
		hosts  []string
		want   bool
		check  HostCheck
	}{
		// Pacemaker's default: static-list with a list or a map.
		{map[string]string{"pcmk_host_list": "node1 node2"}, "NODE2", nil, true, CheckStaticList},
		{map[string]string{"pcmk_host_list": "node1 node2"}, "node3", []string{"node3"}, false, CheckStaticList},
		{map[string]string{"pcmk_host_map": "node3:p3"}, "node3", nil, true, CheckStaticList},
		// Else dynamic-list: the device's list, by the port.
		{nil, "node3", []string{"node1", "NODE3"}, true, CheckDynamicList},
		{nil, "node3", nil, false, CheckDynamicList},
		{map[string]string{"pcmk_host_map": "node3:p3", "pcmk_host_check": "dynamic-list"}, "node3", []string{"p3"}, true, CheckDynamicList},
		{map[string]string{"pcmk_host_map": "node3:p3", "pcmk_host_check": "dynamic-list"}, "node3", []string{"node3"}, false, CheckDynamicList},
		// An explicit check wins over the list.
		{map[string]string{"pcmk_host_list": "node1", "pcmk_host_check": "none"}, "node9", nil, true, CheckNone},
		{map[string]string{"pcmk_host_list": "node1", "pcmk_host_check": "dynamic-list"}, "node1", nil, false, CheckDynamicList},
	} {
		d := newDevice("f", "null", c.params)
		if d.Check != c.check {
			t.Errorf("%v: check %v, want %v", c.params, d.Check, c.check)
		}
		if got := d.CanFence(c.target, c.hosts); got != c.want {
			t.Errorf("%v: CanFence(%s, %q) = %v, want %v", c.params, c.target, c.hosts, got, c.want)
		}
	}
}

func TestPlan(t *testing.T) {
	lists := map[string][]string{"ssh": {"node2", "node3"}}
	known := func(id string) ([]string, bool) { l, ok := lists[id]; return l, ok }
	unknown := func(string) ([]string, bool) { return nil, false }
	for _, c := range []struct {
		name, topology, target string
		hosts                  func(string) ([]string, bool)
		steps                  [][]string
		need                   []string
	}{
		{name: "no topology: each capable device in CIB order", target: "node2", hosts: known,
			steps: [][]string{{"pdu"}, {"ssh"}, {"any"}}},
		{name: "static list", target: "node1", hosts: known,
			steps: [][]string{{"ipmi1"}, {"pdu"}, {"any"}}},
		{name: "a dynamic list is asked for first", target: "node2", hosts: unknown,
			steps: [][]string{{"pdu"}, {"any"}}, need: []string{"ssh"}},
		{name: "levels by index, a level all of whose devices can fence", target: "node2", hosts: known,
			topology: `<fencing-topology>
<fencing-level id="l2" target="node2" index="2" devices="any"/>
<fencing-level id="l1" target="node2" index="1" devices="pdu,ssh"/>
<fencing-level id="l3" target="node2" index="3" devices="ipmi1"/>
<fencing-level id="l4" target="node2" index="4" devices="gone"/>
</fencing-topology>`,
			steps: [][]string{{"pdu", "ssh"}, {"any"}}},
		{name: "a later level of the same index replaces", target: "node2", hosts: known,
			topology: `<fencing-topology>
<fencing-level id="l1" target="node2" index="1" devices="pdu"/>
<fencing-level id="l1b" target="node2" index="1" devices="ssh"/>
<fencing-level id="bad" target="node2" index="10" devices="any"/>
</fencing-topology>`,
			steps: [][]string{{"ssh"}}},
		{name: "by name before a pattern", target: "node3", hosts: known,
			topology: `<fencing-topology>
<fencing-level id="p" target-pattern="node[0-9]" index="1" devices="any"/>
<fencing-level id="n" target="NODE3" index="1" devices="pdu"/>
</fencing-topology>`,
			steps: [][]string{{"pdu"}}},
		{name: "pattern", target: "node1", hosts: known,
			topology: `<fencing-topology>
<fencing-level id="p" target-pattern="node[0-9]" index="1" devices="any"/>
<fencing-level id="n" target="node3" index="1" devices="pdu"/>
</fencing-topology>`,
			steps: [][]string{{"any"}}},
		{name: "attribute", target: "node3", hosts: known,
			topology: `<fencing-topology>
<fencing-level id="a" target-attribute="rack" target-value="A" index="1" devices="ipmi1"/>
<fencing-level id="b" target-attribute="rack" target-value="B" index="1" devices="ssh"/>
</fencing-topology>`,
			steps: [][]string{{"ssh"}}},
		{name: "attribute, its device's list unknown", target: "node3", hosts: unknown,
			topology: `<fencing-topology>
<fencing-level id="b" target-attribute="rack" target-value="B" index="1" devices="ssh"/>
</fencing-topology>`,
			need: []string{"ssh"}},
	} {
		tb := build(t, c.topology)
		steps, need := tb.Plan(c.target, c.hosts)
		if !reflect.DeepEqual(steps, c.steps) || !reflect.DeepEqual(need, c.need) {
			t.Errorf("%s: Plan(%s) = %q need %q, want %q need %q", c.name, c.target, steps, need, c.steps, c.need)
		}
	}
}

func TestEqual(t *testing.T) {
	a := newDevice("f", "null", map[string]string{"hostlist": "a b", "pcmk_host_map": "a:1"})
	b := newDevice("f", "null", map[string]string{"hostlist": "a b", "pcmk_host_map": "a:1"})
	if !a.Equal(b) {
		t.Error("same definitions differ")
	}
	for _, p := range []map[string]string{
		{"hostlist": "a b c", "pcmk_host_map": "a:1"},
		{"hostlist": "a b", "pcmk_host_map": "a:2"},
		{"hostlist": "a b", "pcmk_host_map": "a:1", "pcmk_off_action": "reboot"},
	} {
		if a.Equal(newDevice("f", "null", p)) {
			t.Errorf("%v equals the original", p)
		}
	}
}

func TestActionAndPort(t *testing.T) {
	d := newDevice("f", "null", map[string]string{"pcmk_reboot_action": "off", "pcmk_host_map": "node1:plug7"})
	if d.Action("reboot") != "off" || d.Action("off") != "off" || d.Action("on") != "on" {
		t.Errorf("actions %s %s %s", d.Action("reboot"), d.Action("off"), d.Action("on"))
	}
	if d.Port("Node1") != "plug7" || d.Port("node2") != "node2" {
		t.Errorf("ports %s %s", d.Port("Node1"), d.Port("node2"))
	}
}

func TestConfigured(t *testing.T) {
	parse := func(x string) *cib.Element {
		t.Helper()
		root, err := cib.Parse([]byte(x))
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	none := `<cib><configuration><crm_config/><nodes/><resources><primitive id="d" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>`
	for _, c := range []struct {
		xml  string
		want bool
	}{
		{none, false},
		{`<cib><status/></cib>`, false},
		{strings.Replace(tableCIB, "%TOPOLOGY%", "", 1), true},
		{`<cib><configuration><resources><group id="g"><primitive id="f" class="Stonith" type="null"/></group></resources></configuration></cib>`, true},
		{`<cib><configuration><resources><clone id="c"><primitive id="f" class="stonith" type="null"/></clone></resources></configuration></cib>`, true},
		{`<cib><configuration><resources/><fencing-topology><fencing-level id="l" target="n" index="1" devices="f"/></fencing-topology></configuration></cib>`, true},
		{`<cib><configuration><resources/><fencing-topology/></configuration></cib>`, false},
	} {
		if got := Configured(parse(c.xml)); got != c.want {
			t.Errorf("Configured(%s) = %v, want %v", c.xml, got, c.want)
		}
	}
	root := parse(none)
	if a := testing.AllocsPerRun(100, func() { Configured(root) }); a != 0 {
		t.Errorf("Configured allocates %v times", a)
	}
}

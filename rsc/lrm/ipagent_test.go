package lrm

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

func TestIPArg(t *testing.T) {
	for _, c := range []struct {
		r      Resource
		params []Param
		arg    string
		err    string
	}{
		{Resource{Class: ClassHeartbeat, Type: "IPaddr2"}, []Param{{"1", "198.18.0.100/24/eth0"}}, "198.18.0.100/24/eth0", ""},
		{Resource{Class: ClassHeartbeat, Type: "IPaddr"}, nil, "", "no address"},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}}, "198.18.0.100", ""},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"nic", "eth0"}}, "198.18.0.100//eth0", ""},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"cidr_netmask", "24"}, {"nic", "eth0"},
			{"iflabel", "v"}, {"broadcast", "198.18.0.255"}, {"CRM_meta_timeout", "20000"}}, "198.18.0.100/24/eth0:v/198.18.0.255", ""},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"lvs_support", "true"}}, "", "lvs_support=\"true\" is not one the built-in IP agent honours"},
		// At IPaddr2's default, a parameter changes nothing.
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"lvs_support", "no"}, {"preferred_lft", "forever"}, {"mac", ""}}, "198.18.0.100", ""},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"noprefixroute", "true"}}, "", "noprefixroute"},
		// IPv6-only in the script: nothing for an IPv4 address.
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"preferred_lft", "60"}}, "198.18.0.100", ""},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"cidr_netmask", "24"}}, "", "OCF_RESKEY_ip is missing"},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100/24"}}, "", "holds '/'"},
	} {
		_, arg, _, err := ipArg(&c.r, c.params)
		if arg != c.arg || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %v: arg %q, err %v; want %q, %q", c.r.Class, c.params, arg, err, c.arg, c.err)
		}
	}
}

// Which ocf:heartbeat:IPaddr2 resources the built-in agent leaves to the
// script: any parameter it does not honour exactly, an IPv6 address, an
// ARP count of 0; heartbeat-class resources never.
func TestIPAgentDeclines(t *testing.T) {
	ocf := &Resource{ID: "vip", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2"}
	a := &IPAgent{}
	for _, c := range []struct {
		r      *Resource
		params []Param
		why    string // "" runs in-process
	}{
		{ocf, []Param{{"ip", "198.18.0.100"}, {"cidr_netmask", "24"}, {"nic", "eth0"}, {"CRM_meta_interval", "1000"}}, ""},
		{ocf, []Param{{"ip", "198.18.0.100"}, {"arp_count", "3"}, {"arp_interval", "100"}, {"flush_routes", "false"}}, ""},
		{ocf, []Param{{"ip", "198.18.0.100"}, {"lvs_support", "true"}}, "lvs_support"},
		{ocf, []Param{{"ip", "198.18.0.100"}, {"clusterip_hash", "sourceip"}}, "clusterip_hash"},
		{ocf, []Param{{"ip", "198.18.0.100"}, {"arp_count", "0"}}, "arp_count=0"},
		{ocf, []Param{{"ip", "2001:db8::1"}, {"cidr_netmask", "64"}}, "IPv6"},
		{ocf, []Param{{"cidr_netmask", "24"}}, "OCF_RESKEY_ip is missing"},
		{&Resource{ID: "hb", Class: ClassHeartbeat, Type: "IPaddr2"}, []Param{{"1", "2001:db8::1"}}, ""},
	} {
		why := a.Declines(c.r, c.params)
		if (why == "") != (c.why == "") || !strings.Contains(why, c.why) {
			t.Errorf("%s %v: declined %q, want %q", c.r.Class, c.params, why, c.why)
		}
	}
}

// Under OCFIPBuiltin the choice is per resource: an IPaddr2 with a
// parameter the built-in agent lacks runs the real script (its
// meta-data is resource-agents', not the built-in agent's), with one log
// line naming the parameter; one without runs in-process. meta-data
// changes nothing on the machine.
func TestOCFIPaddr2PerResource(t *testing.T) {
	if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"); err != nil {
		t.Skip("resource-agents' IPaddr2 is not installed")
	}
	g := newRig(t, func(o *Options) { o.OCFIPBuiltin = true })
	g.add(Resource{ID: "vip", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2",
		Params: []Param{{"ip", "198.18.0.100"}, {"cidr_netmask", "24"}, {"nic", "eth0"}}})
	g.add(Resource{ID: "lvs", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2",
		Params: []Param{{"ip", "198.18.0.101"}, {"lvs_support", "true"}}})
	for _, c := range []struct {
		id      string
		builtin bool
	}{{"vip", true}, {"lvs", false}, {"lvs", false}} {
		r := g.run(Op{Rsc: c.id, Name: "meta-data", Timeout: 20 * time.Second})
		check(t, r, RCOK, StatusDone)
		if got := strings.Contains(r.Output, `version="hbd-builtin"`); got != c.builtin {
			t.Errorf("%s: meta-data from the built-in agent %v, want %v: %.200q", c.id, got, c.builtin, r.Output)
		}
	}
	var lines []string
	for len(g.logs) > 0 {
		if l := <-g.logs; strings.Contains(l, "runs its agent's script") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Errorf("%d log lines for the script's choice, want 1 (the first run of lvs): %q", len(lines), lines)
	}
}

// Which resources the built-in IP agent runs: heartbeat-class IPaddr and
// IPaddr2 unless hbd_ip_agent says script; ocf:heartbeat:IPaddr2 only
// when asked.
func TestIPAgentSelection(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		keys string
	}{
		{Options{}, "heartbeat::IPaddr heartbeat::IPaddr2"},
		{Options{IPAgent: IPAgentScript}, ""},
		{Options{OCFIPBuiltin: true}, "heartbeat::IPaddr heartbeat::IPaddr2 ocf:heartbeat:IPaddr2"},
		{Options{IPAgent: IPAgentScript, OCFIPBuiltin: true}, "ocf:heartbeat:IPaddr2"},
	} {
		c.opt.setDefaults()
		var keys []string
		for _, k := range []string{"heartbeat::IPaddr", "heartbeat::IPaddr2", "ocf:heartbeat:IPaddr2", "ocf:heartbeat:IPaddr"} {
			if c.opt.Builtins[k] != nil {
				keys = append(keys, k)
			}
		}
		if got := strings.Join(keys, " "); got != c.keys {
			t.Errorf("IPAgent %q OCFIPBuiltin %v: builtins %q, want %q", c.opt.IPAgent, c.opt.OCFIPBuiltin, got, c.keys)
		}
	}
}

// The built-in IP agent in a network namespace: start, monitor over
// netlink, the address removed by hand → the next recurring monitor
// reports 7; stop and start restore it. For heartbeat's IPaddr2 and for
// ocf:heartbeat:IPaddr2 run in-process.
func TestIPAgentInNamespace(t *testing.T) {
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	ip := &IPAgent{ARPCount: 1, ARPInterval: 10 * time.Millisecond, In: h.Run}
	g := newRig(t, func(o *Options) { o.IP = ip; o.OCFIPBuiltin = true })
	g.add(Resource{ID: "vip", Class: ClassHeartbeat, Type: "IPaddr2", Params: []Param{{"1", "198.18.0.100/24/eth0"}}})
	g.add(Resource{ID: "ovip", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2",
		Params: []Param{{"ip", "198.18.0.101"}, {"cidr_netmask", "24"}}})
	has := func(addr string) bool {
		out, err := h.Exec("ip", "-o", "-f", "inet", "addr", "show", "dev", "eth0")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(out), " "+addr+"/24 ")
	}
	for _, c := range []struct{ id, addr string }{{"vip", "198.18.0.100"}, {"ovip", "198.18.0.101"}} {
		check(t, g.run(Op{Rsc: c.id, Name: "monitor"}), RCNotRunning, StatusDone)
		check(t, g.run(Op{Rsc: c.id, Name: "start"}), RCOK, StatusDone)
		if !has(c.addr) {
			t.Fatalf("%s: %s not on eth0 after start", c.id, c.addr)
		}
		check(t, g.run(Op{Rsc: c.id, Name: "validate-all"}), RCOK, StatusDone)
		check(t, g.run(Op{Rsc: c.id, Name: "promote"}), RCErrUnimplemented, StatusDone)
		mon := g.perform(Op{Rsc: c.id, Name: "monitor", Interval: 50 * time.Millisecond, Timeout: 5 * time.Second})
		check(t, g.wait(mon, 10*time.Second), RCOK, StatusDone)
		if _, err := h.Exec("ip", "addr", "del", c.addr+"/24", "dev", "eth0"); err != nil {
			t.Fatal(err)
		}
		// At most one run had begun before the removal.
		r := g.wait(mon, 10*time.Second)
		if r.RC == RCOK {
			r = g.wait(mon, 10*time.Second)
		}
		check(t, r, RCNotRunning, StatusDone)
		if !r.Recurring {
			t.Errorf("%s: the failed monitor is not recurring", c.id)
		}
		// Restore in place, as the haresources monitor does.
		check(t, g.run(Op{Rsc: c.id, Name: "stop"}), RCOK, StatusDone)
		check(t, g.run(Op{Rsc: c.id, Name: "start"}), RCOK, StatusDone)
		if !has(c.addr) {
			t.Fatalf("%s: %s not restored", c.id, c.addr)
		}
		for r = g.wait(mon, 10*time.Second); r.RC != RCOK; r = g.wait(mon, 10*time.Second) {
			check(t, r, RCNotRunning, StatusDone) // a run begun before the restore
		}
		var h2 []*Result
		g.do(func() { g.lrm.Cancel(c.id, mon); h2 = g.lrm.History(c.id) })
		var keys []string
		for _, x := range h2 {
			keys = append(keys, x.Key())
		}
		if strings.Join(keys, " ") != "monitor_0 start_0 validate-all_0 promote_0 monitor_50 stop_0" {
			t.Errorf("%s: history keys %v", c.id, keys)
		}
		check(t, g.run(Op{Rsc: c.id, Name: "stop"}), RCOK, StatusDone)
		if has(c.addr) {
			t.Errorf("%s: %s still there after stop", c.id, c.addr)
		}
	}
	// An OCF parameter the built-in agent does not know, when it is
	// asked anyway (not through the LRM, which runs the script then):
	// not configured, never ignored.
	lvs := &Resource{ID: "lvs", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2"}
	if rc, _ := ip.Run(t.Context(), lvs, "start", []Param{{"ip", "198.18.0.102"}, {"lvs_support", "true"}}); rc != RCErrConfigured {
		t.Errorf("lvs_support=true in the built-in agent: rc %d, want %d", rc, RCErrConfigured)
	}
	var err error
	g.do(func() { err = g.lrm.Delete("vip") })
	ip.mu.Lock()
	left := len(ip.rs)
	ip.mu.Unlock()
	if err != nil || left != 1 {
		t.Errorf("delete: %v; the agent keeps %d resources, want 1 (ovip)", err, left)
	}
}

// FuzzIPAgentDeclines: no parameters make the choice panic, and a
// resource the built-in agent keeps in-process is one it can build (it
// never takes a resource and then refuses it with rc 6).
func FuzzIPAgentDeclines(f *testing.F) {
	f.Add("ip", "198.18.0.100", "cidr_netmask", "24", "nic", "eth0")
	f.Add("ip", "2001:db8::1", "lvs_support", "true", "arp_count", "0")
	f.Add("ip", "198.18.0.100", "iflabel", "x", "broadcast", "198.18.0.255")
	f.Add("ip", "198.18.0.100", "preferred_lft", "", "flush_routes", "no")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, n3, v3 string) {
		r := &Resource{ID: "vip", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2"}
		params := []Param{{n1, v1}, {n2, v2}, {n3, v3}}
		a := &IPAgent{}
		if why := a.Declines(r, params); why == "" {
			if _, rc, err := a.resource(r, params); err != nil {
				t.Fatalf("%v kept in-process, then refused: rc %d, %v", params, rc, err)
			}
		}
	})
}

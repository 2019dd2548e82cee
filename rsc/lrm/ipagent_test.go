package lrm

import (
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
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100"}, {"lvs_support", "true"}}, "", "lvs_support is not supported"},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"cidr_netmask", "24"}}, "", "OCF_RESKEY_ip is missing"},
		{Resource{Class: ClassOCF, Type: "IPaddr2"}, []Param{{"ip", "198.18.0.100/24"}}, "", "holds '/'"},
	} {
		_, arg, _, err := ipArg(&c.r, c.params)
		if arg != c.arg || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %v: arg %q, err %v; want %q, %q", c.r.Class, c.params, arg, err, c.arg, c.err)
		}
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
	// An OCF parameter the built-in agent does not know: not configured.
	g.add(Resource{ID: "lvs", Class: ClassOCF, Provider: "heartbeat", Type: "IPaddr2",
		Params: []Param{{"ip", "198.18.0.102"}, {"lvs_support", "true"}}})
	check(t, g.run(Op{Rsc: "lvs", Name: "start"}), RCErrConfigured, StatusDone)
	var err error
	g.do(func() { err = g.lrm.Delete("vip") })
	ip.mu.Lock()
	left := len(ip.rs)
	ip.mu.Unlock()
	if err != nil || left != 1 {
		t.Errorf("delete: %v; the agent keeps %d resources, want 1 (ovip)", err, left)
	}
}

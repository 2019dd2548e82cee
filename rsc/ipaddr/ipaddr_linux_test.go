package ipaddr

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

func TestStartRunningStop(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 1})
	h := n.Host(1)
	for _, script := range []string{"IPaddr", "IPaddr2"} {
		t.Run(script, func(t *testing.T) {
			var log logLines
			r := newResource(t, script, "198.18.0.100", Options{Logf: log.logf})
			base := addrLines(t, h)
			if ok, err := running(h, r); ok || err != nil {
				t.Fatalf("Running before Start = %v, %v", ok, err)
			}
			for i := range 2 { // the second Start finds the address there
				if err := in(h, r.Start); err != nil {
					t.Fatalf("Start #%d: %v", i+1, err)
				}
			}
			got := added(base, addrLines(t, h))
			if len(got) != 1 || !strings.HasPrefix(got[0], "eth0 inet 198.18.0.100/24 brd 198.18.0.255 ") {
				t.Errorf("after Start the host has %q more, want 198.18.0.100/24 brd 198.18.0.255 on eth0", got)
			}
			if ok, err := running(h, r); !ok || err != nil {
				t.Errorf("Running after Start = %v, %v", ok, err)
			}
			for i := range 2 { // the second Stop finds nothing to do
				if err := in(h, r.Stop); err != nil {
					t.Fatalf("Stop #%d: %v", i+1, err)
				}
			}
			if now := addrLines(t, h); !slices.Equal(now, base) {
				t.Errorf("after Stop the host has %q, want %q", now, base)
			}
			if ok, err := running(h, r); ok || err != nil {
				t.Errorf("Running after Stop = %v, %v", ok, err)
			}
			lines := log.all()
			if script == "IPaddr2" {
				want := []string{
					"info: Adding inet address 198.18.0.100/24 with broadcast address 198.18.0.255 to device eth0",
					"info: Bringing device eth0 up",
					"info: /usr/libexec/heartbeat/send_arp  -i 200 -r 5 -p /run/resource-agents/send_arp-198.18.0.100 eth0 198.18.0.100 auto not_used not_used",
					"info: killed previously running send_arp for 198.18.0.100",
					"info: IP status = ok, IP_CIP=",
					"info: IP status = no, IP_CIP=",
				}
				if !slices.Equal(lines, want) {
					t.Errorf("logged\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
				}
			} else if !slices.Contains(lines, "info: eval ifconfig eth0:0 198.18.0.100 netmask 255.255.255.0 broadcast 198.18.0.255") ||
				!slices.Contains(lines, "info: ifconfig eth0:0 down") {
				t.Errorf("logged\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

func TestContextCancelled(t *testing.T) {
	r := newResource(t, "IPaddr2", "198.18.0.100", Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context = %v", err)
	}
	if ok, err := r.Running(ctx); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Running with a cancelled context = %v, %v", ok, err)
	}
}

// A case of the comparison with the real agents: resources started in
// order on identically built hosts.
type agentCase struct {
	args []string
	lo   string // an address both hosts have on lo during the case
}

// setup gives both hosts the same extra interfaces (veth pairs with both
// ends in the host) and routes: eth1 with
// an address that has no broadcast, eth2 with a static /25 route (which
// prints no source address), besides eth0's 198.18.0.1x/24.
func setup(t *testing.T, h *netnstest.Host) {
	for _, c := range [][]string{
		{"ip", "link", "add", "eth1", "type", "veth", "peer", "name", "peer1"},
		{"ip", "link", "set", "peer1", "up"},
		{"ip", "link", "set", "eth1", "up"},
		{"ip", "addr", "add", "198.19.0.1/16", "dev", "eth1"},
		{"ip", "link", "add", "eth2", "type", "veth", "peer", "name", "peer2"},
		{"ip", "link", "set", "peer2", "up"},
		{"ip", "link", "set", "eth2", "up"},
		{"ip", "route", "add", "198.18.0.128/25", "dev", "eth2"},
	} {
		mustExec(t, h, c...)
	}
}

var ipaddr2Cases = []agentCase{
	{args: []string{"198.18.0.100"}},
	{args: []string{"198.18.0.100/28"}},
	{args: []string{"198.18.0.100/24/eth0"}},
	{args: []string{"198.18.0.100/24/eth0:vip"}},
	{args: []string{"198.18.0.100/24/198.18.0.127"}},
	{args: []string{"198.18.0.100/24/eth0/198.18.0.200"}},
	{args: []string{"198.18.0.100/255.255.255.0"}},
	{args: []string{"198.18.0.100/24/eth0/+"}},
	{args: []string{"198.18.0.100/24/eth0/-"}},
	{args: []string{"198.18.0.100/32"}},
	{args: []string{"198.18.0.100/31/eth0/+"}},
	{args: []string{"198.19.5.5"}},
	{args: []string{"198.18.0.200"}},
	{args: []string{"198.18.0.200/24"}},
	{args: []string{"198.19.7.7/24/eth0"}},
	{args: []string{"198.18.1.1/24/eth1:x"}},
	{args: []string{"198.18.200.1"}},
	{args: []string{"198.18.0.100/24/eth7"}},
	{args: []string{"198.18.0.100/24/eth0:averylonglabel"}},
	{args: []string{"127.0.0.2"}},
	{args: []string{"198.18.0.100/24", "198.18.0.101/24/eth0:b", "198.18.0.130/28"}},
	// lvs_support: the VIP leaves lo while it runs, and comes back.
	{args: []string{"198.18.0.100/24/eth0"}, lo: "198.18.0.100/32"},
}

var ipaddrCases = []agentCase{
	{args: []string{"198.18.0.100"}},
	{args: []string{"198.18.0.100/28"}},
	{args: []string{"198.18.0.100/24/eth0"}},
	{args: []string{"198.18.0.100/24/eth0:7"}},
	{args: []string{"198.18.0.100/24/198.18.0.127"}},
	{args: []string{"198.18.0.100/255.0.255.0"}},
	{args: []string{"198.19.5.5"}},
	{args: []string{"198.19.5.5/16/eth1"}},
	{args: []string{"198.18.0.200"}},
	{args: []string{"198.18.200.1"}},
	{args: []string{"198.18.0.100/24/eth7"}},
	{args: []string{"127.0.0.2"}},
	{args: []string{"198.18.0.100", "198.18.0.101", "198.18.0.102/28"}},
}

func TestSameAsIPaddr2(t *testing.T) { t.Parallel(); compareWithAgent(t, "IPaddr2", ipaddr2Cases) }
func TestSameAsIPaddr(t *testing.T)  { t.Parallel(); compareWithAgent(t, "IPaddr", ipaddrCases) }

// compareWithAgent runs each case with the built-in agent on one host and
// the real wrapper on an identical host, and compares what "ip -o addr"
// shows (address, prefix, broadcast, scope, flags, label, device), what
// the status says, and that both fail or succeed together.
func compareWithAgent(t *testing.T, script string, cases []agentCase) {
	needAgent(t, script)
	ours := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	theirs := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	setup(t, ours)
	setup(t, theirs)
	t.Cleanup(func() { waitIdle(t, theirs) })
	for _, c := range cases {
		name := strings.Join(c.args, "+")
		if c.lo != "" {
			name += "+lo"
		}
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			if c.lo != "" {
				for _, h := range []*netnstest.Host{ours, theirs} {
					mustExec(t, h, "ip", "addr", "add", c.lo, "dev", "lo")
					defer mustExec(t, h, "ip", "addr", "del", c.lo, "dev", "lo")
				}
			}
			base := addrLines(t, ours)
			if b := addrLines(t, theirs); !slices.Equal(base, b) {
				t.Fatalf("hosts differ before the case: %q vs %q", base, b)
			}
			dir := agentDir(t)
			var rs []*Resource
			var started []string // by the agent too
			for _, arg := range c.args {
				r, err := New(script, config.ParseIPAddr(arg), Options{})
				if err != nil {
					// Refused at once; the agent must refuse at start.
					if out, aerr := agent(theirs, dir, script, arg, "start"); aerr == nil {
						t.Errorf("%s: New: %v; the agent started it: %s", arg, err, out)
					}
					continue
				}
				rs, started = append(rs, r), append(started, arg)
				err = in(ours, r.Start)
				out, aerr := agent(theirs, dir, script, arg, "start")
				if (err == nil) != (aerr == nil) {
					t.Errorf("%s start: built-in %v; agent %v: %s", arg, err, aerr, out)
				}
				ok, _ := running(ours, r)
				out, _ = agent(theirs, dir, script, arg, "status")
				if ok != strings.Contains(out, "Running OK") {
					t.Errorf("%s: Running = %v; agent status says %q", arg, ok, out)
				}
			}
			got, want := addrLines(t, ours), addrLines(t, theirs)
			if !slices.Equal(got, want) {
				t.Errorf("built-in configured\n%s\nthe agent\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i := len(started) - 1; i >= 0; i-- {
				if out, err := agent(theirs, dir, script, started[i], "stop"); err != nil {
					t.Errorf("agent stop %s: %v: %s", started[i], err, out)
				}
			}
			for i := len(rs) - 1; i >= 0; i-- {
				if err := in(ours, rs[i].Stop); err != nil {
					t.Errorf("Stop %s: %v", rs[i], err)
				}
			}
			// The agent puts a loopback address back with a broadcast it
			// did not have; so must hbd.
			oursNow, theirsNow := addrLines(t, ours), addrLines(t, theirs)
			if !slices.Equal(oursNow, theirsNow) {
				t.Errorf("after stop, built-in\n%s\nthe agent\n%s", strings.Join(oursNow, "\n"), strings.Join(theirsNow, "\n"))
			}
			if c.lo == "" && !slices.Equal(theirsNow, base) {
				t.Fatalf("the agent's stop left %q (want %q): later cases would be skewed", theirsNow, base)
			}
			if !t.Failed() {
				t.Logf("%s", strings.Join(added(base, got), "\n"))
			}
		})
	}
}

func TestGratuitousARP(t *testing.T) {
	t.Parallel()
	needAgent(t, "IPaddr2")
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	t.Cleanup(func() { waitIdle(t, h1) })
	w := watchARP(t, h2, h2.Iface(0))
	mac := macOf(t, h1, h1.Iface(0))

	// The built-in burst and the agent's (send_arp), one after the other,
	// with the agent's defaults: 5 pairs, 200 ms apart.
	vip := netip.MustParseAddr("198.18.0.100")
	r := newResource(t, "IPaddr2", vip.String(), Options{})
	if err := in(h1, r.Start); err != nil {
		t.Fatal(err)
	}
	w.waitFor(vip, 10, 3*time.Second)
	time.Sleep(300 * time.Millisecond) // nothing more may come
	ours := w.about(vip)
	if err := in(h1, r.Stop); err != nil {
		t.Fatal(err)
	}

	vip2 := netip.MustParseAddr("198.18.0.101")
	dir := agentDir(t)
	if out, err := agent(h1, dir, "IPaddr2", vip2.String(), "start"); err != nil {
		t.Fatalf("agent start: %v: %s", err, out)
	}
	w.waitFor(vip2, 10, 3*time.Second)
	time.Sleep(300 * time.Millisecond)
	theirs := w.about(vip2)
	if out, err := agent(h1, dir, "IPaddr2", vip2.String(), "stop"); err != nil {
		t.Fatalf("agent stop: %v: %s", err, out)
	}

	check := func(who string, got []arpSeen, ip netip.Addr) {
		t.Helper()
		if len(got) != 10 {
			t.Fatalf("%s: %d ARP packets for %s, want 10", who, len(got), ip)
		}
		var gaps []time.Duration
		for i, p := range got {
			op, tha := arpRequest, "00:00:00:00:00:00"
			if i%2 == 1 {
				op, tha = arpReply, mac.String()
			}
			if p.op != op || p.ethSrc.String() != mac.String() || p.sha.String() != mac.String() ||
				p.tha.String() != tha || p.tpa != ip || p.size != arpFrameLen {
				t.Errorf("%s: packet %d = %+v, want op %d from %s, target %s %s, %d bytes", who, i, p, op, mac, tha, ip, arpFrameLen)
			}
			if i > 0 {
				gaps = append(gaps, p.at.Sub(got[i-1].at))
			}
		}
		// send_arp sleeps half the interval after every packet but the
		// last: 9 gaps of 100 ms.
		for i, g := range gaps {
			if g < 80*time.Millisecond || g > 250*time.Millisecond {
				t.Errorf("%s: gap %d is %v, want about 100ms", who, i, g)
			}
		}
		t.Logf("%s: 10 packets over %v, gaps %v", who, got[9].at.Sub(got[0].at).Round(time.Millisecond), gaps)
	}
	check("built-in", ours, vip)
	check("send_arp", theirs, vip2)
}

func TestARPEndsWithStop(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	w := watchARP(t, h2, h2.Iface(0))
	vip := netip.MustParseAddr("198.18.0.100")
	r := newResource(t, "IPaddr2", vip.String(), Options{ARPCount: 100, ARPInterval: 100 * time.Millisecond})
	if err := in(h1, r.Start); err != nil {
		t.Fatal(err)
	}
	if got := w.waitFor(vip, 3, 2*time.Second); len(got) < 3 {
		t.Fatalf("%d packets before Stop", len(got))
	}
	if err := in(h1, r.Stop); err != nil {
		t.Fatal(err)
	}
	stopped := len(w.about(vip))
	time.Sleep(300 * time.Millisecond) // six half-intervals
	if after := len(w.about(vip)); after != stopped {
		t.Errorf("%d ARP packets arrived after Stop returned", after-stopped)
	}
}

func TestNeighboursLearnNewMAC(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, h2 := n.Host(1), n.Host(2)
	vip := "198.18.0.100"
	// The peer remembers the VIP at the MAC of the node that held it.
	mustExec(t, h2, "ip", "neigh", "replace", vip, "lladdr", "02:00:00:00:00:01", "dev", h2.Iface(0), "nud", "stale")
	r := newResource(t, "IPaddr2", vip, Options{})
	if err := in(h1, r.Start); err != nil {
		t.Fatal(err)
	}
	defer in(h1, r.Stop)
	want := macOf(t, h1, h1.Iface(0)).String()
	var got string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, err := h2.Exec("ip", "neigh", "show", vip, "dev", h2.Iface(0))
		if err != nil {
			t.Fatal(err)
		}
		if got = strings.TrimSpace(string(out)); strings.Contains(got, want) {
			return
		}
	}
	t.Errorf("the peer's neighbour entry is %q, want lladdr %s", got, want)
}

func TestClientReachesVIP(t *testing.T) {
	t.Parallel()
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	h1, client := n.Host(1), n.Host(2)
	vip := "198.18.0.100"
	ping := func() error {
		_, err := client.Exec("ping", "-n", "-q", "-c", "1", "-W", "1", vip)
		return err
	}
	if ping() == nil {
		t.Fatal("the VIP answers before Start")
	}
	r := newResource(t, "IPaddr2", vip+"/24/eth0", Options{})
	if err := in(h1, r.Start); err != nil {
		t.Fatal(err)
	}
	if err := ping(); err != nil {
		t.Errorf("after Start the client cannot reach the VIP: %v", err)
	}
	if err := in(h1, r.Stop); err != nil {
		t.Fatal(err)
	}
	if ping() == nil {
		t.Error("after Stop the VIP still answers")
	}
}

// Errors the agent reports only when it looks at the system.
func TestStartErrors(t *testing.T) {
	t.Parallel()
	h := netnstest.New(t, netnstest.Config{Hosts: 1}).Host(1)
	for _, tc := range []struct{ script, arg, want string }{
		{"IPaddr2", "198.18.200.1", "Unable to find nic or netmask."},
		{"IPaddr2", "198.18.0.100/24/eth7", `Invalid interface name [eth7]: Device "eth7" does not exist.`},
		{"IPaddr", "198.18.200.1", "No interface found."},
		{"IPaddr", "198.18.0.100/24/eth7", "eth7: unknown interface: No such device"},
	} {
		r := newResource(t, tc.script, tc.arg, Options{})
		err := in(h, r.Start)
		var e *Error
		if !errors.As(err, &e) || e.Msg != tc.want || e.Op != "start" || e.Resource != tc.script+"::"+tc.arg {
			t.Errorf("%s::%s: Start = %v, want %q", tc.script, tc.arg, err, tc.want)
		}
		// Nothing to stop: success, as for the agent.
		if err := in(h, r.Stop); err != nil {
			t.Errorf("%s::%s: Stop = %v", tc.script, tc.arg, err)
		}
	}
}

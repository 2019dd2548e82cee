package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// failoverCase is one configuration of BenchmarkFailover.
type failoverCase struct {
	name                string
	heartbeat           bool
	agent               string // "builtin" (hbd's netlink agent) or "script" (resource.d/IPaddr2)
	keepalive, deadtime string
	realtime            bool
}

// BenchmarkFailover measures what users of a VIP see: from kill -9 of the
// node holding 198.18.0.100 to the first TCP answer from the survivor,
// seen by a client on the same link that connects to the VIP over and
// over. It includes detection, the takeover decision, starting the IP
// and the gratuitous ARP that moves the client. p50/p99/max over runs()
// kills (HBD_BENCH_RUNS); run with -benchtime 1x.
//
// Each run kills whichever node holds the VIP; the killed node's address
// is then removed by hand (a killed daemon leaves its resources running,
// as heartbeat's does — the machine would be rebooted) and the node is
// restarted, to be the next victim's survivor (auto_failback off).
func BenchmarkFailover(b *testing.B) {
	cases := []failoverCase{
		{"hbd-builtin/5ms-15ms", false, "builtin", "5ms", "15ms", true},
		{"hbd-builtin/20ms-100ms", false, "builtin", "20ms", "100ms", true},
		{"hbd-IPaddr2/20ms-100ms", false, "script", "20ms", "100ms", true},
		{"heartbeat-IPaddr2/20ms-100ms", true, "script", "20ms", "100ms", false},
		{"hbd-builtin/100ms-500ms", false, "builtin", "100ms", "500ms", false},
		{"hbd-IPaddr2/100ms-500ms", false, "script", "100ms", "500ms", false},
		{"heartbeat-IPaddr2/100ms-500ms", true, "script", "100ms", "500ms", false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchFailover(b, c) })
	}
}

func benchFailover(b *testing.B, c failoverCase) {
	if c.heartbeat {
		clustertest.RequireHeartbeat(b)
	}
	net := netnstest.New(b, netnstest.Config{Hosts: 3})
	client := net.Host(3)
	vip := clustertest.VIP()
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime,
		Initdead: "10", Realtime: c.realtime, Extra: "auto_failback off\n"}
	if !c.heartbeat {
		spec.Extra += "hbd_ip_agent " + c.agent + "\nhbd_self_fence /bin/true\n"
	}
	mk := clustertest.NewHBD
	if c.heartbeat {
		mk = clustertest.NewHeartbeat
	}
	var nodes []*clustertest.Daemon
	for i := 1; i <= 2; i++ {
		d := mk(b, net.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(net, i, log) })
		d.WriteFile("haresources", "node1 IPaddr2::"+vip.String()+"/24/eth0\n", 0o644)
		clustertest.Serve(b, net.Host(i), d.Name)
		nodes = append(nodes, d)
	}
	p := clustertest.Probe(b, client, vip)
	start := time.Now()
	for _, d := range nodes {
		d.Start()
	}
	first := p.WaitFrom(b, "node1", start, 60*time.Second)
	b.Logf("%s: VIP first answered %v after start", c.name, first.At.Sub(start).Round(time.Millisecond))
	holder := 0
	var lat []time.Duration
	for run := range runs() {
		victim, survivor := nodes[holder], nodes[1-holder]
		// Let the last restart settle: a starting node advertises a
		// raised deadtime for its first 5 s.
		time.Sleep(6 * time.Second)
		killed := victim.Kill9()
		a := p.WaitFrom(b, survivor.Name, killed, 30*time.Second)
		lat = append(lat, a.At.Sub(killed))
		// The killed node's machine would have been rebooted: its VIP goes.
		if out, err := victim.Host.Exec("ip", "addr", "del", vip.String()+"/24", "dev", "eth0"); err != nil && !strings.Contains(string(out), "Cannot assign") {
			b.Fatalf("run %d: remove VIP from %s: %v\n%s", run, victim.Name, err, out)
		}
		since := time.Now()
		victim.Start()
		survivor.Log.Wait(b, "Status update for node "+victim.Name+": status active", since, 60*time.Second)
		holder = 1 - holder
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(q(0.5)), "p50-ms")
	b.ReportMetric(ms(q(0.99)), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(ms(lat[0]), "min-ms")
	b.Logf("%s: kill -9 to VIP answering from the survivor over %d kills: min %.1f p50 %.1f p99 %.1f max %.1f ms",
		c.name, len(lat), ms(lat[0]), ms(q(0.5)), ms(q(0.99)), ms(lat[len(lat)-1]))
}

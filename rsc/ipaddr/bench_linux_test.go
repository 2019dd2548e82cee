package ipaddr

import (
	"context"
	"testing"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// BenchmarkStartStop is one start and stop of a VIP with the inference
// the agent makes (nic, netmask and broadcast from the routes): the
// built-in agent against the real resource.d/IPaddr2 wrapper (which forks
// the OCF agent, ip, findif and send_arp), in the same run. The ARP burst
// runs in the background in both and is ended by the stop.
func BenchmarkStartStop(b *testing.B) {
	const vip = "198.18.0.100"
	b.Run("builtin", func(b *testing.B) {
		h := netnstest.New(b, netnstest.Config{Hosts: 1}).Host(1)
		r := newResource(b, "IPaddr2", vip, Options{})
		var err error
		b.ReportAllocs()
		b.ResetTimer()
		h.Run(func() {
			ctx := context.Background()
			for range b.N {
				if err = r.Start(ctx); err != nil {
					return
				}
				if err = r.Stop(ctx); err != nil {
					return
				}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("wrapper", func(b *testing.B) {
		needAgent(b, "IPaddr2")
		h := netnstest.New(b, netnstest.Config{Hosts: 1}).Host(1)
		b.Cleanup(func() { waitIdle(b, h) })
		dir := b.TempDir()
		b.ReportAllocs() // of the test process only: the agent forks
		b.ResetTimer()
		for range b.N {
			if out, err := agent(h, dir, "IPaddr2", vip, "start"); err != nil {
				b.Fatalf("start: %v: %s", err, out)
			}
			if out, err := agent(h, dir, "IPaddr2", vip, "stop"); err != nil {
				b.Fatalf("stop: %v: %s", err, out)
			}
		}
	})
}

package node

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
)

func TestArrival(t *testing.T) {
	const off = 1_000_000_000_000 // realtime - monotonic
	for _, c := range []struct {
		name                 string
		stamp, from, now, is int64
	}{
		{"in the window", off + 150, 100, 200, 150},
		{"no stamp", 0, 100, 200, 200},
		{"before the previous drain (clock stepped back)", off + 50, 100, 200, 100},
		{"after now (clock stepped forward)", off + 500, 100, 200, 200},
	} {
		if got := arrival(c.stamp, off, c.from, c.now); got != c.is {
			t.Errorf("%s: arrival = %d, want %d", c.name, got, c.is)
		}
	}
}

func TestWantBeaconSocket(t *testing.T) {
	base := func() *config.Config {
		return &config.Config{Keepalive: 10 * time.Millisecond, Native: config.NativeAuto,
			Media: []config.Medium{{Type: "bcast"}}}
	}
	for _, c := range []struct {
		name string
		edit func(*config.Config)
		want bool
	}{
		{"auto", func(*config.Config) {}, true},
		{"native on", func(c *config.Config) { c.Native = config.NativeOn }, true},
		{"heartbeat's form only", func(c *config.Config) { c.Native = config.NativeOff }, false},
		{"off", func(c *config.Config) { c.NoBeaconSocket = true }, false},
		{"fast keepalive", func(c *config.Config) { c.Keepalive = fastKeepalive - time.Millisecond }, false},
		{"serial", func(c *config.Config) { c.Media = append(c.Media, config.Medium{Type: "serial"}) }, false},
	} {
		cfg := base()
		c.edit(cfg)
		if got := wantBeaconSocket(cfg); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

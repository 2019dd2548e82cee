package stonith

import (
	"os/exec"
	"testing"

	"github.com/hbd-ha/hbd/config"
)

// BenchmarkNullReset measures one reset through stonith(8) and the null
// plugin, from Reset to its Result on the loop: the fixed cost of fencing
// through the command rather than an in-process plugin.
func BenchmarkNullReset(b *testing.B) {
	if _, err := exec.LookPath(DefaultCommand); err != nil {
		b.Skip(err)
	}
	wake := make(chan struct{}, 1)
	f := New(&config.Stonith{Type: "null", Host: "*", Params: "peer"}, Options{
		Wake: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		},
		Env: []string{"HA_logfacility=none", "HA_logfile=/dev/null"},
	})
	defer f.Close()
	var res []Result
	b.ReportAllocs()
	for b.Loop() {
		f.Reset("peer")
		for res = res[:0]; len(res) == 0; res = f.Results(res) {
			<-wake
		}
		if !res[0].OK {
			b.Fatalf("%+v", res[0])
		}
	}
}

package lrm

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// 1000 resources with recurring monitors: the loop's longest stall and
// the daemon's CPU (agents excluded). HBD_LRM_SCALE=seconds runs it.
func TestThousandMonitors(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("HBD_LRM_SCALE"))
	if secs <= 0 {
		t.Skip("HBD_LRM_SCALE=<seconds> runs it")
	}
	g := newRig(t, nil)
	const n = 1000
	for i := 0; i < n; i++ {
		g.add(Resource{ID: "r" + strconv.Itoa(i), Class: "ocf", Provider: "test", Type: "naughty"})
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	g.do(func() {
		for i := 0; i < n; i++ {
			// Spread over the interval, as a CRM's staggered starts would.
			g.lrm.Perform(Op{Rsc: "r" + strconv.Itoa(i), Name: "monitor", Interval: 10 * time.Second,
				StartDelay: time.Duration(i) * 10 * time.Millisecond, Timeout: 20 * time.Second})
		}
	})
	runs, late := 0, time.Duration(0)
	deadline := time.After(time.Duration(secs) * time.Second)
loop:
	for {
		select {
		case r := <-g.res:
			runs++
			if r.RC != 0 {
				t.Errorf("%s: rc %d", r.Rsc, r.RC)
			}
			if r.QueueTime > late {
				late = r.QueueTime
			}
		case <-deadline:
			break loop
		}
	}
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	st := g.l.Stats()
	el := time.Since(start)
	t.Logf("%d monitor runs in %v; daemon CPU %v (%.2f%% of a core); loop stalls >10ms: %d, max lateness %v; longest queue wait %v",
		runs, el.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/el.Seconds(), st.Stalls, st.MaxStall, late)
}

// Monitor latency: from a recurring monitor's due time to its result on
// the loop, for Dummy (a shell agent) – what the loop adds is the
// difference between the interval spacing and the agent's run time.
func TestMonitorLatency(t *testing.T) {
	if os.Getenv("HBD_LRM_SCALE") == "" {
		t.Skip("HBD_LRM_SCALE=<seconds> runs it")
	}
	g := newRig(t, nil)
	g.add(Resource{ID: "d", Class: "ocf", Provider: "test", Type: "naughty"})
	id := g.perform(Op{Rsc: "d", Name: "monitor", Interval: 100 * time.Millisecond, Timeout: 5 * time.Second})
	var prev time.Time
	var gaps, execs []time.Duration
	for i := 0; i < 30; i++ {
		r := g.wait(id, 5*time.Second)
		now := time.Now()
		if !prev.IsZero() {
			gaps = append(gaps, now.Sub(prev)-100*time.Millisecond-r.ExecTime)
		}
		execs = append(execs, r.ExecTime)
		prev = now
	}
	var maxGap, sumGap, sumExec time.Duration
	for i, gp := range gaps {
		sumGap += gp
		if gp > maxGap {
			maxGap = gp
		}
		_ = i
	}
	for _, e := range execs {
		sumExec += e
	}
	t.Logf("agent run (fork+exec+sh) mean %v; LRM overhead per run (spacing - interval - run) mean %v, max %v",
		sumExec/time.Duration(len(execs)), sumGap/time.Duration(len(gaps)), maxGap)
}

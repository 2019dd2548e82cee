package sim

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/wire"
)

// TestResourceSchedules runs random resource schedules (2 to 4 nodes, one
// group per node, crashes, restarts, clean stops and standby requests on
// a lossless network) and checks the resource invariants: no group is
// started while a connected, stable node holds it, and after a quiet
// period every group runs on one running node (at least one with two).
func TestResourceSchedules(t *testing.T) {
	n := envInt("HBD_SIM_SCHEDULES", 200)
	if testing.Short() || raceEnabled {
		n = 20
	}
	fails := 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		v, desc := runResourceSchedule(seed, false)
		if len(v) > 0 {
			if fails++; fails <= 3 {
				t.Errorf("%s%d violations, first: %v", desc, len(v), v[:min(len(v), 3)])
			}
		}
	}
}

// TestQuickRestartSchedules is TestResourceSchedules with heartbeat's
// quick restart (SIGHUP, exec -R -C) among the faults: after 0 to 300 ms
// the old process goes quiet and the new one starts 0 to 3 s later (up to
// six deadtimes, well within the raised dt). The same invariants hold: in
// particular no peer takes over a restarting node's groups.
func TestQuickRestartSchedules(t *testing.T) {
	n := envInt("HBD_SIM_SCHEDULES", 200)
	if testing.Short() || raceEnabled {
		n = 20
	}
	fails, restarts, refused := 0, 0, 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		v, desc := runResourceSchedule(seed, true)
		restarts += strings.Count(desc, " quickrestart ")
		refused += strings.Count(desc, " refused;")
		if len(v) > 0 {
			if fails++; fails <= 3 {
				t.Errorf("%s%d violations, first: %v", desc, len(v), v[:min(len(v), 3)])
			}
		}
	}
	t.Logf("%d quick restarts (%d refused: resource work running)", restarts, refused)
	if restarts-refused < n/4 {
		t.Errorf("only %d quick restarts in %d schedules", restarts-refused, n)
	}
}

func runResourceSchedule(seed uint64, quick bool) ([]string, string) {
	r := rand.New(rand.NewPCG(seed, 0x45c))
	nn := 2 + r.IntN(resourceNodesMax-1)
	opt := Options{
		Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: time.Second,
		Seed: seed, Method: wire.CRC, Resources: true,
		Failback:   own.FailbackMode(r.IntN(3)),
		ActionTime: time.Duration(r.IntN(300)) * time.Millisecond,
	}
	if nn > 2 && opt.Failback == own.FailbackLegacy {
		// Legacy nodes never announce what they hold: with three or
		// more, a restarted node cannot know who took its group over
		// (hbd warns at start-up). Not a configuration to check.
		opt.Failback = own.FailbackMode(1 + r.IntN(2))
	}
	for i := range nn {
		name := fmt.Sprintf("node%d", i+1)
		opt.Nodes = append(opt.Nodes, name)
		opt.Groups = append(opt.Groups, own.GroupConfig{Key: fmt.Sprintf("g%d", i+1), Node: name})
	}
	opt.Trace = traceHook
	s, err := New(opt)
	lastSim = s
	if err != nil {
		return []string{err.Error()}, ""
	}
	c := NewChecker(s)
	c.CheckResources()
	desc := fmt.Sprintf("seed %d: %d nodes, failback %d, actions %v:", seed, nn, opt.Failback, opt.ActionTime)
	for i := range nn {
		s.RunFor(time.Duration(r.IntN(300)) * time.Millisecond)
		_ = s.Start(i)
	}
	// stopping: nodes asked to shut down since they last started; each
	// must have stopped by the end (a delayed shutdown must resume).
	stopping := map[int]bool{}
	for range r.IntN(6) {
		s.RunFor(time.Duration(2000+r.IntN(12000)) * time.Millisecond)
		i := r.IntN(nn)
		n := s.Nodes[i]
		kinds := 4
		if quick {
			kinds = 6
		}
		switch k := r.IntN(kinds); {
		case n.quick != nil:
			// Between exec and the new process: leave it be.
		case !n.Running():
			desc += fmt.Sprintf(" %v start %d;", time.Duration(s.Now), i)
			// A crashed host reboots: what ran on it is gone.
			clear(n.exec.running)
			_ = s.Start(i)
			delete(stopping, i)
		case k == 0:
			desc += fmt.Sprintf(" %v crash %d;", time.Duration(s.Now), i)
			s.Crash(i)
			clear(n.exec.running) // fenced by hand: heartbeat has no STONITH device here
			delete(stopping, i)
		case k == 1 && r.IntN(4) == 0:
			// Every running node at once (CTS's simultaneous stop).
			desc += fmt.Sprintf(" %v shutdown all;", time.Duration(s.Now))
			for j, m := range s.Nodes {
				if m.Running() && m.quick == nil {
					s.Shutdown(j)
					stopping[j] = true
				}
			}
		case k == 1:
			desc += fmt.Sprintf(" %v shutdown %d;", time.Duration(s.Now), i)
			s.Shutdown(i)
			stopping[i] = true
		case k >= 4:
			q := QuickRestart{
				Linger: time.Duration(r.IntN(300)) * time.Millisecond,
				Window: time.Duration(r.IntN(3000)) * time.Millisecond,
			}
			if err := s.QuickRestart(i, q); err != nil {
				desc += fmt.Sprintf(" %v quickrestart %d refused;", time.Duration(s.Now), i)
				break
			}
			desc += fmt.Sprintf(" %v quickrestart %d %v/%v;", time.Duration(s.Now), i, q.Linger, q.Window)
			delete(stopping, i)
		default:
			set := []string{"all", "local", "foreign"}[r.IntN(3)]
			desc += fmt.Sprintf(" %v standby %d %s;", time.Duration(s.Now), i, set)
			_ = s.SendText(i, ">>>\nt=ask_resources\nrsc_hold="+set+"\ninfo=me\n<<<\n")
		}
	}
	s.RunFor(30 * time.Second)
	for i := range stopping {
		if s.Nodes[i].Running() {
			c.Violations = append(c.Violations, fmt.Sprintf("%s still runs 30 s after its shutdown began", s.Nodes[i].Name))
		}
	}
	c.ResourcesSettled(s)
	if nn > 2 && opt.Failback == own.FailbackOn {
		c.FailedBack(s)
	}
	return c.Violations, desc + "\n"
}

var (
	traceHook bool
	lastSim   *Sim
)

// resourceNodesMax bounds the schedules' cluster size.
const resourceNodesMax = 4

// envInt reads a schedule count from the environment, for long runs.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

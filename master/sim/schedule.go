package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// Schedule is a random fault schedule: a cluster, when each node starts,
// and faults at random times; then the network heals and the cluster
// settles.
type Schedule struct {
	Seed   uint64
	Opt    Options
	Starts []time.Duration
	Faults []Fault
	// FaultsEnd is when every link is healed; Settle how long the cluster
	// then runs before the settled state is checked.
	FaultsEnd, Settle time.Duration
}

// Fault is one scheduled change.
type Fault struct {
	At   time.Duration
	Kind FaultKind
	Node int   // crash, restart, freeze
	From []int // link faults
	To   []int
	Link Link
	// Freeze: for how long, and whether the node reports the pause to
	// its master (Master.Paused) when it runs again.
	For    time.Duration
	Report bool
}

// FaultKind names a fault.
type FaultKind uint8

// Faults.
const (
	Crash FaultKind = iota
	Restart
	SetLink // From → To get Link (loss, dup, delay, jitter, down)
	HealAll
	Freeze // Node is not scheduled For a while (Sim.Freeze)
)

func (f Fault) String() string {
	switch f.Kind {
	case Crash:
		return fmt.Sprintf("%v crash %d", f.At, f.Node)
	case Restart:
		return fmt.Sprintf("%v restart %d", f.At, f.Node)
	case SetLink:
		return fmt.Sprintf("%v link %v->%v %+v", f.At, f.From, f.To, f.Link)
	case Freeze:
		return fmt.Sprintf("%v freeze %d for %v report=%v", f.At, f.Node, f.For, f.Report)
	}
	return fmt.Sprintf("%v heal", f.At)
}

// RandomSchedule draws a schedule from seed: 2 to 4 nodes, keepalive
// 100 ms, deadtime 300 ms to 1 s, crashes, restarts, full and one-way
// partitions, loss, duplication, delay and reordering for 4 s, then 3.5 s
// to settle (enough for heartbeat's raised dt of a node's first 5 s).
// Half the schedules also freeze a node or two for 0.3 to 1.5 deadtimes,
// drawn from a stream of their own so that the other faults of a seed
// stay what they were before freezes existed.
func RandomSchedule(seed uint64) Schedule {
	r := rand.New(rand.NewPCG(seed, 0xfa17))
	n := 2 + r.IntN(3)
	dead := []time.Duration{300 * time.Millisecond, 500 * time.Millisecond, time.Second}[r.IntN(3)]
	sc := Schedule{
		Seed: seed,
		Opt: Options{
			Keepalive: 100 * time.Millisecond, Deadtime: dead,
			Initdead: 2 * dead, Seed: seed,
			Method: wire.CRC, // cheapest: the codec is what matters here
		},
		FaultsEnd: 4 * time.Second,
		Settle:    3500 * time.Millisecond,
	}
	for i := range n {
		sc.Opt.Nodes = append(sc.Opt.Nodes, fmt.Sprintf("node%d", i+1))
		sc.Starts = append(sc.Starts, time.Duration(r.IntN(300))*time.Millisecond)
	}
	if r.IntN(3) == 0 {
		sc.Opt.Media = []string{"eth0", "eth1"}
	}
	subset := func() []int {
		var s []int
		for i := range n {
			if r.IntN(2) == 0 {
				s = append(s, i)
			}
		}
		if len(s) == 0 {
			s = append(s, r.IntN(n))
		}
		return s
	}
	for range r.IntN(10) {
		f := Fault{At: time.Duration(300+r.IntN(3600)) * time.Millisecond}
		switch k := r.IntN(10); {
		case k < 2:
			f.Kind, f.Node = Crash, r.IntN(n)
		case k < 4:
			f.Kind, f.Node = Restart, r.IntN(n)
		case k < 5:
			f.Kind = HealAll
		default:
			f.Kind, f.From, f.To = SetLink, subset(), subset()
			switch r.IntN(4) {
			case 0:
				f.Link.Down = true // a full partition takes both directions: drawn separately
			case 1:
				f.Link.Loss = r.Float64() * 0.6
			case 2:
				f.Link.Dup = r.Float64() * 0.5
				f.Link.Delay = time.Duration(r.IntN(50)) * time.Millisecond
			default:
				f.Link.Jitter = time.Duration(1+r.IntN(300)) * time.Millisecond
			}
		}
		sc.Faults = append(sc.Faults, f)
	}
	fr := rand.New(rand.NewPCG(seed, 0xf7ee2e))
	if fr.IntN(2) == 0 {
		for range 1 + fr.IntN(2) {
			d := dead * time.Duration([]int{3, 8, 15}[fr.IntN(3)]) / 10
			at := time.Duration(300+fr.IntN(3600)) * time.Millisecond
			if at+d > sc.FaultsEnd {
				at = sc.FaultsEnd - d
			}
			sc.Faults = append(sc.Faults, Fault{At: at, Kind: Freeze, Node: fr.IntN(n), For: d, Report: fr.IntN(2) == 0})
		}
	}
	return sc
}

// Run plays the schedule and returns the invariant violations.
func (sc Schedule) Run() ([]string, error) {
	s, err := New(sc.Opt)
	if err != nil {
		return nil, err
	}
	return runTraced(sc, s)
}

func runTraced(sc Schedule, s *Sim) ([]string, error) {
	c := NewChecker(s)
	type step struct {
		at int64
		do func()
	}
	var steps []step
	for i, at := range sc.Starts {
		steps = append(steps, step{int64(at), func() { _ = s.Start(i) }})
	}
	for _, f := range sc.Faults {
		steps = append(steps, step{int64(f.At), func() {
			switch f.Kind {
			case Crash:
				s.Crash(f.Node)
			case Restart:
				if !s.Nodes[f.Node].Running() {
					_ = s.Start(f.Node)
				}
			case SetLink:
				s.SetLinks(f.From, f.To, -1, func(l *Link) { *l = f.Link })
			case HealAll:
				s.Heal()
			case Freeze:
				s.Freeze(f.Node, f.For, f.Report)
			}
		}})
	}
	steps = append(steps, step{int64(sc.FaultsEnd), s.Heal})
	// Stable order: by time, then as listed.
	for i := 1; i < len(steps); i++ {
		for j := i; j > 0 && steps[j].at < steps[j-1].at; j-- {
			steps[j], steps[j-1] = steps[j-1], steps[j]
		}
	}
	for _, st := range steps {
		s.RunUntil(st.at)
		st.do()
	}
	s.RunFor(sc.Settle)
	c.Settled(s)
	return c.Violations, nil
}

func (sc Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d nodes %v, media %v, starts %v\n", sc.Seed, len(sc.Opt.Nodes), sc.Opt.Nodes, sc.Opt.Media, sc.Starts)
	for _, f := range sc.Faults {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return b.String()
}

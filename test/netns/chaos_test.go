// The randomized fault runner: seeded schedules of faults over three to
// five hbd nodes, with every resource start and stop recorded by the agents
// themselves and two invariants checked against that record:
//
//  1. no group is active on two nodes while they can hear each other;
//  2. no group stays unowned for longer than the protocol needs while a
//     node that can hold it is up.
//
// CI runs a short fixed-seed set (TestChaos). `make chaos` runs a long one
// and prints the summary table:
//
//	go test ./test/netns -run TestChaos -chaos.schedules 20 -chaos.seed 100 -v
//
// It lives in this package so that it never runs beside the other
// timing-sensitive tests (go test runs packages in parallel).
package netns

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

var (
	seed      = flag.Uint64("chaos.seed", 1, "seed of the first schedule")
	schedules = flag.Int("chaos.schedules", 2, "schedules to run")
	faults    = flag.Int("chaos.faults", 6, "faults per schedule")
)

// Timing of every schedule: keepalive 30 ms, deadtime 300 ms (ten
// heartbeats per deadtime: the loss fault's 30% makes a false death a
// 0.3^10 ≈ 6e-6 event per window).
const (
	chaosDeadtime = 300 * time.Millisecond
	// settle is how long after a fault is repaired the cluster gets before
	// the invariants are checked strictly again: a partition restart
	// (ceil(deadtime) + 1 s, then a start-up negotiation whose nice_failback
	// wait is up to 10 s, §4.4) is the slowest thing that follows a fault.
	settle = 15 * time.Second
	// takeoverBound is invariant 2's bound outside settle windows:
	// deadtime, the agents' start (a shell script, tens of ms) and the
	// protocol's own hops, with a margin for a loaded 2-vCPU machine.
	takeoverBound = chaosDeadtime + 2*time.Second
)

// rec is a heartbeat-style agent that records each start and stop with a
// CLOCK_REALTIME timestamp in one log shared by every node; its state is
// per node.
const rec = `#!/bin/sh
state="$STATE/$1"
case "$2" in
start) [ -e "$state" ] || { touch "$state"; echo "$(date +%s%N) $NODE $1 start" >>"$LOG"; } ;;
stop) [ -e "$state" ] && { rm -f "$state"; echo "$(date +%s%N) $NODE $1 stop" >>"$LOG"; } ;;
status) if [ -e "$state" ]; then echo "rec $1 is running"; else echo "rec $1 is stopped"; fi ;;
esac
exit 0
`

type faultKind string

const (
	kCrash     faultKind = "crash"     // power loss: daemon and agents gone, state wiped; back 1–3 s later
	kStop      faultKind = "stop"      // clean stop (SIGTERM), start 1–3 s later
	kPartition faultKind = "partition" // one node cut off for 1–4 s
	kLoss      faultKind = "loss"      // 30% loss and duplication of one node's packets for 5 s
	kPause     faultKind = "sigstop"   // SIGSTOP for 0.2–0.8 × deadtime
	kStandby   faultKind = "standby"   // hb_standby on one node
)

var kinds = []faultKind{kCrash, kStop, kPartition, kLoss, kPause, kStandby}

type fault struct {
	kind     faultKind
	node     int // 1-based
	at, end  time.Time
	duration time.Duration
}

type chaosCluster struct {
	t      *testing.T
	net    *netnstest.Net
	nodes  []*clustertest.Daemon
	states []string
	log    string
	groups []string
}

func TestChaos(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chaos: needs root (network namespaces)")
	}
	type row struct {
		seed          uint64
		nodes, groups int
		faults        map[faultKind]int
		starts, stops int
		maxUnowned    time.Duration
		violations    []string
	}
	var rows []row
	for s := *seed; s < *seed+uint64(*schedules); s++ {
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(s, 0xc4a05))
			n := 3 + rng.IntN(3)
			g := 2 + rng.IntN(3)
			c := startChaos(t, n, g)
			begin := time.Now()
			time.Sleep(20 * time.Second) // start-up: initdead, nice_failback's wait
			var done []fault
			for range *faults {
				f := c.inject(rng)
				done = append(done, f)
				t.Logf("%s node%d at +%v for %v", f.kind, f.node, f.at.Sub(begin).Round(time.Millisecond), f.duration)
				time.Sleep(time.Duration(2+rng.IntN(4)) * time.Second)
			}
			time.Sleep(settle)
			end := time.Now()
			ev := c.events(t)
			v, maxGap := checkChaos(ev, done, c.groups, begin.Add(20*time.Second), end)
			r := row{seed: s, nodes: n, groups: g, faults: map[faultKind]int{}, violations: v, maxUnowned: maxGap}
			for _, f := range done {
				r.faults[f.kind]++
			}
			for _, e := range ev {
				if e.start {
					r.starts++
				} else {
					r.stops++
				}
			}
			// Finally, every group runs on exactly one node.
			for _, grp := range c.groups {
				var on []string
				for i, st := range c.states {
					if _, err := os.Stat(filepath.Join(st, grp)); err == nil {
						on = append(on, c.nodes[i].Name)
					}
				}
				if len(on) != 1 {
					r.violations = append(r.violations, fmt.Sprintf("at the end, %s runs on %v", grp, on))
				}
			}
			rows = append(rows, r)
			for _, x := range r.violations {
				t.Errorf("seed %d: %s", s, x)
			}
			if t.Failed() {
				for _, e := range ev {
					t.Logf("  %s", e)
				}
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-6s %-5s %-6s %-44s %-7s %-6s %-11s %s\n", "seed", "nodes", "groups", "faults", "starts", "stops", "max-unowned", "violations")
	tot := map[faultKind]int{}
	nv := 0
	for _, r := range rows {
		var fs []string
		for _, k := range kinds {
			if r.faults[k] > 0 {
				fs = append(fs, fmt.Sprintf("%s×%d", k, r.faults[k]))
				tot[k] += r.faults[k]
			}
		}
		nv += len(r.violations)
		fmt.Fprintf(&b, "%-6d %-5d %-6d %-44s %-7d %-6d %-11s %d\n", r.seed, r.nodes, r.groups, strings.Join(fs, " "), r.starts, r.stops, r.maxUnowned.Round(time.Millisecond), len(r.violations))
	}
	var fs []string
	n := 0
	for _, k := range kinds {
		fs = append(fs, fmt.Sprintf("%s×%d", k, tot[k]))
		n += tot[k]
	}
	fmt.Fprintf(&b, "total: %d schedules, %d faults (%s), %d invariant violations\n", len(rows), n, strings.Join(fs, " "), nv)
	t.Log(b.String())
}

func startChaos(t *testing.T, n, g int) *chaosCluster {
	net := netnstest.New(t, netnstest.Config{Hosts: n})
	dir := t.TempDir()
	c := &chaosCluster{t: t, net: net, log: filepath.Join(dir, "rec.log")}
	var hares strings.Builder
	for k := range g {
		name := "g" + strconv.Itoa(k+1)
		c.groups = append(c.groups, name)
		fmt.Fprintf(&hares, "node%d rec::%s\n", k%n+1, name)
	}
	spec := clustertest.Spec{Nodes: n, Media: "bcast", Keepalive: "30ms", Deadtime: "300ms", Initdead: "3",
		Extra: "auto_failback on\nhbd_self_fence /bin/true\n"}
	for i := 1; i <= n; i++ {
		name := "node" + strconv.Itoa(i)
		d := clustertest.NewHBD(t, net.Host(i), name, func(log string) string { return spec.HaCF(net, i, log) })
		state := filepath.Join(dir, name)
		os.MkdirAll(state, 0o755)
		d.WriteFile("haresources", hares.String(), 0o644)
		d.WriteFile("resource.d/rec", strings.Replace(rec, "#!/bin/sh\n", "#!/bin/sh\nSTATE="+state+" NODE="+name+" LOG="+c.log+"\n", 1), 0o755)
		c.nodes = append(c.nodes, d)
		c.states = append(c.states, state)
	}
	for _, d := range c.nodes {
		d.Start()
	}
	return c
}

// inject runs one fault to its end (the repair is scheduled, not awaited,
// where the fault lasts).
func (c *chaosCluster) inject(rng *rand.Rand) fault {
	i := 1 + rng.IntN(len(c.nodes))
	d := c.nodes[i-1]
	f := fault{kind: kinds[rng.IntN(len(kinds))], node: i, at: time.Now()}
	switch f.kind {
	case kCrash:
		d.PowerOff()
		c.wipe(i)
		f.duration = time.Duration(1000+rng.IntN(2000)) * time.Millisecond
		time.Sleep(f.duration)
		d.Start()
	case kStop:
		d.Stop()
		f.duration = time.Duration(1000+rng.IntN(2000)) * time.Millisecond
		time.Sleep(f.duration)
		d.Start()
	case kPartition:
		d.Host.Block(0)
		f.duration = time.Duration(1000+rng.IntN(3000)) * time.Millisecond
		time.Sleep(f.duration)
		d.Host.Unblock(0)
	case kLoss:
		d.Host.SetFaults(0, netnstest.Faults{DropOut: 30, DupOut: 30})
		f.duration = 5 * time.Second
		time.Sleep(f.duration)
		d.Host.ClearFaults()
	case kPause:
		f.duration = time.Duration(float64(chaosDeadtime) * (0.2 + 0.6*rng.Float64()))
		syscall.Kill(d.Pid(), syscall.SIGSTOP)
		time.Sleep(f.duration)
		syscall.Kill(d.Pid(), syscall.SIGCONT)
	case kStandby:
		cmd := exec.Command("/usr/share/heartbeat/hb_standby")
		cmd.Env = append(os.Environ(), "HA_FIFO="+d.FIFO(), "HA_LOGFILE=/dev/null", "HA_LOGFACILITY=none", "HA_DEBUGLOG=/dev/null")
		cmd.Run()
	}
	f.end = time.Now()
	return f
}

// wipe is what a power cut does to a node's resources: they stop, with no
// agent to record it; the runner records it for them.
func (c *chaosCluster) wipe(i int) {
	ents, _ := os.ReadDir(c.states[i-1])
	f, err := os.OpenFile(c.log, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	for _, e := range ents {
		os.Remove(filepath.Join(c.states[i-1], e.Name()))
		fmt.Fprintf(f, "%d node%d %s stop\n", time.Now().UnixNano(), i, e.Name())
	}
}

type recEvent struct {
	at    time.Time
	node  string
	group string
	start bool
}

func (e recEvent) String() string {
	op := "stop"
	if e.start {
		op = "start"
	}
	return fmt.Sprintf("%s %s %s %s", e.at.Format("15:04:05.000"), e.node, e.group, op)
}

func (c *chaosCluster) events(t *testing.T) []recEvent {
	f, err := os.Open(c.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []recEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) != 4 {
			continue
		}
		ns, _ := strconv.ParseInt(w[0], 10, 64)
		out = append(out, recEvent{at: time.Unix(0, ns), node: w[1], group: w[2], start: w[3] == "start"})
	}
	slices.SortStableFunc(out, func(a, b recEvent) int { return a.at.Compare(b.at) })
	return out
}

// check replays the record against the faults. Overlaps (a group active
// on two nodes) are allowed only where the two could not hear each other:
// from a partition's start until its settle window after the heal (the
// partition restart resolves it), and from a crash or clean stop of the
// node (its record is closed then). Unowned gaps are bounded by
// takeoverBound, except those that start within a fault's settle window,
// which get the window.
func checkChaos(ev []recEvent, fs []fault, groups []string, from, to time.Time) ([]string, time.Duration) {
	var v []string
	partitioned := func(at time.Time, a, b string) bool {
		for _, f := range fs {
			name := "node" + strconv.Itoa(f.node)
			if f.kind == kPartition && (a == name || b == name) && !at.Before(f.at) && at.Before(f.end.Add(settle)) {
				return true
			}
		}
		return false
	}
	inSettle := func(at time.Time) bool {
		for _, f := range fs {
			if !at.Before(f.at) && at.Before(f.end.Add(settle)) {
				return true
			}
		}
		return false
	}
	var maxGap time.Duration
	for _, g := range groups {
		on := map[string]bool{}
		var unowned time.Time // since when nobody holds g (zero: someone does)
		for _, e := range ev {
			if e.group != g {
				continue
			}
			if e.start {
				for other := range on {
					if other != e.node && !partitioned(e.at, e.node, other) {
						v = append(v, fmt.Sprintf("%s started on %s at %s while %s, which could hear it, ran it", g, e.node, e.at.Format("15:04:05.000"), other))
					}
				}
				on[e.node] = true
				if !unowned.IsZero() && unowned.After(from) {
					gap := e.at.Sub(unowned)
					maxGap = max(maxGap, gap)
					if gap > takeoverBound && !inSettle(unowned) {
						v = append(v, fmt.Sprintf("%s unowned for %v from %s", g, gap.Round(time.Millisecond), unowned.Format("15:04:05.000")))
					}
				}
				unowned = time.Time{}
			} else {
				delete(on, e.node)
				if len(on) == 0 {
					unowned = e.at
				}
			}
		}
		if len(on) == 0 && !unowned.IsZero() && to.Sub(unowned) > takeoverBound {
			v = append(v, fmt.Sprintf("%s unowned from %s to the end", g, unowned.Format("15:04:05.000")))
		}
	}
	return v, maxGap
}

package bench

import (
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

// verdictReadLag is how late the benchmark may stamp a daemon's log line
// (it tails the file every millisecond, at the lowest real-time priority):
// the verdict itself may have been taken up to this much earlier.
const verdictReadLag = 50 * time.Millisecond

// falseVerdict is one failure verdict a daemon logged while its peer was
// alive (hbd: "is dead"; keepalived: a backup "Entering MASTER STATE"),
// with what explains it, if anything.
type falseVerdict struct {
	node    string
	line    clustertest.Line
	freeze  freeze // the longest freeze over the threshold behind it
	longest freeze // the longest freeze of any length behind it (for the log)
	why     string
	matched bool
	// peerStalled: unmatched, but the peer logged its own loop stall
	// over the threshold in the window (CPU starvation of a
	// normal-class daemon, which the real-time probe does not feel).
	peerStalled bool
}

// verdictTally is matchVerdicts' result.
type verdictTally struct {
	verdicts []falseVerdict
	matched  int
}

func (t verdictTally) unmatched() int { return len(t.verdicts) - t.matched }

func (t verdictTally) peerStalled() int {
	n := 0
	for _, v := range t.verdicts {
		if v.peerStalled {
			n++
		}
	}
	return n
}

// peerStall finds a line "event loop stalled for N ms" (hbd's loop) that
// a node other than d logged, whose stall, N ms ending when it was logged,
// overlapped [from, to] and was longer than over.
func peerStall(nodes []*clustertest.Daemon, d *clustertest.Daemon, from, to time.Time, over time.Duration) (string, bool) {
	const mark = "event loop stalled for "
	for _, o := range nodes {
		if o == d {
			continue
		}
		for _, l := range o.Log.Since(from) {
			i := strings.Index(l.Text, mark)
			if i < 0 {
				continue
			}
			num, _, _ := strings.Cut(l.Text[i+len(mark):], " ")
			n, err := strconv.Atoi(num)
			st := time.Duration(n) * time.Millisecond
			if err != nil || st <= over || !l.At.Add(-st).Before(to.Add(verdictReadLag)) {
				continue
			}
			return l.Text[i:], true
		}
	}
	return "", false
}

// matchVerdicts finds the lines containing verdict that nodes logged in
// [t0, t1) (the first of each episode: later ones until the peer is
// seen again, a line containing reset, are the same verdict) and
// matches each against the machine-freeze probe's freezes
// fs: a verdict is explained when a freeze longer than explain (hbd:
// deadtime − keepalive; keepalived: master-down − advert, the silence
// that alone outlasts the timeout) overlapped the window before it
// (deadtime or master-down, plus verdictReadLag). A verdict with no
// such freeze that follows a peer's restart is a consequence of an
// earlier one (both sides of a false death restart) and is matched too.
// fs must hold every freeze down to explain at least; it is the shared
// rule of the soak and the fast idle run.
func matchVerdicts(nodes []*clustertest.Daemon, verdict, reset string, t0, t1 time.Time, fs []freeze, explain, window time.Duration) verdictTally {
	var t verdictTally
	for _, d := range nodes {
		open := false // a verdict counted, the peer not seen back since
		for _, l := range d.Log.Since(t0) {
			if !l.At.Before(t1) {
				break
			}
			if strings.Contains(l.Text, reset) {
				open = false
			}
			if !strings.Contains(l.Text, verdict) || open {
				continue
			}
			open = true
			v := falseVerdict{node: d.Name, line: l}
			from := l.At.Add(-window - verdictReadLag)
			for _, f := range fs {
				// The freeze [f.at − f.len, f.at] overlaps [from, l.At].
				if !f.at.After(from) || !f.at.Add(-f.len).Before(l.At) {
					continue
				}
				if f.len > v.longest.len {
					v.longest = f
				}
				if f.len > explain && f.len > v.freeze.len {
					v.freeze = f
				}
			}
			switch {
			case !v.freeze.at.IsZero():
				v.matched, v.why = true, "machine freeze "+v.freeze.String()
			case restartedBefore(nodes, d, l.At):
				v.matched, v.why = true, "the peer was restarting after an earlier false death"
			default:
				v.why = "no freeze over " + explain.Round(time.Millisecond/10).String() + "; longest in the window " + v.longest.String()
				if st, ok := peerStall(nodes, d, from, l.At, explain); ok {
					v.peerStalled = true
					v.why += "; the peer's own " + st
				}
			}
			if v.matched {
				t.matched++
			}
			t.verdicts = append(t.verdicts, v)
		}
	}
	return t
}

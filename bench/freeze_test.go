package bench

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
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
	// Where the peer's silence was, when a quiet third host recorded
	// the statuses (placeSilences; fastIdle only).
	wire wireSilence
	// The two probes' longest freezes in the window, and which explains
	// the verdict (placeProbes; fastIdle only).
	probes probeView
}

// verdictTally is matchVerdicts' result.
type verdictTally struct {
	verdicts []falseVerdict
	matched  int
	// Of the unmatched: the loop-priority probe saw a freeze over the
	// threshold (placeProbes).
	loopExplained int
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

// Which freeze probe explains a verdict. The priority-50 probe feels
// only what runs at 50 or above (or the kernel); a second probe at the
// fast loop's own priority (sysio.SchedPriorityMin()+2) also feels
// realtime work between the loop and 50. A freeze over deadtime −
// keepalive at the loop's priority that the priority-50 probe did not
// feel was the CPU held by something at or above the loop's priority:
// the machine (another process's realtime threads, kernel threads), or,
// at equal priority, a loop that ran on for milliseconds (the daemons'
// loops share it; their slices are microseconds). No freeze at either
// while the verdict came: the daemon's own process held its loop.
const (
	classHi   = "the priority-50 probe saw a freeze over deadtime − keepalive (the machine)"
	classLoop = "only the loop-priority probe saw a freeze over deadtime − keepalive (the machine below priority 50)"
	classOwn  = "neither probe saw a freeze over deadtime − keepalive (the daemon's own process)"
)

// probeView is what both freeze probes saw in a verdict's window.
type probeView struct {
	placed   bool
	hi, loop freeze // the longest of each probe in the window, any length recorded
	class    string // classHi, classLoop or classOwn
}

// freezeWindow is the span a freeze must overlap to lie behind a
// verdict read at at: window (the deadtime) plus verdictReadLag before it.
func freezeWindow(at time.Time, window time.Duration) (time.Time, time.Time) {
	return at.Add(-window - verdictReadLag), at
}

// longestIn is the longest freeze of fs (any order) that overlapped
// [from, to].
func longestIn(fs []freeze, from, to time.Time) freeze {
	var best freeze
	for _, f := range fs {
		// The freeze [f.at − f.len, f.at] overlaps [from, to].
		if f.at.After(from) && f.at.Add(-f.len).Before(to) && f.len > best.len {
			best = f
		}
	}
	return best
}

// probeClass looks at both probes' freezes (hi: priority 50; loop: the
// loop's priority) in the window of a verdict read at at, and says which
// explains it: a freeze longer than explain.
func probeClass(at time.Time, hi, loop []freeze, explain, window time.Duration) probeView {
	from, to := freezeWindow(at, window)
	p := probeView{placed: true, hi: longestIn(hi, from, to), loop: longestIn(loop, from, to)}
	switch {
	case p.hi.len > explain:
		p.class = classHi
	case p.loop.len > explain:
		p.class = classLoop
	default:
		p.class = classOwn
	}
	return p
}

// placeProbes fills every verdict's probes from both probes' freezes,
// and counts the verdicts matchVerdicts left unmatched that only the
// loop-priority probe explains (fs of matchVerdicts must be hi).
func (t *verdictTally) placeProbes(hi, loop []freeze, explain, window time.Duration) {
	t.loopExplained = 0
	for i := range t.verdicts {
		v := &t.verdicts[i]
		v.probes = probeClass(v.line.At, hi, loop, explain, window)
		if !v.matched && v.probes.class == classLoop {
			t.loopExplained++
		}
	}
}

// byProbe counts the verdicts each way: explained by the priority-50
// probe's freeze, by the peer's restart, by the loop-priority probe
// alone, and by neither (the ones that fail the benchmark).
func (t verdictTally) byProbe() (hi, restart, loop, neither int) {
	for _, v := range t.verdicts {
		switch {
		case v.matched && !v.freeze.at.IsZero():
			hi++
		case v.matched:
			restart++
		case v.probes.class == classLoop:
			loop++
		default:
			neither++
		}
	}
	return hi, restart, loop, neither
}

func (p probeView) describe() string {
	return fmt.Sprintf("longest freeze in the window: priority-50 probe %v, loop-priority probe %v: %s", p.hi, p.loop, p.class)
}

// Where a false verdict's silence was: a quiet third host receives the
// same broadcast statuses as the judge, stamped by its kernel. If it too
// saw the peer silent long enough to matter, the sender or the path was
// late; if not, the statuses were on the wire on time and only the judge
// missed them.
const (
	classWire  = "the peer's statuses were missing on the wire too"
	classJudge = "only the judge missed them"
)

// wireSilence is the longest gap in a verdict's peer's statuses at the
// third host that overlapped the verdict's window, and what it says.
type wireSilence struct {
	placed bool // the third host's arrivals of the peer were looked at
	gap    time.Duration
	end    time.Time // the arrival that ended it; zero: still silent at the window's end
	class  string    // unmatched verdicts only: classWire or classJudge
	// The peer's arrivals from nearBefore before the verdict's read to
	// silenceAfter after it, as offsets from the read: the gaps the
	// judge had to bridge, which the longest alone may not show.
	near []time.Duration
	// The "Local scheduling pause" and "event loop stalled" lines
	// both nodes logged in the window: a sender that knows it was late.
	own []string
	// The longest pause or stall (ms) the peer logged as the gap ended:
	// the sender knew it was late (by this much; the gap less a
	// keepalive is what the pause would have to be to make the gap
	// alone). 0: none.
	senderPause int
}

// longestGap returns the longest silence between consecutive arrivals
// (in time order) that overlapped [from, to], and the arrival that ended
// it (zero when none came by to: the silence then runs to to). A window
// with no arrival in or around it is silent from its start.
func longestGap(at []time.Time, from, to time.Time) (time.Duration, time.Time) {
	i := sort.Search(len(at), func(i int) bool { return at[i].After(from) })
	prev := from // before the first arrival, the silence is counted from the window's start
	if i > 0 {
		prev = at[i-1]
	}
	var gap time.Duration
	var end time.Time
	for ; i < len(at) && !at[i].After(to); i++ {
		if g := at[i].Sub(prev); g > gap {
			gap, end = g, at[i]
		}
		prev = at[i]
	}
	if i < len(at) {
		if g := at[i].Sub(prev); g > gap { // the gap that straddles to
			gap, end = g, at[i]
		}
	} else if g := to.Sub(prev); g > gap {
		gap, end = g, time.Time{}
	}
	return gap, end
}

// silenceClass sorts an unmatched verdict by the third host's longest
// gap in the peer's statuses: a gap of explain (deadtime − keepalive, as
// for freezes) or more was on the wire too, so the sender or the path was
// late; a shorter one means the statuses came on time and only the judge
// missed them.
func silenceClass(gap, explain time.Duration) string {
	if gap >= explain {
		return classWire
	}
	return classJudge
}

// verdictWindow is the time a verdict's silence must lie in: the
// deadtime before the verdict, which was taken between verdictReadLag
// before the line was read and the read (after). The daemon's own stamp,
// to the second, bounds it too: its text starts "Dec 07 19:39:47"; the
// "19:39:47.887" a log dump shows is the tailer's read, Line.At.
func verdictWindow(l clustertest.Line, deadtime, after time.Duration) (time.Time, time.Time) {
	earliest := l.At.Add(-verdictReadLag)
	if len(l.Text) >= 15 {
		if s, err := time.ParseInLocation("Jan 02 15:04:05", l.Text[:15], l.At.Location()); err == nil {
			s = s.AddDate(l.At.Year(), 0, 0)
			if s.After(earliest) && !s.After(l.At) {
				earliest = s
			}
		}
	}
	return earliest.Add(-deadtime), l.At.Add(after)
}

// verdictPeer is the node a "node X: is dead" line declares dead.
func verdictPeer(text string) string {
	before, _, ok := strings.Cut(text, ": is dead")
	if !ok {
		return ""
	}
	return before[strings.LastIndexByte(before, ' ')+1:]
}

// placeSilences fills every verdict's wire from the peer's status
// arrivals at the third host (at: by node name, in time order) and the
// nodes' own pause and stall lines in its window, and sorts the unmatched
// ones by silenceClass (explain: deadtime − keepalive).
func (t *verdictTally) placeSilences(nodes []*clustertest.Daemon, at map[string][]time.Time, keepalive, deadtime time.Duration) {
	explain := deadtime - keepalive
	for i := range t.verdicts {
		v := &t.verdicts[i]
		arr, ok := at[verdictPeer(v.line.Text)]
		if !ok {
			continue
		}
		v.wire = placeSilence(v.line, arr, v.matched, explain, deadtime)
		from, _ := verdictWindow(v.line, deadtime, silenceAfter)
		// A sender logs its stall as it runs again, at the silence's
		// end, which may come after the verdict.
		until := v.line.At
		if v.wire.end.After(until) {
			until = v.wire.end
		}
		until = until.Add(verdictReadLag)
		if limit := v.line.At.Add(2 * verdictReadLag); until.After(limit) {
			until = limit // not the seconds of a peer's restart
		}
		for _, d := range nodes {
			var own []clustertest.Line
			for _, l := range d.Log.Since(from) {
				if l.At.After(until) {
					break
				}
				if _, ok := pauseMS(l.Text); ok {
					own = append(own, l)
					v.wire.own = append(v.wire.own, d.Name+" "+l.At.Format("15:04:05.000")+" "+l.Text)
				}
			}
			if d.Name == verdictPeer(v.line.Text) {
				v.wire.senderPause = senderPause(own, v.wire)
			}
		}
	}
}

// pauseMS reads the length of an hbd "Local scheduling pause of N ms" or
// "event loop stalled for N ms" line.
func pauseMS(text string) (int, bool) {
	for _, mark := range []string{"Local scheduling pause of ", "event loop stalled for "} {
		if i := strings.Index(text, mark); i >= 0 {
			num, _, _ := strings.Cut(text[i+len(mark):], " ")
			n, err := strconv.Atoi(num)
			return n, err == nil
		}
	}
	return 0, false
}

// senderPause is the longest pause among the peer's lines own that were
// read as the gap w ended: from 2 ms before its end (the sender logs as
// it wakes, then sends) to 5 ms after (the tailer's usual lag; a pause
// logged later is another). 0: none; a gap still open has none.
func senderPause(own []clustertest.Line, w wireSilence) int {
	if w.end.IsZero() {
		return 0
	}
	best := 0
	for _, l := range own {
		n, ok := pauseMS(l.Text)
		if ok && !l.At.Before(w.end.Add(-2*time.Millisecond)) && !l.At.After(w.end.Add(5*time.Millisecond)) {
			best = max(best, n)
		}
	}
	return best
}

// nearBefore is how far before a verdict's read its peer's arrivals are
// listed: twice the deadtime of the fast idle run, plus a tailer's lag.
const nearBefore = 15 * time.Millisecond

// silenceAfter ends a verdict's window after its line was read: the
// kernel's stamp and the tailer's read of one instant may differ this
// much.
const silenceAfter = time.Millisecond

// placeSilence is placeSilences for one verdict line l, its peer's
// arrivals at the third host arr (in time order), without the nodes'
// own lines.
func placeSilence(l clustertest.Line, arr []time.Time, matched bool, explain, deadtime time.Duration) wireSilence {
	from, to := verdictWindow(l, deadtime, silenceAfter)
	w := wireSilence{placed: true}
	w.gap, w.end = longestGap(arr, from, to)
	i := sort.Search(len(arr), func(i int) bool { return !arr[i].Before(l.At.Add(-nearBefore)) })
	for ; i < len(arr) && !arr[i].After(to); i++ {
		w.near = append(w.near, arr[i].Sub(l.At))
	}
	if !matched {
		w.class = silenceClass(w.gap, explain)
	}
	return w
}

// describe says what the third host saw of the verdict's peer, timed
// against the read of the verdict's line.
func (w wireSilence) describe(peer string, keepalive, deadtime time.Duration, read time.Time) string {
	var s string
	switch {
	case w.gap <= keepalive:
		s = fmt.Sprintf("third host saw no gap over keepalive from %s (longest %.1f ms)", peer, ms(w.gap))
	case w.end.IsZero():
		s = fmt.Sprintf("third host saw %s silent %.1f ms, still silent at the window's end", peer, ms(w.gap))
	case w.end.After(read):
		s = fmt.Sprintf("third host saw %s silent %.1f ms ending at %s (%.1f ms after the line was read)",
			peer, ms(w.gap), w.end.Format("15:04:05.000"), ms(w.end.Sub(read)))
	default:
		s = fmt.Sprintf("third host saw %s silent %.1f ms ending at %s (%.1f ms before the line was read)",
			peer, ms(w.gap), w.end.Format("15:04:05.000"), ms(read.Sub(w.end)))
	}
	if w.senderPause > 0 {
		s += fmt.Sprintf("; %s logged its own pause of %d ms as it ended (the gap less a keepalive: %.1f ms)", peer, w.senderPause, ms(w.gap-keepalive))
	}
	if w.gap > keepalive && w.gap < deadtime {
		s += fmt.Sprintf("; alone %.1f ms short of deadtime", ms(deadtime-w.gap))
	}
	if w.class != "" {
		s += ": " + w.class
	}
	near := make([]string, len(w.near))
	for i, d := range w.near {
		near[i] = fmt.Sprintf("%+.1f", ms(d))
	}
	return s + "; its statuses at the third host, ms from the read: " + strings.Join(near, " ")
}

// count is how many verdicts are of class, and of those how many had
// the sender's own pause logged as the gap ended.
func (t verdictTally) count(class string) (n, senderKnew int) {
	for _, v := range t.verdicts {
		if v.wire.class == class {
			n++
			if v.wire.senderPause > 0 {
				senderKnew++
			}
		}
	}
	return n, senderKnew
}

// TestVerdictSilence places synthetic verdicts against synthetic status
// arrivals at the third host (2 ms apart, deadtime 6 ms): the gap found,
// where it ended, and the class of an unmatched verdict.
func TestVerdictSilence(t *testing.T) {
	const ka, dt = 2 * time.Millisecond, 6 * time.Millisecond
	base := time.Date(2026, 12, 7, 12, 0, 0, 20e6, time.Local) // 12:00:00.020
	msd := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	never := time.Hour
	// statuses every keepalive over [base − 1 s, base + 1 s), less those
	// in the holes (from, to), and none from stop on.
	statuses := func(stop time.Duration, holes ...[2]time.Duration) []time.Time {
		var at []time.Time
	next:
		for d := -time.Second; d < time.Second && d < stop; d += ka {
			for _, h := range holes {
				if d > h[0] && d < h[1] {
					continue next
				}
			}
			at = append(at, base.Add(d))
		}
		return at
	}
	// late moves the status due at d by by.
	late := func(d, by time.Duration) []time.Time {
		at := statuses(never, [2]time.Duration{d - 1, d + 1})
		i := sort.Search(len(at), func(i int) bool { return at[i].After(base.Add(d)) })
		return slices.Insert(at, i, base.Add(d+by))
	}
	line := func(at time.Time) clustertest.Line {
		return clustertest.Line{At: at, Text: at.Format("Jan 02 15:04:05") + " node1 hbd: [7]: WARN: node node2: is dead"}
	}
	for _, c := range []struct {
		name    string
		arr     []time.Time
		read    time.Duration // the verdict line's read, after base
		matched bool
		gap     time.Duration
		end     time.Duration // after base; never: still silent at the window's end
		class   string
	}{
		{"on time", statuses(never), 0, false, ka, 0, classJudge},
		// 8 ms silent, ending 1 ms before the read: on the wire too.
		{"hole before the verdict", statuses(never, [2]time.Duration{-msd(8), 0}), msd(1), false, msd(8), 0, classWire},
		// 6 ms silent, deadtime: enough alone.
		{"hole of deadtime", statuses(never, [2]time.Duration{-msd(6), 0}), msd(1), false, msd(6), 0, classWire},
		// 4 ms silent, deadtime − keepalive: on the wire too.
		{"hole of deadtime − keepalive", statuses(never, [2]time.Duration{-msd(4), 0}), msd(1), false, msd(4), 0, classWire},
		// The status due at −2 ms came at −1 ms: 3 ms silent, more
		// than a keepalive, less than deadtime − keepalive.
		{"short hole", late(-msd(2), msd(1)), msd(1), false, msd(3), -msd(1), classJudge},
		// The hole is 100 ms before the read: outside the window.
		{"hole long before", statuses(never, [2]time.Duration{-msd(110), -msd(98)}), 0, false, ka, 0, classJudge},
		// The peer's last status came 7 ms before the read: silent
		// to the window's end, 1 ms after the read.
		{"peer gone", statuses(-msd(4)), msd(1), false, msd(8), never, classWire},
		{"matched by a freeze", statuses(never, [2]time.Duration{-msd(8), 0}), msd(1), true, msd(8), 0, ""},
		// Read at 12:00:00.020: the verdict was taken at 12:00:00 or
		// later (the daemon's stamp), so a hole ending at .990 the
		// second before lies outside its deadtime, though within
		// verdictReadLag + deadtime of the read.
		{"the daemon's stamp bounds the window", statuses(never, [2]time.Duration{-msd(40), -msd(30)}), 0, false, ka, 0, classJudge},
	} {
		read := base.Add(c.read)
		w := placeSilence(line(read), c.arr, c.matched, dt-ka, dt)
		if w.gap != c.gap || w.class != c.class {
			t.Errorf("%s: gap %v, class %q; want %v, %q", c.name, w.gap, w.class, c.gap, c.class)
		}
		if c.gap > ka {
			if want := base.Add(c.end); c.end == never && !w.end.IsZero() || c.end != never && !w.end.Equal(want) {
				t.Errorf("%s: gap ends at %v; want %v (never: zero)", c.name, w.end, want)
			}
		}
		got := w.describe("node2", ka, dt, read)
		if c.class != "" && !strings.Contains(got, ": "+c.class+";") || c.gap <= ka && !strings.Contains(got, "no gap over keepalive") ||
			c.gap > ka && c.gap < dt != strings.Contains(got, "short of deadtime") {
			t.Errorf("%s: describe says %q", c.name, got)
		}
		// The statuses around the read, 15 ms before it to 1 ms after.
		if want := "ms from the read: -15.0 -13.0 -11.0 -9.0 -1.0 +1.0"; c.name == "hole before the verdict" && !strings.HasSuffix(got, want) {
			t.Errorf("%s: describe says %q; want it to end %q", c.name, got, want)
		}
	}
	// The sender's own pause, logged as the gap ended: the longest read
	// from 2 ms before its end to 5 ms after; none for a gap still open.
	end := base.Add(msd(5))
	w := wireSilence{gap: 6200 * time.Microsecond, end: end}
	pause := func(at time.Time, n int) clustertest.Line {
		return clustertest.Line{At: at, Text: fmt.Sprintf("Dec 07 12:00:00 node2 hbd: [7]: WARN: Local scheduling pause of %d ms: not counting it against peers", n)}
	}
	stall := clustertest.Line{At: end.Add(msd(1)), Text: "Dec 07 12:00:00 node2 hbd: [7]: WARN: hbd: event loop stalled for 4 ms"}
	for _, c := range []struct {
		own  []clustertest.Line
		want int
	}{
		{[]clustertest.Line{pause(end.Add(-msd(1)), 4)}, 4},
		{[]clustertest.Line{pause(end, 3)}, 3},
		{[]clustertest.Line{pause(end.Add(-msd(10)), 9), pause(end.Add(msd(6)), 9)}, 0},
		{[]clustertest.Line{pause(end, 3), stall}, 4},
	} {
		if got := senderPause(c.own, w); got != c.want {
			t.Errorf("senderPause(%q) = %d; want %d", c.own, got, c.want)
		}
	}
	if got := senderPause([]clustertest.Line{pause(end, 4)}, wireSilence{gap: msd(8)}); got != 0 {
		t.Errorf("senderPause of a gap still open = %d; want 0", got)
	}
	if p := verdictPeer("Dec 07 19:39:47 node1 hbd: [7]: WARN: node node2: is dead"); p != "node2" {
		t.Errorf("verdictPeer: %q", p)
	}
}

// TestProbeClass places synthetic verdicts (keepalive 2 ms, deadtime
// 6 ms: a freeze explains one when longer than 4 ms and overlapping the
// 56 ms before its read) against both probes' freezes.
func TestProbeClass(t *testing.T) {
	const ka, dt = 2 * time.Millisecond, 6 * time.Millisecond
	base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.Local)
	msd := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// fz is a freeze of n ms that ended end ms from the read.
	fz := func(end, n int) freeze { return freeze{base.Add(msd(end)), msd(n)} }
	for _, c := range []struct {
		name     string
		hi, loop []freeze
		class    string
		hiLen    time.Duration // the longest reported for each
		loopLen  time.Duration
	}{
		{"none", nil, nil, classOwn, 0, 0},
		{"priority 50", []freeze{fz(-10, 5)}, []freeze{fz(-10, 5)}, classHi, msd(5), msd(5)},
		{"priority 50 over the loop's", []freeze{fz(-10, 5)}, []freeze{fz(-20, 7)}, classHi, msd(5), msd(7)},
		{"loop's only", []freeze{fz(-10, 3), fz(-30, 2)}, []freeze{fz(-10, 5), fz(-30, 3)}, classLoop, msd(3), msd(5)},
		// deadtime − keepalive exactly: the daemons outlast it.
		{"not over the threshold", []freeze{fz(-10, 4)}, []freeze{fz(-10, 4)}, classOwn, msd(4), msd(4)},
		// Ended 60 ms before the read: before the window.
		{"before the window", nil, []freeze{fz(-60, 5)}, classOwn, 0, 0},
		// Ended 53 ms before the read, began 58 before: it overlaps.
		{"across the window's start", nil, []freeze{fz(-53, 5)}, classLoop, 0, msd(5)},
		// Began 3 ms before the read, ended 2 ms after it.
		{"across the read", []freeze{fz(2, 5)}, nil, classHi, msd(5), 0},
		// Began 1 ms after the read.
		{"after the read", []freeze{fz(5, 4)}, []freeze{fz(6, 5)}, classOwn, 0, 0},
	} {
		p := probeClass(base, c.hi, c.loop, dt-ka, dt)
		if p.class != c.class || p.hi.len != c.hiLen || p.loop.len != c.loopLen {
			t.Errorf("%s: class %q, longest %v / %v; want %q, %v / %v", c.name, p.class, p.hi.len, p.loop.len, c.class, c.hiLen, c.loopLen)
		}
		if !strings.HasSuffix(p.describe(), ": "+c.class) {
			t.Errorf("%s: describe says %q", c.name, p.describe())
		}
	}
	// The tally: matched by a priority-50 freeze, by a restart, and two
	// unmatched, one the loop's probe explains.
	at := func(d int) clustertest.Line { return clustertest.Line{At: base.Add(msd(d))} }
	tl := verdictTally{matched: 2, verdicts: []falseVerdict{
		{line: at(0), matched: true, freeze: fz(-10, 5)},
		{line: at(1000), matched: true},
		{line: at(2000)},
		{line: at(3000)},
	}}
	hi := []freeze{fz(-10, 5)}
	loop := []freeze{fz(-10, 5), fz(1000-5, 6), fz(2000-5, 6), fz(3000-5, 3)}
	tl.placeProbes(hi, loop, dt-ka, dt)
	if h, r, l, n := tl.byProbe(); h != 1 || r != 1 || l != 1 || n != 1 || tl.loopExplained != 1 {
		t.Errorf("byProbe = %d %d %d %d, loopExplained %d; want 1 1 1 1, 1", h, r, l, n, tl.loopExplained)
	}
}

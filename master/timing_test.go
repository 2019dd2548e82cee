package master

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

// A deadline is last heard plus the dead interval (a node is dead at
// it, not a tick later: checkNode compares now >= deadline), saturating
// rather than overflowing into the past.
func TestDeadline(t *testing.T) {
	for _, c := range []struct{ last, dead, want int64 }{
		{last: 0, dead: 500 * ms, want: 500 * ms},
		{last: 1 * ms, dead: 15 * ms, want: 16 * ms}, // keepalive 5 ms, deadtime 15 ms
		{last: maxTime - 10, dead: 1 << 62, want: maxTime},
		{last: maxTime - 10, dead: 10, want: maxTime},
	} {
		if got := deadline(c.last, c.dead); got != c.want {
			t.Errorf("deadline(last=%d, dead=%d) = %d, want %d", c.last, c.dead, got, c.want)
		}
	}
}

func TestNodeDeadInterval(t *testing.T) {
	for _, c := range []struct {
		linksUp       bool
		initdead, own int64
		want          int64
	}{
		{linksUp: false, initdead: 12000 * ms, own: 500 * ms, want: 12000 * ms},
		{linksUp: true, initdead: 12000 * ms, own: 500 * ms, want: 500 * ms},
		{linksUp: true, initdead: 12000 * ms, own: 2500 * ms, want: 2500 * ms}, // a peer in its first 5 s
	} {
		if got := nodeDeadInterval(c.linksUp, c.initdead, c.own); got != c.want {
			t.Errorf("nodeDeadInterval(%v, %d, %d) = %d, want %d", c.linksUp, c.initdead, c.own, got, c.want)
		}
	}
}

func TestClassifyInterval(t *testing.T) {
	for _, c := range []struct {
		iv   int64
		want lateness
	}{
		{100 * ms, onTime},
		{250 * ms, onTime}, // heartbeat warns strictly above warntime
		{251 * ms, late},
		{400 * ms, late}, // the captures' "interval 400 ms"
		{500 * ms, late},
		{501 * ms, tooLate},
	} {
		if got := classifyInterval(c.iv, 250*ms, 500*ms); got != c.want {
			t.Errorf("classifyInterval(%d ms) = %d, want %d", c.iv/ms, got, c.want)
		}
	}
}

func TestNextPeriod(t *testing.T) {
	for _, c := range []struct {
		start, period, now, want int64
	}{
		{0, 100, 0, 100},
		{0, 100, 99, 100},
		{0, 100, 100, 200},
		{0, 100, 1050, 1100}, // missed 10 periods: skipped, not replayed
		{1000, 5, 1000, 1005},
		{1000, 5, 999, 1005},
	} {
		if got := nextPeriod(c.start, c.period, c.now); got != c.want {
			t.Errorf("nextPeriod(%d, %d, %d) = %d, want %d", c.start, c.period, c.now, got, c.want)
		}
	}
}

func TestAdvertisedDeadtime(t *testing.T) {
	if got := advertisedDeadtime(500*ms, true); got != 2500*ms {
		t.Errorf("starting: %d ms, want 2500 (dt=9c4 in the captures)", got/ms)
	}
	if got := advertisedDeadtime(500*ms, false); got != 500*ms {
		t.Errorf("steady: %d ms, want 500 (dt=1f4)", got/ms)
	}
}

func TestRexmitFirstDelay(t *testing.T) {
	for _, c := range []struct {
		max, lo, hi int64
	}{
		{250 * ms, 50 * ms, 250 * ms},
		{100 * ms, 50 * ms, 100 * ms},
		{99 * ms, 0, 99 * ms}, // below 100 ms the 50 ms floor goes
		{10 * ms, 0, 10 * ms},
		{50 * ms, 0, 50 * ms},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		seen := map[int64]bool{}
		for range 5000 {
			d := rexmitFirstDelay(c.max, r.Uint64())
			if d < c.lo || d > c.hi || d%ms != 0 {
				t.Fatalf("max %d ms: delay %d ns outside [%d, %d] ms or not whole ms", c.max/ms, d, c.lo/ms, c.hi/ms)
			}
			seen[d] = true
		}
		if !seen[c.lo] || !seen[c.hi] {
			t.Errorf("max %d ms: bounds %d and %d ms never drawn", c.max/ms, c.lo/ms, c.hi/ms)
		}
	}
}

func TestAckAfterGap(t *testing.T) {
	for _, c := range []struct {
		upto, trigger, want uint64
	}{
		{upto: 189, trigger: 5, want: 185},
		{upto: 185, trigger: 5, want: 185},
		{upto: 184, trigger: 5, want: 175},
		{upto: 190, trigger: 0, want: 190},
		{upto: 3, trigger: 7, want: ^uint64(0) - 2}, // wraps as heartbeat's unsigned maths does
	} {
		if got := ackAfterGap(c.upto, c.trigger); got != c.want {
			t.Errorf("ackAfterGap(%d, %d) = %d, want %d", c.upto, c.trigger, got, c.want)
		}
	}
}

// Equal deadlines fire in heartbeat's priority order: status first, then
// the timeout scan (nodes, then links).
func TestTimerQueueTies(t *testing.T) {
	var q timerQueue
	link := q.alloc(tkLink, 0, 0)
	node := q.alloc(tkNode, 0, 0)
	st := q.alloc(tkStatus, 0, 0)
	for _, h := range []int32{link, node, st} {
		q.Set(h, 100)
	}
	var got []timerKind
	for {
		h, ok := q.Pop(100)
		if !ok {
			break
		}
		got = append(got, q.Data(h).kind)
	}
	if want := []timerKind{tkStatus, tkNode, tkLink}; !slices.Equal(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
}

package master

// timerKind says what a timer is for. On equal deadlines timers fire in
// this order, which is heartbeat's: the status send has the highest
// priority, then the timeout scan (nodes, then links), then the rest.
type timerKind uint8

const (
	tkStatus      timerKind = iota // send our status (every keepalive)
	tkPopDeadtime                  // stop advertising the raised start dt
	tkNode                         // a node's dead deadline (lazy, see nodeTimer)
	tkLink                         // a link's dead deadline (lazy)
	tkRexmit                       // ask a peer again for a missing seq
	tkReqNodes                     // retry reqnodes
	tkHist                         // snapshot the history high seq
	tkRsc                          // a resource-protocol timer (arg: which)
)

// timer is one entry. Handles (indexes into timerQueue.t) are stable.
type timer struct {
	when  int64
	order uint64 // scheduling order, breaks ties after kind
	seq   uint64 // tkRexmit: the missing seq
	node  int32  // tkNode, tkLink, tkRexmit
	arg   int32  // tkLink: link index
	pos   int32  // position in the heap, -1 when not queued
	kind  timerKind
}

// timerQueue is an indexed binary min-heap of timers: scheduling,
// rescheduling and stopping are O(log n), the next deadline is O(1), and
// nothing is allocated once the arrays have grown.
type timerQueue struct {
	t     []timer
	heap  []int32
	free  []int32
	order uint64
}

// alloc returns a new, unscheduled timer.
func (q *timerQueue) alloc(kind timerKind, node, arg int32) int32 {
	var h int32
	if n := len(q.free); n > 0 {
		h = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		h = int32(len(q.t))
		q.t = append(q.t, timer{})
	}
	q.t[h] = timer{kind: kind, node: node, arg: arg, pos: -1}
	return h
}

// release stops h and returns it to the free list.
func (q *timerQueue) release(h int32) {
	q.stop(h)
	q.free = append(q.free, h)
}

func (q *timerQueue) queued(h int32) bool { return q.t[h].pos >= 0 }

// set schedules h at when, rescheduling it if it was queued.
func (q *timerQueue) set(h int32, when int64) {
	t := &q.t[h]
	t.when = when
	q.order++
	t.order = q.order
	if t.pos < 0 {
		t.pos = int32(len(q.heap))
		q.heap = append(q.heap, h)
		q.up(int(t.pos))
		return
	}
	q.fix(int(t.pos))
}

// setEarlier schedules h at when unless it is already queued at or
// before when.
func (q *timerQueue) setEarlier(h int32, when int64) {
	if t := &q.t[h]; t.pos < 0 || when < t.when {
		q.set(h, when)
	}
}

// stop unschedules h.
func (q *timerQueue) stop(h int32) {
	t := &q.t[h]
	if t.pos < 0 {
		return
	}
	i := int(t.pos)
	last := len(q.heap) - 1
	if i != last {
		q.swap(i, last)
	}
	q.heap = q.heap[:last]
	t.pos = -1
	if i != last {
		q.fix(i)
	}
}

// next returns the earliest queued timer and its deadline.
func (q *timerQueue) next() (int32, int64, bool) {
	if len(q.heap) == 0 {
		return -1, 0, false
	}
	h := q.heap[0]
	return h, q.t[h].when, true
}

func (q *timerQueue) less(i, j int) bool {
	a, b := &q.t[q.heap[i]], &q.t[q.heap[j]]
	if a.when != b.when {
		return a.when < b.when
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.order < b.order
}

func (q *timerQueue) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.t[q.heap[i]].pos = int32(i)
	q.t[q.heap[j]].pos = int32(j)
}

func (q *timerQueue) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q *timerQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *timerQueue) down(i int) bool {
	start := i
	n := len(q.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.swap(i, m)
		i = m
	}
	return i > start
}

package layer

// Queue is an indexed binary min-heap of timers: scheduling, rescheduling
// and stopping are O(log n), the next deadline is O(1), and nothing is
// allocated once the arrays have grown. A timer is named by a handle that
// stays valid until Release. Timers due at the same time fire by Rank
// (lower first: a layer's priorities, heartbeat's status send before its
// timeout scan), then in the order they were scheduled.
//
// T is the layer's own data per timer (what the timer is for).
type Queue[T any] struct {
	t     []entry[T]
	heap  []int32
	free  []int32
	order uint64
}

type entry[T any] struct {
	when  int64
	order uint64 // scheduling order, breaks ties after rank
	pos   int32  // position in the heap, -1 when not queued
	rank  uint8
	data  T
}

// Alloc returns a new, unscheduled timer of rank carrying data.
func (q *Queue[T]) Alloc(rank uint8, data T) int32 {
	var h int32
	if n := len(q.free); n > 0 {
		h = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		h = int32(len(q.t))
		q.t = append(q.t, entry[T]{})
	}
	q.t[h] = entry[T]{rank: rank, data: data, pos: -1}
	return h
}

// Release stops h and returns it to the free list.
func (q *Queue[T]) Release(h int32) {
	q.Stop(h)
	q.free = append(q.free, h)
}

// Data returns h's data, to read or change.
func (q *Queue[T]) Data(h int32) *T { return &q.t[h].data }

// Rank returns h's rank.
func (q *Queue[T]) Rank(h int32) uint8 { return q.t[h].rank }

// When returns the deadline h was last set to.
func (q *Queue[T]) When(h int32) int64 { return q.t[h].when }

// Queued reports whether h is scheduled.
func (q *Queue[T]) Queued(h int32) bool { return q.t[h].pos >= 0 }

// Len returns the number of scheduled timers.
func (q *Queue[T]) Len() int { return len(q.heap) }

// Set schedules h at when, rescheduling it if it was queued.
func (q *Queue[T]) Set(h int32, when int64) {
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

// SetEarlier schedules h at when unless it is already queued at or
// before when.
func (q *Queue[T]) SetEarlier(h int32, when int64) {
	if t := &q.t[h]; t.pos < 0 || when < t.when {
		q.Set(h, when)
	}
}

// Stop unschedules h.
func (q *Queue[T]) Stop(h int32) {
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

// StopAll unschedules every timer (handles stay allocated).
func (q *Queue[T]) StopAll() {
	for _, h := range q.heap {
		q.t[h].pos = -1
	}
	q.heap = q.heap[:0]
}

// Next returns the earliest scheduled timer and its deadline.
func (q *Queue[T]) Next() (int32, int64, bool) {
	if len(q.heap) == 0 {
		return -1, 0, false
	}
	h := q.heap[0]
	return h, q.t[h].when, true
}

// Pop unschedules and returns the earliest timer due at or before now.
func (q *Queue[T]) Pop(now int64) (int32, bool) {
	h, when, ok := q.Next()
	if !ok || when > now {
		return -1, false
	}
	q.Stop(h)
	return h, true
}

func (q *Queue[T]) less(i, j int) bool {
	a, b := &q.t[q.heap[i]], &q.t[q.heap[j]]
	if a.when != b.when {
		return a.when < b.when
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.order < b.order
}

func (q *Queue[T]) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.t[q.heap[i]].pos = int32(i)
	q.t[q.heap[j]].pos = int32(j)
}

func (q *Queue[T]) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q *Queue[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *Queue[T]) down(i int) bool {
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

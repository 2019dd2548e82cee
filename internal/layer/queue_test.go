package layer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The queue against a map of live timers: every Next is the earliest.
func TestQueueModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var q Queue[int]
	var hs []int32
	model := map[int32]int64{}
	for i := range 20000 {
		switch op := r.IntN(10); {
		case op < 4 || len(hs) == 0:
			h := q.Alloc(0, i)
			hs = append(hs, h)
			w := r.Int64N(1000)
			q.Set(h, w)
			model[h] = w
		case op < 6:
			h := hs[r.IntN(len(hs))]
			w := r.Int64N(1000)
			q.Set(h, w)
			model[h] = w
		case op < 7:
			h := hs[r.IntN(len(hs))]
			w := r.Int64N(1000)
			q.SetEarlier(h, w)
			if old, ok := model[h]; !ok || w < old {
				model[h] = w
			}
		case op < 8:
			k := r.IntN(len(hs))
			q.Release(hs[k])
			delete(model, hs[k])
			hs = slices.Delete(hs, k, k+1)
		default:
			h, w, ok := q.Next()
			if !ok {
				if len(model) != 0 {
					t.Fatalf("step %d: empty queue, model has %d", i, len(model))
				}
				continue
			}
			for mh, mw := range model {
				if mw < w {
					t.Fatalf("step %d: next is %d at %d, but %d is due at %d", i, h, w, mh, mw)
				}
			}
			if model[h] != w || q.When(h) != w {
				t.Fatalf("step %d: timer %d at %d, model says %d", i, h, w, model[h])
			}
			q.Stop(h)
			delete(model, h)
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: %d queued, model %d", i, q.Len(), len(model))
		}
	}
}

// Equal deadlines fire by rank, then in scheduling order; Pop takes only
// what is due.
func TestQueueTies(t *testing.T) {
	var q Queue[string]
	late := q.Alloc(2, "late")
	b := q.Alloc(1, "b")
	a := q.Alloc(1, "a")
	first := q.Alloc(0, "first")
	future := q.Alloc(0, "future")
	q.Set(future, 101)
	for _, h := range []int32{late, b, a, first} {
		q.Set(h, 100)
	}
	var got []string
	for {
		h, ok := q.Pop(100)
		if !ok {
			break
		}
		got = append(got, *q.Data(h))
	}
	if want := []string{"first", "b", "a", "late"}; !slices.Equal(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	if !q.Queued(future) || q.Len() != 1 {
		t.Errorf("the timer due later was popped")
	}
	q.StopAll()
	if q.Queued(future) || q.Len() != 0 {
		t.Errorf("StopAll left timers queued")
	}
}

func TestQueueAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var q Queue[int]
	hs := make([]int32, 64)
	for i := range hs {
		hs[i] = q.Alloc(uint8(i%3), i)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i, h := range hs {
			q.Set(h, int64((i*7919)%100))
		}
		for {
			if _, ok := q.Pop(1 << 40); !ok {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round, want 0", allocs)
	}
}

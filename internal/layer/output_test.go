package layer

import (
	"slices"
	"testing"

	"github.com/hbd-ha/hbd/internal/prio"
)

type testBuf struct {
	Items []int
	Log   Log
}

func (b *testBuf) Reset() {
	b.Items = b.Items[:0]
	b.Log.Reset()
}

// What is produced between Ready and Advance comes out in the next Ready,
// and the handed-out buffer is left alone until Advance.
func TestOutputKeepsWhatComesAfterReady(t *testing.T) {
	var o Output[testBuf, *testBuf]
	o.Pending().Items = append(o.Pending().Items, 1, 2)
	rd := o.Ready()
	// A consumer of rd calls the layer back:
	o.Pending().Items = append(o.Pending().Items, 3)
	if !slices.Equal(rd.Items, []int{1, 2}) {
		t.Fatalf("handed-out buffer changed: %v", rd.Items)
	}
	o.Advance()
	rd = o.Ready()
	if !slices.Equal(rd.Items, []int{3}) {
		t.Fatalf("next Ready = %v, want [3]", rd.Items)
	}
	o.Advance()
	if rd = o.Ready(); len(rd.Items) != 0 {
		t.Fatalf("released output came back: %v", rd.Items)
	}
	o.Advance()
	o.Advance() // without a Ready: nothing
	if len(o.Pending().Items) != 0 {
		t.Fatal("Advance without Ready dropped or changed pending output")
	}
}

func TestOutputSecondReadyPanics(t *testing.T) {
	var o Output[testBuf, *testBuf]
	o.Ready()
	defer func() {
		if recover() == nil {
			t.Error("second Ready without Advance did not panic")
		}
	}()
	o.Ready()
}

func TestOutputAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var o Output[testBuf, *testBuf]
	var ord Order
	round := func() {
		p := o.Pending()
		p.Items = append(p.Items, 1, 2, 3)
		p.Log.Add(&ord, prio.Info, "a ", "line")
		p.Log.Addf(&ord, prio.Warn, "n=%d", 42)
		o.Ready()
		o.Pending().Log.Add(&ord, prio.Info, "late")
		o.Advance()
	}
	for range 4 {
		round()
	}
	if allocs := testing.AllocsPerRun(100, round); allocs != 0 {
		t.Errorf("%v allocations per round, want 0", allocs)
	}
}

// Lines of two layers sharing an Order come out as they were made.
func TestMergeLogs(t *testing.T) {
	var ord Order
	var a, b Log
	a.Add(&ord, prio.Info, "a1")
	b.Add(&ord, prio.Info, "b1")
	b.Add(&ord, prio.Info, "b2")
	a.Addf(&ord, prio.Warn, "a%d", 2)
	b.Add(&ord, prio.Info, "b3")
	var got []string
	MergeLogs(func(l LogLine) { got = append(got, l.String()) }, a.Lines, b.Lines)
	want := []string{"info: a1", "info: b1", "info: b2", "WARN: a2", "info: b3"}
	if !slices.Equal(got, want) {
		t.Errorf("merged %q, want %q", got, want)
	}
	got = got[:0]
	MergeLogs(func(l LogLine) { got = append(got, string(l.Text)) }, nil, b.Lines)
	if !slices.Equal(got, []string{"b1", "b2", "b3"}) {
		t.Errorf("merge with an empty list: %q", got)
	}
}

// A grown arena leaves earlier views intact.
func TestArenaViews(t *testing.T) {
	var a Arena
	first := a.Copy([]byte("first"))
	for range 100 {
		a.Strings("some ", "more ", "text")
	}
	if string(first) != "first" || cap(first) != len(first) {
		t.Errorf("view %q (cap %d) changed as the arena grew", first, cap(first))
	}
}

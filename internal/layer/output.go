package layer

// Output is a layer's double-buffered output, as etcd raft's RawNode keeps
// it: the layer appends to Pending; Ready hands the pending buffer out and
// switches appends to the other one; Advance releases the handed-out
// buffer for reuse. What the layer produces between Ready and Advance (a
// consumer of the Ready that calls the layer back) goes to the other
// buffer and comes out in the next Ready instead of being lost; a second
// Ready without Advance panics, as it would hand out the buffer the
// caller still reads.
//
// B is the layer's own buffer type (its packets, lines, events…); PB is
// *B, whose Reset empties it and keeps its arrays, so that nothing is
// allocated once both buffers have grown.
type Output[B any, PB interface {
	*B
	Reset()
}] struct {
	bufs    [2]B
	pending int  // index of the buffer appends go to
	out     bool // bufs[pending^1] is handed out
}

// Pending returns the buffer the layer appends to now.
func (o *Output[B, PB]) Pending() PB { return &o.bufs[o.pending] }

// Ready hands out the pending buffer; from now on the layer appends to
// the other one. It panics if the previous Ready was not Advanced.
func (o *Output[B, PB]) Ready() PB {
	if o.out {
		panic("layer: Ready called again without Advance")
	}
	o.out = true
	rd := &o.bufs[o.pending]
	o.pending ^= 1
	return rd
}

// Advance releases the buffer the last Ready handed out: its contents are
// gone and its arrays are reused. Without an outstanding Ready it does
// nothing.
func (o *Output[B, PB]) Advance() {
	if !o.out {
		return
	}
	o.out = false
	PB(&o.bufs[o.pending^1]).Reset()
}

// Outstanding reports whether a Ready was handed out and not Advanced.
func (o *Output[B, PB]) Outstanding() bool { return o.out }

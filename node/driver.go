package node

import (
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/wire"
)

// The node is the driver of its pure layers (membership, resource
// ownership, ipfail): it feeds them their inputs, takes their outputs,
// and routes what they say to whoever consumes it, from tables rather
// than one hard-coded call per consumer:
//
//   - the membership's events go to the consumers registered for their
//     kind (onEvent), in registration order;
//   - a cluster message (EventMessage) also goes to the layer that owns
//     its type, the "t" field (onMessage); CCM, CIB and CRM traffic will
//     arrive the same way;
//   - a consumer runs inside flush: an input it produces for a layer is
//     queued (later) and fed at the next turn of the loop, never in the
//     middle of a flush;
//   - each layer has one loop timer, armed at its next deadline after
//     every flush (addLayer).
type driver struct {
	byKind [numEventKinds][]func(*master.Event)
	byType map[string][]func(*master.Event, *wire.Message)
	layers []*drivenLayer
	// ownOutput consume the ownership layer's Ready (resource work,
	// fencing).
	ownOutput []func(*own.Ready)

	queue, feeding []func() // inputs waiting for the next turn
	turn           loop.Timer
}

// numEventKinds bounds master.EventKind (the kinds start at 1).
const numEventKinds = 16

// drivenLayer is a pure layer's loop timer: when its deadline comes, its
// Tick runs and the node flushes.
type drivenLayer struct {
	name     string
	timer    loop.Timer
	deadline func() int64 // 0: nothing pending
}

// drive builds the node's tables: each layer's loop timer, and the
// consumers of what the layers say, in the order they run.
func (n *Node) drive() {
	n.drv.turn.Init(n.nextTurn)
	n.addLayer("membership", n.master.Deadline, n.master.Tick)
	if n.own != nil {
		n.addLayer("ownership", n.own.Deadline, n.own.Tick)
		n.drv.ownOutput = append(n.drv.ownOutput,
			func(rd *own.Ready) { n.fenceRequests(rd.Fences) },
			func(rd *own.Ready) { n.runActions(rd.Actions) })
	}
	d := &n.drv
	d.onEvent(func(*master.Event) { n.restartReq = true }, master.EventRestart)
	d.onEvent(func(*master.Event) {
		n.startAPI()
		n.clients.Start()
		n.startIPFail()
		n.startCCM()
	}, master.EventCommUp)
	d.onEvent(n.fenceEvent, master.EventCommUp)
	d.onEvent(n.notifyWorld, master.EventNodeStatus, master.EventLinkStatus, master.EventMessage)
	d.onEvent(n.deliverAPI, master.EventNodeStatus, master.EventLinkStatus, master.EventMessage)
	n.registerIPFail()
	n.registerCCM()
	n.registerCRM()
	d.onEvent(n.metricsEvent, master.EventNodeStatus, master.EventLinkStatus)
}

// onEvent registers fn for the membership's events of kind k.
func (d *driver) onEvent(fn func(*master.Event), kinds ...master.EventKind) {
	for _, k := range kinds {
		d.byKind[k] = append(d.byKind[k], fn)
	}
}

// onMessage registers fn as an owner of the cluster messages of type typ.
func (d *driver) onMessage(fn func(*master.Event, *wire.Message), types ...string) {
	if d.byType == nil {
		d.byType = map[string][]func(*master.Event, *wire.Message){}
	}
	for _, t := range types {
		d.byType[t] = append(d.byType[t], fn)
	}
}

// addLayer gives a layer its loop timer: tick runs at its deadline.
func (n *Node) addLayer(name string, deadline func() int64, tick func(master.Time)) {
	l := &drivenLayer{name: name, deadline: deadline}
	l.timer.Init(func(int64) {
		tick(n.now())
		n.flush()
	})
	n.drv.layers = append(n.drv.layers, l)
}

// later queues an input for a layer, to be fed at the next turn.
func (n *Node) later(fn func()) {
	n.drv.queue = append(n.drv.queue, fn)
	if !n.drv.turn.Pending() {
		n.loop.Schedule(&n.drv.turn, n.loop.Now())
	}
}

// nextTurn feeds the queued inputs, then flushes what they produced.
func (n *Node) nextTurn(int64) {
	d := &n.drv
	d.feeding, d.queue = d.queue, d.feeding[:0]
	for i, fn := range d.feeding {
		fn()
		d.feeding[i] = nil
	}
	n.flush()
}

// dispatch hands one membership event to its consumers, and a message to
// the owners of its type.
func (n *Node) dispatch(e *master.Event) {
	n.evmsg.of = nil // decoded at most once, by whoever needs it first
	if int(e.Kind) < numEventKinds {
		for _, fn := range n.drv.byKind[e.Kind] {
			fn(e)
		}
	}
	if e.Kind != master.EventMessage || len(n.drv.byType) == 0 {
		return
	}
	msg := n.eventMessage(e)
	if msg == nil {
		return
	}
	for _, fn := range n.drv.byType[string(msg.Type())] {
		fn(e, msg)
	}
}

// armLayers sets every layer's timer to its deadline; anything a layer
// still has to say (a consumer fed it during the flush) gets a turn.
func (n *Node) armLayers() {
	for _, l := range n.drv.layers {
		schedule(n.loop, &l.timer, l.deadline())
	}
}

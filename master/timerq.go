package master

import "github.com/hbd-ha/hbd/internal/layer"

// timerKind says what a timer is for. On equal deadlines timers fire in
// this order, which is heartbeat's: the status send has the highest
// priority, then the timeout scan (nodes, then links), then the rest.
type timerKind uint8

const (
	tkStatus      timerKind = iota // send our status (every keepalive)
	tkPopDeadtime                  // stop advertising the raised start dt
	tkNode                         // a node's dead deadline (moved by each heartbeat, see armNode)
	tkLink                         // a link's dead deadline (moved by each packet)
	tkRexmit                       // ask a peer again for a missing seq
	tkReqNodes                     // retry reqnodes
	tkHist                         // snapshot the history high seq
)

// timer is what one timer is for; its kind is also its rank in the queue.
type timer struct {
	seq  uint64 // tkRexmit: the missing seq
	node int32  // tkNode, tkLink, tkRexmit
	arg  int32  // tkLink: link index
	kind timerKind
}

// timerQueue is the master's timers: layer's indexed min-heap, ranked by
// kind.
type timerQueue struct{ layer.Queue[timer] }

// alloc returns a new, unscheduled timer.
func (q *timerQueue) alloc(kind timerKind, node, arg int32) int32 {
	return q.Alloc(uint8(kind), timer{kind: kind, node: node, arg: arg})
}

package own

import (
	"github.com/hbd-ha/hbd/wire"
)

// Own's side of master.Upper: membership calls these as it changes.

// Claims reports whether Own consumes messages of type typ.
func (o *Own) Claims(typ []byte) bool {
	switch string(typ) {
	case typeStarting, typeResource, typeAskResources, typeShutdone, typeHbTakeover,
		typeIPRequest, typeIPRequestResp, typeStonith:
		return true
	}
	return false
}

// Message handles a resource-protocol message (master.Upper).
func (o *Own) Message(node int, msg *wire.Message, typ []byte, seq uint64) {
	o.rscMessage(node, msg, typ, seq)
}

// NodeDead handles a death (master.Upper).
func (o *Own) NodeDead(node int, heard bool) { o.rscNodeDead(node, heard) }

// NodeRestarted forgets what a restarted peer said (master.Upper).
func (o *Own) NodeRestarted(node int, first bool) { o.rscPeerRestarted(node, first) }

// PartitionHealed stops fencing node and, as heartbeat does, gives
// everything up and restarts 2 s later (master.Upper).
func (o *Own) PartitionHealed(node int) {
	o.cancelFence(node)
	o.partitionHealed()
}

// Starting logs what heartbeat's main() logs for a quick restart
// (master.Upper).
func (o *Own) Starting() { o.restartStart() }

// CommUp is heartbeat's comm_up_resource_action (master.Upper).
func (o *Own) CommUp() { o.rscCommUp() }

// Pump finishes what an input started (master.Upper).
func (o *Own) Pump() { o.rscPump() }

// NextTimer returns Own's earliest timer (master.Upper).
func (o *Own) NextTimer() (int64, bool) {
	_, when, ok := o.tq.Next()
	return when, ok
}

// FireTimer runs Own's earliest timer (master.Upper).
func (o *Own) FireTimer() {
	if h, _, ok := o.tq.Next(); ok {
		o.tq.Stop(h)
		o.rscFire(*o.tq.Data(h))
	}
}

package own

import (
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
)

// STONITH in a haresources cluster (behaviour spec §9.2): when a dead
// peer must be fenced before its groups are taken over (§4.5) and a device
// is configured, the master asks the node to reset it (EventFence) and
// takes over only once a reset succeeded (FenceResult). Each failure is
// broadcast as heartbeat does; the fencer retries every 5 s for ever. A
// peer heard from again (it restarted, or the partition healed) is not
// fenced any more (EventFenceCancel).

// startFence asks for node i to be reset before its groups are taken.
func (o *Own) startFence(i int) {
	r := &o.rsc
	if r.fencing[i] {
		return
	}
	r.fencing[i] = true
	o.out.fence(Fence{Node: i, Name: o.name(i)})
}

// cancelFence stops waiting for node i's reset: it is talking again.
func (o *Own) cancelFence(i int) {
	r := &o.rsc
	if !r.fencing[i] {
		return
	}
	r.fencing[i] = false
	o.out.fence(Fence{Node: i, Name: o.name(i), Cancel: true})
}

// Fencing reports whether the master waits for node i's reset.
func (o *Own) Fencing(i int) bool { return o.rsc.fencing[i] }

// FenceResult reports the outcome of one reset attempt of node at t:
// ok, or heartbeat's reason ("badhost", "bad"). Success takes the node's
// groups over, as heartbeat does once its STONITH child exits 0; a
// failure is broadcast and the wait goes on.
func (o *Own) FenceResult(t layer.Time, node string, ok bool, reason string) {
	if !o.lower.Running() {
		return
	}
	o.lower.Enter(t)
	i := o.lower.Node(node)
	found := i >= 0
	r := &o.rsc
	if !found || !r.fencing[i] {
		return
	}
	if !ok {
		o.sendStonith(i, reason)
		return
	}
	r.fencing[i] = false
	o.sendStonith(i, "OK")
	if r.shutting || o.lower.NodeStatus(i) != master.StatusDead {
		return
	}
	if o.normalNodes() > 2 {
		o.takeOrphans(i)
	} else {
		o.takeoverFrom(i)
	}
	o.rscPump()
}

// noStonith is the no-device path: heartbeat's message and warnings.
func (o *Own) noStonith(i int) {
	o.sendStonith(i, "n_stnth")
	o.out.log(prio.Warn, "No STONITH device configured.")
	o.out.log(prio.Warn, "Shared disks are not protected.")
}

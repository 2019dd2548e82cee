package own

import (
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/wire"
)

// Auto failback in clusters of three or more nodes. Heartbeat's failback
// is the two-party standby exchange, which hbd refuses there; instead the
// holder gives a returning preferred node's groups back directly:
//
//  1. the holder (auto_failback on, stable, no work queued) stops the
//     groups whose preferred node is a live peer that reported itself
//     stable, then sends a resource message whose hbd_groups no longer
//     lists them and whose hbd_failback names that peer;
//  2. every node reading it counts the named peer as the groups' holder
//     from then on, so no orphan sweep takes them meanwhile;
//  3. the named peer starts whichever of its groups no live node holds
//     and announces them.
//
// A peer that dies in between loses the groups with its death: the orphan
// sweep takes them as it takes any dead node's.
const hbdFailbackField = "hbd_failback"

// failbackMany is autoFailback for three or more nodes.
func (o *Own) failbackMany() {
	r := &o.rsc
	for p := range o.n {
		if p == o.self || !o.liveHolder(p) || !r.peerStable[p] || !r.peerKnows[p] {
			continue
		}
		keys := r.keyBuf[:0]
		for k, g := range r.groups {
			if r.want[k] && o.groupOf(k, p) {
				keys = append(keys, g.Key)
			}
		}
		r.keyBuf = keys
		if len(keys) == 0 {
			continue
		}
		name := o.name(p)
		o.out.logf(prio.Info, "hbd: auto_failback: giving %v back to %s", keys, name)
		o.queueJob(ActionGive, keys, "failback", func([]string) {
			r.iHold = o.wantedHold()
			for k := range r.groups {
				if o.groupOf(k, p) && !r.want[k] {
					r.peerGroups[p][k] = true // ours to hand over: not an orphan
				}
			}
			msg := o.lower.Msg()
			msg.AddString(wire.FieldType, typeResource)
			msg.AddString(fieldRscHold, holdNames[r.iHold&holdAll])
			msg.AddString(fieldRType, "full")
			msg.AddString(fieldIsStable, "1")
			msg.AddString(wire.FieldInfo, "failback")
			o.addGroups(msg)
			msg.AddString(hbdFailbackField, name)
			_ = o.lower.SendCluster(msg)
		})
	}
}

// onFailbackMany handles a resource message naming a node in
// hbd_failback (see failbackMany); the sender's hbd_groups were already
// learnt.
func (o *Own) onFailbackMany(from int, msg *wire.Message) {
	r := &o.rsc
	to := -1
	name := string(msg.Value(hbdFailbackField))
	for i := range o.n {
		if o.name(i) == name {
			to = i
			break
		}
	}
	if to < 0 || r.shutting {
		return
	}
	if to != o.self {
		// Provisionally held by the peer taking them back; its own
		// resource messages replace this.
		for k := range r.groups {
			if o.groupOf(k, to) && !r.peerGroups[from][k] && !(r.want[k]) {
				r.peerGroups[to][k] = true
			}
		}
		return
	}
	keys := r.keyBuf[:0]
	for k, g := range r.groups {
		if o.groupOf(k, o.self) && !r.want[k] && !o.heldByLive(k) {
			keys = append(keys, g.Key)
		}
	}
	r.keyBuf = keys
	if len(keys) == 0 {
		return
	}
	o.out.logf(prio.Info, "hbd: auto_failback: taking %v back from %s", keys, o.name(from))
	r.iHold |= holdLocal
	o.queueJob(ActionTake, keys, "failback", func([]string) {
		r.iHold = o.wantedHold()
		o.sendHeld(true, "")
	})
}

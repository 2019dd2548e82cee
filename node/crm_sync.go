package node

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// This file replicates the CIB's configuration (cib_sync messages), as
// Pacemaker's newest-wins: each join_request carries the member's CIB
// version, the DC takes the newest one before the join finalizes (it asks
// its holder with cib_sync_from, whose answer is a cib_sync to every
// node) or sends its own when it is the newest; a DC that changes the
// configuration sends it too. The controller (crm/controld) decides who
// sends; this file sends and takes.

// fieldSyncDC names the DC a cib_sync was sent for: at the same version,
// a receiver whose DC that is takes it (the DC's choice wins ties).
const fieldSyncDC = "crm_dc"

// crmSyncMessage takes a peer's CIB: a newer version (admin_epoch,
// epoch, num_updates) replaces the local configuration, which is saved;
// the same version with another configuration does when sent for our DC
// (controld.TakeCIB). The DC that asked for it goes on with its join.
func (n *Node) crmSyncMessage(e *master.Event, msg *wire.Message) {
	src := string(msg.Value(wire.FieldSrc))
	if src == n.cfg.LocalNode {
		return
	}
	data, err := crmPayload(msg, fieldCIB, fieldCIBZ)
	if err != nil {
		n.log.Logf(hblog.Warn, "crm: CIB from %s: %v", src, err)
		return
	}
	syncDC := string(msg.Value(fieldSyncDC))
	n.later(func() {
		s := &n.crm
		c, err := cib.ParseCIB(data)
		if err != nil {
			n.log.Logf(hblog.Error, "crm: CIB from %s refused: %v", src, err)
			return
		}
		local := s.cib.Version()
		if next, taken := takeCIB(s.cib, c, syncDC, s.c.DC()); taken {
			n.log.Logf(hblog.Info, "crm: CIB %v from %s replaces %v", c.Version(), src, local)
			s.cib, s.haveConfig = next, true
			n.crmSave()
			s.c.ConfigChanged(n.now(), controld.Configuration(s.cib))
		} else if !bytes.Equal(controld.Configuration(c), controld.Configuration(s.cib)) {
			n.log.Logf(hblog.Info, "crm: CIB %v from %s kept out: ours is %v", c.Version(), src, local)
		}
		s.c.SetCIBVersion(s.cib.Version())
		s.c.CIBSynced(n.now(), src)
	})
}

// takeCIB decides what a peer's CIB got, sent for the DC syncDC, does to
// this node's cur while its DC is dc. taken: got replaces cur (next is
// got with cur's status, have-quorum and dc-uuid, which are this node's
// own). Otherwise next is cur, whose counters move on to got's when got
// holds the same configuration, newer (status writes count in
// num_updates too).
func takeCIB(cur, got *cib.CIB, syncDC, dc string) (next *cib.CIB, taken bool) {
	gv, cv := got.Version(), cur.Version()
	if bytes.Equal(controld.Configuration(got), controld.Configuration(cur)) {
		if gv.Compare(cv) > 0 {
			cur.Root.Set("admin_epoch", strconv.Itoa(gv.AdminEpoch))
			cur.Root.Set("epoch", strconv.Itoa(gv.Epoch))
			cur.Root.Set("num_updates", strconv.Itoa(gv.NumUpdates))
		}
		return cur, false
	}
	if !controld.TakeCIB(cv, gv, syncDC, dc) {
		return cur, false
	}
	if st, old := got.Section("status"), cur.Section("status"); st != nil && old != nil {
		st.Children = nil
		for _, ch := range old.Children {
			st.AddChild(ch.Clone())
		}
	}
	for _, a := range [...]string{"have-quorum", "dc-uuid"} {
		if v := cur.Root.Get(a); v != "" {
			got.Root.Set(a, v)
		} else {
			got.Root.Unset(a)
		}
	}
	return got, true
}

// crmSendCIB sends this node's CIB, without its status, to every node,
// as the DC's when this node is the DC.
func (n *Node) crmSendCIB(t master.Time) {
	dc := ""
	if n.crm.c.IsDC() {
		dc = n.cfg.LocalNode
	}
	n.crmSendCIBFor(t, dc)
}

// crmSendCIBFor sends this node's CIB, without its status, to every node
// for the DC syncDC ("" none).
func (n *Node) crmSendCIBFor(t master.Time, syncDC string) {
	c := n.crm.cib.Clone()
	if st := c.Section("status"); st != nil {
		st.Children = nil
	}
	m := &n.crm.msg
	m.Reset()
	m.AddString(wire.FieldType, typeCIBSync)
	if syncDC != "" {
		m.AddString(fieldSyncDC, syncDC)
	}
	if err := crmAddPayload(m, fieldCIB, fieldCIBZ, c.Root.AppendXML(nil)); err != nil {
		n.log.Logf(hblog.Error, "crm: cannot compress the CIB: %v", err)
		return
	}
	if err := n.master.Send(t, m); err != nil && !errors.Is(err, master.ErrNotRunning) {
		n.log.Logf(hblog.Error, "crm: cannot send the CIB: %v", err)
	}
}

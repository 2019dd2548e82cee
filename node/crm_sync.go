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
		got, local := c.Version(), s.cib.Version()
		switch {
		case bytes.Equal(controld.Configuration(c), controld.Configuration(s.cib)):
			// Status updates count in num_updates too: the same
			// configuration, newer, only moves the counters on.
			if got.Compare(local) > 0 {
				s.cib.Root.Set("admin_epoch", strconv.Itoa(got.AdminEpoch))
				s.cib.Root.Set("epoch", strconv.Itoa(got.Epoch))
				s.cib.Root.Set("num_updates", strconv.Itoa(got.NumUpdates))
			}
		case controld.TakeCIB(local, got, syncDC, s.c.DC()):
			n.log.Logf(hblog.Info, "crm: CIB %v from %s replaces %v", got, src, local)
			// The local status stays: the DC's comes as cib_status.
			if st, old := c.Section("status"), s.cib.Section("status"); st != nil && old != nil {
				st.Children = nil
				for _, ch := range old.Children {
					st.AddChild(ch.Clone())
				}
			}
			s.cib, s.haveConfig = c, true
			n.crmSave()
			s.c.ConfigChanged(n.now(), controld.Configuration(s.cib))
		default:
			n.log.Logf(hblog.Info, "crm: CIB %v from %s kept out: ours is %v", got, src, local)
		}
		s.c.SetCIBVersion(s.cib.Version())
		s.c.CIBSynced(n.now(), src)
	})
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

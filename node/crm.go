package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hbd-ha/hbd/ccm"
	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/crm/pe"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/rsc/lrm"
	"github.com/hbd-ha/hbd/wire"
)

// This file runs hbd's CRM (pacemaker on): the controller (crm/controld)
// as one of the node's driven layers, over the built-in CCM's membership
// and the daemon's LRM, with the policy engine run on the loop when the
// controller asks (a PE run takes about a millisecond).
//
// The CIB replication is minimal: every node reads the configuration from
// its own cib.xml (in <StateDir>/crm) at start; the DC's status section
// goes to the other nodes as a cib_status message after every change, so
// that a new DC starts from it (controld's CIBStatus); permanent
// attributes change the DC's configuration and its cib.xml only.

// typeCIBStatus is the DC's status section, sent to every node.
const typeCIBStatus = "cib_status"

// typeCIBSync is a CIB without its status, sent to every node by the
// newest one's holder when a join finalizes and by the DC when its
// configuration changes (crm_sync.go).
const typeCIBSync = "cib_sync"

// The payloads: XML, or zlib-compressed XML (the _z field) when larger
// than compressOver.
const (
	fieldStatus  = "status"
	fieldStatusZ = "status_z"
	fieldCIB     = "cib"
	fieldCIBZ    = "cib_z"
	compressOver = 8 << 10
)

// crmDefaultTimeout bounds an operation the configuration gives no
// timeout (Pacemaker's default).
const crmDefaultTimeout = 20 * time.Second

type crmState struct {
	c   *controld.Controller
	cib *cib.CIB
	dir store.Dir
	// ops are the LRM operations asked by the controller, by LRM call
	// id: the LRM's results carry no transition key.
	ops map[int]*crmOp
	msg wire.Message
	// started: comm-up started the controller.
	started bool
	// fencing are the controller's fencing requests, by target.
	fencing map[string]controld.FenceRequest
	// leaving: the node stops once the DC has moved its resources off
	// (leaveOK), or when leaveTimer gives up waiting.
	leaving, leaveOK bool
	leaveTimer       loop.Timer
	// planned are the PE runs finished off the loop.
	planMu  sync.Mutex
	planned []crmPlanned
	// haveConfig: the controller has a configuration. A node started
	// without cib.xml plans nothing until a peer's CIB came: as DC, an
	// empty configuration would stop every resource as an orphan.
	haveConfig bool
	// ipc is the local CIB socket of the tools (crm_ipc.go).
	ipc cibIPC
	// saver writes cib.xml off the loop (crm_ipc_save.go).
	saver crmSaver
}

// crmFenceRetry is how long a fencing without a device takes to fail.
const crmFenceRetry = 10 * time.Second

// crmShutdownWait bounds the wait for the DC to move this node's
// resources off before the node stops (Pacemaker's shutdown-escalation is
// 20 min; a stop is bounded by its operation timeout).
const crmShutdownWait = 2 * time.Minute

// crmPlanned is a PE run's answer.
type crmPlanned struct {
	id  int
	g   *pe.Graph
	err error
}

// crmOp is one operation in the LRM, with the last result reported (a
// recurring monitor is reported when its result changes).
type crmOp struct {
	req              controld.Op
	reported         bool
	lastRC, lastStat int
}

// newCRM builds the controller from the local cib.xml. The built-in CCM
// is its membership.
func (n *Node) newCRM() error {
	if !n.cfg.CRM {
		return nil
	}
	if n.ccm.c == nil {
		return errors.New("crm: pacemaker on needs the built-in ccm (hbd_ccm builtin)")
	}
	if n.lrm.l == nil {
		return errors.New("crm: no LRM")
	}
	s := &n.crm
	s.dir = store.Dir{Path: filepath.Join(n.opt.StateDir, "crm"), Backups: 10}
	data, from, err := s.dir.Load(cib.CheckDisk)
	if err != nil {
		return fmt.Errorf("crm: %s: %w", filepath.Join(s.dir.Path, "cib.xml"), err)
	}
	if data == nil {
		n.log.Logf(hblog.Warn, "crm: no CIB in %s: waiting for a peer's", s.dir.Path)
		s.cib = cib.Empty("pacemaker-3.9")
	} else {
		s.haveConfig = true
		var up cib.UpgradeReport
		if s.cib, up, err = cib.ParseUpgraded(data); err != nil {
			return fmt.Errorf("crm: %s: %w", from, err)
		}
		n.log.Logf(hblog.Info, "crm: CIB read from %s (version %v)", from, s.cib.Version())
		if up.Changed() {
			// A heartbeat 2.x CIB: used upgraded, written at its next change.
			n.log.Logf(hblog.Info, "crm: %s: %v", from, up)
		}
	}
	// The status is rebuilt by the joins: what the file held is history.
	if st := s.cib.Section("status"); st != nil {
		st.Children = nil
	}
	ids := map[string]string{}
	if nodes := s.cib.Section("nodes"); nodes != nil {
		for _, nd := range nodes.All("node") {
			if u := nd.Get("uname"); u != "" && nd.ID() != "" {
				ids[u] = nd.ID()
			}
		}
	}
	s.c = controld.New(controld.Config{Local: n.cfg.LocalNode, NodeIDs: ids, Keepalive: n.cfg.Keepalive})
	s.ops = map[int]*crmOp{}
	s.fencing = map[string]controld.FenceRequest{}
	return nil
}

// registerCRM puts the controller in the driver's tables.
func (n *Node) registerCRM() {
	c := n.crm.c
	if c == nil {
		return
	}
	n.addLayer("crm", func() int64 {
		d, ok := c.Deadline()
		if !ok {
			return 0
		}
		return d
	}, func(t master.Time) { c.Tick(t) })
	n.drv.onEvent(func(*master.Event) { n.startCRM() }, master.EventCommUp)
	n.drv.onMessage(n.crmMessage, controld.TypeCRMD)
	n.drv.onMessage(n.crmStatusMessage, typeCIBStatus)
	n.drv.onMessage(n.crmSyncMessage, typeCIBSync)
	n.drv.onMessage(n.cibRequestMessage, typeCIBRequest)
	n.drv.onMessage(n.cibReplyMessage, typeCIBReply)
	n.drv.onMessage(n.cibCleanupMessage, typeCIBCleanup)
	n.OnCCM(n.crmMembership)
}

// startCRM starts the controller with its configuration at comm-up.
func (n *Node) startCRM() {
	s := &n.crm
	if s.c == nil || s.started {
		return
	}
	s.started = true
	n.log.Log(hblog.Info, "hbd: running the CRM in-process (pacemaker on)")
	n.startCIBIPC()
	n.later(func() {
		t := n.now()
		if s.haveConfig {
			s.c.ConfigChanged(t, controld.Configuration(s.cib))
		}
		s.c.SetCIBVersion(s.cib.Version())
		s.c.Start(t)
	})
}

// crmMembership queues the CCM's memberships for the controller.
func (n *Node) crmMembership(ev ccm.Event) {
	if ev.Kind != ccm.EventMembership {
		return
	}
	m := controld.Membership{Instance: ev.Instance, Quorum: ev.Quorum}
	for _, mb := range ev.Members {
		m.Members = append(m.Members, controld.Member{Name: mb.Name, Born: mb.Born})
	}
	c := n.crm.c
	n.later(func() {
		n.crm.ipc.quorum = m.Quorum // for the CIB socket's answers on a node that is not the DC
		c.Membership(n.now(), m)
	})
}

// crmMessage queues a peer controller's message, decoded now (the
// event's message lives only during the flush).
func (n *Node) crmMessage(e *master.Event, msg *wire.Message) {
	var m controld.Msg
	if err := m.Decode(msg); err != nil {
		n.log.Logf(hblog.Warn, "crm: from %s: %v", e.NodeName, err)
		return
	}
	from := m.Src
	if from == "" {
		from = e.NodeName
	}
	c := n.crm.c
	n.later(func() { c.Receive(n.now(), from, &m) })
}

// crmStatusMessage takes the DC's status section. Whether its sender is
// the DC is decided in turn: the join offer that names it may be queued
// just before.
func (n *Node) crmStatusMessage(e *master.Event, msg *wire.Message) {
	src := string(msg.Value(wire.FieldSrc))
	if src == n.cfg.LocalNode {
		return
	}
	status, err := crmPayload(msg, fieldStatus, fieldStatusZ)
	if err != nil {
		n.log.Logf(hblog.Warn, "crm: status from %s: %v", src, err)
		return
	}
	c := n.crm.c
	n.later(func() {
		if src == c.DC() {
			c.CIBStatus(n.now(), status)
			n.crm.ipc.dcStatus = status
		}
	})
}

// crmPayload reads an XML payload sent plain (field) or zlib-compressed
// (fieldZ).
func crmPayload(msg *wire.Message, field, fieldZ string) ([]byte, error) {
	if z := msg.Value(fieldZ); z != nil {
		return wire.AppendDecompressed(nil, z, wire.Zlib)
	}
	return append([]byte(nil), msg.Value(field)...), nil
}

// crmAddPayload adds an XML payload to m, compressed when large.
func crmAddPayload(m *wire.Message, field, fieldZ string, xml []byte) error {
	if len(xml) <= compressOver {
		m.Add(field, wire.Binary, xml)
		return nil
	}
	z, err := wire.AppendCompressed(nil, xml, wire.Zlib)
	if err != nil {
		return err
	}
	m.Add(fieldZ, wire.Binary, z)
	return nil
}

// flushCRM carries out what the controller decided.
func (n *Node) flushCRM() {
	s := &n.crm
	if s.c == nil {
		return
	}
	rd := s.c.Ready()
	t := n.now()
	for i := range rd.Sends {
		n.crmSend(t, &rd.Sends[i])
	}
	for _, l := range rd.Logs.Lines {
		n.log.Log(l.Prio, "crmd: "+string(l.Text))
	}
	statusChanged := len(rd.Status) > 0 || rd.RootChanged
	for _, st := range rd.Status {
		if _, err := controld.ApplyStatus(s.cib, st); err != nil {
			n.log.Logf(hblog.Error, "crm: node_state of %s: %v", st.Node, err)
		}
	}
	if rd.RootChanged {
		if _, err := controld.ApplyRoot(s.cib, rd.HaveQuorum, rd.DCUUID); err != nil {
			n.log.Logf(hblog.Error, "crm: cib root: %v", err)
		}
	}
	configChanged := false
	for _, a := range rd.ConfigAttrs {
		id := a.Node
		if nodes := s.cib.Section("nodes"); nodes != nil {
			for _, nd := range nodes.All("node") {
				if nd.Get("uname") == a.Node {
					id = nd.ID()
				}
			}
		}
		if _, err := controld.ApplyNodeAttr(s.cib, id, a); err != nil {
			n.log.Logf(hblog.Error, "crm: attribute %s of %s: %v", a.Name, a.Node, err)
		} else {
			configChanged = true
		}
	}
	if rd.DCChanged {
		n.log.Logf(hblog.Info, "crm: the DC is %q", rd.DC)
	}
	ops := append([]controld.LRMOp(nil), rd.Ops...)
	plans := append([]controld.PlanRequest(nil), rd.Plans...)
	fence := append([]controld.FenceRequest(nil), rd.Fence...)
	shutdownOK := rd.ShutdownOK
	dcChanged := rd.DCChanged
	sendCIB, syncDC := rd.SendCIB, rd.SyncDC
	s.c.SetCIBVersion(s.cib.Version())
	s.c.Advance()
	if sendCIB {
		n.crmSendCIBFor(t, syncDC)
	} else if configChanged {
		n.crmSendCIB(t)
	}
	if statusChanged && s.c.IsDC() {
		n.crmSendStatus(t)
	}
	if dcChanged {
		n.cibDCChanged()
	}
	if configChanged {
		n.crmSave()
		n.crmFenceRefresh()
		cfg := controld.Configuration(s.cib)
		n.later(func() { s.c.ConfigChanged(n.now(), cfg) })
	}
	for _, op := range ops {
		n.crmPerform(op.Op)
	}
	for _, p := range plans {
		n.crmPlan(p)
	}
	for _, f := range fence {
		n.crmFence(f)
	}
	if shutdownOK && s.leaving && !s.leaveOK {
		n.log.Log(hblog.Info, "crm: the DC lets this node stop")
		s.leaveOK = true
		n.loop.StopTimer(&s.leaveTimer)
		n.later(n.shutdown)
	}
}

// crmShutdown is the first step of a shutdown under the CRM, as
// Pacemaker's controller does on SIGTERM: ask the DC to move this node's
// resources off (the shutdown attribute); the node stops when it may.
// It reports whether the shutdown must wait.
func (n *Node) crmShutdown() bool {
	s := &n.crm
	if s.c == nil || !s.started || s.leaveOK {
		return false
	}
	if s.leaving {
		return true
	}
	s.leaving = true
	n.log.Log(hblog.Info, "crm: shutdown: the DC moves this node's resources off first")
	s.leaveTimer.Init(func(int64) {
		n.log.Logf(hblog.Warn, "crm: shutdown: the DC did not let this node stop within %v: stopping", crmShutdownWait)
		s.leaveOK = true
		n.shutdown()
	})
	n.loop.After(&s.leaveTimer, crmShutdownWait)
	s.c.Shutdown(n.now())
	n.flush()
	return true
}

func (n *Node) crmSend(t master.Time, snd *controld.Send) {
	m := &n.crm.msg
	m.Reset()
	if err := snd.Msg.Encode(m); err != nil {
		n.log.Logf(hblog.Error, "crm: %v", err)
		return
	}
	if snd.To != "" {
		m.AddString(wire.FieldDest, snd.To)
	}
	if err := n.master.Send(t, m); err != nil && !errors.Is(err, master.ErrNotRunning) {
		n.log.Logf(hblog.Error, "crm: cannot send %s: %v", snd.Msg.Task, err)
	}
}

// crmSendStatus sends the DC's status section to every node.
func (n *Node) crmSendStatus(t master.Time) {
	st := n.crm.cib.Section("status")
	if st == nil {
		return
	}
	m := &n.crm.msg
	m.Reset()
	m.AddString(wire.FieldType, typeCIBStatus)
	if err := crmAddPayload(m, fieldStatus, fieldStatusZ, st.AppendXML(nil)); err != nil {
		n.log.Logf(hblog.Error, "crm: cannot compress the status: %v", err)
		return
	}
	if err := n.master.Send(t, m); err != nil && !errors.Is(err, master.ErrNotRunning) {
		n.log.Logf(hblog.Error, "crm: cannot send the status: %v", err)
	}
}

// crmSave writes the CIB to cib.xml (with its digest and a backup).
// It is written off the loop (crm_ipc_save.go).
func (n *Node) crmSave() { n.crmSaveAsync() }

// crmPlan runs the policy engine on the controller's CIB off the loop
// (about a millisecond for a few resources, far more for a thousand: the
// heartbeats must not wait); the graph comes back through the loop's
// wake-up (pollCRM).
func (n *Node) crmPlan(p controld.PlanRequest) {
	wall := n.now().Wall
	go func() {
		g, err := planGraph(p.CIB, wall)
		s := &n.crm
		s.planMu.Lock()
		s.planned = append(s.planned, crmPlanned{id: p.ID, g: g, err: err})
		s.planMu.Unlock()
		n.loop.Wake()
	}()
}

// pollCRM hands the finished PE runs to the controller; it reports
// whether the node must flush.
func (n *Node) pollCRM() bool {
	s := &n.crm
	if s.c == nil {
		return false
	}
	n.crmSaveError()
	s.planMu.Lock()
	done := s.planned
	s.planned = nil
	s.planMu.Unlock()
	for _, p := range done {
		s.c.Planned(n.now(), p.id, p.g, p.err)
	}
	return len(done) > 0
}

func planGraph(data []byte, now int64) (*pe.Graph, error) {
	root, err := pe.ParseXML(data)
	if err != nil {
		return nil, err
	}
	c, err := pe.Unpack(root, now)
	if err != nil {
		return nil, err
	}
	return pe.BuildGraph(pe.Schedule(c), root), nil
}

// crmPerform runs a controller's operation in the LRM: the resource is
// declared with its instance attributes from the CIB, a stop cancels the
// resource's recurring operations first.
func (n *Node) crmPerform(o controld.Op) {
	s := &n.crm
	l := n.lrm.l
	fail := func(err error) {
		n.log.Logf(hblog.Error, "crm: %s_%s_%d: %v", o.Rsc, o.Task, o.IntervalMS, err)
		r := o
		r.RC, r.Status, r.Reason, r.LastRCChange = lrm.RCErrGeneric, int(lrm.StatusError), err.Error(), time.Now().Unix()
		n.later(func() { s.c.OpResult(n.now(), r) })
	}
	if _, ok := l.Get(o.Rsc); !ok {
		r := lrm.Resource{ID: o.Rsc, Class: o.Class, Provider: o.Provider, Type: o.Type, Params: n.crmParams(o.Rsc)}
		if err := l.Add(r); err != nil {
			fail(err)
			return
		}
	}
	if o.Task == "stop" || o.Task == "delete" {
		for id, op := range s.ops {
			if op.req.Rsc == o.Rsc && op.req.IntervalMS > 0 {
				l.Cancel(o.Rsc, id)
				delete(s.ops, id)
			}
		}
	}
	if o.Task == "cancel" {
		return
	}
	timeout := time.Duration(o.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = crmDefaultTimeout
	}
	interval := time.Duration(o.IntervalMS) * time.Millisecond
	if o.IntervalMS > 0 {
		// One recurring operation per key: a new one replaces the old.
		for id, op := range s.ops {
			if op.req.Rsc == o.Rsc && op.req.Task == o.Task && op.req.IntervalMS == o.IntervalMS {
				l.Cancel(o.Rsc, id)
				delete(s.ops, id)
			}
		}
	}
	id, err := l.Perform(lrm.Op{Rsc: o.Rsc, Name: o.Task, Interval: interval, Timeout: timeout})
	if err != nil {
		fail(err)
		return
	}
	s.ops[id] = &crmOp{req: o}
}

// crmParams are the instance attributes of primitive id in the CIB
// (a clone instance "id:N" takes its primitive's).
func (n *Node) crmParams(id string) []lrm.Param {
	base, _, _ := strings.Cut(id, ":")
	res := n.crm.cib.Section("resources")
	if res == nil {
		return nil
	}
	var ps []lrm.Param
	res.Walk(func(e *cib.Element) {
		if e.Name != "primitive" || e.ID() != base {
			return
		}
		for _, set := range e.All("instance_attributes") {
			for _, p := range set.All("nvpair") {
				ps = append(ps, lrm.Param{Name: p.Get("name"), Value: p.Get("value")})
			}
		}
	})
	return ps
}

// crmDone takes an LRM result of one of the controller's operations.
func (n *Node) crmDone(r *lrm.Result) {
	s := &n.crm
	if s.c == nil {
		return
	}
	if o, ok := s.result(r); ok {
		n.later(func() { s.c.OpResult(n.now(), o) })
	}
}

// result maps an LRM result to the controller's Op, with the request's
// transition key; ok is false when there is nothing to report: not the
// controller's operation, a cancellation (a stop ends the recurring
// entries itself), or a recurring monitor's run that found what the last
// one did (Pacemaker's controller reports those only when they change).
func (s *crmState) result(r *lrm.Result) (o controld.Op, ok bool) {
	op := s.ops[r.CallID]
	if op == nil || r.Status == lrm.StatusCancelled {
		return o, false
	}
	if !r.Recurring {
		delete(s.ops, r.CallID)
	}
	if op.reported && op.lastRC == r.RC && op.lastStat == int(r.Status) {
		return o, false
	}
	op.reported, op.lastRC, op.lastStat = true, r.RC, int(r.Status)
	o = op.req
	o.CallID, o.RC, o.Status = r.CallID, r.RC, int(r.Status)
	o.LastRCChange = r.RCChange.Unix()
	o.ExecMS, o.QueueMS = int(r.ExecTime.Milliseconds()), int(r.QueueTime.Milliseconds())
	o.Reason, o.Digest = r.Reason, r.Digest
	return o, true
}

// crmFence sends a fencing request to the CIB's fencing devices
// (crm_fence.go), or else to ha.cf's STONITH device; without any, the
// fencing fails (the node stays unclean).
func (n *Node) crmFence(f controld.FenceRequest) {
	s := &n.crm
	if n.crmFenceCIB(f) {
		return
	}
	s.fencing[f.Target] = f
	if n.fence.f == nil {
		n.log.Logf(hblog.Error, "crm: cannot fence %s: no STONITH device (ha.cf stonith/stonith_host)", f.Target)
		n.crmFenceFailAfter(f.Target, crmFenceRetry)
		return
	}
	n.fence.f.Reset(f.Target)
}

// crmFenceResult hands a fencing's outcome to the controller; it reports
// whether the controller asked for it.
func (n *Node) crmFenceResult(target string, ok bool) bool {
	s := &n.crm
	f, asked := s.fencing[target]
	if s.c == nil || !asked {
		return false
	}
	delete(s.fencing, target)
	s.c.FenceResult(n.now(), f, ok)
	return true
}

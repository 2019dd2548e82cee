package node

import (
	"bytes"
	"time"

	"github.com/hbd-ha/hbd/crm/controld"
	"github.com/hbd-ha/hbd/crm/fenced"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/stonith"
	"github.com/hbd-ha/hbd/loop"
)

// This file is pacemaker-fenced's job under pacemaker on: the CIB's
// fencing devices (class="stonith" primitives, read by crm/fenced) each
// run by a stonith.Fencer, and the controller's fencing requests carried
// out with them — the devices of the target's fencing-topology levels in
// index order, or else each device that can fence it in CIB order, until
// one level (all its devices) or one device succeeds. ha.cf's stonith
// device is the fallback when no CIB device can fence the target. Every
// command runs off the loop; a dynamic-list device's host list (stonith
// -l) is asked first and kept for a minute, as Pacemaker keeps it.

const (
	// crmListMaxAge is how long a device's host list is trusted
	// (Pacemaker's fencer asks again after 60 s).
	crmListMaxAge = 60 * time.Second
	// crmFenceTimeout bounds one device command (stonith-timeout's
	// default).
	crmFenceTimeout = 60 * time.Second
	// crmFenceFailPause is the least time between a fencing request and
	// its failure's report: the controller asks again at once, and a
	// device that fails at once would be run in a tight loop (heartbeat
	// retries a reset every 5 s).
	crmFenceFailPause = 5 * time.Second
)

// crmFenced is the CIB's fencing devices and the fencings under way.
type crmFenced struct {
	table   *fenced.Table
	config  []byte                 // the configuration the table was built from
	devs    map[string]*crmDevice  // by id
	ops     map[string]*crmFenceOp // by target
	results []stonith.Result
}

// crmDevice is one CIB fencing device and its host list.
type crmDevice struct {
	d       *fenced.Device
	f       *stonith.Fencer
	hosts   []string
	listed  bool  // hosts is known
	listAt  int64 // when hosts came (loop time)
	listing bool
}

// crmFenceOp is one fencing of a target: the plan's steps (each a set of
// devices that must all succeed), tried in order.
type crmFenceOp struct {
	target, op string
	started    int64 // loop time
	steps      [][]string
	planned    bool // false: waiting for host lists
	step, dev  int  // the device under way: steps[step][dev]
}

// crmFenceRefresh rebuilds the device table when the CIB's configuration
// changed: a device whose definition is unchanged keeps its Fencer (and
// host list), one changed or gone is closed off the loop, and a fencing
// that was using it counts that attempt as failed.
func (n *Node) crmFenceRefresh() {
	s, cf := &n.crm, &n.fence.cib
	if s.cib == nil {
		return
	}
	cfg := controld.Configuration(s.cib)
	if cf.table != nil && bytes.Equal(cfg, cf.config) {
		return
	}
	cf.config = cfg
	// Build unpacks the whole configuration: a CIB without fencing
	// skips it, as most changes (the DC's attribute writes) come there.
	t := &fenced.Table{}
	if fenced.Configured(s.cib.Root) {
		var err error
		if t, err = fenced.Build(s.cib.Root, time.Now().Unix()); err != nil {
			n.log.Logf(hblog.Error, "fenced: cannot read the fencing devices from the CIB: %v", err)
			t = &fenced.Table{}
		}
	}
	for _, w := range t.Warnings {
		n.log.Logf(hblog.Info, "fenced: %s", w)
	}
	cf.table = t
	old := cf.devs
	cf.devs = make(map[string]*crmDevice, len(t.Devices))
	for _, d := range t.Devices {
		if o := old[d.ID]; o != nil && o.d.Equal(d) {
			cf.devs[d.ID] = o
			delete(old, d.ID)
			continue
		}
		params := make([]stonith.Param, len(d.Params))
		for i, p := range d.Params {
			params[i] = stonith.Param{Name: p.Name, Value: p.Value}
		}
		cf.devs[d.ID] = &crmDevice{d: d, f: stonith.NewDevice(d.Agent, params, stonith.Options{
			Log:     func(l prio.Level, msg string) { n.log.Log(l, msg) },
			Wake:    func() { n.loop.Wake() },
			Env:     n.fence.env,
			Timeout: crmFenceTimeout,
		})}
		n.log.Logf(hblog.Info, "fenced: Added '%s' to the device list (%d active devices)", d.ID, len(t.Devices))
	}
	for id, o := range old {
		n.log.Logf(hblog.Info, "fenced: Removed '%s' from the device list (%d active devices)", id, len(t.Devices))
		go o.f.Close()
	}
	if cf.ops == nil {
		cf.ops = map[string]*crmFenceOp{}
	}
	for _, op := range cf.ops {
		if op.planned && old[op.steps[op.step][op.dev]] != nil {
			n.crmFenceStepDone(op, false)
		} else if !op.planned {
			n.crmFencePlan(op)
		}
	}
}

// crmFenceCIB starts fencing f.Target with the CIB's devices and reports
// whether it did; false leaves the request to ha.cf's device.
func (n *Node) crmFenceCIB(f controld.FenceRequest) bool {
	n.crmFenceRefresh()
	cf := &n.fence.cib
	if cf.table == nil || len(cf.table.Devices) == 0 {
		return false
	}
	if cf.ops[f.Target] != nil {
		// Under way: its outcome answers this request.
		n.crm.fencing[f.Target] = f
		return true
	}
	n.log.Logf(hblog.Notice, "crm: Requesting fencing (%s) of node %s", f.Op, f.Target)
	op := &crmFenceOp{target: f.Target, op: f.Op, started: n.loop.Now()}
	cf.ops[f.Target] = op
	n.crm.fencing[f.Target] = f
	n.crmFencePlan(op)
	return true
}

// crmFencePlan plans op once every dynamic-list device it may use has
// its host list, and starts it; until then it asks the devices.
func (n *Node) crmFencePlan(op *crmFenceOp) {
	cf := &n.fence.cib
	now := n.loop.Now()
	steps, need := cf.table.Plan(op.target, func(id string) ([]string, bool) {
		d := cf.devs[id]
		if d == nil || !d.listed || now-d.listAt > int64(crmListMaxAge) {
			return nil, false
		}
		return d.hosts, true
	})
	if len(need) > 0 {
		for _, id := range need {
			if d := cf.devs[id]; d != nil && !d.listing {
				d.listing = true
				d.f.List()
			}
		}
		return
	}
	op.planned, op.steps, op.step, op.dev = true, steps, 0, 0
	if len(steps) == 0 {
		delete(cf.ops, op.target)
		if n.fence.f != nil {
			n.log.Logf(hblog.Info, "fenced: no fencing device in the CIB can fence %s: using ha.cf's STONITH device", op.target)
			n.fence.f.Reset(op.target)
			return
		}
		n.log.Logf(hblog.Error, "crm: cannot fence %s: no fencing device can fence it", op.target)
		n.crmFenceFail(op)
		return
	}
	n.crmFenceRun(op)
}

// crmFenceRun runs op's current device.
func (n *Node) crmFenceRun(op *crmFenceOp) {
	id := op.steps[op.step][op.dev]
	d := n.fence.cib.devs[id]
	if d == nil {
		n.crmFenceStepDone(op, false)
		return
	}
	d.f.FenceOnce(op.target, d.d.Port(op.target), stonithAction(d.d.Action(op.op)))
}

// stonithAction is stonith(8)'s -T name of a fencing action.
func stonithAction(a string) string {
	switch a {
	case "off", "on":
		return a
	}
	return "reset"
}

// crmFenceStepDone moves op on after its current device's outcome: the
// next device of the step after a success, the next step after a
// failure; the fencing ends when a step has all succeeded or none is left.
func (n *Node) crmFenceStepDone(op *crmFenceOp, ok bool) {
	cf := &n.fence.cib
	if ok {
		op.dev++
		if op.dev == len(op.steps[op.step]) {
			delete(cf.ops, op.target)
			n.log.Logf(hblog.Notice, "fenced: Operation '%s' targeting %s: OK", op.op, op.target)
			n.crmFenceResult(op.target, true)
			return
		}
	} else {
		op.step, op.dev = op.step+1, 0
		if op.step == len(op.steps) {
			delete(cf.ops, op.target)
			n.log.Logf(hblog.Error, "fenced: Operation '%s' targeting %s: all fencing devices failed", op.op, op.target)
			n.crmFenceFail(op)
			return
		}
	}
	n.crmFenceRun(op)
}

// crmFenceFail reports op's failure, no sooner than crmFenceFailPause
// after it started.
func (n *Node) crmFenceFail(op *crmFenceOp) {
	n.crmFenceFailAfter(op.target, time.Duration(op.started+int64(crmFenceFailPause)-n.loop.Now()))
}

// crmFenceFailAfter reports the failure of the fencing of target asked
// for (crm.fencing) after wait: the controller plans the fencing again
// at once, and a fencing that fails at once would run in a tight loop.
func (n *Node) crmFenceFailAfter(target string, wait time.Duration) {
	if wait <= 0 {
		n.crmFenceResult(target, false)
		return
	}
	t := new(loop.Timer)
	t.Init(func(int64) {
		if n.crmFenceResult(target, false) {
			n.flush()
		}
	})
	n.loop.After(t, wait)
}

// reapCRMFences takes the devices' outcomes; it reports whether the
// controller got one.
func (n *Node) reapCRMFences() bool {
	cf := &n.fence.cib
	any := false
	for id, d := range cf.devs {
		cf.results = d.f.Results(cf.results[:0])
		for _, r := range cf.results {
			switch {
			case r.List:
				d.listing, d.listed, d.listAt = false, true, n.loop.Now()
				d.hosts = nil
				if r.OK {
					d.hosts = fenced.ParseTargets(r.Hosts)
				} else {
					n.log.Logf(hblog.Warn, "fenced: %s could not list its hosts (exit %d)", id, r.Code)
				}
				for _, op := range cf.ops {
					if !op.planned {
						n.crmFencePlan(op)
						any = true
					}
				}
			case r.Once:
				op := cf.ops[r.Node]
				if op == nil || !op.planned || op.steps[op.step][op.dev] != id {
					continue
				}
				lvl := prio.Notice
				if !r.OK {
					lvl = prio.Error
				}
				n.log.Logf(lvl, "fenced: Operation '%s' targeting %s using %s returned %d (%s)", op.op, op.target, id, r.Code, r.Reason)
				n.crmFenceStepDone(op, r.OK)
				any = true
			}
		}
	}
	return any
}

// closeCRMFenced closes the CIB's devices, killing their commands.
func (n *Node) closeCRMFenced() {
	for _, d := range n.fence.cib.devs {
		d.f.Close()
	}
	n.fence.cib.devs = nil
}

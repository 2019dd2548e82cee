package node

import (
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/stonith"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
)

// This file runs the STONITH device (ha.cf stonith / stonith_host) for
// the master: resets it asks for (EventFence) run off the loop through
// cluster-glue's stonith(8), their outcomes go back to the master
// (FenceResult), and the device's status is checked at comm-up and every
// hour after, as heartbeat does.

// stonithCheckEvery is heartbeat's pause between device status checks.
const stonithCheckEvery = time.Hour

type fencing struct {
	f       *stonith.Fencer // nil: no device configured
	results []stonith.Result
	check   loop.Timer
	env     []string  // the stonith commands' environment
	cib     crmFenced // the CIB's fencing devices (crm_fence.go)
}

// newFencer prepares the device, if ha.cf names one for this node; env is
// the children's environment (HA_logfile and friends tell stonith(8) and
// its plugins where to log).
func (n *Node) newFencer(env []string) {
	n.fence.env = env
	if n.cfg.Stonith == nil || !n.opt.ManageResources {
		return
	}
	n.fence.f = stonith.New(n.cfg.Stonith, stonith.Options{
		Log:  func(l prio.Level, msg string) { n.log.Log(l, msg) },
		Wake: func() { n.loop.Wake() },
		Env:  env,
	})
	n.fence.check.Init(func(int64) { n.fence.f.Status() })
}

// fenceEvent checks the device once communications are up.
func (n *Node) fenceEvent(e *master.Event) {
	if n.fence.f != nil && e.Kind == master.EventCommUp {
		n.fence.f.Status()
	}
}

// fenceRequests carries out the ownership layer's fencing requests.
func (n *Node) fenceRequests(fs []own.Fence) {
	f := n.fence.f
	if f == nil {
		return
	}
	for _, r := range fs {
		if r.Cancel {
			f.Cancel(r.Name)
		} else {
			f.Reset(r.Name)
		}
	}
}

// reapFences hands finished attempts to the ownership layer; it runs
// when the fencer wakes the loop. It reports whether there is output.
func (n *Node) reapFences() bool {
	any := n.reapCRMFences()
	f := n.fence.f
	if f == nil || n.own == nil && n.crm.c == nil {
		return any
	}
	n.fence.results = f.Results(n.fence.results[:0])
	for _, r := range n.fence.results {
		if r.Status {
			n.loop.After(&n.fence.check, stonithCheckEvery)
			continue
		}
		if n.crmFenceResult(r.Node, r.OK) {
			any = true
			continue
		}
		if n.own != nil {
			n.own.FenceResult(n.now(), r.Node, r.OK, r.Reason)
		}
		any = true
	}
	return any
}

func (n *Node) closeFencer() {
	n.closeCRMFenced()
	if n.fence.f != nil {
		n.fence.f.Close()
		n.log.Logf(hblog.Debug, "STONITH device closed")
	}
}

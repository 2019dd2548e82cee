package node

import (
	"errors"
	"os"
	"slices"
	"syscall"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/rsc"
)

// This file connects the resource-ownership layer (master/own) to package
// rsc: the layer decides which groups to take or give up (Ready.Actions), rsc
// runs their agents on its worker pool, and the results come back
// through the loop's wake-up, so the loop never waits for a script.

// ErrRestart is what Run returns when the node stopped to restart itself,
// as heartbeat does after a healed partition: the caller waits
// RestartDelay and executes the daemon again.
var ErrRestart = errors.New("node: restart requested")

// newResources builds the group runner when this node manages resources.
func (n *Node) newResources(dir string, env []string) error {
	c := n.cfg
	if !n.opt.ManageResources || c.Haresources == nil {
		return nil
	}
	var err error
	n.rsc, err = rsc.New(c.Haresources.Groups, rsc.Options{
		ConfDir:   dir,
		IPAgent:   c.IPAgent,
		Env:       env,
		Output:    c.DebugFile,
		Log:       func(l prio.Level, msg string) { n.log.Log(l, msg) },
		Wake:      func() { n.loop.Wake() },
		Workers:   c.RscWorkers,
		Timeout:   c.ActionTimeout,
		SelfFence: c.SelfFence,
	})
	return err
}

// nativeGroups reports whether hbd itself runs this node's haresources
// groups. The shipped rc.d scripts for status, ip-request,
// ip-request-resp and hb_takeover would run ResourceManager a second
// time, so they are not run then.
func (n *Node) nativeGroups() bool {
	return n.rsc != nil && len(n.cfg.Haresources.Groups) > 0
}

// runActions hands the ownership layer's resource work to rsc. Keys are copied:
// they are only valid until Advance.
func (n *Node) runActions(as []own.Action) {
	for _, a := range as {
		n.log.Logf(hblog.Debug, "resource %s", a)
		n.noteAction(a)
		if n.rsc == nil {
			// Own exists exactly when rsc does
			// (-M and a missing haresources turn both off).
			n.log.Logf(hblog.Error, "hbd: resource %s without a resource manager", a)
			continue
		}
		keys := slices.Clone(a.Keys)
		n.monitorActionStarted(a.ID, keys)
		if a.Kind == own.ActionTake {
			n.rsc.Take(a.ID, keys)
		} else {
			n.rsc.Give(a.ID, keys)
		}
	}
}

// reapResources reports finished resource work to the ownership layer. A batch
// that ended in a self-fence ends the daemon at once, releasing nothing,
// as heartbeat's pkill -9 does.
func (n *Node) reapResources() bool {
	if n.rsc == nil || n.own == nil {
		return false
	}
	did := false
	t := n.now()
	n.rscResults = n.rsc.Results(n.rscResults[:0])
	for _, r := range n.rscResults {
		if r.Fenced {
			n.log.Log(hblog.Crit, "Killing heartbeat ungracefully!")
			n.log.Close()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			// Still here: we are the init of a PID namespace (a
			// container), which ignores signals it has no handler
			// for, SIGKILL included. Exit as abruptly.
			os.Exit(137)
		}
		n.metricsAction(&r)
		n.own.ActionDone(t, r.ID, r.Failed)
		n.monitorActionDone(r.ID)
		did = true
	}
	if did {
		n.monitorSync()
	}
	return did
}

// claimed reports whether an event's rc.d hook is hbd's own business.
func (n *Node) claimed(e *master.Event) bool {
	switch e.Kind {
	case master.EventMessage:
		return e.Claimed
	case master.EventNodeStatus:
		return n.nativeGroups()
	}
	return false
}

// pingNode reports whether name is a ping node.
func (n *Node) pingNode(name string) bool {
	nd, _ := n.cfg.Node(name)
	return nd.Type == config.PingNode
}

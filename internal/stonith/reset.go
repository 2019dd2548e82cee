package stonith

import (
	"bytes"
	"strconv"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// maxOutputLines bounds how many lines of a failed command's own output
// are logged.
const maxOutputLines = 5

// Reset starts resetting node with the device, as heartbeat does when a
// dead peer must be fenced before its resources are taken over: each
// attempt is logged and posted as a Result; after a failure it logs
// "STONITH of <node> failed.  Retrying..." and tries again after the retry
// interval, for ever, until an attempt succeeds or Cancel. A reset of node
// already under way is left to go on.
func (f *Fencer) Reset(node string) {
	if node == "" {
		f.opt.Log(prio.Error, "STONITH: no node name to reset")
		return
	}
	if r := f.startRun(node); r != nil {
		go f.resetLoop(node, r)
	}
}

// startRun registers a new run for node and returns it; nil when the
// fencer is closed or a run for node is already under way.
func (f *Fencer) startRun(node string) *run {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.runs[node] != nil {
		return nil
	}
	r := f.newRun()
	f.runs[node] = r
	return r
}

// resetLoop runs node's attempts until one succeeds or r is cancelled.
func (f *Fencer) resetLoop(node string, r *run) {
	defer f.wg.Done()
	defer r.cancel()
	var timer *time.Timer
	for {
		reason := f.attempt(node, r)
		if reason == "" || !f.post(r, Result{Node: node, OK: reason == ReasonOK, Reason: reason}) {
			return
		}
		if reason == ReasonOK {
			return
		}
		f.opt.Log(prio.Error, "STONITH of "+node+" failed.  Retrying...")
		if timer == nil {
			timer = time.NewTimer(f.opt.RetryInterval)
			defer timer.Stop()
		} else {
			timer.Reset(f.opt.RetryInterval)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// attempt runs one reset of node and logs its outcome in heartbeat's
// words (Initiate_Reset); it returns the result, or "" if r was cancelled
// meanwhile.
func (f *Fencer) attempt(node string, r *run) string {
	id := f.deviceID(r.ctx)
	if r.ctx.Err() != nil {
		return ""
	}
	f.opt.Log(prio.Info, "Resetting node "+node+" with ["+id+"]")
	// "--" keeps a node name that starts with '-' from being an option.
	code := f.exec(r, "-T", "reset", "--", node)
	switch {
	case r.ctx.Err() != nil:
		return ""
	case code == exitOK:
		f.opt.Log(prio.Info, "node "+node+" now reset.")
		return ReasonOK
	case code == exitBadHost:
		f.opt.Log(prio.Error, "Device "+id+" cannot reset host "+node+".")
		return ReasonBadHost
	default:
		f.opt.Log(prio.Error, "Host "+node+" not reset!")
		return ReasonBad
	}
}

// Status starts a check of the device's status (heartbeat's STONITH-stat
// child, at comm-up and hourly); its end is posted as a Result with Status
// set. A check already under way is left to finish.
func (f *Fencer) Status() {
	f.mu.Lock()
	if f.closed || f.check != nil {
		f.mu.Unlock()
		return
	}
	r := f.newRun()
	f.check = r
	f.mu.Unlock()
	go f.statusCheck(r)
}

// statusCheck runs one status check and logs it as heartbeat does.
func (f *Fencer) statusCheck(r *run) {
	defer f.wg.Done()
	defer r.cancel()
	id := f.deviceID(r.ctx)
	if r.ctx.Err() != nil {
		return
	}
	f.opt.Log(prio.Info, "Checking status of STONITH device ["+id+"]")
	code := f.exec(r, "-s", "-S")
	res := Result{Status: true, OK: code == exitOK, Reason: ReasonOK}
	switch {
	case r.ctx.Err() != nil:
		return
	case code == exitOK:
	case code == exitBadHost:
		// Heartbeat's status child shares the reset's switch, with "?"
		// as the node.
		f.opt.Log(prio.Error, "Device "+id+" cannot reset host ?.")
		res.Reason = ReasonBadHost
	default:
		f.opt.Log(prio.Error, "STONITH device "+id+" not operational!")
		res.Reason = ReasonBad
	}
	if !res.OK {
		f.opt.Log(prio.Error, "STONITH status operation failed.")
		f.opt.Log(prio.Info, "This may mean that the STONITH device has failed!")
	}
	f.post(r, res)
}

// exec runs the device's command with extra and returns its exit code, -1
// if it could not run or was killed. A failure's own words (what
// stonith(8) prints rather than logs: bad parameters, usage) are logged
// prefixed "stonith: ", where the plugin's own lines come in heartbeat's
// log: before the outcome.
func (f *Fencer) exec(r *run, extra ...string) int {
	if f.bad != "" {
		f.opt.Log(prio.Error, "STONITH: "+f.bad)
		return -1
	}
	o := f.command(r.ctx, false, extra...)
	if r.ctx.Err() != nil {
		return -1
	}
	if o.err != nil {
		f.opt.Log(prio.Error, "STONITH: cannot run "+f.opt.Command+": "+o.err.Error())
		return -1
	}
	if o.code != exitOK {
		f.logOutput(o)
	}
	return o.code
}

// logOutput logs the first lines of a failed command's output.
func (f *Fencer) logOutput(o outcome) {
	n := 0
	for _, out := range [...][]byte{o.stderr, o.stdout} {
		for line := range bytes.Lines(out) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			if n == maxOutputLines {
				return
			}
			n++
			f.opt.Log(prio.Error, "stonith: "+string(line))
		}
	}
	if n == 0 && o.sig != 0 {
		f.opt.Log(prio.Error, "stonith: killed by signal "+strconv.Itoa(int(o.sig)))
	}
}

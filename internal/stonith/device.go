package stonith

import (
	"context"
	"errors"
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
)

// This file runs a fencing device configured in the CIB (a class="stonith"
// primitive) for the CRM, as Pacemaker's fencer runs one: the device is
// a type and name=value parameters (stonith(8) -t type name=value...), a
// fencing action is one attempt whose outcome the caller acts on (it tries
// another device or level, the controller replans), and the device lists
// the hosts it can fence (-l) for a dynamic-list host check.

// Param is one device parameter, passed to stonith(8) as name=value.
type Param struct{ Name, Value string }

// NewDevice returns a Fencer for a device given by type and parameters.
// Its FenceOnce and List run one command each, bounded by opt.Timeout;
// Reset and Status work as with New. A parameter stonith(8) could take
// for an option (a name that is empty, holds '=' or starts with '-')
// makes every command fail, saying why.
func NewDevice(typ string, params []Param, opt Options) *Fencer {
	f := New(nil, opt)
	f.bad = ""
	f.dev.Type = typ
	if typ == "" || strings.HasPrefix(typ, "-") {
		f.bad = "bad STONITH type " + `"` + typ + `"`
		return f
	}
	// stonith(8) takes name=value arguments before the node name; "--"
	// in the commands ends the options, and GNU getopt moves these
	// arguments after it.
	f.args = []string{"-t", typ}
	for _, p := range params {
		if p.Name == "" || strings.ContainsRune(p.Name, '=') || strings.HasPrefix(p.Name, "-") {
			f.bad = "bad STONITH parameter name " + `"` + p.Name + `"`
			return f
		}
		f.args = append(f.args, p.Name+"="+p.Value)
	}
	return f
}

// FenceOnce runs action ("reset", "off" or "on") once on node through the
// device, telling the device port (the node's name for it); the outcome
// is posted as a Result with Once set and Code the command's exit code
// (-1: it could not run, was killed or timed out). Nothing is retried or
// logged in heartbeat's words but the command's own output on a failure.
// An action on node already under way is left to go on.
func (f *Fencer) FenceOnce(node, port, action string) {
	if node == "" || port == "" || action == "" {
		f.opt.Log(prio.Error, "STONITH: no node, port or action to fence")
		return
	}
	r := f.startRun(node)
	if r == nil {
		return
	}
	go func() {
		defer f.wg.Done()
		defer r.cancel()
		code, _ := f.once(r, "-T", action, "--", port)
		if r.ctx.Err() != nil {
			return
		}
		res := Result{Node: node, OK: code == exitOK, Reason: ReasonBad, Once: true, Action: action, Code: code}
		switch code {
		case exitOK:
			res.Reason = ReasonOK
		case exitBadHost:
			res.Reason = ReasonBadHost
		}
		f.post(r, res)
	}()
}

// List asks the device for the hosts it can fence (stonith -l); the
// outcome is posted as a Result with List set and Hosts the command's
// output. A list already under way is left to finish.
func (f *Fencer) List() {
	f.mu.Lock()
	if f.closed || f.list != nil {
		f.mu.Unlock()
		return
	}
	r := f.newRun()
	f.list = r
	f.mu.Unlock()
	go func() {
		defer f.wg.Done()
		defer r.cancel()
		code, out := f.once(r, "-l")
		if r.ctx.Err() != nil {
			return
		}
		f.post(r, Result{List: true, OK: code == exitOK, Code: code, Hosts: string(out)})
	}()
}

// once runs one command of the device bounded by the timeout and returns
// its exit code (-1 if it could not run or was killed) and its output.
func (f *Fencer) once(r *run, extra ...string) (int, []byte) {
	if f.bad != "" {
		f.opt.Log(prio.Error, "STONITH: "+f.bad)
		return -1, nil
	}
	ctx := r.ctx
	if f.opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.opt.Timeout)
		defer cancel()
	}
	o := f.command(ctx, false, extra...)
	switch {
	case r.ctx.Err() != nil:
		return -1, nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		f.opt.Log(prio.Error, "STONITH: "+f.opt.Command+" "+strings.Join(extra, " ")+" timed out after "+f.opt.Timeout.String())
		return -1, nil
	case o.err != nil:
		f.opt.Log(prio.Error, "STONITH: cannot run "+f.opt.Command+": "+o.err.Error())
		return -1, nil
	}
	if o.code != exitOK {
		f.logOutput(o)
	}
	return o.code, o.stdout
}

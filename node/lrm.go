package node

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/rsc"
	"github.com/hbd-ha/hbd/rsc/lrm"
)

// This file runs the local resource manager (rsc/lrm) inside the daemon,
// on its loop: one LRM, made when hbd_lrm is on, when haresources
// resources are monitored (hbd_monitor, monitor.go) or with pacemaker
// ccm-only or pacemaker on (the CRM's operations run there, crm.go). With hbd_lrm
// on or pacemaker ccm-only it also serves lrmd's two sockets, in the
// directory of the API socket (/var/run/heartbeat), with lrmd's
// privileges, so that lrmadmin and liblrm clients work against the
// running daemon as they do against "hbd lrm". Agents run off the loop;
// their results come back through the loop's wake-up (woken → pollLRM).

type lrmState struct {
	l   *lrm.LRM
	srv *lrm.Server // nil when the sockets are not served
	mon *monitor    // nil without monitored resources
}

// lrmWanted and lrmServed decide from the configuration.
func lrmServed(c *config.Config) bool { return c.LRM || c.CCMOnly || c.CRM }

func lrmWanted(c *config.Config, manage bool) bool {
	return lrmServed(c) || manage && c.Monitored()
}

// lrmDir is where lrmd's sockets go: beside the API socket; "" when the
// daemon serves no sockets (APISocket "-").
func (n *Node) lrmDir() string {
	switch n.opt.APISocket {
	case "":
		return lrm.DefaultDir
	case "-":
		return ""
	}
	return filepath.Dir(n.opt.APISocket)
}

// newLRM makes the daemon's LRM (and its server, and the monitoring of
// haresources groups) when the configuration asks for one.
func (n *Node) newLRM(dir string, env []string) error {
	c := n.cfg
	manage := n.opt.ManageResources && n.rsc != nil
	if !lrmWanted(c, manage) {
		return nil
	}
	opt := lrm.Options{
		Loop:        n.loop,
		Wake:        n.loop.Wake,
		Done:        n.lrmDone,
		Logf:        func(format string, args ...any) { n.log.Logf(hblog.Info, "lrmd: "+format, args...) },
		ResourceDir: filepath.Join(dir, "resource.d"),
		Env:         env,
		IPAgent:     c.IPAgent,
		// A CIB's ocf:heartbeat:IPaddr2 in-process, per resource: the
		// LRM runs the script for one whose parameters the built-in
		// agent does not honour exactly, and logs why.
		OCFIPBuiltin: c.CRM && c.OCFIPAgent != "script",
	}
	if dir := n.lrmDir(); lrmServed(c) && dir != "" {
		if lrmdAlive(dir) {
			// Another lrmd (cluster-glue's, or "hbd lrm") serves there:
			// its clients keep it; this daemon's LRM runs unserved.
			n.log.Logf(hblog.Error, "hbd: an lrmd already answers on %s: lrmd's sockets not served by hbd", filepath.Join(dir, lrm.CmdSock))
		} else {
			// The API socket's directory, heartbeat's 0750: made here if
			// missing, before lrmd's server would make it wider.
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("lrmd: %w", err)
			}
			srv, err := lrm.Serve(n.loop, lrm.ServeOptions{Dir: dir, LRM: opt, Logf: opt.Logf})
			if err != nil {
				return fmt.Errorf("lrmd: %w", err)
			}
			n.lrm.srv, n.lrm.l = srv, srv.LRM()
			n.log.Logf(hblog.Info, "hbd: lrmd's sockets served in %s", dir)
		}
	}
	if n.lrm.l == nil {
		n.lrm.l = lrm.New(opt)
	}
	if manage {
		n.lrm.mon = newMonitor(n, n.lrm.l, c)
	}
	if n.lrm.mon != nil {
		// Groups held without a take (a quick restart's) are watched
		// from comm-up; the others once their take ends.
		n.drv.onEvent(func(*master.Event) { n.monitorSync() }, master.EventCommUp)
	}
	return nil
}

// lrmdAlive reports whether something accepts connections on lrmd's
// command socket in dir (ipc.Listen would replace the socket, live or
// stale). A connect to a unix socket does not wait.
func lrmdAlive(dir string) bool {
	c, err := net.DialTimeout("unix", filepath.Join(dir, lrm.CmdSock), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// lrmDone is every finished LRM operation, on the loop.
func (n *Node) lrmDone(r *lrm.Result) {
	if n.lrm.mon != nil {
		n.lrm.mon.done(r)
	}
	n.crmDone(r)
}

// pollLRM finishes the operations that ended; it reports whether the
// node must flush (the monitor sent a message).
func (n *Node) pollLRM() bool {
	if n.lrm.l == nil {
		return false
	}
	n.lrm.l.Poll()
	if n.metrics != nil {
		n.metrics.LRM(n.lrm.l.Stats)
	}
	if m := n.lrm.mon; m != nil && m.sent {
		m.sent = false
		return true
	}
	return false
}

func (n *Node) closeLRM() {
	if n.lrm.mon != nil {
		n.lrm.mon.close()
	}
	if n.lrm.srv != nil {
		n.lrm.srv.Close()
	} else if n.lrm.l != nil {
		n.lrm.l.Close()
	}
}

// monitorActionStarted and monitorActionDone tell the monitor about the
// ownership layer's takes and gives.
func (n *Node) monitorActionStarted(id uint64, keys []string) {
	if n.lrm.mon != nil {
		n.lrm.mon.actionStarted(id, keys)
	}
}

func (n *Node) monitorActionDone(id uint64) {
	if n.lrm.mon != nil {
		n.lrm.mon.actionDone(id)
	}
}

// monitorSync starts or stops the monitors after the holdings changed.
func (n *Node) monitorSync() {
	if n.lrm.mon != nil {
		n.lrm.mon.sync()
	}
}

// lrmResource declares a haresources resource to the LRM as
// ResourceManager would run it: IPaddr and IPaddr2 in the heartbeat class
// (the LRM's built-in IP agent unless hbd_ip_agent script), OCF::<type>::
// <instance> as the OCF agent with the instance's parameters (the
// heartbeat provider first, as rsc finds it), a resource.d script in the
// heartbeat class (its status text decides) and an /etc/init.d script in
// the lsb class (its status exit code decides). ids are the ids taken.
func (n *Node) lrmResource(r *config.Resource, ids map[string]bool) (lrm.Resource, error) {
	dir := n.confDir()
	id := func(base string) string {
		if len(base) > lrm.MaxIDLen {
			base = base[:lrm.MaxIDLen]
		}
		s := base
		for k := 2; ids[s]; k++ {
			suf := "#" + strconv.Itoa(k)
			s = base[:min(len(base), lrm.MaxIDLen-len(suf))] + suf
		}
		return s
	}
	positional := func(args []string) []lrm.Param {
		ps := make([]lrm.Param, len(args))
		for i, a := range args {
			ps[i] = lrm.Param{Name: strconv.Itoa(i + 1), Value: a}
		}
		return ps
	}
	switch {
	case r.Script == "IPaddr" || r.Script == "IPaddr2":
		if len(r.Args) == 0 {
			return lrm.Resource{}, fmt.Errorf("%s needs an address", r.Token)
		}
		return lrm.Resource{ID: id(r.Token), Class: lrm.ClassHeartbeat, Type: r.Script, Params: positional(r.Args[:1])}, nil
	case r.Script == "OCF":
		if len(r.Args) != 2 {
			return lrm.Resource{}, fmt.Errorf("%s needs exactly a type and an instance", r.Token)
		}
		typ, inst := r.Args[0], r.Args[1]
		prov := ocfProvider("/usr/lib/ocf", typ)
		if prov == "" {
			return lrm.Resource{}, fmt.Errorf("no OCF resource agent %s", typ)
		}
		file := filepath.Join(dir, "conf", "OCF", typ, inst)
		data, err := os.ReadFile(file)
		if err != nil {
			return lrm.Resource{}, fmt.Errorf("OCF instance parameters: %w", err)
		}
		env, err := rsc.ParseOCFParams(file, data)
		if err != nil {
			return lrm.Resource{}, err
		}
		var ps []lrm.Param
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if name, ok := strings.CutPrefix(k, "OCF_RESKEY_"); ok {
				ps = append(ps, lrm.Param{Name: name, Value: v})
			}
		}
		// The instance is OCF_RESOURCE_INSTANCE, as rsc runs it: agents
		// derive state from it (Dummy's default state file).
		if ids[inst] {
			return lrm.Resource{}, fmt.Errorf("OCF instance %s used twice", inst)
		}
		return lrm.Resource{ID: inst, Class: lrm.ClassOCF, Provider: prov, Type: typ, Params: ps}, nil
	}
	if p := filepath.Join(dir, "resource.d", r.Script); executable(p) {
		return lrm.Resource{ID: id(r.Token), Class: lrm.ClassHeartbeat, Type: r.Script, Params: positional(r.Args)}, nil
	}
	if p := filepath.Join("/etc/init.d", r.Script); executable(p) {
		return lrm.Resource{ID: id(r.Token), Class: lrm.ClassLSB, Type: p}, nil
	}
	return lrm.Resource{}, fmt.Errorf("Cannot locate resource script %s", r.Script)
}

// ocfProvider finds the provider of an OCF agent as rsc does: heartbeat
// first, then the others in name order.
func ocfProvider(root, typ string) string {
	base := filepath.Join(root, "resource.d")
	providers := []string{"heartbeat"}
	if ents, err := os.ReadDir(base); err == nil {
		for _, e := range ents {
			if e.Name() != "heartbeat" {
				providers = append(providers, e.Name())
			}
		}
	}
	for _, p := range providers {
		if executable(filepath.Join(base, p, typ)) {
			return p
		}
	}
	return ""
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

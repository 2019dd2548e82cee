package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/logd"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/recovery"
)

// helpers are the v2 helper daemons hbd runs on its own loop: logd
// (hbd_logd), apphbd (hbd_apphbd) with its recovery manager
// (hbd_recovery_config), and the daemon's own apphbd registration
// (use_apphbd).
type helpers struct {
	logd     *logd.Server
	apphbd   *apphb.Server
	glue     *ApphbGlue
	recovery *recovery.Manager
	self     *apphb.Client
	selfTick loop.Timer
}

// ApphbGlue is the driver's part of apphbd, shared by the daemon
// (hbd_apphbd) and "hbd apphbd": the layer's log lines go to Log, its
// events to Rec (the recovery manager, if any), and a setboot request that
// the layer allowed to Reboot.
type ApphbGlue struct {
	*core.Layer
	Log    *hblog.Logger
	Rec    *recovery.Manager
	Reboot func() // called only with AllowReboot; nil: nothing happens
	evs    []core.Event
}

// Flush hands the layer's output on; apphb.Server calls it after every
// input.
func (g *ApphbGlue) Flush() {
	rd := g.Ready()
	for _, ln := range rd.Log.Lines {
		g.Log.Log(ln.Prio, string(ln.Text))
	}
	g.evs = append(g.evs[:0], rd.Events...)
	reboot := rd.Reboot
	g.Advance()
	if g.Rec != nil {
		for _, ev := range g.evs {
			g.Rec.Event(ev)
		}
	}
	if reboot && g.Reboot != nil {
		g.Reboot()
	}
}

// startHelpers starts what ha.cf asks for. Call it after the loop exists.
func (n *Node) startHelpers() error {
	c := n.cfg
	h := &n.helpers
	if c.Logd {
		conf := logd.DefaultConf()
		path := c.LogdConfig
		if path == "" {
			if _, err := os.Stat("/etc/logd.cf"); err == nil {
				path = "/etc/logd.cf"
			}
		}
		if path != "" {
			data, err := os.ReadFile(path)
			if err == nil {
				conf, err = logd.ParseConf(path, data)
			}
			if err != nil {
				return fmt.Errorf("hbd_logd: %w", err)
			}
		}
		host, _ := os.Hostname()
		srv, err := logd.Listen(n.loop, conf, logd.Options{Socket: n.opt.LogdSocket, Host: host})
		switch {
		case errors.Is(err, logd.ErrServed):
			// A running ha_logd keeps its socket; the daemon runs on.
			n.log.Logf(hblog.Error, "hbd_logd: %v: the built-in logd is not started", err)
		case err != nil:
			return fmt.Errorf("hbd_logd: %w", err)
		}
		h.logd = srv
	}
	if c.Apphbd {
		if c.ApphbdConfig != "" {
			// Checked for its errors; its debug_level and files give way
			// to the daemon's own logging in-process.
			data, err := os.ReadFile(c.ApphbdConfig)
			if err == nil {
				_, err = core.ParseConf(c.ApphbdConfig, data)
			}
			if err != nil {
				return fmt.Errorf("hbd_apphbd: %w", err)
			}
		}
		h.glue = &ApphbGlue{Layer: core.New(core.Config{PrivUIDs: []int32{0, haclusterUID()}, AllowReboot: c.ApphbdAllowReboot}),
			Log: n.log, Reboot: func() {
				// Only with hbd_apphbd_allow_reboot on; the layer logged why.
				n.log.Log(prio.Emerg, "apphbd: rebooting for a setboot client")
				n.apphbReboot()
			}}
		if c.RecoveryConfig != "" {
			data, err := os.ReadFile(c.RecoveryConfig)
			var rc recovery.Conf
			if err == nil {
				rc, err = recovery.ParseConf(c.RecoveryConfig, data)
			}
			if err != nil {
				return fmt.Errorf("hbd_recovery_config: %w", err)
			}
			h.recovery = recovery.New(n.loop, rc, recovery.Options{Log: n.log.Log, Output: c.DebugFile})
			h.glue.Rec = h.recovery
		}
		srv, err := apphb.Listen(n.loop, h.glue, apphb.Options{Socket: n.opt.ApphbdSocket,
			Logf: func(f string, a ...any) { n.log.Logf(hblog.Warn, f, a...) }})
		switch {
		case errors.Is(err, apphb.ErrServed):
			n.log.Logf(hblog.Error, "hbd_apphbd: %v: the built-in apphbd is not started", err)
		case err != nil:
			return fmt.Errorf("hbd_apphbd: %w", err)
		}
		h.apphbd = srv
	}
	if c.UseApphbd {
		h.self = &apphb.Client{Socket: n.opt.ApphbdSocket, App: "heartbeat", Instance: "master_control_process",
			Interval: c.Deadtime, Warn: c.Warntime, Log: n.log.Log}
		h.selfTick.Init(func(now int64) { n.loop.Schedule(&h.selfTick, h.self.Poll(now)) })
		n.loop.Schedule(&h.selfTick, 0)
	}
	return nil
}

// reapHelpers takes the recovery commands that finished (loop wake-up).
func (n *Node) reapHelpers() {
	if n.helpers.recovery != nil {
		n.helpers.recovery.Poll()
	}
}

func (n *Node) closeHelpers() {
	h := &n.helpers
	if h.self != nil {
		h.self.Close()
	}
	if h.recovery != nil {
		h.recovery.Close()
	}
	if h.apphbd != nil {
		h.apphbd.Close()
	}
	if h.logd != nil {
		h.logd.Close()
	}
	*h = helpers{}
}

// haclusterUID is hacluster's uid (setboot 1 is allowed to it and root).
func haclusterUID() int32 {
	u, err := user.Lookup("hacluster")
	if err != nil {
		return 0
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0
	}
	return int32(uid)
}

// apphbReboot is a setboot client's failure with hbd_apphbd_allow_reboot
// on: the self-fence command (hbd_self_fence), else reboot -nf, started
// and not waited for.
func (n *Node) apphbReboot() {
	argv := n.cfg.SelfFence
	if len(argv) == 0 {
		argv = []string{"/sbin/reboot", "-nf"}
	}
	if _, err := proc.Start(context.Background(), &proc.Spec{Path: argv[0], Args: argv, Dir: "/", Output: n.cfg.DebugFile}, func(proc.Result) {}); err != nil {
		n.log.Logf(hblog.Crit, "apphbd: %v: %v", argv, err)
	}
}

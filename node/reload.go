package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/sdnotify"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
)

// This file is heartbeat's SIGHUP (spec §5.5, §5.7): an unchanged
// configuration is left alone; new authkeys are read in place; a changed
// ha.cf is validated first — a broken one keeps the running node, its
// configuration and every resource, and says why — and a valid one
// restarts the daemon without releasing anything (heartbeat's quick
// restart, "-R -C <holdings>").

// RestartError is what Run returns when the node stopped for a quick
// restart: the caller executes the daemon again with State.
type RestartError struct{ State own.Restart }

func (e *RestartError) Error() string { return "node: quick restart (" + e.State.Holding + ")" }

// ErrQuickRestart matches a *RestartError with errors.Is.
var ErrQuickRestart = errors.New("node: quick restart")

func (e *RestartError) Is(target error) bool { return target == ErrQuickRestart }

// configStamp is what tells a changed configuration file: its
// modification time and size.
type configStamp struct {
	haCF, authkeys fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{st.ModTime(), st.Size()}
}

func (n *Node) confPath(name string) string {
	return filepath.Join(n.confDir(), name)
}

func (n *Node) takeStamp() configStamp {
	return configStamp{stampOf(n.confPath("ha.cf")), stampOf(n.confPath("authkeys"))}
}

// reload is the SIGHUP handler.
func (n *Node) reload() {
	if n.stopping {
		return
	}
	now := n.takeStamp()
	haChanged := now.haCF != n.stamp.haCF
	akChanged := now.authkeys != n.stamp.authkeys
	if !haChanged && !akChanged {
		n.log.Log(hblog.Info, "Configuration unchanged.")
		return
	}
	if n.opt.Reload == nil {
		n.log.Log(hblog.Warn, "hbd: configuration changed, but this node cannot reload it")
		return
	}
	cfg, diags, err := n.opt.Reload()
	if err != nil {
		// The running node keeps its configuration and its resources.
		for _, d := range diags {
			if d.Level != config.LevelInfo {
				lv, _ := hblog.ParseLevel(d.Level.String())
				n.log.Log(lv, d.String())
			}
		}
		n.log.Logf(hblog.Error, "Config errors: Heartbeat NOT restarted: %v", firstLine(err))
		return
	}
	n.stamp = now
	if !haChanged {
		n.rereadAuth(cfg)
		return
	}
	sdnotify.Reloading()
	n.restartTimer.Init(func(int64) { n.tryRestart() })
	n.tryRestart()
}

// tryRestart prepares heartbeat's quick restart, or waits while resource
// work is under way (the new process could not learn how it ended).
// Once prepared, the old master keeps sending the raised deadtime for a
// second, as heartbeat does, so that a peer that lost it asks again;
// then the daemon executes itself.
func (n *Node) tryRestart() {
	if n.restart != nil {
		n.loop.Stop()
		return
	}
	var st own.Restart
	var err error
	if n.own != nil {
		st, err = n.own.PrepareRestart(n.now())
	} else {
		err = n.master.PrepareRestart(n.now())
	}
	if errors.Is(err, master.ErrRestartDelayed) {
		if !n.restartDelayed {
			n.restartDelayed = true
			n.log.Log(hblog.Warn, "Restart delayed until current resource activity finishes.")
		}
		n.loop.After(&n.restartTimer, 200*time.Millisecond)
		return
	}
	if err != nil {
		n.log.Logf(hblog.Error, "Cannot restart: %v", err)
		return
	}
	n.restart = &st
	n.flush()
	n.loop.After(&n.restartTimer, time.Second)
}

// rereadAuth puts new authkeys into the keyrings the master and the media
// use, in place: both belong to the loop goroutine, which runs this.
func (n *Node) rereadAuth(cfg *config.Config) {
	keys, err := cfg.Keyring()
	if err != nil {
		n.log.Logf(hblog.Error, "Cannot reread authkeys: %v", err)
		return
	}
	n.keys.Replace(keys)
	n.setClusters()
	if n.mediaKeys != nil {
		n.mediaKeys.Replace(keys)
	}
	n.log.Log(hblog.Info, "Authentication keys reread.")
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

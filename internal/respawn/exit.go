package respawn

import (
	"fmt"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// exited handles the death of client i's process (ManagedChildDied):
// report it, reboot for a failfast client, respawn unless told not to.
func (s *Supervisor) exited(i, pid int, ws syscall.WaitStatus, at time.Time) {
	c := &s.clients[i]
	s.report(c, pid, ws)
	code, sig := 0, 0
	switch {
	case ws.Exited():
		code = ws.ExitStatus()
	case ws.Signaled():
		sig = int(ws.Signal())
	}
	// Heartbeat also reboots when its own shutdown SIGTERM kills a
	// failfast client; hbd does not: stopping the daemon must not reboot
	// the node.
	if c.cfg.Failfast && !c.killed && (sig != 0 || (code != 0 && !s.shutdown)) {
		s.opt.Reboot(c.cfg.Command)
	}
	if s.shutdown || code == noRespawn || c.dead {
		return
	}
	if at.Before(c.started.Add(fastWindow)) {
		c.fast++
	} else {
		c.fast = 0
	}
	if c.fast > maxFast {
		s.opt.Log(prio.Error, fmt.Sprintf("Client %s %q", c.cfg.Command, "respawning too fast"))
		c.fast = 0
		c.dead = true
		return
	}
	s.opt.Log(prio.Error, fmt.Sprintf("Respawning client %q:", c.cfg.Command))
	if s.prepare(i) {
		go s.spawn([]int{i}, c.fast > 0)
	}
}

// report logs a death as heartbeat 3.0.6 with cluster-glue 1.0.12 does:
// its process tracker logs every client exit ("Managed <cmd> process
// ..."), so heartbeat's own "Client ..." lines appear only when debugging
// (at debug level during shutdown). Once Stop runs, heartbeat has turned
// the tracker's logging off.
func (s *Supervisor) report(c *client, pid int, ws syscall.WaitStatus) {
	if s.stop == nil {
		switch {
		case ws.Exited():
			lvl := prio.Warn
			if ws.ExitStatus() == 0 {
				lvl = prio.Info
			}
			s.opt.Log(lvl, fmt.Sprintf("Managed %s process %d exited with return code %d.", c.cfg.Command, pid, ws.ExitStatus()))
		case ws.Signaled():
			n := int(ws.Signal())
			if name, words, ok := signalWords(n); ok {
				s.opt.Log(prio.Warn, fmt.Sprintf("Managed %s process %d killed by signal %d [%s - %s].", c.cfg.Command, pid, n, name, words))
			} else {
				s.opt.Log(prio.Warn, fmt.Sprintf("Managed %s process %d killed by signal %d.", c.cfg.Command, pid, n))
			}
		}
	}
	if ws.CoreDump() {
		s.opt.Log(prio.Error, fmt.Sprintf("Managed %s process %d dumped core", c.cfg.Command, pid))
	}
	if s.opt.Debug == nil || s.opt.Debug() <= 0 {
		return
	}
	lvl := prio.Error
	if s.shutdown {
		lvl = prio.Debug
	}
	if ws.Exited() && ws.ExitStatus() != 0 {
		s.opt.Log(lvl, fmt.Sprintf("Client %s exited with return code %d.", c.cfg.Command, ws.ExitStatus()))
	}
	if ws.Signaled() {
		s.opt.Log(lvl, fmt.Sprintf("Client %s (pid=%d) killed by signal %d.", c.cfg.Command, pid, int(ws.Signal())))
	}
}

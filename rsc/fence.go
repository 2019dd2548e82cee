package rsc

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// defaultFence is ResourceManager's RecoverFromFailedStop: reboot without
// syncing, else init 6.
var defaultFence = [][]string{{"/sbin/reboot", "-nf"}, {"/sbin/init", "6"}}

// fenceWait is how long a fence command may run before it counts as
// under way: a reboot does not come back, and heartbeat would already
// be dead (peers are waiting for our heartbeats to stop).
const fenceWait = 5 * time.Second

// selfFence runs the self-fence command once per Manager; Results report
// Fenced from then on.
func (m *Manager) selfFence() {
	if m.fenced.Swap(true) {
		return
	}
	cmds := defaultFence
	if m.opt.SelfFence != nil {
		cmds = [][]string{m.opt.SelfFence}
	} else if testing.Testing() {
		// A test that forgot Options.SelfFence must not reboot the
		// machine it runs on.
		m.logf(prio.Crit, "Unable to force reboot. (a test binary never runs %s)", strings.Join(cmds[0], " "))
		return
	}
	for _, argv := range cmds {
		if len(argv) == 0 {
			continue
		}
		if m.fence(argv) {
			return
		}
	}
	m.logf(prio.Crit, "Unable to force reboot.")
}

// fence runs one command and reports whether it succeeded or is still
// running after fenceWait. Its process group is its own: when the daemon
// exits right after, the command goes on.
func (m *Manager) fence(argv []string) bool {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = m.env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out, err := m.openOutput(); err == nil {
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Start(); err != nil {
		m.logf(prio.Crit, "%s: %v", strings.Join(argv, " "), err)
		return false
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(fenceWait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			m.logf(prio.Crit, "%s: %v", strings.Join(argv, " "), err)
			return false
		}
		return true
	case <-t.C:
		return true
	}
}

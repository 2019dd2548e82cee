package rsc

import (
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
)

// defaultFence is ResourceManager's RecoverFromFailedStop: reboot without
// syncing, else init 6. The package's tests replace it (helpers_test.go),
// so that a test that forgets Options.SelfFence cannot reboot the machine
// it runs on.
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
	ended := make(chan proc.Result, 1) // the runner never waits for us
	_, err := proc.Start(nil, &proc.Spec{Path: argv[0], Args: argv, Env: m.env, Dir: "/", Output: m.opt.Output},
		func(r proc.Result) { ended <- r })
	if err != nil {
		m.logf(prio.Crit, "%s: %v", strings.Join(argv, " "), err)
		return false
	}
	t := time.NewTimer(fenceWait)
	defer t.Stop()
	select {
	case r := <-ended:
		if r.Err != nil || r.ShellStatus() != 0 {
			m.logf(prio.Crit, "%s: %s", strings.Join(argv, " "), r.String())
			return false
		}
		return true
	case <-t.C:
		return true
	}
}

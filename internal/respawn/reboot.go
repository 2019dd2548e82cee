package respawn

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
)

// SystemReboot is heartbeat's cl_reboot, what a failfast client's death
// does unless Options.Reboot replaces it: log, sync, give the log line
// keepalive to reach the peers' logs, reboot(2) without syncing again;
// should that fail, "reboot -nf", and if the machine still runs, exit 1.
// It never returns.
func SystemReboot(log func(prio.Level, string), keepalive time.Duration, reason string) {
	log(prio.Emerg, "Rebooting system.  Reason: "+reason)
	syscall.Sync()
	time.Sleep(keepalive)
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
	r := proc.Run(nil, &proc.Spec{Path: "/sbin/reboot", Args: []string{"/sbin/reboot", "-nf"}})
	rc := r.ExitCode() // -1 when it did not run, or died of a signal
	log(prio.Emerg, fmt.Sprintf("ALL REBOOT OPTIONS FAILED: %s returned %d", "/sbin/reboot -nf", rc))
	os.Exit(1)
}

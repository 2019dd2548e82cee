package respawn

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
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
	err := exec.Command("/sbin/reboot", "-nf").Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		rc = -1
	}
	log(prio.Emerg, fmt.Sprintf("ALL REBOOT OPTIONS FAILED: %s returned %d", "/sbin/reboot -nf", rc))
	os.Exit(1)
}

package api

import (
	"errors"
	"syscall"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// signalClient sends a client the signal it asked for with setsignal after
// each message, as heartbeat's api_send_client_msg does. It fails only
// when the process has gone.
func signalClient(c *conn) error {
	if err := sysio.Kill(c.pid, c.signal); errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

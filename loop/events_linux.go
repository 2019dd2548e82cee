package loop

import "github.com/hbd-ha/hbd/internal/sysio"

// Readiness conditions. Error and Hangup are always reported, whether asked
// for or not.
const (
	Readable      = Events(sysio.EventIn)
	Writable      = Events(sysio.EventOut)
	Priority      = Events(sysio.EventPri)
	Error         = Events(sysio.EventErr)
	Hangup        = Events(sysio.EventHup)
	PeerHangup    = Events(sysio.EventRdHup)
	EdgeTriggered = Events(sysio.EventET)
)

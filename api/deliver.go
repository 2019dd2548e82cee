package api

import "github.com/hbd-ha/hbd/wire"

// Deliver passes a decoded cluster message (already authenticated and
// accepted by the daemon, or generated locally: status, ifstat, node
// dead) to every client whose filter keeps messages treated as how: one
// addressed to a client id (to_id) goes to that client only, others to
// every client that asked for the treatment. The message is encoded once;
// with warm buffers delivering allocates nothing.
//
// heartbeat also holds back a client join/leave notice while earlier
// messages from its node are being retransmitted (should_msg_sendto_client);
// that ordering is the daemon's, which delivers in sequence order.
func (s *Server) Deliver(msg *wire.Message, how Treatment) {
	if how == 0 || how&allTreatments != how {
		s.logf("heartbeat_monitor: unknown msgtype [%d]", how)
		return
	}
	if how&debugTreatments != 0 && s.debugCount <= 0 {
		return
	}
	toID := msg.Value(FieldToID)
	var frame []byte
	encoded := false
	// A delivery nested in another (a dropped client's leave notice looped
	// back by the daemon) must not overwrite the outer one's frame.
	buf := &s.frame
	var own []byte
	if s.iterating > 0 {
		buf = &own
	}
	s.iterating++
	for _, c := range s.clients {
		if c.closed || !c.signed {
			continue
		}
		if toID != nil && string(toID) != c.id {
			continue
		}
		if c.filter&how != 0 {
			if !encoded {
				var err error
				if *buf, err = AppendFrame((*buf)[:0], msg, s.opt.Netstring); err != nil {
					s.logf("api: deliver: %v", err)
					break
				}
				frame, encoded = *buf, true
			}
			c.enqueue(frame)
			if c.signal != 0 && !c.closed {
				if err := signalClient(c); err != nil {
					s.drop(c, "died")
				}
			}
		}
		if toID != nil {
			break // addressed to this one client: nobody else gets it
		}
	}
	s.endIteration()
}

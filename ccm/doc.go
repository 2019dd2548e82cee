// Package ccm is heartbeat 3.0.6's consensus cluster membership (the ccm
// daemon) as a pure layer: it turns heartbeat's view of which nodes are
// alive into one membership that all members agree on — an instance
// number, the member set, each member's "born" instance — and decides
// quorum with heartbeat's plugin list (majority, weight, twonodes).
//
// It speaks the real ccm's inter-node messages field for field (the
// message types of msg.go, carried as heartbeat client "ccm" messages), so
// a node running it completes membership rounds with real ccm processes on
// heartbeat 3.0.6 nodes, and it encodes the frames ccm writes to its local
// clients (client.go) so that ccm_testclient, clmtest and cl_status read
// it unchanged.
//
// A CCM takes inputs stamped with the time they happen at — heartbeat's
// node status changes, a peer ccm leaving, received ccm messages, ticks —
// and accumulates what it decides until the driver takes it with Ready
// and releases it with Advance: messages to send (to every node or one),
// log lines in ccm's words, membership events and "influx" when a round
// starts, and the next deadline. Timeouts are ccm's, derived from
// heartbeat's keepalive, but acted on at their deadline rather than on
// ccm's one-second tick.
//
// # What it must not do
//
// It reads no clock, opens no socket or file and starts no goroutine; its
// randomness (membership cookies) comes from the seed it is given. It
// imports only the standard library, wire, internal/layer and
// internal/prio. The client socket, the heartbeat API conversation and
// the wiring into the daemon belong to the driver (node).
package ccm

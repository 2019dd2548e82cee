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
// # Where it departs from ccm 3.0.6
//
// Each change keeps the messages and the rounds a real ccm takes part in;
// the simulator (sim_test.go) found the need for the first three:
//   - A member tells each live non-member, every version timeout (9K),
//     that it is in a membership (STATE_INFO). ccm does so only when a
//     node comes back from dead, so two memberships formed while every
//     node stayed up (answers lost while joining) never merged.
//   - One instance number never names two member sets of which one
//     lists a member of the other, even when that member missed the
//     final word of a round (ccm reuses the number). A full round makes
//     instance = its membership's instance + 1 + the round's minor (ccm:
//     the smallest ccmmaxt + 1, normally the membership's + 1), a number
//     every node in the round knows, as they share the membership's
//     cookie and the minor; the fast path's MEM_LIST keeps + 1, the slot
//     of minor 0. A node that leaves a round or change without its
//     outcome (final list timeout, a new round, RESTART, reset) records
//     the instance it would have made, and never forms or installs that
//     instance or one below: a membership it would join as a newcomer
//     that low makes it form alone above it and send that leader
//     STATE_INFO at once, so that the merge starts above it; a lone node
//     takes the highest instance it has seen plus one (ccm: its own plus
//     one, born 1). RES_MEMLIST's ccmmaxt is that recorded instance, so
//     a 3.0.6 leader (smallest ccmmaxt + 1) stays within it too. Full
//     rounds skip numbers ccm would use; a 3.0.6 node that misses a
//     final list still reuses the number, as ccm does.
//   - A leader takes every newcomer its members acknowledged in one
//     MEM_LIST, and members acknowledge each ALIVE they see; ccm takes one
//     at a time and, with several joiners, fell into full rounds that
//     left them all out again.
//   - Two memberships that meet merge into the one that outranks the
//     other (more members, then the greater cookie): STATE_INFO carries
//     hbd's member count (ccmclsize, which ccm ignores), the outranked
//     side restarts (RESTART to its own members only) and its nodes join
//     as newcomers; if their instance is not below ours, our leader first
//     moves ours above it with a round among our members. ccm restarts
//     both sides and rebuilds from the highest joiner alone, so at a heal
//     the bigger side's nodes were delivered memberships without each
//     other, one of them quorate with the healed node while the rest
//     waited. A STATE_INFO without a size (3.0.6) still restarts both
//     sides, as ccm does; a newcomer sends none and ignores one from the
//     membership it joins.
//   - NODE_LEAVE names the node that left (3.0.6 names the leader, so its
//     leader never accepts the answer and runs a full round); a real
//     leader takes the fast path with it. hbd as leader runs the full
//     round on 3.0.6's answer, as ccm does.
//   - A numnodes that differs from ours is logged with ccm's line and the
//     message dropped; ccm exits.
//
// # What it must not do
//
// It reads no clock, opens no socket or file and starts no goroutine; its
// randomness (membership cookies) comes from the seed it is given. It
// imports only the standard library, wire, internal/layer and
// internal/prio. The client socket, the heartbeat API conversation and
// the wiring into the daemon belong to the driver (node).
package ccm

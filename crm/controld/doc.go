// Package controld is hbd's cluster controller (Pacemaker's crmd, with
// attrd's job folded in) as a pure layer: it elects one DC per CCM
// partition, joins every member's local resource history into the status
// section, keeps node attributes, and on the DC runs the reaction loop —
// any change (membership, an operation's result, a CIB change, an
// attribute) asks for one policy engine run per round, the graph goes to
// crm/te, the engine's actions go out as LRM operations on their node
// (locally, or as a message to that node's controller), their results
// come back and update the status, and a failure or an event aborts and
// re-plans.
//
// # Facts it follows (Pacemaker's controller)
//
//   - Election (election.c of the heartbeat-era crmd): every node votes;
//     a vote beats ours when its feature set is lower, then when its CCM
//     born instance is lower (it joined earlier), then when our name
//     compares greater, case-insensitively. The loser answers no-vote; a
//     node that has every other member's no-vote, or whose election timer
//     expires undefeated, is the DC. A partition without quorum elects
//     too.
//   - Join: the DC offers (join_offer) to every member, each answers
//     join_request, the DC acknowledges (join_ack_nack) once all have,
//     and each confirms (join_confirm) with its resource history and its
//     transient attributes, which the DC writes as the node's node_state
//     (in_ccm, crmd, join, expected) with its lrm and
//     transient_attributes, replacing what was there.
//   - The newest CIB wins the join (do_dc_join_finalize): each
//     join_request carries its sender's CIB version; once all have
//     answered, the DC sends its own CIB or, when a member holds a newer
//     one, asks it (cib_sync_from) to send it to every node, and
//     acknowledges no one before it came, so the first plan after a join
//     or a heal reads the newest configuration.
//   - A member lost is written in_ccm=false crmd=offline join=down with
//     its expected state kept, so that the PE fences it (unclean) when
//     stonith-enabled; a successful fencing writes it down and clean and
//     erases its history and transient attributes.
//   - A clean-up (crm_resource --cleanup, crm_failcount -D) erases a
//     resource's history and fail counts on its node(s); the next plan
//     probes it again.
//   - Attributes (attrd): transient ones (crm_attribute -l reboot) live
//     with their node's controller and die with it, are written by the DC
//     into the node's transient_attributes, and come back with every
//     join; permanent ones (-l forever) go to the nodes section as a
//     configuration update. A failed operation raises
//     fail-count-<rsc>#<op>_<interval> and sets last-failure-<...>, as
//     Pacemaker 2.1 names them. hbd's attribute writer is the DC (attrd
//     elects its own writer; one process per node makes them one).
//   - The status records are Pacemaker's lrm_rsc_op (operation_key,
//     operation, transition-key, transition-magic, call-id, rc-code,
//     op-status, interval, last-rc-change, exec-time, queue-time,
//     op-digest); a successful stop ends the resource's recurring
//     entries, and the LRM cancels its recurring operations before a stop
//     as Pacemaker's controller does.
//   - dc-deadtime (crm_config; Pacemaker 2.1.5's default 20s, "How long
//     to wait for a response from other nodes during start-up"): a node
//     that starts, or lost an election, waits that long to hear from a DC
//     before it holds an election. When it is set (an interval: "20s",
//     "2min", plain seconds), hbd's controller uses it as its DC wait and
//     a starting node waits it before voting; a value not above zero,
//     over an hour or unreadable is logged and ignored. When it is not
//     set, hbd differs from Pacemaker on purpose: the wait derives from
//     heartbeat's keepalive (Timeouts) and a starting node votes at once,
//     so that a DC follows heartbeat's sub-second membership rather than
//     20 s later.
//
// The DC's status is its own model, rebuilt by the join on every
// election; the driver writes what Ready hands out into the CIB
// (crm/cib, which replicates it) with ApplyStatus (node_state elements),
// ApplyNodeAttr (permanent attributes) and ApplyRoot (have-quorum,
// dc-uuid), and feeds configuration changes back with ConfigChanged
// (Configuration gives the section).
//
// # What it must not do
//
// It reads no clock, does no I/O and starts no goroutine: every input
// carries its time, timeouts (derived from heartbeat's keepalive) are
// acted on at their deadline through Tick, and the PE runs where the
// driver decides (a Plan request answered with Planned). It imports only
// the standard library, wire, crm/cib, crm/pe, crm/te, internal/layer
// and internal/prio.
package controld

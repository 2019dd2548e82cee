// Package own is heartbeat 3.0.6's resource-ownership protocol for
// haresources clusters, as a pure layer above the membership of package
// master: the starting/resource handshake of auto_failback on|off
// ("nice_failback"), the ip-request exchange of legacy mode, takeover of
// a dead peer's groups (mach_down), STONITH before takeover (and the
// stonith messages heartbeat sends with no device configured), the
// standby exchange (hb_standby, hb_takeover), auto failback, the graceful
// shutdown's hand-off, the restart after a healed partition, and the
// quick restart's holdings. Every packet is heartbeat 3.0.6's, field for
// field; log lines are heartbeat's words (and its scripts').
//
// # What it must not do
//
// Own reads no clock, socket, file or environment and starts no
// goroutine; it imports only the standard library, internal/layer,
// internal/prio, wire and master (tests enforce it). It sends nothing
// itself: membership sequences, retransmits and delivers its packets.
//
// # The contract with membership
//
// New attaches Own to its Lower (a *master.Master) as the master's Upper.
// The master then calls it synchronously, from inside its own inputs, as
// heartbeat's one process does: a message of a type Own claims (starting,
// resource, ask_resources, shutdone, hb_takeover, ip-request,
// ip-request-resp, stonith), our own included, as it is sent; a node
// declared dead; a peer restarted; a healed partition; comm-up; the
// shutdown asked of the master; the end of every input (Pump); and Own's
// timers, in time order among the master's. Own reads the membership
// through Lower's views and sends with Lower.SendCluster; its own log
// lines are numbered with the master's LogOrder, so a driver that merges
// the two Readys (layer.MergeLogs) writes heartbeat's log as heartbeat
// would.
//
// # Inputs and outputs
//
// Own's own inputs, each with its Time: Tick (its timers, when the
// membership had nothing due), ActionDone (the executor finished an
// Action), FenceResult (one STONITH attempt ended), PrepareRestart.
// Ready returns its log lines, resource work (Actions: take or give a
// list of group keys; they run one at a time, in order, like heartbeat's
// queue of resource children, and Own continues when each is reported
// done), STONITH requests (Fences) and its next deadline; Advance
// releases them, and what is produced in between waits for the next
// Ready (internal/layer's Output).
//
// Deliberate differences, each documented where it is made:
//   - The 10 s RQSTDELAY breaker is skipped when waiting cannot change the
//     outcome: no peer is alive, or every live peer started with us and
//     reported that it holds nothing (breakerNow).
//   - Resource messages hbd sends carry hbd_groups: the keys of the groups
//     the sender holds or is taking, space-separated (" " for none).
//     Heartbeat reads fields by name and ignores it.
//   - Three or more nodes: on a death only the first live normal node in
//     ha.cf order (heard from, not dead, no shutdone) takes over, and it
//     takes every group that no live node holds, as far as hbd_groups (or,
//     from heartbeat peers, rsc_hold, or in legacy mode the preferred node)
//     tell. In nice mode it waits until every live peer reported itself
//     stable (a starting peer may be about to take its own groups); a node
//     takes its own groups only once every live peer has reported. The
//     standby exchange has two parties and is refused in such clusters;
//     auto_failback on gives a returning node its groups back directly
//     (stop, then a resource message naming it in hbd_failback, then it
//     starts them: rscfailback.go).
//   - Legacy mode asks for a group unless no peer is active or heard from
//     without a status yet (heartbeat: unless no peer is active).
//
// # Quick restart
//
// Heartbeat reloads a changed ha.cf by exec'ing itself ("heartbeat -R -C
// <holdings>") without releasing anything. PrepareRestart is the old
// process's half: with membership's (master.PrepareRestart: deadtime +
// 30 s advertised, heartbeat's lines) it returns a Restart; from then on
// Own does no resource work until the caller execs. It
// refuses (ErrRestartDelayed) before comm-up and while resource work whose
// outcome the new process would not learn is running. The new Own gets
// the Restart in Config.Restart: its groups are held, no initial
// acquisition runs, and in nice mode its "starting" makes the peers answer
// with their holdings, so the cluster is stable again with nothing started
// or stopped. Peers see a higher generation ("Heartbeat restart on node")
// and, thanks to the raised dt, never declare the node dead. A change of
// auto_failback between legacy and on/off is fixed up as heartbeat does
// it; hbd differs in two points: going legacy → nice, i_hold is local
// plus the foreign groups Restart.Groups lists (heartbeat assumes local
// only), and going nice → legacy with local groups held, the local groups
// are requested at comm-up rather than at once (there is nobody to ask
// before).
package own

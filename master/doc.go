// Package master is the cluster membership of one heartbeat 3.0.6 node as
// a deterministic state machine: node and link status, deadtime, warntime
// and initdead, sequence numbers and generations, retransmission, ACKs and
// flow control, and the start sequence up to "communications up" — what
// heartbeat's master control process does for membership, with its exact
// packets and log lines, so that an hbd node is indistinguishable from a
// heartbeat node to its peers.
//
// # What it must not do
//
// Master never reads a clock, a socket, a file or the environment, never
// starts a goroutine, and draws randomness only from Config.Rand. It does
// not import net, os or syscall (tests enforce it). Everything it knows
// comes in through its inputs; everything it decides goes out through
// Ready. A run is therefore reproducible from its inputs, which is what
// the simulator (package master/sim) and the scripted scenarios in
// testdata rely on.
//
// # Inputs
//
// Every input carries a Time: a monotonic clock in nanoseconds, which all
// timing uses, and the wall clock in seconds, which only goes into the
// "ts" field heartbeat puts on every message.
//
//   - Start, once: statuses init, up, up (with dt raised by 2 s for 5 s).
//   - Receive: one datagram and the medium it came on. The master decodes
//     it with package wire, authenticates it, and applies heartbeat's
//     should_drop_message: unknown senders, replays, duplicates and
//     messages for other nodes are dropped (duplicates still refresh
//     their link).
//   - Tick: timers due (status every keepalive, dead nodes and links,
//     retransmission requests, reqnodes retries). Deadlines are exact: a
//     node is declared dead at the first Tick at or after its last status
//     plus its dead interval, never before.
//   - Send and SendText: a message from a local client (API or FIFO).
//   - SetLoad: the load average for the "ld" field.
//   - Shutdown: heartbeat's graceful shutdown (resource hand-off, then
//     shutdone, then stop); without resources, shutdone and stop at once.
//   - ActionDone: the executor finished an Action.
//   - Paused: the daemon was not scheduled for a while (its loop's stall
//     handler). A pause of ours longer than a keepalive, reported or seen
//     in the inputs' times (an input long after the deadline we asked to
//     be called at), is not counted against peers: their last-heard times
//     move later by its length, so a peer whose statuses waited in our
//     sockets is not declared dead, and one that died meanwhile is
//     declared dead at most its dead interval after we run again (WARN
//     "Local scheduling pause of N ms: not counting it against peers";
//     the bound and its reasoning are in pause.go).
//
// # Outputs
//
// Outputs accumulate until the caller takes them, as in etcd's raft:
// Ready returns the packets to write (exact bytes: netstring, inner auth
// for msgfmt classic, auth trailer), heartbeat's log lines, typed events
// (node and link status changes, restarts, healed partitions, comm-up,
// messages for upper layers), the next deadline, and the flow-control
// pause flag. Advance releases them; their buffers are reused. Receiving
// a peer's status and sending our own allocate nothing.
//
// # Observing
//
// Config.OnHeartbeat, when set, is told of every accepted status from a
// peer whose lateness was checked: the interval since its previous status
// and the dead interval it was measured against, so the daemon can keep
// metrics (inter-arrival times, how close a node came to being declared
// dead) without the master importing them. Duplicates, replays, stale
// statuses and the first status since start, restart or death are not
// reported. The callback runs inside Receive and must not call the master.
//
// # Resources
//
// With Config.Resources.Manage the master also runs heartbeat's
// resource-ownership protocol (haresources clusters): the starting/resource
// handshake of auto_failback on|off ("nice_failback"), the ip-request
// exchange of legacy mode, takeover of a dead peer's groups (mach_down),
// STONITH messages as heartbeat sends them with no device configured, the
// standby exchange (hb_standby, hb_takeover), auto failback, the graceful
// shutdown and the restart after a healed partition. Where heartbeat forks
// a script, the master emits an Action (take or give a list of group keys)
// and continues when the caller reports it with ActionDone; actions run one
// at a time, in order, like heartbeat's queue of resource children. Every
// packet is heartbeat 3.0.6's, field for field; log lines are heartbeat's
// words (and its scripts').
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
// process's half: it advertises deadtime + 30 s, sends its status at once,
// logs heartbeat's lines and returns a Restart; from then on the master
// keeps membership alive (statuses with the raised dt, ACKs,
// retransmissions) and does no resource work until the caller execs. It
// refuses (ErrRestartDelayed) before comm-up and while resource work whose
// outcome the new process would not learn is running. The new master gets
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
//
// # Driving it
//
// A daemon's loop is:
//
//	m, _ := master.New(cfg)
//	m.Start(now())
//	for {
//		rd := m.Ready()
//		write rd.Packets to their media; log rd.Logs; act on rd.Events
//		m.Advance()
//		wait for datagrams, client messages or rd.Deadline
//		for each datagram that arrived: m.Receive(now(), medium, bytes)
//		if now() >= deadline: m.Tick(now())
//	}
//
// Hand over every datagram that arrived before calling Tick, so that a
// heartbeat already in the socket is never overlooked.
package master

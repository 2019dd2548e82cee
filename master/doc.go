// Package master is the cluster membership of one heartbeat 3.0.6 node, and
// membership only, as a deterministic state machine: node and link status, deadtime, warntime
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
//   - Shutdown: heartbeat's graceful shutdown: shutdone and stop at once,
//     or, with a layer above, that layer's hand-off first.
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
// pause flag. Advance releases them; their buffers are reused. What the
// master produces between Ready and Advance (a consumer of the Ready
// feeding it an input) is kept for the next Ready; a second Ready
// without Advance panics (package internal/layer's Output). Receiving a
// peer's status and sending our own allocate nothing.
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
// # Layers above
//
// Membership is all the master does. A layer that must see membership
// change as it happens attaches itself as the Upper (upper.go): the
// master calls it synchronously from inside its inputs (a message of a
// type it claims, a death, a restart, a healed partition, comm-up, a
// shutdown, the end of every input) and runs its timers in time order
// among its own; the Upper sends through SendCluster, so that its
// packets are sequenced, retransmitted and processed locally exactly as
// heartbeat's are, and numbers its log lines with LogOrder so that a
// driver writes every line of the stack in the order it was made.
// Heartbeat's resource-ownership protocol (haresources) is such a layer:
// package master/own.
//
// # Quick restart
//
// Heartbeat reloads a changed ha.cf by exec'ing itself ("heartbeat -R")
// without releasing anything. PrepareRestart is membership's half of the
// old process's part: it advertises deadtime + 30 s, sends its status at
// once and logs heartbeat's lines; from then on the master keeps
// membership alive (statuses with the raised dt, ACKs, retransmissions)
// and reports Restarting, so the layers above do nothing more, until the
// caller execs. It refuses (ErrRestartDelayed) before comm-up. Peers see
// a higher generation ("Heartbeat restart on node") and, thanks to the
// raised dt, never declare the node dead. What the resources need
// (holdings, -C) is master/own's.
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

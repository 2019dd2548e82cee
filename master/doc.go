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
//   - Shutdown: stop (for now at once; resource hand-off comes first, in
//     the resource layer).
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

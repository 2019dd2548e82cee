// Package sim runs several masters on virtual time over a simulated
// network, to test membership under faults fast and reproducibly.
//
// The network carries the real encoded datagrams, so every run exercises
// the wire codec and authentication. Each directed link (sender, receiver,
// medium) has its own loss and duplication rates, delay and jitter (which
// reorders), and can be cut, so full and one-way partitions are just
// settings. Nodes can crash (they stop and lose all state) and restart
// with the next generation, as heartbeat does from its hb_generation file.
// A node's daemon can be frozen (not scheduled for a while): what arrives
// for it waits, as in its sockets, until it runs again.
// All randomness comes from one seed.
//
// The simulator is a test harness: it lives beside master, imports it like
// any caller, and checks membership invariants as it goes (see Checker).
package sim

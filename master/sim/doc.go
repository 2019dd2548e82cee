// Package sim runs several nodes' stacks of pure layers on virtual time
// over a simulated network, to test them under faults fast and
// reproducibly: each node's membership (package master) and, with
// Options.Resources, the resource-ownership layer above it (master/own),
// whose actions run on a simulated executor and whose STONITH requests
// go to a simulated power switch.
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
// The simulator is a test harness: it lives beside master, imports the
// layers like any driver (taking each layer's Ready, merging their log
// lines in the order they were made, giving each its own deadline), and
// checks membership and resource invariants as it goes (see Checker).
package sim

// Package layer holds the pieces every pure protocol layer of hbd uses:
// the time an input happens at (Time), log lines (LogLine) and their
// order across the layers of one stack (Order, MergeLogs), an indexed
// timer min-heap (Queue), and double-buffered output (Output, Arena) with
// etcd raft's Ready/Advance contract.
//
// A pure layer (membership in package master, resource ownership in
// master/own, and the v2 layers to come) is a deterministic state machine:
// every input carries its Time, and everything it decides accumulates in
// its output until the driver takes it with Ready and releases it with
// Advance. What the layer produces between the two (a consumer of the
// Ready calling the layer back, say) is kept for the next Ready; a second
// Ready without Advance is a bug and panics.
//
// # What it must not do
//
// This package reads no clock, does no I/O and starts no goroutine; it
// imports only the standard library and internal/prio (a log priority).
// Nothing in it allocates once its buffers have grown to a layer's
// steady-state needs.
package layer

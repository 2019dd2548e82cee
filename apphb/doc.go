// Package apphb serves apphbd's socket (/var/run/heartbeat/apphb.comm) on
// the event loop through package ipc: any number of clients, each bounded
// in frame size and message rate, every frame, hangup and timer expiry
// handed to a Protocol with the loop's time, and the Protocol's errno sent
// back as apphbd's 4-byte reply.
//
// The semantics (registration, timers, log lines, events) are the pure
// layer's, apphb/core; node and cmd/hbd plug it in. This package decides
// nothing about clients and never reboots.
package apphb

// Package bpf drops foreign heartbeats in the kernel: an eBPF socket filter
// on every UDP media socket that reads fixed offsets of the payload and
// drops what can never concern this cluster before it is copied to user
// space — native packets of another cluster (or another native version),
// payloads that are no heartbeat packet at all, and heartbeat-format
// packets from a source address that keeps failing authentication (the
// deny map; entries expire).
//
// The program is written as cilium/ebpf asm.Instructions, so nothing needs
// clang. Classify is the same rules in Go: hbd applies it in user space
// where the kernel filter cannot load, and the tests hold the two to the
// same verdicts.
package bpf

import (
	"encoding/binary"
	"net/netip"

	"github.com/hbd-ha/hbd/wire"
)

// Reason is a filter verdict: ReasonPass or why a packet was dropped.
type Reason uint32

const (
	ReasonPass           Reason = iota // not dropped
	ReasonForeignMagic                 // not a heartbeat or native packet (or shorter than 16 bytes)
	ReasonBadVersion                   // native, another version
	ReasonForeignCluster               // native, a cluster id we do not accept
	ReasonDenied                       // heartbeat form from a denied source
	NumReasons
)

var reasonNames = [NumReasons]string{"pass", "foreign_magic", "bad_version", "foreign_cluster", "denied"}

// String is the reason's name in metrics and hbctl.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Counters are packets seen by reason, indexed by Reason.
type Counters [NumReasons]uint64

// Dropped is the sum of every drop reason.
func (c *Counters) Dropped() uint64 {
	var n uint64
	for r := ReasonForeignMagic; r < NumReasons; r++ {
		n += c[r]
	}
	return n
}

// headLen is how much of the payload the filter reads.
const headLen = 16

// Rules are what Classify decides with: the cluster ids accepted and the
// denied sources with their expiry (monotonic nanoseconds, the clock of
// bpf_ktime_get_ns: CLOCK_MONOTONIC).
type Rules struct {
	Clusters []uint32
	Denied   map[netip.Addr]int64
}

// Classify is the kernel filter's decision in Go, for the same payload,
// source and time.
func (r *Rules) Classify(payload []byte, from netip.Addr, now int64) Reason {
	if len(payload) < headLen {
		return ReasonForeignMagic
	}
	switch string(payload[:4]) {
	case "###\n", ">>>\n":
		if exp, ok := r.Denied[from.Unmap()]; ok && now < exp {
			return ReasonDenied
		}
		return ReasonPass
	}
	if !wire.IsNative(payload) {
		return ReasonForeignMagic
	}
	if payload[wire.NativeOffVersion] != wire.NativeVersion {
		return ReasonBadVersion
	}
	id := binary.BigEndian.Uint32(payload[wire.NativeOffCluster:])
	for _, c := range r.Clusters {
		if c == id {
			return ReasonPass
		}
	}
	return ReasonForeignCluster
}

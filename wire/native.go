package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// The native format is hbd's own binary packet (docs/wire-native.md): a
// fixed 32-byte header an eBPF socket filter can read at fixed offsets, a
// body of binary fields, and an HMAC-SHA256 over both. Heartbeat 3.0.6
// never sees it: a node sends it only when every peer has advertised that
// it reads it.
//
// These offsets are the filter's contract: ONLY APPEND.
const (
	NativeMagic     uint32 = 0x6862644E // "hbdN"
	NativeVersion          = 1
	NativeHeaderLen        = 32
	NativeMACLen           = sha256.Size

	NativeOffVersion    = 4
	NativeOffKeySlot    = 5
	NativeOffFlags      = 6
	NativeOffCluster    = 8
	NativeOffSrcIndex   = 12
	NativeOffBodyLen    = 14
	NativeOffGeneration = 16
	NativeOffSeq        = 24

	// NativeMaxBody bounds the body: its length is a 16-bit header field.
	// A bigger message goes out in heartbeat's form.
	NativeMaxBody = 1<<16 - 1
	// NoSrcIndex is the source index of a sender not in the node list.
	NoSrcIndex = 0xFFFF
)

// Derivation labels: the native key and the cluster id are HMAC-SHA256 of
// these under an authkeys slot's secret.
const (
	nativeMACLabel     = "hbd native mac v1"
	nativeClusterLabel = "hbd cluster id v1"
)

// IsNative reports whether b starts with the native magic.
func IsNative(b []byte) bool {
	return len(b) >= 4 && binary.BigEndian.Uint32(b) == NativeMagic
}

// ClusterID is the cluster id derived from an authkeys secret (empty for
// crc): two clusters with different keys get different ids, so a filter
// can drop the other's packets before anything parses them.
func ClusterID(secret []byte) uint32 {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(nativeClusterLabel))
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// nativeKey is the MAC key derived from an authkeys secret.
func nativeKey(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(nativeMACLabel))
	return h.Sum(nil)
}

package master

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// NodeType tells a cluster node from a ping node.
type NodeType uint8

// Node types.
const (
	Normal NodeType = iota // a heartbeat node
	Ping                   // a ping or ping_group node (answers ICMP echo)
)

func (t NodeType) String() string {
	if t == Ping {
		return "ping"
	}
	return "normal"
}

// NodeConfig is one configured node, in ha.cf order.
type NodeConfig struct {
	Name string // lower-cased, as heartbeat keeps it
	Type NodeType
}

// MediumConfig is one medium, in ha.cf order. Its index is the medium
// number given to Receive and found in Packet.Medium.
type MediumConfig struct {
	// Name is the link name: the interface, tty, ping host or ping group.
	Name string
	// Ping marks a ping, ping6 or ping_group medium: it carries a ping
	// node's echoes, not heartbeat traffic, and gives no link to normal
	// nodes.
	Ping bool
	// Text marks a medium that carries heartbeat's form only (serial):
	// with one configured, statuses stay in the sequenced stream, since
	// a beacon exists in the native form only.
	Text bool
}

// Config is what the master needs to know. Build it directly in tests, or
// from a validated ha.cf with package masterconf.
type Config struct {
	Local      string // this node's name (lower-cased); must be a Normal node
	UUID       [wire.UUIDLen]byte
	Generation uint64 // this start's generation (hg); see NextGeneration

	Nodes []NodeConfig
	Media []MediumConfig

	Keepalive time.Duration
	Deadtime  time.Duration
	Warntime  time.Duration // 0: Deadtime/2
	Initdead  time.Duration // 0: heartbeat's default for Deadtime
	Deadping  time.Duration // 0: Deadtime
	// MaxRexmitDelay bounds the random delay before a retransmission
	// request and spaces its repeats (0: 250 ms).
	MaxRexmitDelay time.Duration
	HopFudge       int  // added to the node count for the ttl field
	InnerAuth      bool // msgfmt classic: add the inner auth field
	// Native is when to send hbd's native format on datagram media.
	Native NativeMode
	// Compression, CompressionThreshold (bytes; 0: 2 KiB) and
	// TraditionalCompression are ha.cf's compression,
	// compression_threshold (× 1024) and traditional_compression: how
	// large messages are compressed (see compress.go).
	Compression            wire.Compression
	CompressionThreshold   int
	TraditionalCompression bool

	// Keys verifies incoming and signs outgoing packets. The master owns
	// it from New on (it is not safe for concurrent use).
	Keys *wire.Keyring
	// Rand is the only source of randomness (ACK triggers, retransmission
	// delays). Seed it for reproducible runs.
	Rand rand.Source

	// OnHeartbeat, when set, is called from Receive for each status a
	// peer sends that is accepted and checked for lateness: interval is
	// the monotonic ns since its previous status, deadInterval the dead
	// interval that status was measured against (deadInterval - interval
	// is how much time was left). It lets the daemon keep metrics without
	// the master knowing of them; it must not call the master.
	OnHeartbeat func(node int, interval, deadInterval int64)
}

// DefaultInitdead is heartbeat's initdead when ha.cf has none: deadtime
// above 10 s, 12 s below 6 s, else twice deadtime.
func DefaultInitdead(deadtime time.Duration) time.Duration {
	switch {
	case deadtime > 10*time.Second:
		return deadtime
	case deadtime < 6*time.Second:
		return 12 * time.Second
	}
	return 2 * deadtime
}

// withDefaults fills the zero durations and checks what the master relies
// on. Heartbeat's own configuration checks (deadtime > 2*keepalive, …) are
// package config's job.
func (c Config) withDefaults() (Config, error) {
	if c.Warntime == 0 {
		c.Warntime = c.Deadtime / 2
	}
	if c.Initdead == 0 {
		c.Initdead = DefaultInitdead(c.Deadtime)
	}
	if c.Deadping == 0 {
		c.Deadping = c.Deadtime
	}
	if c.MaxRexmitDelay == 0 {
		c.MaxRexmitDelay = defaultRexmitMax
	}
	var errs []error
	if c.Keepalive <= 0 || c.Deadtime <= 0 || c.Warntime < 0 || c.Initdead < 0 || c.Deadping < 0 || c.MaxRexmitDelay < 0 {
		errs = append(errs, errors.New("keepalive and deadtime must be positive, other times not negative"))
	}
	if len(c.Nodes) == 0 || len(c.Nodes) > maxNodes {
		errs = append(errs, fmt.Errorf("%d nodes: want 1 to %d", len(c.Nodes), maxNodes))
	}
	if len(c.Media) > maxMedia {
		errs = append(errs, fmt.Errorf("%d media: at most %d", len(c.Media), maxMedia))
	}
	local := -1
	seen := make(map[string]bool, len(c.Nodes))
	for i, n := range c.Nodes {
		switch {
		case n.Name == "" || len(n.Name) >= 100:
			errs = append(errs, fmt.Errorf("node %d: bad name %q", i, n.Name))
		case seen[n.Name]:
			errs = append(errs, fmt.Errorf("node %q listed twice", n.Name))
		}
		seen[n.Name] = true
		if n.Name == c.Local {
			local = i
		}
	}
	if local < 0 || c.Nodes[local].Type != Normal {
		errs = append(errs, fmt.Errorf("local node %q is not a configured normal node", c.Local))
	}
	if c.Keys == nil || c.Keys.Signer() < 0 {
		errs = append(errs, errors.New("no keyring with a signing key"))
	}
	if c.Rand == nil {
		errs = append(errs, errors.New("no random source"))
	}
	if c.HopFudge < 0 {
		errs = append(errs, errors.New("negative hopfudge"))
	}
	return c, errors.Join(errs...)
}

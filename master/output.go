package master

import (
	"fmt"
	"strconv"

	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
)

// Time is the moment an input happens at: layer's Time. The master never
// reads a clock: every input carries one. Mono drives every timing
// decision; Wall only goes into the "ts" field heartbeat puts on every
// message and is compared with the ts of incoming statuses.
type Time = layer.Time

// Status is a node status word: one of the Status constants, or whatever
// a peer announced in its "st" field.
type Status string

// intern returns the Status for b without allocating for the usual words.
func intern(b []byte) Status {
	switch string(b) {
	case string(StatusInit):
		return StatusInit
	case string(StatusUp):
		return StatusUp
	case string(StatusActive):
		return StatusActive
	case string(StatusDead):
		return StatusDead
	case string(StatusPing):
		return StatusPing
	}
	return Status(b)
}

// Priority is a log line's priority, printed as heartbeat prints it (the
// values are prio's: Emerg … Debug).
type Priority = prio.Level

// LogLine is one line heartbeat would log (layer's LogLine), without the
// prefix the logger adds ("Mon DD HH:MM:SS node heartbeat: [pid]: info: ").
// Its Text is valid until Advance.
type LogLine = layer.LogLine

// AllMedia is the Packet.Medium of a packet to be written to every medium.
const AllMedia = -1

// Packet is a datagram to write.
type Packet struct {
	Medium int    // index into Config.Media, or AllMedia
	Data   []byte // the exact bytes; valid until Advance
	// Native is the same message in hbd's native format, for the
	// datagram media (bcast, mcast, ucast and their IPv6 kin), when every
	// peer reads it; nil otherwise. Ping and serial media always take
	// Data. Valid until Advance.
	Native []byte
}

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds. The daemon's consumers (API, rc.d hooks, ipfail, metrics) take these.
const (
	// EventNodeStatus: Node's status changed from Old to New (including
	// the local node, and "dead" when declared dead).
	EventNodeStatus EventKind = iota + 1
	// EventLinkStatus: the link Link of Node went up (LinkUp) or dead.
	EventLinkStatus
	// EventNodeRestart: Node came back with a higher generation.
	EventNodeRestart
	// EventPartitionHealed: Node, marked dead, is talking again with the
	// same generation. Heartbeat's resource layer restarts the local node.
	EventPartitionHealed
	// EventCommUp: communications are up; the local status is active.
	EventCommUp
	// EventMessage: a message for upper layers (any type the membership
	// layer does not consume) was accepted from Node; Msg is its datagram,
	// already authenticated. The local node's own messages are included,
	// as heartbeat processes them too.
	EventMessage
	// EventFlowControlOff: a peer runs an older protocol; ACKs and
	// reqnodes are off from now on.
	EventFlowControlOff
	// EventShutdownDone: the master has stopped after Shutdown.
	EventShutdownDone
	// EventRestart: the master stopped after the layer above gave its
	// groups up after a healed partition; the daemon restarts itself as
	// heartbeat does (exec after ceil(deadtime)+1 s).
	EventRestart
)

var eventNames = [...]string{"?", "node-status", "link-status", "node-restart", "partition-healed", "comm-up", "message", "flow-control-off", "shutdown-done", "restart"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event" + strconv.Itoa(int(k))
}

// Event is a typed change for the layers above membership.
type Event struct {
	Kind     EventKind
	Node     int    // index into Config.Nodes
	NodeName string // Config.Nodes[Node].Name
	Old, New Status // EventNodeStatus
	Link     string // EventLinkStatus: the link (medium) name
	LinkUp   bool   // EventLinkStatus
	Msg      []byte // EventMessage: the datagram; valid until Advance
	// Claimed (EventMessage): the Upper consumed the message (the
	// resource protocol's starting, resource, ask_resources, shutdone,
	// hb_takeover, ip-request, ip-request-resp, stonith); deliver it to
	// API clients but run no rc.d script for it.
	Claimed bool
}

func (e Event) String() string {
	switch e.Kind {
	case EventNodeStatus:
		return fmt.Sprintf("%s %s %s->%s", e.Kind, e.NodeName, e.Old, e.New)
	case EventLinkStatus:
		st := "dead"
		if e.LinkUp {
			st = "up"
		}
		return fmt.Sprintf("%s %s:%s %s", e.Kind, e.NodeName, e.Link, st)
	case EventCommUp, EventFlowControlOff, EventShutdownDone, EventRestart:
		return e.Kind.String()
	case EventMessage:
		if e.Claimed {
			return fmt.Sprintf("%s %s %d bytes claimed", e.Kind, e.NodeName, len(e.Msg))
		}
		return fmt.Sprintf("%s %s %d bytes", e.Kind, e.NodeName, len(e.Msg))
	}
	return fmt.Sprintf("%s %s", e.Kind, e.NodeName)
}

// Ready is what the master has to say since the last Ready: packets to
// write, log lines, events, and when to call Tick next. The caller handles
// it, then calls Advance; every slice in it is reused after that. What the
// master produces meanwhile (the caller may give it inputs while it
// handles a Ready) comes out in the next one.
type Ready struct {
	Packets []Packet
	Logs    []LogLine
	Events  []Event
	// Deadline is the monotonic time at which Tick must be called next
	// (0 when nothing is pending). Calling Tick earlier is harmless.
	Deadline int64
	// Paused reports heartbeat's flow control: more than 250 sequenced
	// messages are unACKed by a live peer, so local API clients should be
	// held back until it clears.
	Paused bool
	// Done is set once the master has shut down.
	Done bool
}

// Stats counts what was dropped, and the pauses of our own that were not
// counted against peers, for the daemon's metrics and debug logs.
type Stats struct {
	Received      uint64 // datagrams handed to Receive
	Malformed     uint64 // could not be decoded
	AuthFailed    uint64 // failed authentication
	UnknownSender uint64 // authenticated but not from a configured node
	Replays       uint64 // dropped as replays (older generation)
	Duplicates    uint64 // seen before (they still refresh their link)
	NotForUs      uint64 // addressed to another node
	Retransmitted uint64 // packets resent on request
	RexmitAsked   uint64 // NS_rexmit requests sent
	Pauses        uint64 // pauses of our own not counted against peers
}

// outBuf is one of the output's two buffers: a Ready's contents and the
// arenas its slices point into.
type outBuf struct {
	rd      Ready
	log     layer.Log
	packets layer.Arena // backing bytes of rd.Packets
	msgs    layer.Arena // backing bytes of rd.Events' Msg
}

// Reset empties the buffer and keeps its arrays.
func (b *outBuf) Reset() {
	b.rd.Packets = b.rd.Packets[:0]
	b.rd.Events = b.rd.Events[:0]
	b.rd.Logs = nil
	b.log.Reset()
	b.packets.Reset()
	b.msgs.Reset()
}

// output collects the master's outputs, double-buffered: what is produced
// between Ready and Advance goes to the next Ready (a consumer of the
// Ready, such as the API dropping a slow client, may call the master).
type output struct {
	layer.Output[outBuf, *outBuf]
	order *layer.Order // numbers log lines across the stack
}

// empty reports whether nothing is pending.
func (o *output) empty() bool {
	b := o.Pending()
	return len(b.rd.Packets) == 0 && len(b.log.Lines) == 0 && len(b.rd.Events) == 0
}

// packet queues b, and its native form nat if not nil, for writing. Both
// are copied.
func (o *output) packet(medium int, b, nat []byte) {
	buf := o.Pending()
	p := Packet{Medium: medium, Data: buf.packets.Copy(b)}
	if nat != nil {
		p.Native = buf.packets.Copy(nat)
	}
	buf.rd.Packets = append(buf.rd.Packets, p)
}

func (o *output) logf(p Priority, format string, args ...any) {
	o.Pending().log.Addf(o.order, p, format, args...)
}

// log is logf for a fixed text, which allocates nothing.
func (o *output) log(p Priority, parts ...string) {
	o.Pending().log.Add(o.order, p, parts...)
}

func (o *output) event(e Event) {
	buf := o.Pending()
	buf.rd.Events = append(buf.rd.Events, e)
}

func (o *output) message(node int, name string, raw []byte, claimed bool) {
	buf := o.Pending()
	buf.rd.Events = append(buf.rd.Events, Event{Kind: EventMessage, Node: node, NodeName: name, Msg: buf.msgs.Copy(raw), Claimed: claimed})
}

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

// Event kinds. The resource layer and the API consume these.
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
	// EventRestart: the master gave its groups up after a healed
	// partition and stopped; the daemon restarts itself as heartbeat
	// does (exec after ceil(deadtime)+1 s).
	EventRestart
	// EventFence: NodeName must be reset with the STONITH device before
	// its groups are taken over; report each attempt with
	// Master.FenceResult (the device retries failures itself).
	EventFence
	// EventFenceCancel: stop resetting NodeName: it is talking again.
	EventFenceCancel
)

var eventNames = [...]string{"?", "node-status", "link-status", "node-restart", "partition-healed", "comm-up", "message", "flow-control-off", "shutdown-done", "restart", "fence", "fence-cancel"}

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
	// Claimed (EventMessage): the resource protocol consumed the message
	// (starting, resource, ask_resources, shutdone, hb_takeover,
	// ip-request, ip-request-resp, stonith); deliver it to API clients
	// but run no rc.d script for it.
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
	case EventFence, EventFenceCancel:
		return e.Kind.String() + " " + e.NodeName
	case EventMessage:
		if e.Claimed {
			return fmt.Sprintf("%s %s %d bytes claimed", e.Kind, e.NodeName, len(e.Msg))
		}
		return fmt.Sprintf("%s %s %d bytes", e.Kind, e.NodeName, len(e.Msg))
	}
	return fmt.Sprintf("%s %s", e.Kind, e.NodeName)
}

// Ready is what the master has to say since the last Advance: packets to
// write, log lines, events, and when to call Tick next. The caller handles
// it, then calls Advance; every slice in it is reused after that.
type Ready struct {
	Packets []Packet
	Logs    []LogLine
	Events  []Event
	// Actions is resource work to run, one at a time, in this order;
	// report each with Master.ActionDone.
	Actions []Action
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

// output collects a Ready's contents in reused buffers.
type output struct {
	rd      Ready
	packets []byte // backing bytes of rd.Packets
	logs    []byte // backing bytes of rd.Logs
	msgs    []byte // backing bytes of rd.Events' Msg
}

func (o *output) reset() {
	o.rd.Packets = o.rd.Packets[:0]
	o.rd.Logs = o.rd.Logs[:0]
	o.rd.Events = o.rd.Events[:0]
	o.rd.Actions = o.rd.Actions[:0]
	o.packets = o.packets[:0]
	o.logs = o.logs[:0]
	o.msgs = o.msgs[:0]
}

// packet queues b, and its native form nat if not nil, for writing. Both
// are copied.
func (o *output) packet(medium int, b, nat []byte) {
	start := len(o.packets)
	o.packets = append(o.packets, b...)
	// A grown arena leaves earlier Data pointing at the old array, which
	// stays valid and unchanged; only new data goes to the new one.
	p := Packet{Medium: medium, Data: o.packets[start:len(o.packets):len(o.packets)]}
	if nat != nil {
		start = len(o.packets)
		o.packets = append(o.packets, nat...)
		p.Native = o.packets[start:len(o.packets):len(o.packets)]
	}
	o.rd.Packets = append(o.rd.Packets, p)
}

func (o *output) logf(p Priority, format string, args ...any) {
	start := len(o.logs)
	o.logs = fmt.Appendf(o.logs, format, args...)
	o.rd.Logs = append(o.rd.Logs, LogLine{Prio: p, Text: o.logs[start:len(o.logs):len(o.logs)]})
}

// log is logf for a fixed text, which allocates nothing.
func (o *output) log(p Priority, parts ...string) {
	start := len(o.logs)
	for _, s := range parts {
		o.logs = append(o.logs, s...)
	}
	o.rd.Logs = append(o.rd.Logs, LogLine{Prio: p, Text: o.logs[start:len(o.logs):len(o.logs)]})
}

func (o *output) event(e Event) { o.rd.Events = append(o.rd.Events, e) }

func (o *output) message(node int, name string, raw []byte, claimed bool) {
	start := len(o.msgs)
	o.msgs = append(o.msgs, raw...)
	o.rd.Events = append(o.rd.Events, Event{Kind: EventMessage, Node: node, NodeName: name, Msg: o.msgs[start:len(o.msgs):len(o.msgs)], Claimed: claimed})
}

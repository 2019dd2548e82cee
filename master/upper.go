package master

import (
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/wire"
)

// Upper is the contract of a layer above membership that must see it
// change as it happens: heartbeat's resource-ownership protocol (package
// master/own), which in heartbeat runs inside the same process and reacts
// to a death, a message or comm-up before the next line of the master's
// own work. The master calls it synchronously, on its caller's goroutine,
// from inside its inputs; the Upper may call back only the methods listed
// for it (the Lower of master/own: the views, Msg, SendCluster,
// SendStatus, Stop), never an input (Receive, Tick, Send…).
//
// Its outputs (log lines numbered with LogOrder, resource work, fences)
// go out through its own Ready/Advance; its packets go through the
// master's SendCluster, which sequences them and keeps them for
// retransmission.
type Upper interface {
	// Claims reports whether the layer consumes messages of type typ
	// (their EventMessage is marked Claimed).
	Claims(typ []byte) bool
	// Message is an accepted message of a claimed type from node, with
	// its sequence number; our own are included, as they are sent.
	Message(node int, msg *wire.Message, typ []byte, seq uint64)
	// NodeDead: node was just declared dead; heard says whether anything
	// came from it since it started.
	NodeDead(node int, heard bool)
	// NodeRestarted: node came back with a higher generation; first is
	// set when no generation of it was known yet.
	NodeRestarted(node int, first bool)
	// PartitionHealed: node, marked dead, talks again with the same
	// generation.
	PartitionHealed(node int)
	// Starting: Start is about to send the first status.
	Starting()
	// CommUp: communications are up (local status active).
	CommUp()
	// Shutdown: a graceful shutdown was asked for; the Upper hands its
	// work over and stops membership (Stop) when done.
	Shutdown()
	// Pump runs at the end of every input.
	Pump()
	// NextTimer returns the Upper's earliest timer; FireTimer runs it.
	// Tick runs them in time order among the master's own (on equal
	// deadlines, the master's first), as heartbeat's one loop does.
	NextTimer() (int64, bool)
	FireTimer()
}

// Attach makes u the layer above membership. Call it before Start.
func (m *Master) Attach(u Upper) { m.upper = u }

// LogOrder numbers the log lines of the stack: an Upper numbers its own
// with it, so that a driver can merge them with the master's (see
// layer.MergeLogs).
func (m *Master) LogOrder() *layer.Order { return &m.order }

// Enter brings the master's clock to t, for an input of the stack that
// the Upper takes (an action done, a fence result): what it sends is
// stamped with t.
func (m *Master) Enter(t Time) {
	if m.phase.running() {
		m.enter(t)
	}
}

// Now returns the monotonic time of the input being handled.
func (m *Master) Now() int64 { return m.now }

// Self returns the local node's index.
func (m *Master) Self() int { return m.self }

// NodeType returns node i's type.
func (m *Master) NodeType(i int) NodeType { return m.nodes[i].typ }

// Heard reports whether anything came from node i since it started or
// was declared dead (heartbeat's anypacketsyet).
func (m *Master) Heard(i int) bool { return m.nodes[i].anyPackets }

// Running reports whether the master processes inputs (started, not
// stopped).
func (m *Master) Running() bool { return m.phase.running() }

// LinksUp reports whether every node was heard from or declared dead
// (heartbeat's COMM_LINKSUP or later).
func (m *Master) LinksUp() bool { return m.phase.linksUp() }

// Msg returns a scratch message for the Upper to fill and pass to
// SendCluster.
func (m *Master) Msg() *wire.Message { return m.msg() }

// SendCluster sends msg, filled in the scratch Msg returned, to the
// cluster as heartbeat's send_cluster_msg does.
func (m *Master) SendCluster(msg *wire.Message) error { return m.sendCluster(msg) }

// SendStatus sends our status at once.
func (m *Master) SendStatus() { m.sendStatus() }

// Stop makes the master inert after a graceful shutdown: it sends nothing
// and ignores every input; Ready reports EventShutdownDone, or
// EventRestart with restart (heartbeat restarts itself after a healed
// partition).
func (m *Master) Stop(restart bool) { m.stop(restart) }

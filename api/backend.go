package api

import (
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// Backend is the daemon's state, as the API reports it. Every method is
// called on the loop goroutine only, and must not block.
type Backend interface {
	// LocalNode is this node's name (lower-cased, as heartbeat keeps it).
	LocalNode() string
	// Nodes lists the cluster nodes in config order, ping nodes included.
	// The server does not keep the slice past the call.
	Nodes() []NodeInfo
	// Param returns a recorded ha.cf value ("pacemaker" has its default
	// "false"); the server maps "crm" to "pacemaker" itself.
	Param(name string) (string, bool)
	// Holding is the resources this node holds: none, local, foreign, all
	// or transition.
	Holding() string
	Deadtime() time.Duration
	Keepalive() time.Duration
	// Version is the signon reply's hbversion: heartbeat puts
	// "<version> (<changeset>)" there, "3.0.6 (node: 958e11be…)" for
	// Debian's build.
	Version() string
	// UUID returns a node's uuid in its text form.
	UUID(node string) (string, bool)
	// Send sends msg to the cluster as the daemon's own message (the
	// daemon adds src, seq, hg …): a named client's message, a client
	// join/leave notice, a client status query.
	Send(msg *wire.Message) error
	// Authorize applies the apiauth rules to a client signing on; casual
	// clients (whose id is their pid) are checked against "anon". The
	// error's text is the reason the client is told. Implementations call
	// the package function Authorize with config.APIAuth.
	Authorize(client string, casual bool, uid, gid uint32) error
}

// NodeInfo is one node as the API reports it.
type NodeInfo struct {
	Name   string     `json:"name"`
	Type   string     `json:"type"`   // normal or ping
	Status string     `json:"status"` // init, up, active, dead, ping
	Weight int        `json:"weight"`
	Site   string     `json:"site"`
	Links  []LinkInfo `json:"links"` // heartbeat links; a ping node's one link bears its name
}

// LinkInfo is one heartbeat link to a node.
type LinkInfo struct {
	Name   string `json:"name"`
	Status string `json:"status"` // up or dead
}

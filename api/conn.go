package api

import "github.com/hbd-ha/hbd/ipc"

// conn is one client: its IPC connection and what it said when it signed
// on.
type conn struct {
	ic *ipc.Conn

	signed   bool // signed on
	pid      int  // claimed pid; 0 until a signon names one
	id       string
	idSet    bool
	casual   bool
	uid, gid uint32
	gen      int
	joined   bool // a named client announced as joined
	filter   Treatment
	signal   int
	closed   bool
}

// enqueue sends frame to the client, or queues it; a client whose queue
// overflows is dropped (package ipc closes it and Closed follows).
func (c *conn) enqueue(frame []byte) {
	if !c.closed {
		c.ic.Send(frame)
	}
}

// name is how logs call the client.
func (c *conn) name() string {
	if !c.idSet {
		return "(unsigned)"
	}
	if c.casual {
		return "casual"
	}
	return c.id
}

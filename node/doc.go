// Package node is a running hbd node: it wires the event loop (loop), the
// media (media), the membership state machine (master), the FIFO and the
// logger together, and owns the state files (generation, uuid).
//
// Everything runs on the loop's one goroutine: media fds and the FIFO are
// polled by epoll, the master's next deadline is one loop timer, signals
// arrive as loop callbacks. The package holds wiring, not cluster logic:
// what to send, when a node is dead and what to log are the master's
// decisions; node only carries bytes between it and the outside.
// One exception, hbd's own: the monitoring of haresources groups
// (monitor.go) decides restarts in place and give-ups; its decisions are
// pure functions (restartPolicy, restartOrder) and it acts through the
// LRM and the ownership protocol's standby message.
// With pacemaker on, crm.go drives the CRM's controller (crm/controld,
// which decides) over the built-in CCM and the LRM, runs the policy
// engine it asks for and keeps the node's CIB file.
//
// The loop package stays a generic event loop; this package is where the
// design's "loop → master, media" arrow is implemented.
package node
